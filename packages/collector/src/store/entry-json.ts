import type { Claim, Entry } from '../identity/entry';
import type { Interner } from './intern';

/**
 * The `groups` column: a JSON list of names, or of `{name, dn}` where the DNs are known (one
 * column, so an older table needs no migration and older rows read as "DN unknown").
 */
export function readGroups(json: string): { groups: string[]; groupDns: string[] | undefined } {
  return groupsOf(JSON.parse(json) as unknown[]);
}

function groupsOf(raw: unknown[]): { groups: string[]; groupDns: string[] | undefined } {
  if (!raw.some((g) => typeof g === 'object' && g !== null)) return { groups: raw.map(String), groupDns: undefined };
  const list = raw.map((g) => (typeof g === 'string' ? { name: g, dn: '' } : (g as { name: string; dn?: string })));
  return { groups: list.map((g) => g.name), groupDns: list.map((g) => g.dn ?? '') };
}

export function writeGroups(groups: readonly string[], groupDns: readonly string[] | undefined): string {
  if (!groupDns || groupDns.length !== groups.length || groupDns.every((d) => d === '')) return JSON.stringify(groups);
  return JSON.stringify(groups.map((name, i) => ({ name, dn: groupDns[i] ?? '' })));
}

/**
 * An entry as the change log keeps it: what a firewall is sent (`toIdentity`), without the
 * evidence chain and claims, which only `explain` reads, from the table. Built by hand: stringifying
 * the whole entry was a tenth of the ingest profile.
 */
export function changeJson(e: Entry, groups = writeGroups(e.groups, e.groupDns)): string {
  return `{"ip":${JSON.stringify(e.ip)},"user":${JSON.stringify(e.user)},"domain":${JSON.stringify(e.domain)},"workstation":${JSON.stringify(e.workstation)},"groups":${groups},"firstSeenMs":${e.firstSeenMs},"lastSeenMs":${e.lastSeenMs},"source":${JSON.stringify(e.source)},"revision":${e.revision},"shared":${e.shared},"groupsStale":${e.groupsStale},"userSeenMs":${e.userSeenMs},"contested":${e.contested}}`;
}

/** The `evidence` column of an entry: its chain (always a JSON list), or the stored JSON it still holds. */
export function evidenceJson(e: Pick<Entry, 'evidence'>): string {
  const ev = e.evidence;
  if (typeof ev === 'string') return ev;
  return Array.isArray(ev) ? JSON.stringify(ev) : `[${JSON.stringify(ev)}]`;
}

/** An entry of the change log (older rows hold the whole entry; newer ones no evidence or claims). */
export function readChangeEntry(json: string): Entry {
  const raw = JSON.parse(json) as Omit<Entry, 'groups' | 'groupDns'> & { groups: unknown[]; groupDns?: string[] };
  const g =
    raw.groupDns !== undefined ? { groups: raw.groups.map(String), groupDns: raw.groupDns } : groupsOf(raw.groups);
  return { ...raw, ...g, evidence: raw.evidence ?? [], claims: raw.claims ?? [] };
}

/**
 * The one empty claim list entries share: nearly every entry has none, and a fresh `[]` each was
 * 32 bytes per mapping. Claim lists are replaced, never changed in place (ClaimList copies).
 */
export const NO_CLAIMS: Claim[] = [];

/** The columns of `logons` a load reads, in the order of `LogonRow`. */
export const LOGON_COLUMNS =
  'ip, user, domain, workstation, groups, first_seen_ms, last_seen_ms, source, revision, shared, groups_stale, evidence, user_seen_ms, contested, claims, held_from_ms, held_workstation';

/**
 * A row of `logons` as better-sqlite3's `raw()` gives it: an array, in `LOGON_COLUMNS` order. An
 * object per row (15 named properties) was most of the allocation of a restart.
 */
export type LogonRow = [
  ip: string,
  user: string,
  domain: string,
  workstation: string,
  groups: string,
  firstSeenMs: number,
  lastSeenMs: number,
  source: string,
  revision: number,
  shared: number,
  groupsStale: number,
  evidence: string,
  userSeenMs: number,
  contested: number,
  claims: string,
  heldFromMs: number,
  heldWorkstation: string,
];

/** Parsed group columns by their text: rows of users in the same groups share one parse. */
export type GroupParses = Map<string, ReturnType<typeof readGroups>>;

/** A row of `logons` as an entry, its repeated values shared through `i`. */
export function toEntry(r: LogonRow, i: Interner, groups: GroupParses): Entry {
  const user = r[1];
  const workstation = r[3];
  let g = groups.get(r[4]);
  if (!g) {
    const parsed = readGroups(r[4]);
    g = { groups: i.list(parsed.groups), groupDns: parsed.groupDns && i.list(parsed.groupDns) };
    if (groups.size < 20_000) groups.set(r[4], g);
  }
  return {
    ip: r[0],
    user,
    domain: i.s(r[2]),
    workstation,
    groups: g.groups,
    groupDns: g.groupDns,
    firstSeenMs: r[5],
    lastSeenMs: r[6],
    source: i.s(r[7]),
    revision: r[8],
    shared: r[9] === 1,
    groupsStale: r[10] === 1,
    // Parsed when first read (evidenceOf): most chains are never read before they are rewritten.
    evidence: r[11],
    userSeenMs: r[12],
    contested: r[13] === 1,
    // Nearly every row has none: skip the parse.
    claims: r[14] === '[]' ? NO_CLAIMS : (JSON.parse(r[14]) as Claim[]),
    heldFromMs: r[15] === r[5] ? undefined : r[15],
    // Most holders are still at the workstation they came with: one string, not two.
    heldWorkstation: r[16] === workstation ? workstation : r[16],
  };
}
