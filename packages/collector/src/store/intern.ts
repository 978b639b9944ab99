import type { EvidenceItem } from '../identity/entry';

/** Distinct strings kept: domains, sources, event ids, agents and rules are a few hundred in practice. */
const MAX_STRINGS = 50_000;
/** Distinct group lists kept: thousands of users share a few dozen group sets. */
const MAX_GROUP_LISTS = 20_000;

/**
 * One copy of each repeated value of the table's entries. Every row read from SQLite and every
 * decoded event brings its own copy of "CORP", "windows-security", "4769" or a group list; at a
 * million mappings those copies were a large part of the collector's ~1.8 KiB per mapping
 * (bench/README.md, "collector-rss"). Bounded: past the cap a value is simply not shared.
 * Shared lists are never changed in place (entries get new lists), which is what makes sharing safe.
 */
export class Interner {
  private readonly strings = new Map<string, string>();
  private readonly lists = new Map<string, string[]>();

  s(v: string): string {
    if (v === '') return '';
    const have = this.strings.get(v);
    if (have !== undefined) return have;
    if (this.strings.size < MAX_STRINGS) this.strings.set(v, v);
    return v;
  }

  /** The shared copy of a list of group names (or DNs), by its contents. */
  list(v: string[]): string[] {
    if (v.length === 0) return EMPTY;
    const key = v.join('\n');
    const have = this.lists.get(key);
    if (have) return have;
    if (this.lists.size < MAX_GROUP_LISTS) this.lists.set(key, v);
    return v;
  }

  item(i: EvidenceItem): EvidenceItem {
    i.kind = this.s(i.kind) as EvidenceItem['kind'];
    i.source = this.s(i.source);
    i.sourceEventId = this.s(i.sourceEventId);
    i.reporter = this.s(i.reporter);
    i.rule = this.s(i.rule);
    return i;
  }
}

/** The one empty list entries share (no group known). */
const EMPTY: string[] = [];

/**
 * An address as a string of its own. V8 keeps a substring of 13 or more characters as a view that
 * holds its whole parent: every IPv6 key of the table was one (`normaliseIp` slices the URL
 * parser's "[host]"), 32 bytes of view plus the parent, ~45 bytes more than the address itself. A
 * JSON round trip is the cheapest copy measured (0.2–0.4 µs); only a new address pays it, not every
 * event (copying in `normaliseIp` was +45 % of its time per IPv6 event). IPv4 keys come whole from
 * the wire: a copy would only be a second string while the shared detector holds the event's.
 */
export function ownIp(ip: string): string {
  return ip.length < 13 || !ip.includes(':') ? ip : (JSON.parse(JSON.stringify(ip)) as string);
}
