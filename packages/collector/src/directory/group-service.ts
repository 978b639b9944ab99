import type { Statement } from 'better-sqlite3';
import { DomainNames, errorMessage, groupMatches, parseGroupName, type Clock, type Logger } from '@fsso/common';
import type { Db } from '../store/database';
import type { GroupLookup } from '../identity/engine';
import type { DirectoryConfig, GroupSettings } from './config';
import { LdapDirectory } from './ldap';

interface Cached {
  groups: string[];
  fetchedMs: number;
  /** The last attempt to refresh failed: these are the last known groups. */
  stale: boolean;
}

/** How many look-ups run at once and wait, and how long a failure is remembered. */
export interface LookupLimits {
  concurrency: number;
  queue: number;
  negativeTtlMs: number;
  limitHits: Record<string, number>;
}

const NO_LIMITS: LookupLimits = { concurrency: 4, queue: 10_000, negativeTtlMs: 5000, limitHits: {} };
/** Failed accounts remembered at most; the oldest is forgotten (and may be asked again) past it. */
const MAX_NEGATIVE = 100_000;

/** Called when an account's groups (or their staleness) changed. */
export type GroupsChanged = (user: string, domain: string, groups: string[], stale: boolean) => void;

/**
 * Groups per account from LDAP, with a TTL cache persisted in SQLite and refreshed in the
 * background. The engine reads it synchronously; a miss schedules a lookup whose result updates
 * the user's entries. When the directory cannot be reached, the last known groups stay, marked
 * stale: a directory blink must never drop anyone's access.
 */
export class GroupService implements GroupLookup {
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Set<string>();
  /** Look-ups waiting for a free slot, oldest first; a full queue drops new ones (counted). */
  private readonly queue = new Map<string, { dir: LdapDirectory; user: string }>();
  /** The negative cache: after a failed lookup, when to ask again, so a down directory is not asked at every event. */
  private readonly retryAt = new Map<string, number>();
  private readonly dirs: LdapDirectory[];
  private readonly st: { save: Statement; all: Statement };
  private timer: NodeJS.Timeout | undefined;
  private readonly filter: ((g: string) => boolean) | undefined;
  readonly counters = { lookups: 0, failures: 0, dropped: 0 };
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
  ) {
    this.dirs = directories.map((d) => new LdapDirectory(d));
    this.st = {
      save: db.prepare('INSERT INTO group_cache (account, groups, fetched_ms) VALUES (?, ?, ?) ON CONFLICT (account) DO UPDATE SET groups = excluded.groups, fetched_ms = excluded.fetched_ms'),
      all: db.prepare('SELECT account, groups, fetched_ms FROM group_cache'),
    };
    for (const r of this.st.all.all() as { account: string; groups: string; fetched_ms: number }[]) {
      this.cache.set(r.account, { groups: JSON.parse(r.groups) as string[], fetchedMs: r.fetched_ms, stale: false });
    }
    const wanted = settings.filter.map((g) => parseGroupName(g, names));
    this.filter = wanted.length ? (g) => { const have = parseGroupName(g, names); return wanted.some((w) => groupMatches(w, have)); } : undefined;
  }

  get enabled(): boolean {
    return this.dirs.length > 0;
  }

  groupsFor(user: string, domain: string): { groups: string[]; stale: boolean } {
    const dir = this.directoryFor(domain);
    if (!dir) return { groups: [], stale: false };
    const key = accountKey(dir.cfg.domain, user);
    const c = this.cache.get(key);
    if (!c || this.clock.now() - c.fetchedMs > this.settings.ttlMs) this.schedule(dir, user);

    return c ? { groups: this.shown(c.groups), stale: c.stale } : { groups: [], stale: false };
  }

  /** Refreshes every cached account older than the TTL (called periodically). */
  refreshExpired(): void {
    const now = this.clock.now();
    for (const [key, c] of this.cache) {
      if (now - c.fetchedMs <= this.settings.ttlMs) continue;
      const [domain = '', user = ''] = key.split('\\');
      const dir = this.directoryFor(domain);
      if (dir) this.schedule(dir, user);
    }
  }

  start(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => this.refreshExpired(), Math.max(1000, Math.floor(this.settings.ttlMs / 2)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.queue.clear();
  }

  /** Look-ups running and waiting, for tests and stats. */
  get pending(): { running: number; queued: number } {
    return { running: this.inFlight.size, queued: this.queue.size };
  }

  /**
   * Queues a look-up: at most `concurrency` run at once, at most `queue` wait. A burst of new
   * accounts (or a directory that hangs) once opened a connection per account, without bound.
   */
  private schedule(dir: LdapDirectory, user: string): void {
    const key = accountKey(dir.cfg.domain, user);
    if (this.inFlight.has(key) || this.queue.has(key) || (this.retryAt.get(key) ?? 0) > this.clock.now()) return;
    if (this.queue.size >= this.limits.queue) {
      this.counters.dropped++;
      this.limits.limitHits['ldapQueue'] = (this.limits.limitHits['ldapQueue'] ?? 0) + 1;
      return;
    }
    this.queue.set(key, { dir, user });
    this.drain();
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
    const prev = this.cache.get(key);
    const startedNs = process.hrtime.bigint();
    const took = (): number => Number(process.hrtime.bigint() - startedNs) / 1e9;
    try {
      const groups = await dir.groupsOf(user);
      this.onLookup?.(took(), true);
      const now = this.clock.now();
      this.retryAt.delete(key);
      this.cache.set(key, { groups, fetchedMs: now, stale: false });
      this.st.save.run(key, JSON.stringify(groups), now);
      if (!prev || prev.stale || prev.groups.join('\n') !== groups.join('\n')) this.changed(user, dir.cfg.domain, this.shown(groups), false);
    } catch (err) {
      this.onLookup?.(took(), false);
      this.counters.failures++;
      this.retryAt.delete(key);
      this.retryAt.set(key, this.clock.now() + Math.min(this.settings.ttlMs, this.limits.negativeTtlMs));
      if (this.retryAt.size > MAX_NEGATIVE) this.retryAt.delete(this.retryAt.keys().next().value as string);
      this.log.warn('group lookup failed; keeping the last known groups, marked stale', { user, domain: dir.cfg.domain, error: errorMessage(err) });
      if (prev && !prev.stale) {
        // Retry at the next refresh, not at every event: fetchedMs stays old.
        this.cache.set(key, { ...prev, stale: true });
        this.changed(user, dir.cfg.domain, this.shown(prev.groups), true);
      }
    }
  }

  private shown(groups: string[]): string[] {
    return this.filter ? groups.filter(this.filter) : groups;
  }

  private directoryFor(domain: string): LdapDirectory | undefined {
    if (this.dirs.length === 1 && domain === '') return this.dirs[0];
    return this.dirs.find((d) => this.names.same(d.cfg.domain, domain) || this.names.same(d.cfg.dnsDomain, domain));
  }
}

const accountKey = (domain: string, user: string): string => `${domain}\\${user.toLowerCase()}`;
