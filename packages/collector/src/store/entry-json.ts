import type { Claim, Entry, EvidenceItem } from '../identity/entry';
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

/** An entry of the change log (older rows hold the whole entry; newer ones no evidence or claims). */
export function readChangeEntry(json: string): Entry {
  const raw = JSON.parse(json) as Omit<Entry, 'groups' | 'groupDns'> & { groups: unknown[]; groupDns?: string[] };
  const g =
    raw.groupDns !== undefined ? { groups: raw.groups.map(String), groupDns: raw.groupDns } : groupsOf(raw.groups);
  return { ...raw, ...g, evidence: raw.evidence ?? [], claims: raw.claims ?? [] };
}

export interface LogonRow {
  ip: string;
  user: string;
  domain: string;
  workstation: string;
  groups: string;
  first_seen_ms: number;
  last_seen_ms: number;
  source: string;
  revision: number;
  shared: number;
  groups_stale: number;
  evidence: string;
  user_seen_ms: number;
  contested: number;
  claims: string;
}

/** Parsed group columns by their text: rows of users in the same groups share one parse. */
export type GroupParses = Map<string, ReturnType<typeof readGroups>>;

/** A row of `logons` as an entry, its repeated values shared through `i`. */
export function toEntry(r: LogonRow, i: Interner, groups: GroupParses): Entry {
  let g = groups.get(r.groups);
  if (!g) {
    const parsed = readGroups(r.groups);
    g = { groups: i.list(parsed.groups), groupDns: parsed.groupDns && i.list(parsed.groupDns) };
    if (groups.size < 20_000) groups.set(r.groups, g);
  }
  const evidence = JSON.parse(r.evidence) as EvidenceItem[];
  for (const item of evidence) i.item(item);
  return {
    ip: r.ip,
    user: r.user,
    domain: i.s(r.domain),
    workstation: r.workstation,
    groups: g.groups,
    groupDns: g.groupDns,
    firstSeenMs: r.first_seen_ms,
    lastSeenMs: r.last_seen_ms,
    source: i.s(r.source),
    revision: r.revision,
    shared: r.shared === 1,
    groupsStale: r.groups_stale === 1,
    evidence,
    userSeenMs: r.user_seen_ms,
    contested: r.contested === 1,
    // Nearly every row has none: skip the parse.
    claims: r.claims === '[]' ? [] : (JSON.parse(r.claims) as Claim[]),
  };
}
