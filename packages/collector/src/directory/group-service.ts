import type { Statement } from 'better-sqlite3';
import {
  DomainNames,
  directoryGroupName,
  errorMessage,
  groupMatches,
  parseGroupName,
  type Clock,
  type Logger,
} from '@fsso/common';
import type { Db } from '../store/database';
import type { GroupLookup } from '../identity/engine';
import type { DirectoryConfig, GroupSettings } from './config';
import { DueQueue } from './due-queue';
import { LdapDirectory, type DirectoryGroup } from './ldap';

interface Cached {
  groups: DirectoryGroup[];
  /** When the directory last answered; 0: it never has for this account (the first look-up failed). */
  fetchedMs: number;
  /** The last attempt failed: these are the last known groups (none, if it never answered). */
  stale: boolean;
  /**
   * Read from SQLite at start: whether the table's entries show exactly these groups is not
   * known (the collector may have stopped between the two writes), so the next answer is applied.
   */
  unconfirmed: boolean;
}

/** How many look-ups run at once and wait, and how long a failure is remembered. */
export interface LookupLimits {
  concurrency: number;
  queue: number;
  /** The first retry's delay after a failure; it doubles per failure up to the TTL. */
  negativeTtlMs: number;
  limitHits: Record<string, number>;
}

const NO_LIMITS: LookupLimits = { concurrency: 4, queue: 10_000, negativeTtlMs: 5000, limitHits: {} };
/** Failed accounts remembered at most; the oldest is forgotten (and may be asked again) past it. */
const MAX_NEGATIVE = 100_000;

/** Whether an account (its directory's domain and user) has a live entry in the table. */
export type IsLive = (user: string, domain: string) => boolean;

/** Called when an account's groups (or their staleness) changed. */
export type GroupsChanged = (
  user: string,
  domain: string,
  groups: string[],
  stale: boolean,
  groupDns: string[],
) => void;

/**
 * The answer for an account without known groups, shared: asked for each new entry, a fresh object
 * and two lists each time were garbage for nobody. Entries never change their lists in place (intern.ts).
 */
const NONE_KNOWN: { groups: string[]; groupDns: string[]; stale: boolean } = { groups: [], groupDns: [], stale: false };

/**
 * Groups per account from LDAP, with a TTL cache persisted in SQLite. The engine reads it
 * synchronously; a miss queues a look-up whose result updates the user's entries. Each account is
 * asked again at its own `fetched + ttl`, so a change in the directory shows within the TTL (plus
 * the look-up); a logon of a user whose groups are older than `refreshAge` asks at once, in the
 * background. When the directory cannot be reached, the last known groups stay, marked stale (a
 * directory blink must never drop anyone's access), and the account is retried with backoff:
 * the first failure's delay (`limits.negativeCacheTtl`) doubling up to the TTL. A first look-up
 * that fails is remembered too (fetched 0), so it is retried after a restart as well.
 */
export class GroupService implements GroupLookup {
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Set<string>();
  /** Look-ups waiting for a free slot, oldest first; a full queue drops new ones (counted). */
  private readonly queue = new Map<string, { dir: LdapDirectory; user: string }>();
  /** After a failed lookup: when to ask again and how many failures in a row (the backoff). */
  private readonly retryAt = new Map<string, { atMs: number; failures: number }>();
  private readonly due: DueQueue;
  private readonly dirs: LdapDirectory[];
  private readonly st: { save: Statement; all: Statement; one: Statement };
  private readonly filter: ((g: DirectoryGroup) => boolean) | undefined;
  readonly counters = { lookups: 0, failures: 0, dropped: 0, logonRefreshes: 0 };
  /** Set by the metrics: each finished LDAP look-up's duration and outcome. */
  onLookup: ((seconds: number, ok: boolean) => void) | undefined;

  constructor(
    db: Db,
    directories: DirectoryConfig[],
    private readonly settings: GroupSettings,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly changed: GroupsChanged,
    private readonly limits: LookupLimits = NO_LIMITS,
    private readonly names: DomainNames = DomainNames.NONE,
    /** Accounts loaded (and refreshed) at start: those with a live entry; the others are read at their next logon. @default every account */
    live: IsLive = () => true,
  ) {
    this.dirs = directories.map((d) => new LdapDirectory(d));
    this.due = new DueQueue(
      () => this.clock.now(),
      (key) => this.refreshKey(key),
    );
    this.st = {
      save: db.prepare(
        'INSERT INTO group_cache (account, groups, fetched_ms) VALUES (?, ?, ?) ON CONFLICT (account) DO UPDATE SET groups = excluded.groups, fetched_ms = excluded.fetched_ms',
      ),
      all: db.prepare('SELECT account, groups, fetched_ms FROM group_cache'),
      one: db.prepare('SELECT account, groups, fetched_ms FROM group_cache WHERE account = ?'),
    };
    // Only accounts someone is logged on as: the cache keeps every account ever seen, and parsing
    // (and refreshing) all of them held a restart up for users who are not there.
    for (const r of this.st.all.all() as StoredGroups[]) {
      const [domain = '', user = ''] = splitKey(r.account);
      if (live(user, domain)) this.load(r);
    }
    const wanted = settings.filter.map((g) => parseGroupName(g, names));
    this.filter = wanted.length
      ? (g) => {
          const have = directoryGroupName(g.name, g.dn, names);
          return wanted.some((w) => groupMatches(w, have));
        }
      : undefined;
  }

  get enabled(): boolean {
    return this.dirs.length > 0;
  }

  groupsFor(user: string, domain: string): { groups: string[]; groupDns: string[]; stale: boolean } {
    const dir = this.directoryFor(domain);
    if (!dir) return NONE_KNOWN;
    const key = accountKey(dir.cfg.domain, user);
    const c = this.cache.get(key) ?? this.loadStored(key);
    // groupsFor runs for each new entry, i.e. at a logon: groups older than refreshAge are asked
    // again in the background (the entry gets the cached ones now, and the answer when it comes).
    const age = c ? this.clock.now() - c.fetchedMs : Infinity;
    if (!c || age > this.settings.ttlMs) this.schedule(dir, user);
    else if (age > this.settings.refreshAgeMs && this.schedule(dir, user)) this.counters.logonRefreshes++;
    if (!c) return NONE_KNOWN;
    const shown = this.shown(c.groups);
    return { groups: shown.map((g) => g.name), groupDns: shown.map((g) => g.dn), stale: c.stale };
  }

  /** An account not loaded at start (nobody was logged on as it): its row, if it has one. */
  private loadStored(key: string): Cached | undefined {
    const r = this.st.one.get(key) as StoredGroups | undefined;
    return r && this.load(r);
  }

  private load(r: StoredGroups): Cached {
    const c: Cached = {
      groups: readGroups(r.groups),
      fetchedMs: r.fetched_ms,
      stale: r.fetched_ms === 0,
      unconfirmed: true,
    };
    this.cache.set(r.account, c);
    // Due at fetched + ttl: an account whose groups expired while the collector was down (or
    // whose first look-up failed) is asked as soon as the service starts.
    this.due.set(r.account, r.fetched_ms + this.settings.ttlMs);
    return c;
  }

  /** Looks up every account due by now (the timer does this by itself once started). */
  refreshExpired(): void {
    this.due.runDue();
  }

  start(): void {
    if (!this.enabled) return;
    this.due.start();
  }

  stop(): void {
    this.due.stop();
    this.queue.clear();
  }

  /** Look-ups running and waiting, for tests and stats. */
  get pending(): { running: number; queued: number } {
    return { running: this.inFlight.size, queued: this.queue.size };
  }

  /** When an account is next asked (ms since the epoch), for tests and diagnostics. */
  nextLookupAt(user: string, domain: string): number | undefined {
    const dir = this.directoryFor(domain);
    return dir ? this.due.dueAt(accountKey(dir.cfg.domain, user)) : undefined;
  }

  private refreshKey(key: string): void {
    const [domain = '', user = ''] = splitKey(key);
    const dir = this.directoryFor(domain);
    if (!dir) return;
    // A full queue must not end an account's refreshes for good: asked again a little later.
    if (
      !this.schedule(dir, user) &&
      this.due.dueAt(key) === undefined &&
      !this.inFlight.has(key) &&
      !this.queue.has(key)
    ) {
      this.due.set(key, this.clock.now() + Math.max(1000, this.limits.negativeTtlMs));
    }
  }

  /**
   * Queues a look-up: at most `concurrency` run at once, at most `queue` wait. A burst of new
   * accounts (or a directory that hangs) once opened a connection per account, without bound.
   * False when nothing was queued (already queued or running, backing off, or the queue full).
   */
  private schedule(dir: LdapDirectory, user: string): boolean {
    const key = accountKey(dir.cfg.domain, user);
    if (this.inFlight.has(key) || this.queue.has(key)) return false;
    const retry = this.retryAt.get(key);
    if (retry && retry.atMs > this.clock.now()) {
      // Backing off: the retry is already due at retry.atMs.
      this.due.set(key, retry.atMs);
      return false;
    }
    if (this.queue.size >= this.limits.queue) {
      this.counters.dropped++;
      this.limits.limitHits['ldapQueue'] = (this.limits.limitHits['ldapQueue'] ?? 0) + 1;
      return false;
    }
    this.queue.set(key, { dir, user });
    this.drain();
    return true;
  }

  private drain(): void {
    while (this.inFlight.size < this.limits.concurrency && this.queue.size > 0) {
      const next = this.queue.entries().next();
      if (next.done) return;
      const [key, job] = next.value;
      this.queue.delete(key);
      this.inFlight.add(key);
      void this.fetch(job.dir, job.user, key).finally(() => {
        this.inFlight.delete(key);
        this.drain();
      });
    }
  }

  private async fetch(dir: LdapDirectory, user: string, key: string): Promise<void> {
    this.counters.lookups++;
    const startedNs = process.hrtime.bigint();
    const took = (): number => Number(process.hrtime.bigint() - startedNs) / 1e9;
    try {
      const groups = await dir.groupsOf(user);
      this.onLookup?.(took(), true);
      const now = this.clock.now();
      const prev = this.cache.get(key);
      this.retryAt.delete(key);
      this.cache.set(key, { groups, fetchedMs: now, stale: false, unconfirmed: false });
      this.st.save.run(key, JSON.stringify(groups), now);
      this.due.set(key, now + this.settings.ttlMs);
      if (!prev || prev.stale || prev.unconfirmed || !sameGroups(prev.groups, groups))
        this.notify(user, dir, groups, false);
    } catch (err) {
      this.onLookup?.(took(), false);
      this.failed(dir, user, key, err);
    }
  }

  /** Keeps the last known groups, marks them stale, and retries with backoff. */
  private failed(dir: LdapDirectory, user: string, key: string, err: unknown): void {
    this.counters.failures++;
    const now = this.clock.now();
    const failures = (this.retryAt.get(key)?.failures ?? 0) + 1;
    const delay = Math.min(this.settings.ttlMs, this.limits.negativeTtlMs * 2 ** Math.min(failures - 1, 30));
    this.retryAt.delete(key);
    this.retryAt.set(key, { atMs: now + delay, failures });
    if (this.retryAt.size > MAX_NEGATIVE) this.retryAt.delete(this.retryAt.keys().next().value as string);
    this.due.set(key, now + delay);
    this.log.warn('group lookup failed; keeping the last known groups, marked stale', {
      user,
      domain: dir.cfg.domain,
      error: errorMessage(err),
      retryInMs: delay,
      failures,
    });
    const prev = this.cache.get(key);
    if (prev?.stale && !prev.unconfirmed) return;
    // A first look-up that failed is remembered as fetched 0 with no groups: the entry says
    // "stale" (not "no groups"), and a restarted collector asks again at once.
    const kept = prev ?? { groups: [], fetchedMs: 0, stale: true, unconfirmed: false };
    this.cache.set(key, { ...kept, stale: true, unconfirmed: false });
    if (!prev) this.st.save.run(key, '[]', 0);
    this.notify(user, dir, kept.groups, true);
  }

  private notify(user: string, dir: LdapDirectory, groups: DirectoryGroup[], stale: boolean): void {
    const shown = this.shown(groups);
    this.changed(
      user,
      dir.cfg.domain,
      shown.map((g) => g.name),
      stale,
      shown.map((g) => g.dn),
    );
  }

  private shown(groups: DirectoryGroup[]): DirectoryGroup[] {
    return this.filter ? groups.filter(this.filter) : groups;
  }

  private directoryFor(domain: string): LdapDirectory | undefined {
    if (this.dirs.length === 1 && domain === '') return this.dirs[0];
    return this.dirs.find((d) => this.names.same(d.cfg.domain, domain) || this.names.same(d.cfg.dnsDomain, domain));
  }
}

interface StoredGroups {
  account: string;
  groups: string;
  fetched_ms: number;
}

const accountKey = (domain: string, user: string): string => `${domain}\\${user.toLowerCase()}`;
const splitKey = (key: string): [string, string] => {
  const i = key.indexOf('\\');
  return [key.slice(0, i), key.slice(i + 1)];
};

const sameGroups = (a: readonly DirectoryGroup[], b: readonly DirectoryGroup[]): boolean =>
  a.length === b.length && a.every((g, i) => g.name === b[i]?.name && g.dn === b[i]?.dn);

/** The cache's JSON: `{name, dn}` objects; plain names from before DNs were kept (DN unknown). */
function readGroups(json: string): DirectoryGroup[] {
  const raw = JSON.parse(json) as unknown;
  if (!Array.isArray(raw)) return [];
  return raw.map((g: unknown) =>
    typeof g === 'string'
      ? { name: g, dn: '' }
      : { name: String((g as DirectoryGroup).name), dn: String((g as DirectoryGroup).dn ?? '') },
  );
}
