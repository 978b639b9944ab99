/** Groups for an account as known now (cache); `stale` when the directory could not be asked. */
export interface GroupLookup {
  groupsFor(user: string, domain: string): { groups: string[]; groupDns?: string[]; stale: boolean };
}

const NONE = { groups: [] as string[], stale: false };

/** No directory: nobody has groups (one shared answer: entries never change their lists in place). */
export const NO_GROUPS: GroupLookup = { groupsFor: () => NONE };
