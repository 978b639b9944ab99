import { join, resolve } from 'node:path';
import {
  ConfigError,
  channelCredentials,
  defaultOf,
  keysOf,
  optionalBool,
  optionalInt,
  optionalString,
  parseAddress,
  parseDuration,
  rejectUnknownKeys,
  resolveDataDir,
  validateLogOptions,
  validateMetricsOptions,
  type MetricsConfig,
  type MetricsOptions,
  validateTlsOptions,
  type DataDirSource,
  type LinkSecurity,
  type LogOptions,
  type TlsOptions,
} from '@fsso/common';
import type { FileSourceConfig } from './readers/file-source';
import type { EventLogSourceConfig } from './readers/windows-eventlog/source';
import type { SyslogSourceConfig } from './readers/syslog-source';
import { resolveAgentId, type CertRef } from './identity';
import { parseAllowFrom } from './readers/syslog/sender-gate';
import { validateSyslogTls } from './readers/syslog/tls-config';
import { AGENT_TOP } from './config-schema';
import type { LinkTarget } from './delivery/collector-link';
import {
  BUILTIN_PROFILES,
  formatNames,
  getFormat,
  validateFilters,
  validateProfiles,
  type FilterOptions,
  type SelfTrafficMode,
} from '@fsso/formats';
import type { SpoolLimits, WhenFull } from './spool/spool';

/** A configured source: a file or stdin read through a format, or the live Windows Security log. */
export type SourceConfig =
  | ({ kind: 'file' } & FileSourceConfig)
  | ({ kind: 'windows-eventlog' } & EventLogSourceConfig)
  | ({ kind: 'syslog-listener' } & SyslogSourceConfig);

/** The agent's JSON config file. */
export interface AgentOptions {
  /** Stable id the collectors know this agent by; must be the certificate's. @default the certificate's agent id (plaintext: the host name) */
  agentId?: string;
  /** Domains this agent reports for (one, or all of a forest). @default [] */
  domains?: string[];
  /**
   * Folder for the spool. Wins over FSSO_DATA_DIR (which installed services set to their state
   * directory, /var/lib/fsso-dc-agent) and over `--data-dir`.
   * @default $FSSO_DATA_DIR, else "./data" (relative to the config file)
   */
  dataDir?: string;
  /** The spool's SQLite file. @default "<dataDir>/spool.db" */
  spool?: string;
  /** Where to deliver: one or more collectors, each with its own cursor into the spool. */
  collectors: { name?: string; address: string; tls?: TlsOptions; insecure?: boolean }[];
  /** Default TLS settings for every collector. */
  tls?: TlsOptions;
  /** Plaintext gRPC to every collector (labs only; warned about). @default false */
  insecure?: boolean;
  sources: {
    name?: string;
    format: string;
    path: string;
    follow?: boolean;
    stampReadTime?: boolean;
    pollInterval?: string;
    defaultDomain?: string;
  }[];
  /**
   * What is not evidence of a person at an address, and how bursts are folded. Besides the
   * shaper's options, `selfTraffic`: "drop" maps nobody for a logon whose client address is the
   * server's own (the record's local address, or in `run` one of this host's interface
   * addresses); "keep" maps it like any other. @default {"selfTraffic": "drop"}
   */
  filters?: FilterOptions & { selfTraffic?: SelfTrafficMode };
  /** Bytes of events the spool may hold. @default "512MB" */
  spoolMaxBytes?: string | number;
  /** When the spool is full: "block" the sources or "drop-oldest" events. @default "block" */
  spoolWhenFull?: 'block' | 'drop-oldest';
  /** Events per batch. @default 500 */
  batchSize?: number;
  /** Unacknowledged batches per collector. @default 8 */
  maxInFlight?: number;
  /** With batches in flight and no acknowledgement for this long, reconnect. @default "30s" */
  ackTimeout?: string;
  log?: LogOptions;
  /** A Prometheus endpoint (`GET /metrics`); off unless set. `{}` listens on 127.0.0.1:9465. */
  metrics?: MetricsOptions;
}

export interface AgentConfig {
  agentId: string;
  domains: string[];
  /** The data folder and which rule chose it (see resolveDataDir in @fsso/common). */
  dataDir: string;
  dataDirFrom: DataDirSource | 'spool';
  spool: string;
  collectors: (LinkTarget & { insecure: boolean; keyFile: string | undefined; certFile: string | undefined })[];
  sources: SourceConfig[];
  batchSize: number;
  maxInFlight: number;
  ackTimeoutMs: number;
  filters: FilterOptions;
  /** `filters.selfTraffic`; every source's parse options carry it too. */
  selfTraffic: SelfTrafficMode;
  spoolLimits: SpoolLimits;
  log: LogOptions;
  /** undefined: no metrics listener. */
  metrics: MetricsConfig | undefined;
}

/** Known keys and defaults: config-schema.ts, the same list docs/config.md is rendered from. */
const KNOWN = keysOf(AGENT_TOP);
const DEFAULT = <T extends string | number | boolean>(key: string): T => defaultOf<T>(AGENT_TOP, key);

export function resolveAgentConfig(raw: Record<string, unknown>, baseDir = process.cwd()): AgentConfig {
  rejectUnknownKeys(raw, KNOWN, '');
  const domains = raw['domains'] ?? [];
  if (!Array.isArray(domains) || !domains.every((d) => typeof d === 'string' && d !== '')) {
    throw new ConfigError('domains: expected a list of domain names, e.g. ["CORP"]', 'domains');
  }
  const data = resolveDataDir(optionalString(raw, 'dataDir', ''), baseDir);
  const spoolOpt = optionalString(raw, 'spool', '');
  const insecureAll = optionalBool(raw, 'insecure', '') ?? DEFAULT<boolean>('insecure');
  const tlsAll = validateTlsOptions(raw['tls'], baseDir, 'tls');
  if (insecureAll && tlsAll) {
    throw new ConfigError(
      'insecure, tls: "insecure": true and a "tls" block are both set at the top; remove "insecure" for mutual TLS, or remove "tls" for a plaintext lab',
      'insecure',
    );
  }

  const rawCollectors = raw['collectors'];
  if (!Array.isArray(rawCollectors) || rawCollectors.length === 0) {
    throw new ConfigError(
      'collectors: list at least one collector, e.g. [{"address": "collector.corp.example:7450"}]',
      'collectors',
    );
  }
  const names = new Set<string>();
  const certs: CertRef[] = [];
  const collectors = rawCollectors.map((c: unknown, i) => {
    const f = `collectors[${i}]`;
    if (typeof c !== 'object' || c === null) throw new ConfigError(`${f}: expected {"address": "host:port"}`, f);
    const o = c as Record<string, unknown>;
    rejectUnknownKeys(o, ['name', 'address', 'tls', 'insecure'], f);
    const address = parseAddress(o['address'], `${f}.address`);
    const name = optionalString(o, 'name', `${f}.`) ?? address;
    if (names.has(name))
      throw new ConfigError(
        `${f}.name: "${name}" is used twice; each collector needs its own name (its spool cursor is kept under it)`,
        `${f}.name`,
      );
    names.add(name);
    const ownTls = validateTlsOptions(o['tls'], baseDir, `${f}.tls`);
    const ownInsecure = optionalBool(o, 'insecure', `${f}.`);
    // A collector's own tls block must not be dropped by an insecure flag, its own or the
    // top-level default. Its own "insecure": true may still override a top-level tls (explicit).
    if (ownTls && (ownInsecure ?? insecureAll)) {
      const where = ownInsecure ? `${f}.insecure` : 'insecure (top level)';
      throw new ConfigError(
        `${where}, ${f}.tls: plaintext is asked for a collector that has its own "tls" block; remove "insecure" for mutual TLS, or remove ${f}.tls for a plaintext lab`,
        ownInsecure ? `${f}.insecure` : 'insecure',
      );
    }
    const security: LinkSecurity = { tls: ownTls ?? tlsAll, insecure: ownInsecure ?? insecureAll };
    if (!security.insecure && !security.tls) {
      throw new ConfigError(
        `${f}: no TLS settings; set "tls": {"ca", "cert", "key"} (here or at the top), or "insecure": true for a plaintext lab`,
        `${f}.tls`,
      );
    }
    const credentials = channelCredentials(security, `${f}.tls`);
    if (!security.insecure && security.tls)
      certs.push({ field: o['tls'] !== undefined ? `${f}.tls.cert` : 'tls.cert', file: security.tls.cert });
    const tls = security.insecure ? undefined : security.tls;
    return {
      name,
      address,
      credentials,
      insecure: security.insecure === true,
      keyFile: tls?.key,
      certFile: tls?.cert,
      caFile: tls?.ca,
    };
  });

  const rawSources = raw['sources'];
  if (!Array.isArray(rawSources) || rawSources.length === 0) {
    throw new ConfigError(
      `sources: list at least one source, e.g. [{"format": "windows-xml", "path": "/var/log/security.xml", "follow": true}]`,
      'sources',
    );
  }
  const sourceNames = new Set<string>();
  const selfTraffic = selfTrafficMode(raw['filters']);
  const sources = rawSources.map((s: unknown, i): SourceConfig => {
    const f = `sources[${i}]`;
    if (typeof s !== 'object' || s === null) throw new ConfigError(`${f}: expected {"format": ..., "path": ...}`, f);
    const o = s as Record<string, unknown>;
    const parse = {
      defaultDomain: optionalString(o, 'defaultDomain', `${f}.`) ?? (domains[0] as string | undefined) ?? '',
      selfTraffic,
    };
    if (o['format'] === 'windows-eventlog') {
      rejectUnknownKeys(o, ['name', 'format', 'pollInterval', 'backfill', 'batch', 'defaultDomain'], f);
      const name = optionalString(o, 'name', `${f}.`) ?? 'windows-eventlog:Security';
      if (sourceNames.has(name)) throw new ConfigError(`${f}.name: "${name}" is used twice`, `${f}.name`);
      sourceNames.add(name);
      return {
        kind: 'windows-eventlog',
        name,
        parse,
        pollMs: parseDuration(o['pollInterval'] ?? '1s', `${f}.pollInterval`),
        backfillMs: parseDuration(o['backfill'] ?? '8h', `${f}.backfill`),
        batch: optionalInt(o, 'batch', `${f}.`, 1, 100_000) ?? 1000,
      };
    }
    if (o['format'] === 'syslog-listener') {
      rejectUnknownKeys(o, ['name', 'format', 'udp', 'tcp', 'tls', 'allowFrom', 'profiles', 'defaultDomain'], f);
      const name = optionalString(o, 'name', `${f}.`) ?? 'syslog';
      if (sourceNames.has(name)) throw new ConfigError(`${f}.name: "${name}" is used twice`, `${f}.name`);
      sourceNames.add(name);
      const udp = o['udp'] === undefined ? undefined : parseAddress(o['udp'], `${f}.udp`);
      const tcp = o['tcp'] === undefined ? undefined : parseAddress(o['tcp'], `${f}.tcp`);
      const tls = validateSyslogTls(o['tls'], baseDir, `${f}.tls`);
      if (!udp && !tcp && !tls)
        throw new ConfigError(
          `${f}: a syslog listener needs "udp", "tcp" or "tls", e.g. "udp": "0.0.0.0:514"`,
          `${f}.udp`,
        );
      const allowFrom = o['allowFrom'];
      parseAllowFrom(allowFrom, `${f}.allowFrom`);
      const profiles =
        o['profiles'] === undefined ? [...BUILTIN_PROFILES] : validateProfiles(o['profiles'], `${f}.profiles`);
      return {
        kind: 'syslog-listener',
        name,
        udp,
        tcp,
        tls,
        allowFrom: allowFrom as string[],
        profiles,
        defaultDomain: parse.defaultDomain,
      };
    }
    rejectUnknownKeys(o, ['name', 'format', 'path', 'follow', 'stampReadTime', 'pollInterval', 'defaultDomain'], f);
    const format = optionalString(o, 'format', `${f}.`);
    if (!format || !getFormat(format))
      throw new ConfigError(
        `${f}.format: ${JSON.stringify(o['format'])} is not a format; use one of ${[...formatNames(), 'windows-eventlog', 'syslog-listener'].join(', ')}`,
        `${f}.format`,
      );
    const p = optionalString(o, 'path', `${f}.`);
    if (!p) throw new ConfigError(`${f}.path: missing; give a file path, or "-" for standard input`, `${f}.path`);
    const path = p === '-' ? p : resolve(baseDir, p);
    const name = optionalString(o, 'name', `${f}.`) ?? `${format}:${path}`;
    if (sourceNames.has(name)) throw new ConfigError(`${f}.name: "${name}" is used twice`, `${f}.name`);
    sourceNames.add(name);
    return {
      kind: 'file',
      name,
      format,
      path,
      follow: optionalBool(o, 'follow', `${f}.`) ?? false,
      stampReadTime: optionalBool(o, 'stampReadTime', `${f}.`) ?? false,
      pollMs: parseDuration(o['pollInterval'] ?? '500ms', `${f}.pollInterval`),
      parse,
    };
  });

  return {
    agentId: resolveAgentId(optionalString(raw, 'agentId', ''), certs),
    domains: domains as string[],
    dataDir: data.dir,
    dataDirFrom: spoolOpt ? 'spool' : data.from,
    spool: spoolOpt ? resolve(baseDir, spoolOpt) : join(data.dir, 'spool.db'),
    collectors,
    sources,
    batchSize: optionalInt(raw, 'batchSize', '', 1, 10_000) ?? DEFAULT<number>('batchSize'),
    maxInFlight: optionalInt(raw, 'maxInFlight', '', 1, 64) ?? DEFAULT<number>('maxInFlight'),
    ackTimeoutMs: parseDuration(raw['ackTimeout'] ?? DEFAULT<string>('ackTimeout'), 'ackTimeout'),
    filters: validateFilters(raw['filters']),
    selfTraffic,
    spoolLimits: {
      maxBytes: parseBytes(raw['spoolMaxBytes'] ?? DEFAULT<string>('spoolMaxBytes'), 'spoolMaxBytes'),
      whenFull: whenFull(raw['spoolWhenFull']),
    },
    log: validateLogOptions(raw['log']),
    metrics: validateMetricsOptions(raw['metrics'], '127.0.0.1:9465'),
  };
}

/** `filters.selfTraffic`: "drop" unless the operator keeps self-traffic on purpose. */
function selfTrafficMode(filters: unknown): SelfTrafficMode {
  const v =
    typeof filters === 'object' && filters !== null ? (filters as Record<string, unknown>)['selfTraffic'] : undefined;
  if (v === undefined || v === 'drop') return 'drop';
  if (v === 'keep') return 'keep';
  throw new ConfigError(
    `filters.selfTraffic: ${JSON.stringify(v)} is not allowed; use "drop" (the default: a logon from the server's own address maps nobody) or "keep"`,
    'filters.selfTraffic',
  );
}

const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

function parseBytes(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)$/i.exec(v.trim()) : null;
  if (!m) throw new ConfigError(`${field}: ${JSON.stringify(v)} is not a size; write it like "512MB" or "2GB"`, field);
  return Math.round(Number(m[1]) * (BYTE_UNITS[(m[2] ?? 'b').toLowerCase()] ?? 1));
}

function whenFull(v: unknown): WhenFull {
  if (v === undefined) return DEFAULT<WhenFull>('spoolWhenFull');
  if (v === 'block' || v === 'drop-oldest') return v;
  throw new ConfigError(
    `spoolWhenFull: ${JSON.stringify(v)}; use "block" (sources wait) or "drop-oldest"`,
    'spoolWhenFull',
  );
}
