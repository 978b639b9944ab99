/** Where "now" comes from; injected so rules can be tested with simulated time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Exponential backoff with full jitter, as the gRPC connection-backoff spec recommends, so many
 * agents that lost the same collector do not reconnect in lock-step.
 */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly initialMs = 250,
    private readonly maxMs = 15_000,
  ) {}
  next(): number {
    const cap = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(cap / 2 + Math.random() * (cap / 2));
  }
  reset(): void {
    this.attempt = 0;
  }
}
