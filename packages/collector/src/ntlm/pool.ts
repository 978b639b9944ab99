import type { Logger } from '@fsso/common';
import type { AuthScheme, NtlmConfig } from './config';
import { Helper } from './helper';

/** What the pool did, for `fssoctl stats` (`ntlm` map) and the logs. */
export interface PoolCounters {
  helpersStarted: number;
  /** Helpers that died (or were killed after a timeout) and were replaced. */
  helperRestarts: number;
  /** Exchanges refused because every helper was busy and the queue full. */
  busy: number;
}

/** A helper that died within this long of its start is restarted only after RESTART_DELAY_MS (no spin). */
const QUICK_DEATH_MS = 1000;
const RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 60_000;

interface Waiter {
  resolve: (h: Helper | undefined) => void;
  timer: NodeJS.Timeout;
}

/**
 * A fixed number of ntlm_auth processes for one scheme, each leased to one exchange at a time,
 * and a bounded queue of exchanges waiting for one. A helper that dies is replaced; one that
 * timed out is killed (its state is unknown) and replaced.
 */
export class HelperPool {
  private readonly idle: Helper[] = [];
  private readonly all = new Set<Helper>();
  private readonly waiters: Waiter[] = [];
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private warnedBroken = false;
  /** Why helpers die right after their start (a wrong ntlm.command, no winbindd); cleared once one lives. */
  private broken: string | undefined;
  /** Helpers in a row that died right after their start: the restart backoff. */
  private quickDeaths = 0;

  constructor(
    readonly scheme: AuthScheme,
    private readonly cfg: NtlmConfig,
    private readonly log: Logger,
    readonly counters: PoolCounters,
  ) {}

  start(): void {
    for (let i = 0; i < this.cfg.helpers; i++) this.spawn();
  }

  /** Pids of the running helpers (tests kill one to see it replaced). */
  get pids(): number[] {
    return [...this.all].flatMap((h) => (h.alive && h.pid !== undefined ? [h.pid] : []));
  }

  /**
   * A helper for one exchange, or undefined when every helper is busy and `queue` exchanges
   * already wait, or none came free within `waitMs`.
   */
  acquire(waitMs: number): Promise<Helper | undefined> {
    const h = this.idle.pop();
    if (h) return Promise.resolve(h);
    // Waiting for helpers that cannot start helps nobody: say why at once.
    if (this.broken !== undefined) return Promise.resolve(undefined);
    if (this.stopped || this.waiters.length >= this.cfg.queue) {
      this.counters.busy++;
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => {
      const w: Waiter = {
        resolve,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          this.counters.busy++;
          resolve(undefined);
        }, waitMs),
      };
      this.waiters.push(w);
    });
  }

  /** Why no helper can run, when they die right after their start; undefined otherwise. */
  get brokenReason(): string | undefined {
    return this.broken;
  }

  /** Gives a helper back; `healthy: false` (a timeout, a broken reply) kills it, and a new one takes its place. */
  release(h: Helper, healthy: boolean): void {
    if (!healthy || !h.alive) {
      h.kill();
      return; // its exit handler replaces it
    }
    if (this.stopped) return h.kill();
    const w = this.waiters.shift();
    if (w) {
      clearTimeout(w.timer);
      w.resolve(h);
    } else this.idle.push(h);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.resolve(undefined);
    }
    for (const h of this.all) h.kill();
  }

  private spawn(): void {
    if (this.stopped) return;
    const h = new Helper(this.cfg.command, this.scheme, (dead, why) => this.exited(dead, why));
    this.all.add(h);
    this.counters.helpersStarted++;
    // A helper still running after QUICK_DEATH_MS proves the command works.
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (h.alive) {
        this.broken = undefined;
        this.quickDeaths = 0;
        this.warnedBroken = false;
      }
    }, QUICK_DEATH_MS);
    t.unref();
    this.timers.add(t);
    this.release(h, true);
  }

  private exited(h: Helper, why: string): void {
    this.all.delete(h);
    const i = this.idle.indexOf(h);
    if (i >= 0) this.idle.splice(i, 1);
    if (this.stopped) return;
    this.counters.helperRestarts++;
    const quick = Date.now() - h.startedMs < QUICK_DEATH_MS;
    this.broken = quick ? `${why}${h.stderr.length ? `: ${h.stderr.join(' | ')}` : ''}` : undefined;
    const fields = { scheme: this.scheme, pid: h.pid, reason: why, stderr: h.stderr.join(' | ') };
    // A command that cannot run is said once, then retried with backoff (1 s doubling to 60 s), not spun.
    this.quickDeaths = quick ? this.quickDeaths + 1 : 0;
    if (quick && !this.warnedBroken) {
      this.warnedBroken = true;
      this.log.error(
        'ntlm helper exits right after its start; check ntlm.command, that winbindd runs and the host is joined (wbinfo -t)',
        fields,
      );
    } else if (!quick) this.log.warn('ntlm helper exited; starting a new one', fields);
    const delay = quick
      ? Math.min(MAX_RESTART_DELAY_MS, RESTART_DELAY_MS * 2 ** Math.min(this.quickDeaths - 1, 10))
      : 0;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.spawn();
    }, delay);
    this.timers.add(t);
  }
}
