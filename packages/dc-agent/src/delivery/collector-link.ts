import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import {
  Backoff, loadFsso, type AgentMessage, type AgentServiceClient, type CollectorMessage__Output, type Event, type Logger,
} from '@fsso/common';
import type { Spool, SpooledEvent } from '../spool/spool';
import { BatchSizer } from './batch-sizer';
import { describeFailure } from './failure-reason';
import { LinkReport, type LinkState, type LinkStatus } from './link-report';

export type { LinkState } from './link-report';

/** A lasting failure is warned again after this long, so a log read later still shows it. */
const REWARN_MS = 10 * 60_000;

export interface LinkTarget {
  name: string;
  address: string;
  credentials: grpc.ChannelCredentials;
  /** The CA file the collector's certificate is checked against (undefined: plaintext), for error messages. */
  caFile?: string | undefined;
}

export interface HelloInfo {
  agentId: string;
  domains: string[];
  hostname: string;
  version: string;
}

export interface LinkOptions {
  /** Events per batch on the wire. */
  batchSize: number;
  /** Batches sent but not yet acknowledged. */
  maxInFlight: number;
  /** With batches in flight and no acknowledgement for this long, the stream is reopened. */
  ackTimeoutMs: number;
}

/**
 * One collector's stream: hello, then batches read from the spool after this collector's cursor,
 * a bounded number in flight. Acks move the cursor; a broken stream is reopened with backoff and
 * resumes after the last ack, so nothing unacknowledged is lost.
 * Batches are sized to the limits the collector's welcome names. Each failure is told once at warn
 * in words with the fix; state, last error and rejected events are recorded for `status`.
 * Emits 'acked' (seq) after each ack.
 */
export class CollectorLink extends EventEmitter {
  private stateValue: LinkState = 'STOPPED';
  private client: AgentServiceClient | undefined;
  private stream: grpc.ClientDuplexStream<AgentMessage, CollectorMessage__Output> | undefined;
  private sentUpTo = 0;
  private inFlight: number[] = [];
  private readonly backoff = new Backoff();
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private lastAckMs = 0;
  private watchdog: NodeJS.Timeout | undefined;
  /** The last reason a stream failed and when it was warned, so a lasting failure is warned once, not per retry. */
  private lastRefusal = '';
  private lastRefusalWarnMs = 0;
  private readonly sizer: BatchSizer;
  private readonly report: LinkReport;
  private paceTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: LinkTarget,
    private readonly spool: Spool,
    private readonly hello: HelloInfo,
    private readonly allCollectors: readonly string[],
    private readonly opts: LinkOptions,
    private readonly log: Logger,
  ) {
    super();
    this.sizer = new BatchSizer(opts.batchSize);
    this.report = new LinkReport(target.name, spool, log);
  }

  /** What this link last recorded (state and since when, last error, rejected events). */
  get status(): Readonly<LinkStatus> {
    return this.report.current;
  }

  /** Events the collector refused since this process started. */
  get rejectedThisRun(): number {
    return this.report.rejectedThisRun;
  }

  get state(): LinkState {
    return this.stateValue;
  }

  get name(): string {
    return this.target.name;
  }

  /** Everything spooled so far is acknowledged by this collector. */
  get caughtUp(): boolean {
    return this.spool.cursor(this.target.name) >= this.spool.head;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const { proto } = loadFsso();
    this.client = new proto.fsso.v1.AgentService(this.target.address, this.target.credentials, {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.max_send_message_length': 16 * 1024 * 1024,
    }) as AgentServiceClient;
    this.connect();
    // A collector that vanished without closing the connection leaves acks unanswered: after
    // ackTimeout with batches in flight, the stream is dropped and reopened (resending from the last ack).
    this.watchdog = setInterval(() => {
      if (this.stateValue === 'STREAMING' && this.inFlight.length > 0 && Date.now() - this.lastAckMs > this.opts.ackTimeoutMs) {
        this.log.warn('no acknowledgement from the collector in time; reconnecting', { collector: this.target.name, waitedMs: Date.now() - this.lastAckMs });
        this.stream?.cancel();
      }
    }, Math.min(5000, this.opts.ackTimeoutMs));
    this.watchdog.unref();
  }

  /** New events were spooled. */
  notify(): void {
    if (this.stateValue === 'STREAMING') this.pump();
  }

  private connect(): void {
    if (this.stopped || !this.client) return;
    this.stateValue = 'CONNECTING';
    const stream = this.client.report();
    this.stream = stream;
    this.inFlight = [];
    /** This stream carried at least one ack: it worked before it failed. */
    let acked = false;
    stream.on('data', (msg: CollectorMessage__Output) => {
      if (stream !== this.stream) return;
      if (msg.welcome) {
        const mine = this.spool.cursor(this.target.name);
        if (msg.welcome.ackedSeq < mine) {
          this.log.warn('collector holds less than it acknowledged before (restored or new database?); resending what the spool still has', {
            collector: this.target.name, collectorAcked: msg.welcome.ackedSeq, agentCursor: mine,
          });
          this.spool.resetCursor(this.target.name, msg.welcome.ackedSeq);
        }
        this.sentUpTo = msg.welcome.ackedSeq;
        this.lastAckMs = Date.now();
        this.stateValue = 'STREAMING';
        this.backoff.reset();
        const w = msg.welcome;
        const limits = { maxBatchEvents: w.maxBatchEvents, maxMessageBytes: w.maxMessageBytes, maxEventsPerSecond: w.maxEventsPerSecond };
        this.sizer.use(limits);
        this.report.streaming(limits);
        this.log.info('connected to collector', {
          collector: this.target.name, address: this.target.address, resumeAfter: w.ackedSeq, backlog: this.spool.head - w.ackedSeq, batchEvents: this.sizer.maxEvents,
        });
        this.pump();
      } else if (msg.ack) {
        acked = true;
        this.lastAckMs = Date.now();
        // An ack past what was sent cannot be true; taking it would drop unsent events from the spool.
        if (msg.ack.ackedSeq > this.sentUpTo) this.log.warn('collector acknowledged events this agent never sent; ignoring the excess', { collector: this.target.name, ackedSeq: msg.ack.ackedSeq, sentUpTo: this.sentUpTo });
        const seq = Math.min(msg.ack.ackedSeq, this.sentUpTo);
        this.inFlight = this.inFlight.filter((s) => s > seq);
        if (seq > this.spool.cursor(this.target.name)) this.spool.ack(this.target.name, seq, this.allCollectors);
        this.report.rejectedEvents(msg.ack.rejected, msg.ack.rejections);
        this.emit('acked', seq);
        this.pump();
      }
    });
    const lost = (code: number | undefined, details: string): void => {
      if (stream !== this.stream) return;
      this.stream = undefined;
      if (this.stopped) return;
      this.stateValue = 'BACKOFF';
      const why = describeFailure(code, details, this.target);
      this.report.failed(why);
      const wait = this.backoff.next();
      // A failure that repeats each retry (collector down, certificate refused, and also a batch
      // refused by a limit right after each welcome) is warned once per reason (again after
      // REWARN_MS), the repeats at debug; state and reason stay in `status`. A stream that had
      // delivered is always worth a warning.
      const now = Date.now();
      const level = acked || why !== this.lastRefusal || now - this.lastRefusalWarnMs > REWARN_MS ? 'warn' : 'debug';
      if (level === 'warn') this.lastRefusalWarnMs = now;
      this.lastRefusal = why;
      this.log[level]('collector stream lost; reconnecting', { collector: this.target.name, reason: why, retryInMs: wait });
      this.retryTimer = setTimeout(() => this.connect(), wait);
    };
    stream.on('error', (err: grpc.ServiceError) => lost(err.code, err.details || err.message));
    stream.on('end', () => lost(undefined, 'stream ended by the collector'));
    // Whatever way the stream finishes, it is lost; `lost` ignores all but the first report.
    stream.on('close', () => lost(undefined, 'stream closed'));
    stream.on('status', (st: grpc.StatusObject) => {
      if (st.code !== grpc.status.OK) lost(st.code, st.details || `status ${st.code}`);
    });
    stream.write({ hello: { ...this.hello, lastAckedSeq: this.spool.cursor(this.target.name), spoolId: this.spool.spoolId, headSeq: this.spool.head } });
  }

  private pump(): void {
    const stream = this.stream;
    if (!stream || this.stateValue !== 'STREAMING' || this.paceTimer) return;
    while (this.inFlight.length < this.opts.maxInFlight) {
      const read = this.spool.readAfter(this.sentUpTo, this.sizer.maxEvents);
      if (read.length === 0) return;
      const events = this.sizer.fit(read.map(toWire));
      const wait = this.sizer.waitMs(events.length);
      if (wait > 0) {
        // Under the collector's maxEventsPerSecond: wait for room instead of being refused.
        this.paceTimer = setTimeout(() => {
          this.paceTimer = undefined;
          this.pump();
        }, wait);
        return;
      }
      const last = read[events.length - 1] as SpooledEvent;
      stream.write({ batch: { events, headSeq: this.spool.head } });
      this.sentUpTo = last.seq;
      this.inFlight.push(last.seq);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.stateValue = 'STOPPED';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.paceTimer) clearTimeout(this.paceTimer);
    this.paceTimer = undefined;
    this.report.stopped();
    const s = this.stream;
    this.stream = undefined;
    s?.end();
    s?.cancel();
    this.client?.close();
  }
}

function toWire(s: SpooledEvent): Event {
  const e = s.event;
  return {
    seq: s.seq, kind: e.kind, user: e.user, domain: e.domain, ip: e.ip, workstation: e.workstation, mac: e.mac,
    eventTimeMs: e.eventTimeMs, source: e.source, sourceEventId: e.sourceEventId, logonType: e.logonType, reporter: e.reporter,
  };
}
