import { isIP } from 'node:net';
import { ConfigError, networkContains, parseNetwork, type Logger, type Network } from '@fsso/common';

/** At most one log line per sender and reason in this window; the line carries the count since. */
const LOG_EVERY_MS = 60_000;
/** Senders remembered for rate-limiting; past this the memory is cleared (a flood of spoofed sources). */
const MAX_TRACKED = 1024;

/** Parses `allowFrom` ("10.0.0.0/8", "127.0.0.1", "2001:db8::/32"); errors name the entry and the fix. */
export function parseAllowFrom(raw: unknown, field: string): Network[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new ConfigError(
      `${field}: list the networks of the devices that send syslog, e.g. "allowFrom": ["10.0.0.0/8", "127.0.0.1"]; anything else would let any host on the network log users on`,
      field,
    );
  }
  return raw.map((n: unknown, i) => {
    const net = typeof n === 'string' ? parseNetwork(n) : null;
    if (!net)
      throw new ConfigError(
        `${field}[${i}]: ${JSON.stringify(n)} is not an address or network like "10.0.0.0/8"`,
        `${field}[${i}]`,
      );
    return net;
  });
}

/**
 * Who may send syslog to the listener: only addresses inside `allowFrom`. A refused sender is
 * counted, and logged at most once a minute per sender and reason, so a flood cannot flood the log.
 */
export class SenderGate {
  private readonly lastLog = new Map<string, { atMs: number; since: number }>();

  constructor(
    private readonly allow: readonly Network[],
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  allows(address: string): boolean {
    const ip = unmapV4(address);
    return isIP(ip) !== 0 && this.allow.some((n) => networkContains(n, ip));
  }

  /** Logs a refusal, rate-limited per sender and reason. */
  refused(address: string, message: string, fields: Record<string, unknown> = {}): void {
    const key = `${message}\0${address}`;
    const t = this.now();
    const seen = this.lastLog.get(key);
    if (seen && t - seen.atMs < LOG_EVERY_MS) {
      seen.since++;
      return;
    }
    if (!seen && this.lastLog.size >= MAX_TRACKED) this.lastLog.clear();
    this.lastLog.set(key, { atMs: t, since: 0 });
    this.log.warn(message, {
      peer: address,
      ...fields,
      ...(seen?.since ? { suppressedSinceLastLine: seen.since } : {}),
    });
  }
}

/** "::ffff:10.1.2.3" (an IPv4 sender on a dual-stack socket) as "10.1.2.3", so IPv4 networks match it. */
function unmapV4(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m?.[1] ?? address;
}
