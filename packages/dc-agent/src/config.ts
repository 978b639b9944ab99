import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ConfigError, channelCredentials, optionalBool, optionalInt, optionalString, parseAddress, parseDuration,
  rejectUnknownKeys, validateLogOptions, validateTlsOptions, type LinkSecurity, type LogOptions, type TlsOptions,
} from '@fsso/common';
import type { FileSourceConfig } from './sources/file-source';
import type { LinkTarget } from './delivery/collector-link';
import { formatNames, getFormat } from './sources/registry';

/** The agent's JSON config file. */
export interface AgentOptions {
  /** Stable id the collectors know this agent by. @default the host name */
  agentId?: string;
  /** Domains this agent reports for (one, or all of a forest). @default [] */
  domains?: string[];
  /** Folder for the spool. @default "./data" (relative to the config file) */
  dataDir?: string;
  /** The spool's SQLite file. @default "<dataDir>/spool.db" */
  spool?: string;
  /** Where to deliver: one or more collectors, each with its own cursor into the spool. */
  collectors: { name?: string; address: string; tls?: TlsOptions; insecure?: boolean }[];
  /** Default TLS settings for every collector. */
  tls?: TlsOptions;
  /** Plaintext gRPC to every collector (labs only; warned about). @default false */
  insecure?: boolean;
  sources: { name?: string; format: string; path: string; follow?: boolean; stampReadTime?: boolean; pollInterval?: string; defaultDomain?: string }[];
  /** Events per batch. @default 500 */
  batchSize?: number;
  /** Unacknowledged batches per collector. @default 8 */
  maxInFlight?: number;
  log?: LogOptions;
}

export interface AgentConfig {
  agentId: string;
  domains: string[];
  spool: string;
  collectors: (LinkTarget & { insecure: boolean })[];
  sources: FileSourceConfig[];
  batchSize: number;
  maxInFlight: number;
  log: LogOptions;
}

const KNOWN = ['agentId', 'domains', 'dataDir', 'spool', 'collectors', 'tls', 'insecure', 'sources', 'batchSize', 'maxInFlight', 'log'];

export function resolveAgentConfig(raw: Record<string, unknown>, baseDir = process.cwd()): AgentConfig {
  rejectUnknownKeys(raw, KNOWN, '');
  const agentId = optionalString(raw, 'agentId', '') ?? hostname();
  const domains = raw['domains'] ?? [];
  if (!Array.isArray(domains) || !domains.every((d) => typeof d === 'string' && d !== '')) {
    throw new ConfigError('domains: expected a list of domain names, e.g. ["CORP"]', 'domains');
  }
  const dataDir = resolve(baseDir, optionalString(raw, 'dataDir', '') ?? 'data');
  const spoolOpt = optionalString(raw, 'spool', '');
  const insecureAll = optionalBool(raw, 'insecure', '') ?? false;
  const tlsAll = validateTlsOptions(raw['tls'], baseDir, 'tls');

  const rawCollectors = raw['collectors'];
  if (!Array.isArray(rawCollectors) || rawCollectors.length === 0) {
    throw new ConfigError('collectors: list at least one collector, e.g. [{"address": "collector.corp.example:7450"}]', 'collectors');
  }
  const names = new Set<string>();
  const collectors = rawCollectors.map((c: unknown, i) => {
    const f = `collectors[${i}]`;
    if (typeof c !== 'object' || c === null) throw new ConfigError(`${f}: expected {"address": "host:port"}`, f);
    const o = c as Record<string, unknown>;
    rejectUnknownKeys(o, ['name', 'address', 'tls', 'insecure'], f);
    const address = parseAddress(o['address'], `${f}.address`);
    const name = optionalString(o, 'name', `${f}.`) ?? address;
    if (names.has(name)) throw new ConfigError(`${f}.name: "${name}" is used twice; each collector needs its own name (its spool cursor is kept under it)`, `${f}.name`);
    names.add(name);
    const security: LinkSecurity = { tls: validateTlsOptions(o['tls'], baseDir, `${f}.tls`) ?? tlsAll, insecure: optionalBool(o, 'insecure', `${f}.`) ?? insecureAll };
    if (!security.insecure && !security.tls) {
      throw new ConfigError(`${f}: no TLS settings; set "tls": {"ca", "cert", "key"} (here or at the top), or "insecure": true for a plaintext lab`, `${f}.tls`);
    }
    return { name, address, credentials: channelCredentials(security, `${f}.tls`), insecure: security.insecure === true };
  });

  const rawSources = raw['sources'];
  if (!Array.isArray(rawSources) || rawSources.length === 0) {
    throw new ConfigError(`sources: list at least one source, e.g. [{"format": "windows-xml", "path": "/var/log/security.xml", "follow": true}]`, 'sources');
  }
  const sourceNames = new Set<string>();
  const sources = rawSources.map((s: unknown, i): FileSourceConfig => {
    const f = `sources[${i}]`;
    if (typeof s !== 'object' || s === null) throw new ConfigError(`${f}: expected {"format": ..., "path": ...}`, f);
    const o = s as Record<string, unknown>;
    rejectUnknownKeys(o, ['name', 'format', 'path', 'follow', 'stampReadTime', 'pollInterval', 'defaultDomain'], f);
    const format = optionalString(o, 'format', `${f}.`);
    if (!format || !getFormat(format)) throw new ConfigError(`${f}.format: ${JSON.stringify(o['format'])} is not a format; use one of ${formatNames().join(', ')}`, `${f}.format`);
    const p = optionalString(o, 'path', `${f}.`);
    if (!p) throw new ConfigError(`${f}.path: missing; give a file path, or "-" for standard input`, `${f}.path`);
    const path = p === '-' ? p : resolve(baseDir, p);
    const name = optionalString(o, 'name', `${f}.`) ?? `${format}:${path}`;
    if (sourceNames.has(name)) throw new ConfigError(`${f}.name: "${name}" is used twice`, `${f}.name`);
    sourceNames.add(name);
    return {
      name, format, path, follow: optionalBool(o, 'follow', `${f}.`) ?? false,
      stampReadTime: optionalBool(o, 'stampReadTime', `${f}.`) ?? false,
      pollMs: parseDuration(o['pollInterval'] ?? '500ms', `${f}.pollInterval`),
      parse: { defaultDomain: optionalString(o, 'defaultDomain', `${f}.`) ?? (domains[0] as string | undefined) ?? '' },
    };
  });

  return {
    agentId, domains: domains as string[], spool: spoolOpt ? resolve(baseDir, spoolOpt) : join(dataDir, 'spool.db'),
    collectors, sources,
    batchSize: optionalInt(raw, 'batchSize', '', 1, 10_000) ?? 500,
    maxInFlight: optionalInt(raw, 'maxInFlight', '', 1, 64) ?? 8,
    log: validateLogOptions(raw['log']),
  };
}
