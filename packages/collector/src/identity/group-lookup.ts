/** Groups for an account as known now (cache); `stale` when the directory could not be asked. */
export interface GroupLookup {
  groupsFor(user: string, domain: string): { groups: string[]; groupDns?: string[]; stale: boolean };
}

/** No directory: nobody has groups. */
export const NO_GROUPS: GroupLookup = { groupsFor: () => ({ groups: [], stale: false }) };
