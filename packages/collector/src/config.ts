import { join, resolve } from 'node:path';
import { DEFAULT_IDENTITY, type IdentitySettings } from './identity/settings';
import type { OnDemandSettings } from './identity/on-demand';
import type { VerifySettings } from './identity/verifier';
import { COLLECTOR_IDENTITY, COLLECTOR_TOP } from './config-schema';
import { validateLimits, type Limits, type LimitsOptions } from './limits-config';
import {
  validateDirectories,
  validateGroupSettings,
  type DirectoryConfig,
  type GroupSettings,
} from './directory/config';
import { validateAgentAuthority, validateDomains } from './authority/config';
import { validateNtlm, type NtlmConfig } from './ntlm/config';
import {
  ConfigError,
  defaultOf,
  keysOf,
  parseAddress,
  validateMetricsOptions,
  type MetricsConfig,
  type MetricsOptions,
  parseNetwork,
  type Network,
  parseDuration,
  rejectUnknownKeys,
  optionalBool,
  optionalInt,
  optionalString,
  validateLogOptions,
  validateTlsOptions,
  type LinkSecurity,
  type LogOptions,
  type TlsOptions,
} from '@fsso/common';

export type { Limits } from './limits-config';

/** What an operator writes in the collector's JSON config file. Every field is optional. */
export interface CollectorOptions {
  /**
   * Address the gRPC server binds (agents, firewalls and operators all use it).
   * @default "127.0.0.1:7450"
   */
  listen?: string;
  /** Folder for the SQLite database. @default "./data" (relative to the config file) */
  dataDir?: string;
  /** The SQLite file itself. @default "<dataDir>/collector.db" */
  database?: string;
  /**
   * An address with no evidence for this long is removed ("8h", "90m").
   * @default "8h"
   */
  deadEntryTimeout?: string | number;
  /** How often expired entries are swept. @default "30s" (or a tenth of deadEntryTimeout if smaller) */
  sweepInterval?: string | number;
  /**
   * How many table changes are kept so reconnecting firewalls get a delta instead of a snapshot.
   * @default 100000
   */
  syncHistory?: number;
  /** How long received events are kept in the event log. @default "7d" */
  eventRetention?: string | number;
  /**
   * "full": fsync at every batch commit (survives power loss); "normal": survives a crash of the
   * collector but not of the machine, and is faster.
   * @default "full"
   */
  durability?: 'full' | 'normal';
  /** The identity rules' settings (README, "Identity rules"). */
  identity?: {
    /** How long a workstation's last user may be brought back by its machine alone (sleep, roaming). @default "24h" */
    workstationUserTtl?: string;
    /** Distinct users at one address within this window make it shared. @default "10m" */
    sharedWindow?: string;
    /** How many distinct users make an address shared. @default 3 */
    sharedThreshold?: number;
    /** Addresses or networks that are always shared (terminal servers, NAT). @default [] */
    sharedAddresses?: string[];
    /** How long the history of who had each address is kept. @default "90d" */
    historyRetention?: string;
    /** Resolve unknown addresses when a firewall asks (off unless `networks` is set). */
    onDemand?: { networks?: string[]; timeout?: string; dnsServers?: string[] };
    /** Active verification of entries (off unless `networks` is set). */
    verify?: {
      networks?: string[];
      interval?: string;
      failures?: number;
      tcpPorts?: number[];
      timeout?: string;
      dnsServers?: string[];
    };
  };
  /** LDAP directories to resolve groups from, one per domain (README, "Groups from LDAP"). */
  directories?: unknown[];
  /** Group cache TTL, the age at which a logon refreshes a user's groups, and the filter of groups firewalls care about. */
  groups?: { ttl?: string; refreshAge?: string; filter?: string[] };
  /**
   * NetBIOS name → DNS name(s) of one domain, beyond what `directories` says. Two names are one
   * domain only where this or a directory entry says so. @default {}
   */
  domains?: Record<string, string | string[]>;
  /**
   * Per agent certificate identity, the networks where its address evidence (DHCP) may end or
   * move any entry, whatever the domain. @default []
   */
  agents?: { id: string; networks: string[] }[];
  /**
   * Limits against hostile or broken senders; hitting one is an error to the sender and a counter
   * (`limitHits` in `fssoctl stats`). Keys and defaults: `DEFAULT_LIMITS` in limits-config.ts, README "Limits".
   */
  limits?: LimitsOptions;
  /** An agent record not connected and not heard from for this long is removed. @default "30d" */
  agentRetention?: string | number;
  /** Mutual TLS for the gRPC server. */
  tls?: TlsOptions;
  /** Serve plaintext gRPC. For labs only; logged as a warning. @default false */
  insecure?: boolean;
  log?: LogOptions;
  /** A Prometheus endpoint (`GET /metrics`); off unless set. `{}` listens on 127.0.0.1:9464. */
  metrics?: MetricsOptions;
}

export interface CollectorConfig extends LinkSecurity {
  listen: string;
  database: string;
  deadEntryTimeoutMs: number;
  sweepIntervalMs: number;
  syncHistory: number;
  eventRetentionMs: number;
  durability: 'full' | 'normal';
  identity: IdentitySettings;
  historyRetentionMs: number;
  onDemand: OnDemandSettings;
  verify: VerifySettings;
  directories: DirectoryConfig[];
  groups: GroupSettings;
  /** Address authority per agent certificate identity. */
  agentNetworks: Map<string, Network[]>;
  limits: Limits;
  agentRetentionMs: number;
  log: LogOptions;
  /** undefined: no metrics listener. */
  metrics: MetricsConfig | undefined;
  /** Proxy authentication (ProxyAuthService through ntlm_auth); off unless `ntlm.enabled`. */
  ntlm: NtlmConfig;
}

/** Known keys and defaults: config-schema.ts, the same lists docs/config.md is rendered from. */
const KNOWN = keysOf(COLLECTOR_TOP);
const DEFAULT = <T extends string | number | boolean>(key: string): T => defaultOf<T>(COLLECTOR_TOP, key);

/** Fills defaults and validates; the error names the field and what is allowed. */
export function resolveCollectorConfig(raw: Record<string, unknown>, baseDir = process.cwd()): CollectorConfig {
  rejectUnknownKeys(raw, KNOWN, '');
  const listen = parseAddress(raw['listen'] ?? DEFAULT<string>('listen'), 'listen');
  const dataDir = resolve(baseDir, optionalString(raw, 'dataDir', '') ?? DEFAULT<string>('dataDir'));
  const dbOpt = optionalString(raw, 'database', '');
  const database = dbOpt ? resolve(baseDir, dbOpt) : join(dataDir, 'collector.db');
  const deadEntryTimeoutMs = parseDuration(
    raw['deadEntryTimeout'] ?? DEFAULT<string>('deadEntryTimeout'),
    'deadEntryTimeout',
  );
  if (deadEntryTimeoutMs < 1000) throw new ConfigError('deadEntryTimeout: must be at least "1s"', 'deadEntryTimeout');
  const sweepIntervalMs =
    raw['sweepInterval'] === undefined
      ? Math.max(250, Math.min(30_000, Math.floor(deadEntryTimeoutMs / 10)))
      : parseDuration(raw['sweepInterval'], 'sweepInterval');
  const syncHistory = optionalInt(raw, 'syncHistory', '', 100, 100_000_000) ?? DEFAULT<number>('syncHistory');
  const eventRetentionMs = parseDuration(raw['eventRetention'] ?? DEFAULT<string>('eventRetention'), 'eventRetention');
  const agentRetentionMs = parseDuration(raw['agentRetention'] ?? DEFAULT<string>('agentRetention'), 'agentRetention');
  if (agentRetentionMs < 1000)
    throw new ConfigError('agentRetention: must be at least "1s"; write it like "30d"', 'agentRetention');
  const durability = raw['durability'] ?? DEFAULT<string>('durability');
  if (durability !== 'full' && durability !== 'normal') {
    throw new ConfigError(
      `durability: ${JSON.stringify(durability)}; use "full" (fsync per batch) or "normal"`,
      'durability',
    );
  }
  const insecure = optionalBool(raw, 'insecure', '') ?? DEFAULT<boolean>('insecure');
  const tls = validateTlsOptions(raw['tls'], baseDir);
  // Both set is ambiguous: taking either would silently drop what the operator asked for.
  if (insecure && tls) {
    throw new ConfigError(
      'insecure, tls: "insecure": true (or --insecure) and a "tls" block are both set; remove "insecure" to serve mutual TLS, or remove "tls" for a plaintext lab setup',
      'insecure',
    );
  }
  if (!insecure && !tls) {
    throw new ConfigError(
      'tls: the collector needs tls.ca, tls.cert and tls.key (mutual TLS), or "insecure": true for a plaintext lab setup',
      'tls',
    );
  }
  const id = validateIdentity(raw['identity'], deadEntryTimeoutMs);
  const directories = validateDirectories(raw['directories'], baseDir);
  const limits = validateLimits(raw['limits']);
  const identity = {
    ...id.settings,
    domains: validateDomains(raw['domains'], directories),
    maxEntriesPerDomain: limits.maxEntriesPerDomain,
  };
  return {
    listen,
    database,
    deadEntryTimeoutMs,
    sweepIntervalMs,
    syncHistory,
    eventRetentionMs,
    durability,
    tls,
    insecure,
    identity,
    historyRetentionMs: id.historyRetentionMs,
    onDemand: id.onDemand,
    verify: id.verify,
    directories,
    groups: validateGroupSettings(raw['groups']),
    agentNetworks: validateAgentAuthority(raw['agents']),
    limits,
    agentRetentionMs,
    log: validateLogOptions(raw['log']),
    metrics: validateMetricsOptions(raw['metrics'], '127.0.0.1:9464'),
    ntlm: validateNtlm(raw['ntlm']),
  };
}

/** The `identity` section; also used by `simulate`. */
export function validateIdentity(
  raw: unknown,
  deadEntryTimeoutMs: number,
): { settings: IdentitySettings; historyRetentionMs: number; onDemand: OnDemandSettings; verify: VerifySettings } {
  const r = sectionOf(raw ?? {}, 'identity', '{"sharedThreshold": 3}');
  rejectUnknownKeys(r, keysOf(COLLECTOR_IDENTITY), 'identity');
  const addrs = r['sharedAddresses'] ?? [];
  if (!Array.isArray(addrs))
    throw new ConfigError(
      'identity.sharedAddresses: expected a list like ["10.0.5.20", "10.9.0.0/24"]',
      'identity.sharedAddresses',
    );
  const sharedNetworks = addrs.map((a: unknown, i) => {
    const n = typeof a === 'string' ? parseNetwork(a) : null;
    if (!n)
      throw new ConfigError(
        `identity.sharedAddresses[${i}]: ${JSON.stringify(a)} is not an address or network`,
        `identity.sharedAddresses[${i}]`,
      );
    return n;
  });
  return {
    settings: {
      deadEntryTimeoutMs,
      workstationUserTtlMs:
        r['workstationUserTtl'] === undefined
          ? DEFAULT_IDENTITY.workstationUserTtlMs
          : parseDuration(r['workstationUserTtl'], 'identity.workstationUserTtl'),
      sharedWindowMs:
        r['sharedWindow'] === undefined
          ? DEFAULT_IDENTITY.sharedWindowMs
          : parseDuration(r['sharedWindow'], 'identity.sharedWindow'),
      sharedThreshold: optionalInt(r, 'sharedThreshold', 'identity.', 2, 1000) ?? DEFAULT_IDENTITY.sharedThreshold,
      sharedNetworks,
      domains: DEFAULT_IDENTITY.domains,
      maxEntriesPerDomain: DEFAULT_IDENTITY.maxEntriesPerDomain,
    },
    historyRetentionMs: parseDuration(
      r['historyRetention'] ?? defaultOf<string>(COLLECTOR_IDENTITY, 'historyRetention'),
      'identity.historyRetention',
    ),
    onDemand: validateOnDemand(r['onDemand']),
    verify: validateVerify(r['verify']),
  };
}

/** A list in the config, or an error naming the field: a wrong type never silently means "none". */
function listOf(raw: unknown, field: string, example: string): unknown[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    throw new ConfigError(`${field}: expected a list like ${example}, not ${JSON.stringify(raw)}`, field);
  return raw as unknown[];
}

/** A list of strings (DNS servers and the like), or an error naming the field. */
function stringsOf(raw: unknown, field: string, example: string): string[] {
  return listOf(raw, field, example).map((v, i) => {
    if (typeof v !== 'string' || v.trim() === '')
      throw new ConfigError(
        `${field}[${i}]: expected a string like ${example.replace(/^\[|\]$/g, '')}`,
        `${field}[${i}]`,
      );
    return v;
  });
}

/** A section that must be an object (not a list, string or null), or an error naming it. */
function sectionOf(raw: unknown, field: string, example: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(`${field}: expected an object like ${example}`, field);
  return raw as Record<string, unknown>;
}

function networksOf(raw: unknown, field: string): Network[] {
  return listOf(raw, field, '["10.0.0.0/8"]').map((n, i) => {
    const net = typeof n === 'string' ? parseNetwork(n) : null;
    if (!net)
      throw new ConfigError(
        `${field}[${i}]: ${JSON.stringify(n)} is not a network like "10.0.0.0/8"`,
        `${field}[${i}]`,
      );
    return net;
  });
}

function validateVerify(raw: unknown): VerifySettings {
  if (raw === undefined)
    return {
      networks: [],
      intervalMs: 60_000,
      failures: 3,
      tcpPorts: [445, 135, 3389],
      timeoutMs: 1000,
      dnsServers: [],
    };
  const o = sectionOf(raw, 'identity.verify', '{"networks": ["10.0.0.0/8"], "interval": "1m"}');
  rejectUnknownKeys(o, ['networks', 'interval', 'failures', 'tcpPorts', 'timeout', 'dnsServers'], 'identity.verify');
  const ports = o['tcpPorts'] ?? [445, 135, 3389];
  if (!Array.isArray(ports) || !ports.every((p) => Number.isInteger(p) && p > 0 && p < 65536))
    throw new ConfigError(
      'identity.verify.tcpPorts: expected a list of ports like [445, 3389], or [] for no TCP check',
      'identity.verify.tcpPorts',
    );
  return {
    networks: networksOf(o['networks'], 'identity.verify.networks'),
    intervalMs: parseDuration(o['interval'] ?? '1m', 'identity.verify.interval'),
    failures: optionalInt(o, 'failures', 'identity.verify.', 1, 100) ?? 3,
    tcpPorts: ports as number[],
    timeoutMs: parseDuration(o['timeout'] ?? '1s', 'identity.verify.timeout'),
    dnsServers: stringsOf(o['dnsServers'], 'identity.verify.dnsServers', '["127.0.0.53"]'),
  };
}

function validateOnDemand(raw: unknown): OnDemandSettings {
  if (raw === undefined) return { networks: [], timeoutMs: 500, dnsServers: [] };
  const o = sectionOf(raw, 'identity.onDemand', '{"networks": ["10.0.0.0/8"], "timeout": "500ms"}');
  rejectUnknownKeys(o, ['networks', 'timeout', 'dnsServers'], 'identity.onDemand');
  const networks = networksOf(o['networks'], 'identity.onDemand.networks');
  const dns = stringsOf(o['dnsServers'], 'identity.onDemand.dnsServers', '["127.0.0.53"]');
  return { networks, timeoutMs: parseDuration(o['timeout'] ?? '500ms', 'identity.onDemand.timeout'), dnsServers: dns };
}
