import type { Logger } from '@fsso/common';
import type { Spool } from '../spool/spool';

export type LinkState = 'CONNECTING' | 'STREAMING' | 'BACKOFF' | 'STOPPED';

/**
 * What one collector link last recorded, kept in the spool's meta table so `fsso-dc-agent
 * status` (another process) can show it: state and since when, the last error and since when,
 * and the events the collector refused.
 */
export interface LinkStatus {
  state: LinkState;
  sinceMs: number;
  lastError?: string | undefined;
  lastErrorSinceMs?: number | undefined;
  /** Events this collector refused (ever, for this spool). */
  rejected: number;
  lastRejection?: string | undefined;
  lastRejectionMs?: number | undefined;
  /** The collector's limits from its last welcome. */
  limits?: CollectorLimits | undefined;
}

export interface CollectorLimits {
  maxBatchEvents: number;
  maxMessageBytes: number;
  maxEventsPerSecond: number;
}

const REJECTION_SUMMARY_MS = 60_000;
const MAX_REASONS_REMEMBERED = 32;

/** The meta key of a collector's status. */
export const linkStatusKey = (collector: string): string => `link:${collector}`;

/** Reads a link's recorded status (undefined: the agent never ran with this collector). */
export function readLinkStatus(spool: Spool, collector: string): LinkStatus | undefined {
  const raw = spool.meta(linkStatusKey(collector));
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as LinkStatus;
  } catch {
    return undefined;
  }
}

/**
 * Keeps a link's status and writes it only when something an operator would want to know
 * changed (not on every retry), and accounts for rejected events: each new reason once at warn,
 * the rest summed into one line a minute.
 */
export class LinkReport {
  private status: LinkStatus;
  /** Events rejected since this process started (for `run --until-delivered`). */
  rejectedThisRun = 0;
  private readonly seenReasons = new Set<string>();
  private suppressed = 0;
  private lastSummaryMs = 0;

  constructor(
    private readonly collector: string,
    private readonly spool: Spool,
    private readonly log: Logger,
  ) {
    const prev = readLinkStatus(spool, collector);
    this.status = {
      state: 'CONNECTING',
      sinceMs: Date.now(),
      rejected: prev?.rejected ?? 0,
      lastRejection: prev?.lastRejection,
      lastRejectionMs: prev?.lastRejectionMs,
    };
    this.save();
  }

  get current(): Readonly<LinkStatus> {
    return this.status;
  }

  streaming(limits: CollectorLimits): void {
    this.status = { ...this.status, state: 'STREAMING', sinceMs: Date.now(), limits };
    this.save();
  }

  /** A failed stream; persisted when the outage starts or its reason changes, not per retry. */
  failed(reason: string): void {
    const now = Date.now();
    const s = this.status;
    const changed = s.state === 'STREAMING' || s.lastError !== reason;
    if (!changed) return;
    this.status = {
      ...s,
      state: 'BACKOFF',
      sinceMs: s.state === 'STREAMING' || s.state === 'STOPPED' ? now : s.sinceMs,
      lastError: reason,
      lastErrorSinceMs: s.lastError === reason ? s.lastErrorSinceMs : now,
    };
    this.save();
  }

  stopped(): void {
    // Rejections held back by the rate limit are still told, so the lines add up to the truth.
    if (this.suppressed > 0) {
      this.log.warn('collector rejected events; they will not be resent', {
        collector: this.collector,
        rejected: this.suppressed,
        reasons: [],
        rejectedTotal: this.status.rejected,
      });
      this.suppressed = 0;
    }
    this.status = { ...this.status, state: 'STOPPED', sinceMs: Date.now() };
    this.save();
  }

  /** The collector acknowledged `rejected` events as refused; `reasons` are the first few. */
  rejectedEvents(rejected: number, reasons: readonly { seq: number; reason: string }[]): void {
    if (rejected <= 0) return;
    const now = Date.now();
    this.rejectedThisRun += rejected;
    const first = reasons[0];
    this.status = {
      ...this.status,
      rejected: this.status.rejected + rejected,
      lastRejection: first ? `seq ${first.seq}: ${first.reason}` : this.status.lastRejection,
      lastRejectionMs: now,
    };
    this.save();
    const fresh = reasons.filter((r) => !this.seenReasons.has(r.reason));
    if (fresh.length === 0 && now - this.lastSummaryMs < REJECTION_SUMMARY_MS) {
      this.suppressed += rejected;
      return;
    }
    for (const r of fresh) if (this.seenReasons.size < MAX_REASONS_REMEMBERED) this.seenReasons.add(r.reason);
    const shown = (fresh.length ? fresh : reasons).slice(0, 3).map((r) => `seq ${r.seq}: ${r.reason}`);
    this.log.warn('collector rejected events; they will not be resent', {
      collector: this.collector,
      rejected: rejected + this.suppressed,
      reasons: shown,
      rejectedTotal: this.status.rejected,
    });
    this.suppressed = 0;
    this.lastSummaryMs = now;
  }

  private save(): void {
    try {
      this.spool.setMeta(linkStatusKey(this.collector), JSON.stringify(this.status));
    } catch (err) {
      // The spool is closing (shutdown) or failing: status is for show; delivery goes on.
      this.log.debug('link status not recorded', { collector: this.collector, error: String(err) });
    }
  }
}
