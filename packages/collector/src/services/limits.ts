import type { Clock } from '@fsso/common';

/** Events per second with a one-second burst. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(private readonly perSecond: number, private readonly clock: Clock) {
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

/** Open long-lived streams (agents, sync), capped. */
export class StreamCounter {
  private open = 0;
  constructor(private readonly max: number) {}

  /** A release function, or undefined when the cap is reached. */
  acquire(): (() => void) | undefined {
    if (this.open >= this.max) return undefined;
    this.open++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.open--;
      }
    };
  }

  get size(): number {
    return this.open;
  }
}
