import { networkContains } from '@fsso/common';
import type { IdentitySettings } from './settings';

/**
 * Remembers which users were seen at each address recently, to tell a terminal server or a NAT
 * (several users at once) from an address that changed hands. Kept in memory: after a restart
 * the window simply starts again.
 */
export class SharedDetector {
  private readonly recent = new Map<string, { who: string; t: number }[]>();
  constructor(private readonly s: IdentitySettings) {}

  /** Notes `who` at `ip` at time t; true when the address is (now) shared. */
  note(ip: string, who: string, t: number): boolean {
    if (this.s.sharedNetworks.length && this.s.sharedNetworks.some((n) => networkContains(n, ip))) return true;
    const prev = this.recent.get(ip);
    // The common case: the same single user again.
    if (prev?.length === 1 && prev[0]?.who === who) {
      prev[0].t = Math.max(prev[0].t, t);
      return this.s.sharedThreshold <= 1;
    }
    const list = (prev ?? []).filter((r) => r.t > t - this.s.sharedWindowMs && r.who !== who);
    list.push({ who, t });
    this.recent.set(ip, list);
    if (this.recent.size > 200_000) this.recent.clear();
    return new Set(list.map((r) => r.who)).size >= this.s.sharedThreshold;
  }

  /** The address changed hands for sure (DHCP release): its past users do not make it shared. */
  forget(ip: string): void {
    this.recent.delete(ip);
  }
}
