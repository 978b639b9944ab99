import type { Entry } from '../src/identity/entry';

/** The tests' clock: a fixed moment, so rows and revisions are the same on every run. */
export const T = Date.UTC(2026, 11, 1, 9);

/** An entry as the identity rules would write it, CORP\\`user` at `ip`, with `over` applied. */
export const entry = (ip: string, user: string, over: Partial<Entry> = {}): Omit<Entry, 'revision'> => ({
  ip,
  user,
  domain: 'CORP',
  workstation: '',
  groups: ['CORP\\Staff'],
  groupsStale: false,
  firstSeenMs: T,
  lastSeenMs: T,
  userSeenMs: T,
  source: 'test',
  shared: false,
  contested: false,
  claims: [],
  evidence: [],
  ...over,
});
