import { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import {
  ReconnectingStream,
  loadFsso,
  type AgentMessage,
  type AgentServiceClient,
  type CollectorMessage__Output,
  type Event,
  type Logger,
  type StreamLoss,
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

export interface CollectorLinkDeps {
  /** The collector: its name and address, and the link's TLS settings. */
  target: LinkTarget;
  /** The durable spool this link reads from and keeps its cursor in. */
  spool: Spool;
  /** What the hello says about this agent. */
  hello: HelloInfo;
  /** Every configured collector's name: an event leaves the spool once all of them acknowledged it. */
  allCollectors: readonly string[];
  opts: LinkOptions;
  log: Logger;
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
  private readonly stream: ReconnectingStream<
    AgentServiceClient,
    grpc.ClientDuplexStream<AgentMessage, CollectorMessage__Output>,
    CollectorMessage__Output
  >;
  private sentUpTo = 0;
  private inFlight: number[] = [];
  /** The current stream carried at least one ack: it worked before it failed. */
  private acked = false;
  /** The last reason a stream failed and when it was warned, so a lasting failure is warned once, not per retry. */
  private lastRefusal = '';
  private lastRefusalWarnMs = 0;
  private readonly sizer: BatchSizer;
  private readonly report: LinkReport;
  private paceTimer: NodeJS.Timeout | undefined;

  private readonly target: LinkTarget;
  private readonly spool: Spool;
  private readonly hello: HelloInfo;
  private readonly allCollectors: readonly string[];
  private readonly opts: LinkOptions;
  private readonly log: Logger;

  constructor(deps: CollectorLinkDeps) {
    super();
    ({
      target: this.target,
      spool: this.spool,
      hello: this.hello,
      allCollectors: this.allCollectors,
      opts: this.opts,
      log: this.log,
    } = deps);
    const { target, spool, opts, log } = deps;
    this.sizer = new BatchSizer(opts.batchSize);
    this.report = new LinkReport(target.name, spool, log);
    this.stream = new ReconnectingStream({
      address: target.address,
      credentials: target.credentials,
      makeClient: (address, credentials, options) =>
        new (loadFsso().proto.fsso.v1.AgentService)(address, credentials, options) as AgentServiceClient,
      channelOptions: { 'grpc.max_send_message_length': 16 * 1024 * 1024 },
      // A collector that vanished without closing the connection (frozen, or its host gone) leaves
      // the hello or the batches unanswered: after ackTimeout the stream is dropped and reopened,
      // resending from the last ack. With nothing in flight, silence is normal.
      watchdog: {
        timeoutMs: opts.ackTimeoutMs,
        armed: () => this.inFlight.length > 0,
        reason: (ms) =>
          `no ${this.stream.state === 'CONNECTING' ? 'welcome' : 'acknowledgement'} from the collector in ${ms} ms (ackTimeout ${opts.ackTimeoutMs} ms)`,
      },
      open: (client) => {
        this.inFlight = [];
        this.acked = false;
        const call = client.report();
        call.write({
          hello: {
            ...this.hello,
            lastAckedSeq: this.spool.cursor(this.target.name),
            spoolId: this.spool.spoolId,
            headSeq: this.spool.head,
          },
        });
        return call;
      },
      onMessage: (msg) => this.onMessage(msg),
      onLost: (loss) => this.onLost(loss),
    });
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
    return this.stream.state;
  }

  get name(): string {
    return this.target.name;
  }

  /** Everything spooled so far is acknowledged by this collector. */
  get caughtUp(): boolean {
    return this.spool.cursor(this.target.name) >= this.spool.head;
  }

  start(): void {
    this.stream.start();
  }

  /** New events were spooled. */
  notify(): void {
    if (this.stream.state === 'STREAMING') this.pump();
  }

  private onMessage(msg: CollectorMessage__Output): void {
    if (msg.welcome) {
      const mine = this.spool.cursor(this.target.name);
      if (msg.welcome.ackedSeq < mine) {
        this.log.warn(
          'collector holds less than it acknowledged before (restored or new database?); resending what the spool still has',
          {
            collector: this.target.name,
            collectorAcked: msg.welcome.ackedSeq,
            agentCursor: mine,
          },
        );
        this.spool.resetCursor(this.target.name, msg.welcome.ackedSeq);
      }
      this.sentUpTo = msg.welcome.ackedSeq;
      this.stream.healthy();
      const w = msg.welcome;
      const limits = {
        maxBatchEvents: w.maxBatchEvents,
        maxMessageBytes: w.maxMessageBytes,
        maxEventsPerSecond: w.maxEventsPerSecond,
      };
      this.sizer.use(limits);
      this.report.streaming(limits);
      this.log.info('connected to collector', {
        collector: this.target.name,
        address: this.target.address,
        resumeAfter: w.ackedSeq,
        backlog: this.spool.head - w.ackedSeq,
        batchEvents: this.sizer.maxEvents,
      });
      this.pump();
    } else if (msg.ack) {
      this.acked = true;
      // An ack past what was sent cannot be true; taking it would drop unsent events from the spool.
      if (msg.ack.ackedSeq > this.sentUpTo)
        this.log.warn('collector acknowledged events this agent never sent; ignoring the excess', {
          collector: this.target.name,
          ackedSeq: msg.ack.ackedSeq,
          sentUpTo: this.sentUpTo,
        });
      const seq = Math.min(msg.ack.ackedSeq, this.sentUpTo);
      this.inFlight = this.inFlight.filter((s) => s > seq);
      if (seq > this.spool.cursor(this.target.name)) this.spool.ack(this.target.name, seq, this.allCollectors);
      this.report.rejectedEvents(msg.ack.rejected, msg.ack.rejections);
      this.emit('acked', seq);
      this.pump();
    }
  }

  private onLost(loss: StreamLoss): void {
    if (loss.silentMs > 0) {
      const what =
        loss.received === 0 ? 'no welcome from the collector in time' : 'no acknowledgement from the collector in time';
      this.log.warn(`${what}; reconnecting`, { collector: this.target.name, waitedMs: loss.silentMs });
    }
    const why = describeFailure(loss.code, loss.details, { ...this.target, unanswered: loss.received === 0 });
    this.report.failed(why);
    const wait = loss.retryInMs;
    // A failure that repeats each retry (collector down, certificate refused, and also a batch
    // refused by a limit right after each welcome) is warned once per reason (again after
    // REWARN_MS), the repeats at debug; state and reason stay in `status`. A stream that had
    // delivered is always worth a warning.
    const now = Date.now();
    const level = this.acked || why !== this.lastRefusal || now - this.lastRefusalWarnMs > REWARN_MS ? 'warn' : 'debug';
    if (level === 'warn') this.lastRefusalWarnMs = now;
    this.lastRefusal = why;
    this.log[level]('collector stream lost; reconnecting', {
      collector: this.target.name,
      reason: why,
      retryInMs: wait,
    });
  }

  private pump(): void {
    const stream = this.stream.call;
    if (!stream || this.stream.state !== 'STREAMING' || this.paceTimer) return;
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
    if (this.paceTimer) clearTimeout(this.paceTimer);
    this.paceTimer = undefined;
    // Half-close first, so the collector sees a goodbye rather than only a cancelled call.
    this.stream.call?.end();
    this.stream.stop();
    this.report.stopped();
  }
}

function toWire(s: SpooledEvent): Event {
  const e = s.event;
  return {
    seq: s.seq,
    kind: e.kind,
    user: e.user,
    domain: e.domain,
    ip: e.ip,
    workstation: e.workstation,
    mac: e.mac,
    eventTimeMs: e.eventTimeMs,
    source: e.source,
    sourceEventId: e.sourceEventId,
    logonType: e.logonType,
    reporter: e.reporter,
  };
}
