import type { Clock, Logger } from '@fsso/common';
import type { Limits, StreamKind } from '../limits-config';

/** Events per second with a one-second burst. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly perSecond: number,
    private readonly clock: Clock,
  ) {
    this.tokens = perSecond;
    this.last = clock.now();
  }

  take(n: number): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (n > this.tokens) return false;
    this.tokens -= n;
    return true;
  }
}

/** One more refusal by the limit `key` (shown as `limitHits` by `fssoctl stats`). */
export function countHit(limitHits: Record<string, number>, key: string): void {
  limitHits[key] = (limitHits[key] ?? 0) + 1;
}

export type StreamGrant = { release: () => void } | { limit: string; message: string };

/**
 * Open long-lived streams, capped three ways: in total (`maxStreams`), per certificate and kind
 * (`streamsPerCertificate`), and with `reservedAgentStreams` of the total that only agent Report
 * streams may take. One firewall certificate opening 999 Sync streams once locked every agent out;
 * now it gets its handful and the agents keep their share.
 */
export class StreamCounter {
  private open = 0;
  private nonAgent = 0;
  private readonly byOwner = new Map<string, number>();
  constructor(private readonly limits: Pick<Limits, 'maxStreams' | 'reservedAgentStreams' | 'streamsPerCertificate'>) {}

  /** `owner`: the certificate thumbprint (or the peer address on a plaintext server). */
  acquire(kind: StreamKind, owner: string): StreamGrant {
    const l = this.limits;
    const key = `${kind}\n${owner}`;
    const mine = this.byOwner.get(key) ?? 0;
    const perCert = l.streamsPerCertificate[kind];
    if (mine >= perCert) {
      return {
        limit: `streamsPerCertificate.${kind}`,
        message: `this certificate already has ${mine} open ${kind} streams (limits.streamsPerCertificate.${kind} is ${perCert}); close some, or raise the limit`,
      };
    }
    if (this.open >= l.maxStreams) {
      return {
        limit: 'maxStreams',
        message: `too many open streams (limits.maxStreams ${l.maxStreams}); retry later, or raise the limit`,
      };
    }
    const shared = l.maxStreams - l.reservedAgentStreams;
    if (kind !== 'report' && this.nonAgent >= shared) {
      return {
        limit: 'reservedAgentStreams',
        message: `the streams left (limits.maxStreams ${l.maxStreams}) are reserved for agents (limits.reservedAgentStreams ${l.reservedAgentStreams}); retry later`,
      };
    }
    this.open++;
    if (kind !== 'report') this.nonAgent++;
    this.byOwner.set(key, mine + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.open--;
        if (kind !== 'report') this.nonAgent--;
        const n = (this.byOwner.get(key) ?? 1) - 1;
        if (n <= 0) this.byOwner.delete(key);
        else this.byOwner.set(key, n);
      },
    };
  }

  get size(): number {
    return this.open;
  }
}

/**
 * A warning that a flood would repeat thousands of times a second: the first occurrence is logged
 * at once, later ones are summed and logged once per interval with the count and the top sources.
 */
export class RateLimitedWarn {
  private count = 0;
  private readonly sources = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private quietUntil = 0;

  constructor(
    private readonly log: Logger,
    private readonly message: (n: number, seconds: number) => string,
    private readonly intervalMs = 10_000,
  ) {}

  note(source: string, fields: Record<string, unknown> = {}): void {
    const now = Date.now();
    if (now >= this.quietUntil && this.count === 0) {
      this.quietUntil = now + this.intervalMs;
      this.log.warn(this.message(1, this.intervalMs / 1000), { ...fields, count: 1, sources: { [source]: 1 } });
      return;
    }
    this.count++;
    if (this.sources.size < 1000 || this.sources.has(source))
      this.sources.set(source, (this.sources.get(source) ?? 0) + 1);
    this.timer ??= setTimeout(() => this.flush(), Math.max(0, this.quietUntil - now)).unref();
  }

  private flush(): void {
    this.timer = undefined;
    if (this.count === 0) return;
    const top = Object.fromEntries([...this.sources].sort((a, b) => b[1] - a[1]).slice(0, 5));
    this.log.warn(this.message(this.count, this.intervalMs / 1000), { count: this.count, sources: top });
    this.count = 0;
    this.sources.clear();
    this.quietUntil = Date.now() + this.intervalMs;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
