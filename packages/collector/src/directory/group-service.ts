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
  /** After a failed lookup, when to ask again: a down directory is not asked at every event. */
  private readonly retryAt = new Map<string, number>();
  private readonly dirs: LdapDirectory[];
  private readonly st: { save: Statement; all: Statement };
  private timer: NodeJS.Timeout | undefined;
  private readonly filter: ((g: string) => boolean) | undefined;
  readonly counters = { lookups: 0, failures: 0 };

  constructor(
    db: Db,
    directories: DirectoryConfig[],
    private readonly settings: GroupSettings,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly changed: GroupsChanged,
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
    if (!c || this.clock.now() - c.fetchedMs > this.settings.ttlMs) void this.fetch(dir, user);

    return c ? { groups: this.shown(c.groups), stale: c.stale } : { groups: [], stale: false };
  }

  /** Refreshes every cached account older than the TTL (called periodically). */
  refreshExpired(): void {
    const now = this.clock.now();
    for (const [key, c] of this.cache) {
      if (now - c.fetchedMs <= this.settings.ttlMs) continue;
      const [domain = '', user = ''] = key.split('\\');
      const dir = this.directoryFor(domain);
      if (dir) void this.fetch(dir, user);
    }
  }

  start(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => this.refreshExpired(), Math.max(1000, Math.floor(this.settings.ttlMs / 2)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async fetch(dir: LdapDirectory, user: string): Promise<void> {
    const key = accountKey(dir.cfg.domain, user);
    if (this.inFlight.has(key) || (this.retryAt.get(key) ?? 0) > this.clock.now()) return;
    this.inFlight.add(key);
    this.counters.lookups++;
    const prev = this.cache.get(key);
    try {
      const groups = await dir.groupsOf(user);
      const now = this.clock.now();
      this.retryAt.delete(key);
      this.cache.set(key, { groups, fetchedMs: now, stale: false });
      this.st.save.run(key, JSON.stringify(groups), now);
      if (!prev || prev.stale || prev.groups.join('\n') !== groups.join('\n')) this.changed(user, dir.cfg.domain, this.shown(groups), false);
    } catch (err) {
      this.counters.failures++;
      this.retryAt.set(key, this.clock.now() + Math.min(this.settings.ttlMs, RETRY_MS));
      this.log.warn('group lookup failed; keeping the last known groups, marked stale', { user, domain: dir.cfg.domain, error: errorMessage(err) });
      if (prev && !prev.stale) {
        // Retry at the next refresh, not at every event: fetchedMs stays old.
        this.cache.set(key, { ...prev, stale: true });
        this.changed(user, dir.cfg.domain, this.shown(prev.groups), true);
      }
    } finally {
      this.inFlight.delete(key);
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

const RETRY_MS = 5000;

const accountKey = (domain: string, user: string): string => `${domain}\\${user.toLowerCase()}`;
