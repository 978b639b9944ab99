/**
 * Which Windows Security events are logon evidence, and where each keeps the account, the client
 * address and the client name. Field names differ between events (4778/4779 say `AccountName` and
 * `ClientAddress` where 4624 says `TargetUserName` and `IpAddress`), so they are data, not code.
 */

/** EventData field names; an absent name means the event has no such field. */
export interface FieldNames {
  user: string;
  domain?: string;
  ip?: string;
  workstation?: string;
  logonType?: string;
}

export interface Rule {
  kind: 'USER_LOGON' | 'USER_ACTIVITY' | 'USER_LOGOFF';
  /** Short name used in skip reasons. */
  label: string;
  fields: FieldNames;
  /**
   * `required`: no usable client address means no event (the collector maps addresses);
   * `optional`: logoffs, which usually carry none and still end a session;
   * `none`: the event never has one (4776, 4800/4801) and is kept for workstation tracking.
   */
  address: 'required' | 'optional' | 'none';
  /** Failed Kerberos/NTLM attempts are not evidence that the user is at that address. */
  checkStatus: boolean;
  /**
   * Lock and unlock are logged by the computer the session is on, and name no client; that
   * computer is then the workstation.
   */
  workstationFromComputer?: boolean;
}

const LOGON: FieldNames = {
  user: 'TargetUserName',
  domain: 'TargetDomainName',
  ip: 'IpAddress',
  workstation: 'WorkstationName',
  logonType: 'LogonType',
};
const KERBEROS: FieldNames = { user: 'TargetUserName', domain: 'TargetDomainName', ip: 'IpAddress' };
const NTLM: FieldNames = { user: 'TargetUserName', domain: 'TargetDomainName', workstation: 'Workstation' };
const LOGOFF: FieldNames = {
  user: 'TargetUserName',
  domain: 'TargetDomainName',
  ip: 'IpAddress',
  logonType: 'LogonType',
};
const RDP: FieldNames = {
  user: 'AccountName',
  domain: 'AccountDomain',
  ip: 'ClientAddress',
  workstation: 'ClientName',
};
const SESSION: FieldNames = { user: 'TargetUserName', domain: 'TargetDomainName' };

export const RULES: ReadonlyMap<number, Rule> = new Map<number, Rule>([
  [4624, { kind: 'USER_LOGON', label: 'logon', fields: LOGON, address: 'required', checkStatus: false }],
  [4768, { kind: 'USER_ACTIVITY', label: 'Kerberos TGT', fields: KERBEROS, address: 'required', checkStatus: true }],
  [
    4769,
    {
      kind: 'USER_ACTIVITY',
      label: 'Kerberos service ticket',
      fields: KERBEROS,
      address: 'required',
      checkStatus: true,
    },
  ],
  [
    4770,
    {
      kind: 'USER_ACTIVITY',
      label: 'Kerberos ticket renewal',
      fields: KERBEROS,
      address: 'required',
      checkStatus: true,
    },
  ],
  [4776, { kind: 'USER_ACTIVITY', label: 'NTLM validation', fields: NTLM, address: 'none', checkStatus: true }],
  [4634, { kind: 'USER_LOGOFF', label: 'logoff', fields: LOGOFF, address: 'optional', checkStatus: false }],
  [
    4647,
    { kind: 'USER_LOGOFF', label: 'user-initiated logoff', fields: LOGOFF, address: 'optional', checkStatus: false },
  ],
  [4778, { kind: 'USER_ACTIVITY', label: 'RDP reconnect', fields: RDP, address: 'required', checkStatus: false }],
  // A disconnected RDP session still exists and is still the user's; it is not a logoff.
  [4779, { kind: 'USER_ACTIVITY', label: 'RDP disconnect', fields: RDP, address: 'required', checkStatus: false }],
  [
    4800,
    {
      kind: 'USER_ACTIVITY',
      label: 'lock',
      fields: SESSION,
      address: 'none',
      checkStatus: false,
      workstationFromComputer: true,
    },
  ],
  [
    4801,
    {
      kind: 'USER_ACTIVITY',
      label: 'unlock',
      fields: SESSION,
      address: 'none',
      checkStatus: false,
      workstationFromComputer: true,
    },
  ],
]);

/** Failures a DC logs in bulk: counted by whoever reads the skip reasons, never mapped. */
export const COUNTED: ReadonlyMap<number, string> = new Map([
  [4625, 'failed logon'],
  [4771, 'Kerberos pre-authentication failed'],
]);

/**
 * Accounts that are never a person at a client: the built-in service identities, the per-session
 * Desktop Window Manager and font-driver accounts, and the KDC's own `krbtgt`.
 */
export function wellKnownAccount(user: string): boolean {
  return (
    user === 'system' ||
    user === 'local service' ||
    user === 'network service' ||
    user === 'anonymous logon' ||
    user === 'krbtgt' ||
    /^(dwm|umfd)-\d+$/.test(user)
  );
}

/**
 * Kerberos and NTLM result codes: `0x0` (Windows) or `0x00000000` (libevtx zero-pads). An event
 * without a Status field (4770 has none: it is only logged on success) counts as success.
 */
export function isSuccessStatus(status: string): boolean {
  return status === '' || status === '-' || /^(0x)?0+$/i.test(status);
}
