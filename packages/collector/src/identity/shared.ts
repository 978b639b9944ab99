import { networkContains } from '@fsso/common';
import type { IdentitySettings } from './settings';

/** Users recently seen at one address: at most `sharedThreshold` of them, the most recent. */
interface Seen {
  who: string[];
  t: number[];
  /** Seen again since it last took its place in the map's order (see `trim`). */
  again: boolean;
}

/** Addresses tracked that are not (yet) shared; the least recently seen is dropped past it. */
const MAX_RECENT = 200_000;
/** Addresses that reached the threshold; kept apart so a flood of other addresses cannot push them out. */
const MAX_SHARED = 100_000;

/**
 * Remembers which users were seen at each address recently, to tell a terminal server or a NAT
 * (several users at once) from an address that changed hands. Kept in memory: after a restart
 * the window simply starts again.
 *
 * Work per event is O(sharedThreshold) and memory per address holds at most sharedThreshold users:
 * the most recent `sharedThreshold` distinct users are all within the window exactly when at least
 * that many were. (Before, every event filtered and copied the address's whole list: 10 000 users
 * at one address froze the collector for 16 s.) Shared addresses live in their own map, so 200 000
 * other addresses cannot evict a terminal server and make it name a single user again.
 */
export class SharedDetector {
  private readonly recent = new Map<string, Seen>();
  private readonly shared = new Map<string, Seen>();
  constructor(private readonly s: IdentitySettings) {}

  /** Notes `who` at `ip` at time t; true when the address is (now) shared. */
  note(ip: string, who: string, t: number): boolean {
    if (this.s.sharedNetworks.length && this.s.sharedNetworks.some((n) => networkContains(n, ip))) return true;
    const threshold = this.s.sharedThreshold;
    // Most deployments have no shared address: no lookup of each event's address in an empty map.
    const wasShared = this.shared.size === 0 ? undefined : this.shared.get(ip);
    const map = wasShared ? this.shared : this.recent;
    const have = wasShared ?? this.recent.get(ip);
    let seen: Seen;
    // An address seen again is only marked; `trim` moves it back when its turn to go comes. A
    // delete and insert per event (to keep the map in exact least-recently-seen order) was a
    // third of this method's cost (bench/README.md, "ingest, fourth round").
    if (have) (seen = have).again = true;
    // Lists of one to start with: an empty [] grown by push() reserves 17 slots, ~300 bytes per
    // address for the two lists (bench/README.md, "collector-rss"), and most addresses see one user.
    else map.set(ip, (seen = { who: [who], t: [t], again: false }));
    const i = have ? seen.who.indexOf(who) : 0;
    if (i >= 0) seen.t[i] = Math.max(seen.t[i] ?? t, t);
    else if (seen.who.length < threshold) {
      seen.who.push(who);
      seen.t.push(t);
    } else {
      let oldest = 0;
      for (let j = 1; j < seen.t.length; j++) if ((seen.t[j] ?? 0) < (seen.t[oldest] ?? 0)) oldest = j;
      if ((seen.t[oldest] ?? 0) < t) {
        seen.who[oldest] = who;
        seen.t[oldest] = t;
      }
    }
    const since = t - this.s.sharedWindowMs;
    let inWindow = 0;
    for (const tt of seen.t) if (tt > since) inWindow++;
    const isShared = inWindow >= threshold;
    if (isShared && !wasShared) {
      this.recent.delete(ip);
      this.shared.set(ip, seen);
    }
    trim(this.recent, MAX_RECENT);
    trim(this.shared, MAX_SHARED);
    return isShared;
  }

  /** The address changed hands for sure (DHCP release): its past users do not make it shared. */
  forget(ip: string): void {
    this.recent.delete(ip);
    this.shared.delete(ip);
  }

  /** The users (as noted) recently seen at `ip`, with when: at most `sharedThreshold` of them. */
  recentUsers(ip: string): { who: string; t: number }[] {
    const seen = this.shared.get(ip) ?? this.recent.get(ip);
    return seen ? seen.who.map((who, i) => ({ who, t: seen.t[i] ?? 0 })) : [];
  }

  /** Addresses tracked, for tests and stats. */
  get size(): { recent: number; shared: number } {
    return { recent: this.recent.size, shared: this.shared.size };
  }
}

/**
 * One live iterator per map, at its oldest key: V8 leaves a hole per deleted entry until the table
 * is rebuilt, and a fresh `keys()` skipped them all from the start at every event, so past
 * MAX_RECENT addresses each event cost a scan (ingest of 1 M new addresses fell to ~4 k events/s).
 * Every key the iterator passed was deleted, and a re-inserted key moves to the end, so the next
 * key it yields is the one that took its place longest ago.
 */
const cursors = new WeakMap<Map<string, Seen>, Iterator<string>>();

/**
 * Drops one address past `max`: the oldest in the map's order that was not seen again since it
 * took its place ("second chance"). One seen again moves to the end instead, as a re-insert at its
 * event did before, so an address in use is never the one to go; each mark is cleared once, so
 * the moves cost at most one per event.
 */
function trim(map: Map<string, Seen>, max: number): void {
  if (map.size <= max) return;
  let it = cursors.get(map);
  for (;;) {
    let next = it?.next();
    if (!it || !next || next.done) {
      it = map.keys();
      cursors.set(map, it);
      next = it.next();
    }
    if (next.done) return;
    const seen = map.get(next.value);
    if (!seen?.again) {
      map.delete(next.value);
      return;
    }
    seen.again = false;
    map.delete(next.value);
    map.set(next.value, seen);
  }
}
