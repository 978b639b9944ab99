import type { IdentitySource } from '../source';
import type { NftConfig } from './config';
import type { SetMembership } from './membership';
import type { NftRunner } from './runner';
import { changeScript, fullSyncScript, managedSets, rebuildScript, type ElementChange } from './script';

/** Where nft-sync reports; a winston logger fits. */
export interface SyncLog {
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

/** Counters of the applies so far, for logs and status. */
export interface NftSyncStats {
  applies: number;
  failures: number;
  fullSyncs: number;
  lastDurationMs: number;
  elements: number;
  lastError: string;
}

const MAX_RETRY_MS = 30_000;

/**
 * Keeps the nft sets equal to the identity table. Each change becomes one transaction of adds and
 * deletes together, computed per address from what the set holds and what the table says now
 * (changes that arrive while nft runs are coalesced into the next transaction). A snapshot or a
 * reconnect re-syncs every set in one transaction. When nft refuses a transaction the kernel keeps
 * the previous state whole (nft is all or nothing), so do we, and a full re-sync is retried with
 * backoff.
 */
export class NftSync {
  /** What the kernel's sets hold, as far as our committed transactions say: set → addresses. */
  private applied = new Map<string, Set<string>>();
  private readonly pending = new Set<string>();
  private needFull = true;
  private first = true;
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs: number;
  private stopped = false;
  readonly stats: NftSyncStats = {
    applies: 0,
    failures: 0,
    fullSyncs: 0,
    lastDurationMs: 0,
    elements: 0,
    lastError: '',
  };

  constructor(
    private readonly source: IdentitySource,
    private readonly cfg: NftConfig,
    private readonly membership: SetMembership,
    private readonly run: NftRunner,
    private readonly log: SyncLog,
  ) {
    this.retryMs = cfg.retryMs;
  }

  /** Call once the source holds a complete table: adopts (or rebuilds) our table and follows changes. */
  start(): void {
    this.source.on('change', (c) => {
      this.pending.add(c.ip);
      this.kick();
    });
    const full = (): void => {
      this.needFull = true;
      this.kick();
    };
    this.source.on('snapshot', full);
    this.source.on('reconnected', full);
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }

  /** Resolves when nothing is pending or running (a retry may still be scheduled: see stats.lastError). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** The addresses a set holds by our last committed transaction. */
  members(set: string): string[] {
    return [...(this.applied.get(set) ?? [])];
  }

  private kick(): void {
    if (this.running || this.retryTimer || this.stopped) return;
    this.running = this.loop().finally(() => (this.running = undefined));
  }

  private async loop(): Promise<void> {
    while (!this.stopped && (this.needFull || this.pending.size > 0)) {
      const ok = this.needFull ? await this.fullSync() : await this.applyPending();
      if (!ok) {
        this.needFull = true;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
        return;
      }
      this.retryMs = this.cfg.retryMs;
    }
  }

  private desired(): Map<string, Set<string>> {
    const m = new Map(managedSets(this.cfg).map((s) => [s.name, new Set<string>()]));
    for (const id of this.source.entries()) for (const s of this.membership.setsOf(id)) m.get(s)?.add(id.ip);
    return m;
  }

  private async fullSync(): Promise<boolean> {
    this.needFull = false;
    this.pending.clear();
    const want = this.desired();
    let r = await this.run(fullSyncScript(this.cfg, want));
    if (!r.ok && this.first) {
      // A table of our name whose sets we cannot adopt (another type, say): it is ours, rebuild it.
      this.log.warn('nft table not adoptable; rebuilding it', {
        table: `${this.cfg.family} ${this.cfg.table}`,
        error: r.error,
      });
      r = await this.run(rebuildScript(this.cfg, want));
    }
    const elements = [...want.values()].reduce((n, s) => n + s.size, 0);
    if (!this.record(r, { kind: this.first ? 'start' : 'full', elements })) return false;
    this.first = false;
    this.stats.fullSyncs++;
    this.applied = want;
    this.stats.elements = elements;
    return true;
  }

  private async applyPending(): Promise<boolean> {
    const ips = [...this.pending];
    this.pending.clear();
    const changes: ElementChange[] = [];
    for (const ip of ips) {
      const want = new Set(this.membership.setsOf(this.source.lookup(ip)));
      for (const [set, members] of this.applied) {
        if (members.has(ip) && !want.has(set)) changes.push({ set, ip, op: 'delete' });
        else if (!members.has(ip) && want.has(set)) changes.push({ set, ip, op: 'add' });
      }
    }
    if (changes.length === 0) return true;
    const r = await this.run(changeScript(this.cfg, changes));
    const adds = changes.filter((c) => c.op === 'add').length;
    if (!this.record(r, { kind: 'change', addresses: ips.length, adds, deletes: changes.length - adds })) {
      // Changes that did not land are retried by the full re-sync the caller schedules.
      return false;
    }
    for (const c of changes) {
      const s = this.applied.get(c.set);
      if (c.op === 'add') s?.add(c.ip);
      else s?.delete(c.ip);
    }
    this.stats.elements += 2 * adds - changes.length;
    return true;
  }

  private record(r: Awaited<ReturnType<NftRunner>>, what: Record<string, unknown>): boolean {
    this.stats.lastDurationMs = r.durationMs;
    const ms = Math.round(r.durationMs * 10) / 10;
    if (r.ok) {
      this.stats.applies++;
      this.stats.lastError = '';
      this.log.info('nft applied', {
        ...what,
        durationMs: ms,
        applies: this.stats.applies,
        failures: this.stats.failures,
      });
      return true;
    }
    this.stats.failures++;
    this.stats.lastError = r.error;
    this.log.warn(`nft transaction refused; the sets keep their last good state, full re-sync in ${this.retryMs} ms`, {
      ...what,
      durationMs: ms,
      error: r.error,
      applies: this.stats.applies,
      failures: this.stats.failures,
    });
    return false;
  }
}
