import type { PushTargetConfig } from './config';
import { sameIdentity, type PushDriver, type PushIdentity, type PushOp } from './types';

/** Where delivery reports; a winston logger fits. */
export interface DeliveryLog {
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

/** What the desired state is read from (the replica, through the target's filters). */
export interface DesiredState {
  get(ip: string): PushIdentity | undefined;
  all(): PushIdentity[];
}

/** CONNECTING: nothing delivered yet; UP: the last request succeeded; FAILING: retrying with backoff. */
export type TargetState = 'CONNECTING' | 'UP' | 'FAILING' | 'STOPPED';

export interface TargetStatus {
  name: string;
  kind: string;
  address: string;
  state: TargetState;
  connected: boolean;
  /** Addresses waiting to be sent (one operation per address at most). */
  queue: number;
  /** Requests sent and not answered yet. */
  inFlight: number;
  /** Entries the target holds, by our acknowledged requests. */
  held: number;
  lastSuccessMs: number;
  lastError: string;
  lastErrorMs: number;
  nextRetryMs: number;
  counters: {
    requests: number;
    failures: number;
    logins: number;
    logouts: number;
    refreshes: number;
    resyncs: number;
    rejected: number;
  };
}

type Why = 'change' | 'force' | 'refresh';

/**
 * Keeps one target's table equal to the desired state. The queue holds at most one pending
 * operation per address (a newer change replaces an older one before it is sent), so it is
 * bounded by the table and a slow target costs memory in proportion to addresses, never to
 * events. What is sent for an address is computed when its batch is built, from what the target
 * holds by our acknowledged requests (`held`) and what the replica says now; an address is in at
 * most one request at a time, so its operations stay in order.
 */
export class TargetDelivery {
  private readonly held = new Map<string, PushIdentity>();
  private readonly pending = new Map<string, Why>();
  private readonly inFlight = new Set<string>();
  private active = 0;
  private failuresInRow = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private rateTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private nextStart = 0;
  private stopped = false;
  private lastWarnMs = 0;
  private readonly s: TargetStatus;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    readonly cfg: PushTargetConfig,
    private readonly driver: PushDriver,
    private readonly desired: DesiredState,
    private readonly log: DeliveryLog,
  ) {
    this.s = {
      name: cfg.name,
      kind: cfg.kind,
      address: cfg.address,
      state: 'CONNECTING',
      connected: false,
      queue: 0,
      inFlight: 0,
      held: 0,
      lastSuccessMs: 0,
      lastError: '',
      lastErrorMs: 0,
      nextRetryMs: 0,
      counters: { requests: 0, failures: 0, logins: 0, logouts: 0, refreshes: 0, resyncs: 0, rejected: 0 },
    };
  }

  /** Starts the refresh cycle; call `resync` once the replica holds a table. */
  start(): void {
    // Half the target's timeout: an idle but present user is re-sent well before the entry ages out.
    this.refreshTimer = setInterval(() => this.refresh(), Math.max(1000, Math.floor(this.cfg.timeoutMs / 2)));
    this.refreshTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    this.s.state = 'STOPPED';
    clearInterval(this.refreshTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.rateTimer);
    this.driver.close();
  }

  /** The whole desired state again: every entry re-sent, and every held entry the replica no longer has ended. */
  resync(reason: string): void {
    this.s.counters.resyncs++;
    const want = this.desired.all();
    for (const id of want) this.pending.set(id.ip, 'force');
    const wanted = new Set(want.map((id) => id.ip));
    for (const ip of this.held.keys()) if (!wanted.has(ip)) this.mark(ip, 'change');
    this.log.info('push resync', { target: this.cfg.name, reason, entries: want.length, held: this.held.size });
    this.kick();
  }

  /** One address changed in the replica. */
  changed(ip: string): void {
    this.mark(ip, 'change');
    this.kick();
  }

  private mark(ip: string, why: Why): void {
    const had = this.pending.get(ip);
    // A newer change moves the address to the back, so later changes are sent after earlier ones.
    if (had !== undefined) this.pending.delete(ip);
    this.pending.set(ip, had === 'force' ? 'force' : why);
  }

  private refresh(): void {
    for (const id of this.desired.all()) if (!this.pending.has(id.ip)) this.pending.set(id.ip, 'refresh');
    this.kick();
  }

  status(): TargetStatus {
    return { ...this.s, queue: this.pending.size, inFlight: this.active, held: this.held.size };
  }

  /** What the target holds by our acknowledged requests (for tests and status). */
  heldEntries(): PushIdentity[] {
    return [...this.held.values()];
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.pending.size === 0 && this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private kick(): void {
    while (!this.stopped && !this.retryTimer && !this.rateTimer && this.active < this.cfg.concurrency) {
      if (this.cfg.rate > 0) {
        const wait = this.nextStart - Date.now();
        if (wait > 0) {
          this.rateTimer = setTimeout(() => {
            this.rateTimer = undefined;
            this.kick();
          }, wait);
          return;
        }
      }
      const ops = this.nextBatch();
      if (ops.length === 0) break;
      if (this.cfg.rate > 0) this.nextStart = Math.max(Date.now(), this.nextStart) + 1000 / this.cfg.rate;
      void this.deliver(ops);
    }
    if (this.pending.size === 0 && this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private nextBatch(): PushOp[] {
    const ops: PushOp[] = [];
    for (const [ip, why] of this.pending) {
      if (ops.length >= this.cfg.batch) break;
      if (this.inFlight.has(ip)) continue;
      this.pending.delete(ip);
      const want = this.desired.get(ip);
      const have = this.held.get(ip);
      let op: PushOp | undefined;
      if (want && !have) op = { op: 'login', id: want };
      else if (want && have && !sameIdentity(want, have)) op = { op: 'login', id: want, prev: have };
      else if (want && have && why !== 'change') op = { op: 'login', id: want, refresh: why === 'refresh' };
      else if (!want && have) op = { op: 'logout', id: have };
      if (!op) continue;
      this.inFlight.add(ip);
      ops.push(op);
    }
    return ops;
  }

  private async deliver(ops: PushOp[]): Promise<void> {
    this.active++;
    this.s.counters.requests++;
    let outcome;
    try {
      outcome = await this.driver.send(ops, AbortSignal.timeout(this.cfg.requestTimeoutMs));
    } catch (err) {
      // A driver bug must not wedge the queue: treat it as a failed request.
      outcome = { status: 'retryable' as const, error: err instanceof Error ? err.message : String(err) };
    }
    this.active--;
    for (const o of ops) this.inFlight.delete(o.id.ip);
    if (this.stopped) return;
    if (outcome.status === 'success') this.succeeded(ops, outcome.rejected ?? []);
    else this.failed(ops, outcome.error);
    this.kick();
  }

  private succeeded(ops: PushOp[], rejected: { ip: string; error: string }[]): void {
    const refused = new Map(rejected.map((r) => [r.ip, r.error]));
    for (const o of ops) {
      if (refused.has(o.id.ip)) continue;
      if (o.op === 'login') {
        this.held.set(o.id.ip, o.id);
        if (o.refresh) this.s.counters.refreshes++;
        else this.s.counters.logins++;
      } else {
        this.held.delete(o.id.ip);
        this.s.counters.logouts++;
      }
    }
    const wasFailing = this.failuresInRow > 0;
    this.failuresInRow = 0;
    this.s.connected = true;
    this.s.state = 'UP';
    this.s.lastSuccessMs = Date.now();
    this.s.nextRetryMs = 0;
    if (refused.size > 0) {
      this.s.counters.rejected += refused.size;
      const [ip, error] = [...refused][0] ?? ['', ''];
      this.note(`${refused.size} entries refused by the target (first: ${ip}: ${error})`);
      this.log.warn('push entries refused', {
        target: this.cfg.name,
        count: refused.size,
        ip,
        error: this.redact(error),
      });
    }
    if (wasFailing) {
      this.log.info('push target back', { target: this.cfg.name });
      // It may have restarted and forgotten its table while it was away: send everything again.
      this.resync('target back');
    }
  }

  private failed(ops: PushOp[], error: string): void {
    // Back in the queue unless a newer change for the address arrived meanwhile.
    for (const o of ops) if (!this.pending.has(o.id.ip)) this.pending.set(o.id.ip, 'force');
    this.failuresInRow++;
    this.s.counters.failures++;
    this.s.connected = false;
    this.s.state = 'FAILING';
    this.note(error);
    const base = Math.min(this.cfg.retryMaxMs, this.cfg.retryInitialMs * 2 ** Math.min(this.failuresInRow - 1, 20));
    // Jitter (half to all of the step) keeps several firewalls fed by one site from retrying in step.
    const delay = Math.round(base / 2 + (Math.random() * base) / 2);
    this.s.nextRetryMs = Date.now() + delay;
    const now = Date.now();
    if (this.failuresInRow === 1 || now - this.lastWarnMs >= 60_000) {
      this.lastWarnMs = now;
      this.log.warn('push target failing', {
        target: this.cfg.name,
        error: this.s.lastError,
        failures: this.failuresInRow,
        retryInMs: delay,
        queue: this.pending.size,
      });
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
    this.retryTimer.unref();
  }

  private note(error: string): void {
    this.s.lastError = this.redact(error);
    this.s.lastErrorMs = Date.now();
  }

  /** A secret never reaches a log or the status file, even if a target echoes it back. */
  private redact(text: string): string {
    const secret = this.cfg.secret;
    return secret ? text.split(secret).join('***') : text;
  }
}
