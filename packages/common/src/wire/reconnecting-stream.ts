import * as grpc from '@grpc/grpc-js';
import { ConfigError } from '../errors';
import { Backoff } from '../time';

/**
 * Where a reconnecting stream is. CONNECTING: a call is open and the server has not answered yet;
 * STREAMING: the server has sent at least one message on this call; BACKOFF: the call was lost
 * and the next one waits for its turn; STOPPED: `stop()` was called (or `start()` never was).
 * The agent shows these names in `status` and in its metrics: keep them.
 */
export type StreamState = 'CONNECTING' | 'STREAMING' | 'BACKOFF' | 'STOPPED';

/** What a server-streaming or bidirectional grpc-js call offers that the loop needs. */
export interface StreamCall<M> {
  on(event: 'data', listener: (message: M) => void): unknown;
  on(event: 'error', listener: (err: grpc.ServiceError) => void): unknown;
  on(event: 'status', listener: (status: grpc.StatusObject) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  cancel(): void;
}

/** How one call ended, told to `onLost` once per call. */
export interface StreamLoss {
  /** The gRPC status; undefined when the call ended without one (an 'end' or 'close' first). */
  code: grpc.status | undefined;
  /** The server's or grpc-js's words, or the watchdog's reason. */
  details: string;
  /** Messages this call received before it was lost (0: the server never answered it). */
  received: number;
  /** The silence watchdog ended it after this much silence (0: it did not). */
  silentMs: number;
  /** How long until the next call is opened. */
  retryInMs: number;
}

/** Drops a call whose server has gone quiet, so a frozen peer that keeps its socket open is noticed. */
export interface SilenceWatchdog {
  /** Silence longer than this loses the call. */
  timeoutMs: number;
  /**
   * While STREAMING, silence counts only while this says so (the agent: batches await an ack).
   * While CONNECTING it always counts: the server must answer what opens the call.
   * @default always
   */
  armed?: () => boolean;
  /** The loss's `details`, e.g. "no acknowledgement from the collector in 30000 ms". */
  reason: (silentMs: number) => string;
}

export interface ReconnectingStreamOptions<C extends grpc.Client, S extends StreamCall<M>, M> {
  /** The server, "host:port". */
  address: string;
  credentials: grpc.ChannelCredentials;
  /** Makes the client, e.g. `(a, c, o) => new proto.fsso.v1.IdentityService(a, c, o) as IdentityServiceClient`. */
  makeClient: (address: string, credentials: grpc.ChannelCredentials, options: grpc.ChannelOptions) => C;
  /** Laid over STREAM_CHANNEL_DEFAULTS (message sizes, for example). */
  channelOptions?: grpc.ChannelOptions;
  /** Opens one call and writes what opens the conversation (a hello). Runs at start and for every retry. */
  open: (client: C) => S;
  /** A message on the current call (never one from an earlier call). */
  onMessage: (message: M, call: S) => void;
  /** The current call is lost: exactly once per call, whatever mix of events grpc-js emits; never after `stop()`. */
  onLost: (loss: StreamLoss) => void;
  /** Every change of state. */
  onState?: (state: StreamState) => void;
  /** Retries back off exponentially with jitter between these bounds. @default { initialMs: 250, maxMs: 15_000 } */
  backoff?: { initialMs?: number; maxMs?: number };
  watchdog?: SilenceWatchdog;
}

/**
 * Channel options of every long-lived stream to the collector. Keepalive pings find a dead peer
 * behind a silent network. grpc-js also backs off reconnecting the channel on its own (1 s growing
 * to 120 s); our loop already paces the retries, so the channel must not add minutes of its own:
 * with both, a restarted collector took up to 21 s to be used again.
 */
export const STREAM_CHANNEL_DEFAULTS: Readonly<grpc.ChannelOptions> = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.initial_reconnect_backoff_ms': 250,
  'grpc.max_reconnect_backoff_ms': 1000,
};

/**
 * One long-lived call to a server that is reopened whenever it is lost: the loop, the backoff,
 * the channel options, "lost exactly once" and a silence watchdog live here, so a user keeps only
 * its message logic (the agent's hello, batches and acks; the replica's snapshot, changes and
 * resume). Like grpc-js's own `backoff-timeout.ts`, the mechanism is kept apart from the calls.
 */
export class ReconnectingStream<C extends grpc.Client, S extends StreamCall<M>, M> {
  private stateValue: StreamState = 'STOPPED';
  private client: C | undefined;
  private current: S | undefined;
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  /** When the current call last heard from the server (or opened, or last had nothing to wait for). */
  private heardAtMs = 0;
  private received = 0;

  constructor(private readonly opts: ReconnectingStreamOptions<C, S, M>) {
    const initialMs = opts.backoff?.initialMs ?? 250;
    const maxMs = opts.backoff?.maxMs ?? 15_000;
    positive(initialMs, 'backoff.initialMs');
    positive(maxMs, 'backoff.maxMs');
    if (maxMs < initialMs)
      throw new ConfigError(
        `backoff.maxMs (${maxMs}) is below backoff.initialMs (${initialMs}); raise maxMs`,
        'backoff.maxMs',
      );
    if (opts.watchdog) positive(opts.watchdog.timeoutMs, 'watchdog.timeoutMs');
    this.backoff = new Backoff(initialMs, maxMs);
  }

  get state(): StreamState {
    return this.stateValue;
  }

  /** The open call (to write on, for a bidirectional one); undefined while none is. */
  get call(): S | undefined {
    return this.current;
  }

  start(): void {
    if (this.client) return;
    this.client = this.opts.makeClient(this.opts.address, this.opts.credentials, {
      ...STREAM_CHANNEL_DEFAULTS,
      ...this.opts.channelOptions,
    });
    const w = this.opts.watchdog;
    if (w) {
      // A check at a quarter of the timeout (at most each second) fires within that much of it.
      this.watchdogTimer = setInterval(
        () => this.checkSilence(w),
        Math.max(10, Math.min(1000, Math.floor(w.timeoutMs / 4))),
      );
      this.watchdogTimer.unref();
    }
    this.open();
  }

  /**
   * The stream did what it is for (the agent: a welcome; the replica: a complete table), so the
   * next loss retries after the shortest wait again. A server that answers and then fails each
   * time is not reset by its answer alone.
   */
  healthy(): void {
    this.backoff.reset();
  }

  /** Ends the call and the channel; nothing is told to `onLost`. `start()` may be called again. */
  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.retryTimer = undefined;
    this.watchdogTimer = undefined;
    const call = this.current;
    this.current = undefined;
    call?.cancel();
    this.client?.close();
    this.client = undefined;
    this.setState('STOPPED');
  }

  private setState(s: StreamState): void {
    if (s === this.stateValue) return;
    this.stateValue = s;
    this.opts.onState?.(s);
  }

  private open(): void {
    this.retryTimer = undefined;
    const client = this.client;
    if (!client) return;
    this.received = 0;
    this.heardAtMs = Date.now();
    this.setState('CONNECTING');
    const call = this.opts.open(client);
    this.current = call;
    call.on('data', (m: M) => {
      if (call !== this.current) return;
      this.received++;
      this.heardAtMs = Date.now();
      this.setState('STREAMING');
      this.opts.onMessage(m, call);
    });
    // grpc-js ends a call with some mix of 'error' (non-OK status), 'status', 'end' and 'close',
    // in an order that differs by cause (server status, our cancel, a dead socket). The first one
    // loses the call; the rest find it detached and are ignored. 'error' is always listened to, so
    // a late one never becomes an uncaught exception.
    call.on('error', (err: grpc.ServiceError) => this.lose(call, err.code, err.details || err.message));
    // An OK status is followed by 'end' once the messages before it are read: wait for that.
    call.on('status', (st: grpc.StatusObject) => {
      if (st.code !== grpc.status.OK) this.lose(call, st.code, st.details || `status ${st.code}`);
    });
    call.on('end', () => this.lose(call, undefined, ENDED));
    call.on('close', () => this.lose(call, undefined, 'stream closed'));
  }

  private lose(call: S, code: grpc.status | undefined, details: string, silentMs = 0): void {
    if (call !== this.current) return;
    this.current = undefined;
    // Frees the call on our side too; a no-op on one that already has its status.
    call.cancel();
    if (!this.client) return;
    this.setState('BACKOFF');
    const retryInMs = this.backoff.next();
    this.retryTimer = setTimeout(() => this.open(), retryInMs);
    this.opts.onLost({ code, details, received: this.received, silentMs, retryInMs });
  }

  private checkSilence(w: SilenceWatchdog): void {
    const call = this.current;
    if (!call) return;
    const now = Date.now();
    // Nothing awaited: silence is normal and does not count, so it starts when waiting does.
    if (this.stateValue === 'STREAMING' && w.armed && !w.armed()) {
      this.heardAtMs = now;
      return;
    }
    const silentMs = now - this.heardAtMs;
    if (silentMs > w.timeoutMs) this.lose(call, grpc.status.DEADLINE_EXCEEDED, w.reason(silentMs), silentMs);
  }
}

const ENDED = 'stream ended by the collector';

function positive(v: number, field: string): void {
  if (!Number.isFinite(v) || v <= 0)
    throw new ConfigError(`${field} must be a positive number of milliseconds, not ${JSON.stringify(v)}`, field);
}
