import type { TableChange } from '../identity/entry';

export type ChangeListener = (changes: readonly TableChange[]) => void;

/**
 * Fans committed table changes out to every Sync stream. Called right after the commit, in the
 * same tick, so a stream that subscribes and reads the table in one tick can never miss a change.
 */
export class ChangeHub {
  private readonly listeners = new Map<ChangeListener, () => void>();
  /** Table changes handed to subscribers since start (for the metrics). */
  published = 0;

  /** `onShutdown` ends the subscriber's stream cleanly when the collector stops. */
  subscribe(listener: ChangeListener, onShutdown: () => void): () => void {
    this.listeners.set(listener, onShutdown);
    return () => this.listeners.delete(listener);
  }

  shutdown(): void {
    for (const end of [...this.listeners.values()]) end();
    this.listeners.clear();
  }

  publish(changes: readonly TableChange[]): void {
    if (changes.length === 0) return;
    this.published += changes.length;
    for (const l of this.listeners.keys()) l(changes);
  }

  get size(): number {
    return this.listeners.size;
  }
}
