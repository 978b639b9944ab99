import { ConfigError, optionalInt, parseDuration, rejectUnknownKeys } from '@fsso/common';

/** Long-lived stream kinds with their own per-certificate quota. */
/** `auth`: ProxyAuthService streams, one per client connection in an NTLM/Negotiate exchange. */
export type StreamKind = 'report' | 'sync' | 'watch' | 'auth';

/** The collector's `limits` section, validated. README, "Security", "Limits". */
export interface Limits {
  maxMessageBytes: number;
  maxBatchEvents: number;
  maxEventsPerSecond: number;
  /** Open long-lived streams of all kinds (agent Report, Sync, health Watch). */
  maxStreams: number;
  /** Of `maxStreams`, kept for agent Report streams: firewalls and watchers cannot take them. */
  reservedAgentStreams: number;
  /** Open streams of one kind per client certificate (per peer address on a plaintext server). */
  streamsPerCertificate: Record<StreamKind, number>;
  /** Bytes one Sync stream may have queued for a client that does not read. */
  maxSyncBufferBytes: number;
  /** Bytes all Sync streams together may have queued. */
  maxSyncBufferTotalBytes: number;
  /** A connection that has not finished its TLS handshake by then is closed. */
  handshakeTimeoutMs: number;
  /** Connections from one address still in their TLS handshake. */
  maxPendingHandshakesPerSource: number;
  /** Connections from all addresses still in their TLS handshake. */
  maxPendingHandshakes: number;
  /** An authenticated connection without any call for this long is closed. */
  idleTimeoutMs: number;
  /** Live entries one agent domain may hold (enforced by the identity engine). */
  maxEntriesPerDomain: number;
  /** LDAP group look-ups running at once, and waiting. */
  ldapConcurrency: number;
  ldapQueue: number;
  /** On-demand resolutions running at once. */
  onDemandConcurrency: number;
  /** How long a failed LDAP look-up or an on-demand miss is remembered before it is asked again. */
  negativeCacheTtlMs: number;
}

/** What an operator writes under `limits`; every key optional, defaults in `DEFAULT_LIMITS`. */
export type LimitsOptions = Partial<
  Omit<Limits, 'handshakeTimeoutMs' | 'idleTimeoutMs' | 'negativeCacheTtlMs' | 'streamsPerCertificate'>
> & {
  /** @default "5s" */
  handshakeTimeout?: string | number;
  /** @default "10m" */
  idleTimeout?: string | number;
  /** @default "10s" */
  negativeCacheTtl?: string | number;
  /** @default {"report": 4, "sync": 8, "watch": 8, "auth": 256} */
  streamsPerCertificate?: Partial<Record<StreamKind, number>>;
};

/** The option names, for `fssoctl stats` and the docs; values below are the defaults. */
export const DEFAULT_LIMITS: Limits = {
  maxMessageBytes: 4 * 1024 * 1024,
  maxBatchEvents: 10_000,
  maxEventsPerSecond: 250_000,
  maxStreams: 1000,
  reservedAgentStreams: 200,
  streamsPerCertificate: { report: 4, sync: 8, watch: 8, auth: 256 },
  maxSyncBufferBytes: 16 * 1024 * 1024,
  maxSyncBufferTotalBytes: 256 * 1024 * 1024,
  handshakeTimeoutMs: 5000,
  maxPendingHandshakesPerSource: 32,
  maxPendingHandshakes: 2000,
  idleTimeoutMs: 10 * 60_000,
  maxEntriesPerDomain: 1_000_000,
  ldapConcurrency: 4,
  ldapQueue: 10_000,
  onDemandConcurrency: 16,
  negativeCacheTtlMs: 10_000,
};

const KEYS = [...Object.keys(DEFAULT_LIMITS), 'handshakeTimeout', 'idleTimeout', 'negativeCacheTtl'].filter(
  (k) => !k.endsWith('Ms'),
);
const MIB = 1024 * 1024;

/** Fills defaults and validates `limits`; each error names the key and what is allowed. */
export function validateLimits(raw: unknown): Limits {
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
    throw new ConfigError('limits: expected an object like {"maxBatchEvents": 10000}', 'limits');
  }
  const o = (raw ?? {}) as Record<string, unknown>;
  rejectUnknownKeys(o, KEYS, 'limits');
  const d = DEFAULT_LIMITS;
  const int = (k: keyof Limits, min: number, max: number): number =>
    optionalInt(o, k, 'limits.', min, max) ?? (d[k] as number);
  const duration = (k: string, min: number, fallback: number): number => {
    if (o[k] === undefined) return fallback;
    const ms = parseDuration(o[k], `limits.${k}`);
    if (ms < min) throw new ConfigError(`limits.${k}: must be at least ${min} ms; write it like "5s"`, `limits.${k}`);
    return ms;
  };
  const maxStreams = int('maxStreams', 1, 1_000_000);
  const reservedAgentStreams =
    optionalInt(o, 'reservedAgentStreams', 'limits.', 0, 1_000_000) ??
    Math.min(d.reservedAgentStreams, Math.floor(maxStreams / 5));
  if (reservedAgentStreams >= maxStreams) {
    throw new ConfigError(
      `limits.reservedAgentStreams: ${reservedAgentStreams} leaves no stream for firewalls (limits.maxStreams is ${maxStreams}); make it smaller than maxStreams`,
      'limits.reservedAgentStreams',
    );
  }
  const maxSyncBufferBytes = int('maxSyncBufferBytes', 64 * 1024, 4096 * MIB);
  const maxSyncBufferTotalBytes = int('maxSyncBufferTotalBytes', 64 * 1024, 64 * 1024 * MIB);
  if (maxSyncBufferTotalBytes < maxSyncBufferBytes) {
    throw new ConfigError(
      `limits.maxSyncBufferTotalBytes: ${maxSyncBufferTotalBytes} is below limits.maxSyncBufferBytes (${maxSyncBufferBytes}); the total must hold at least one stream`,
      'limits.maxSyncBufferTotalBytes',
    );
  }
  return {
    maxMessageBytes: int('maxMessageBytes', 1024, 256 * MIB),
    maxBatchEvents: int('maxBatchEvents', 1, 1_000_000),
    maxEventsPerSecond: int('maxEventsPerSecond', 1, 100_000_000),
    maxStreams,
    reservedAgentStreams,
    streamsPerCertificate: validatePerCertificate(o['streamsPerCertificate']),
    maxSyncBufferBytes,
    maxSyncBufferTotalBytes,
    handshakeTimeoutMs: duration('handshakeTimeout', 100, d.handshakeTimeoutMs),
    maxPendingHandshakesPerSource: int('maxPendingHandshakesPerSource', 1, 1_000_000),
    maxPendingHandshakes: int('maxPendingHandshakes', 1, 1_000_000),
    idleTimeoutMs: duration('idleTimeout', 1000, d.idleTimeoutMs),
    maxEntriesPerDomain: int('maxEntriesPerDomain', 1, 100_000_000),
    ldapConcurrency: int('ldapConcurrency', 1, 256),
    ldapQueue: int('ldapQueue', 1, 10_000_000),
    onDemandConcurrency: int('onDemandConcurrency', 1, 10_000),
    negativeCacheTtlMs: duration('negativeCacheTtl', 0, d.negativeCacheTtlMs),
  };
}

function validatePerCertificate(raw: unknown): Record<StreamKind, number> {
  const d = DEFAULT_LIMITS.streamsPerCertificate;
  if (raw === undefined) return { ...d };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(
      'limits.streamsPerCertificate: expected an object like {"report": 4, "sync": 8, "watch": 8, "auth": 256}',
      'limits.streamsPerCertificate',
    );
  }
  const o = raw as Record<string, unknown>;
  rejectUnknownKeys(o, ['report', 'sync', 'watch', 'auth'], 'limits.streamsPerCertificate');
  const f = 'limits.streamsPerCertificate.';
  return {
    report: optionalInt(o, 'report', f, 1, 100_000) ?? d.report,
    sync: optionalInt(o, 'sync', f, 1, 100_000) ?? d.sync,
    watch: optionalInt(o, 'watch', f, 1, 100_000) ?? d.watch,
    auth: optionalInt(o, 'auth', f, 1, 100_000) ?? d.auth,
  };
}
