import { networkInterfaces } from 'node:os';
import { normaliseIp } from '@fsso/common';

/**
 * Self-traffic: a logon whose client address is the server's own. LDAP binds, SMB sessions and
 * DCE/RPC calls that tools on the DC make to its own non-loopback address (Samba then writes
 * `remoteAddress` equal to `localAddress`) name whoever authenticated, but nobody sits at the
 * DC's address: mapping them would give the DC's traffic that user's groups (issue 9, item 4).
 *
 * Two checks, because the record does not always say which address is the server's:
 *   - the record's own local address (Samba writes it for LDAP, SMB and RPC; not for the KDC).
 *     Always applied, also by `parse` and `simulate` on files recorded elsewhere;
 *   - the agent host's interface addresses (Windows 4624 has only IpAddress; Samba's KDC records
 *     have no localAddress). Only in `run`, where the agent runs on the DC: the host that parses
 *     a recorded file is not the DC that wrote it.
 */

/** `filters.selfTraffic`: "drop" (the default) maps nobody for self-traffic; "keep" maps it as before. */
export type SelfTrafficMode = 'drop' | 'keep';

/** Skip reasons (fixed texts, so `parse --stats` and the progress line count them as one line each). */
export const SELF_TRAFFIC_LOCAL =
  "self-traffic: the client address is the server's own (remoteAddress equals localAddress)";
export const SELF_TRAFFIC_HOST = "self-traffic: the client address is one of this host's interface addresses";

/** The addresses the agent host answers on; a set that can say whether it holds an address. */
export interface OwnAddresses {
  has(ip: string): boolean;
}

/** How long the interface list is reused: addresses are added rarely, and reading it is a system call. */
const REFRESH_MS = 30_000;

/**
 * The agent host's interface addresses, read with `os.networkInterfaces()` and re-read at most
 * every 30 s so an address added later is recognised too. Loopback and link-local zones are
 * normalised like every client address (loopback never maps anyway).
 */
export class HostAddresses implements OwnAddresses {
  private addresses = new Set<string>();
  private readAt = -Infinity;

  constructor(
    private readonly read: () => ReturnType<typeof networkInterfaces> = networkInterfaces,
    private readonly now: () => number = Date.now,
  ) {}

  has(ip: string): boolean {
    const t = this.now();
    if (t - this.readAt >= REFRESH_MS || t < this.readAt) this.refresh(t);
    return this.addresses.has(ip);
  }

  /** The current list (for the start log line and tests). */
  list(): string[] {
    this.refresh(this.now());
    return [...this.addresses].sort();
  }

  private refresh(t: number): void {
    const next = new Set<string>();
    for (const entries of Object.values(this.read())) {
      for (const e of entries ?? []) {
        const ip = normaliseIp(e.address);
        if (ip !== null) next.add(ip);
      }
    }
    this.addresses = next;
    this.readAt = t;
  }
}

/** Options the parsers read; a subset of ParseOptions (kept here so the rule has one home). */
export interface SelfTrafficOptions {
  selfTraffic?: SelfTrafficMode;
  ownAddresses?: OwnAddresses;
}

/**
 * Why an event at client address `ip` is self-traffic, or undefined when it is not (or when
 * self-traffic is kept). `rawLocal` is the record's local address as written, '' when it has none.
 */
export function selfTrafficReason(ip: string, rawLocal: string, opts: SelfTrafficOptions): string | undefined {
  if (opts.selfTraffic === 'keep' || ip === '') return undefined;
  if (rawLocal !== '' && normaliseIp(rawLocal) === ip) return SELF_TRAFFIC_LOCAL;
  if (opts.ownAddresses?.has(ip)) return SELF_TRAFFIC_HOST;
  return undefined;
}

/** Records skipped as self-traffic, from a source's skip counts. */
export function countSelfTraffic(skipped: Readonly<Record<string, number>>): number {
  return (skipped[SELF_TRAFFIC_LOCAL] ?? 0) + (skipped[SELF_TRAFFIC_HOST] ?? 0);
}
