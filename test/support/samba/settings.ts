/** What a test domain is made of. Part of the template cache key: change any and a new template is built. */
export interface DomainSettings {
  realm: string;
  /** NetBIOS domain name. */
  domain: string;
  /** The DC's host name (its NetBIOS name upper-cased). */
  host: string;
  adminPassword: string;
  /** Password of every seeded user and of the seeded computer account. */
  userPassword: string;
}

export const DEFAULT_SETTINGS: DomainSettings = {
  realm: 'CORP.EXAMPLE.TEST',
  domain: 'CORP',
  host: 'dc1',
  adminPassword: 'LabAdm1n!Pass',
  userPassword: 'UserPassw0rd!',
};

/** Seeded people. `svc-collector` is the account a collector binds as. */
export const USERS = ['alice', 'bob', 'carol', 'svc-collector'] as const;

/** Seeded groups as [group, member] pairs: alice -> Engineering -> VPN-Users -> AllStaff; bob -> Sales -> AllStaff; carol -> VPN-Users. */
export const GROUP_MEMBERS: readonly (readonly [string, string])[] = [
  ['Engineering', 'alice'],
  ['Sales', 'bob'],
  ['VPN-Users', 'Engineering'],
  ['VPN-Users', 'carol'],
  ['AllStaff', 'VPN-Users'],
  ['AllStaff', 'Sales'],
];

/** A domain-joined workstation's computer account (sAMAccountName `WS01$`), for HOST_SEEN evidence. */
export const COMPUTER = 'WS01';

export function dnsDomainOf(s: DomainSettings): string {
  return s.realm.toLowerCase();
}

export function baseDnOf(s: DomainSettings): string {
  return dnsDomainOf(s)
    .split('.')
    .map((p) => `DC=${p}`)
    .join(',');
}
