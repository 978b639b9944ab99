import { dirname, resolve } from 'node:path';
import {
  ConfigError,
  DomainNames,
  channelCredentials,
  optionalBool,
  optionalString,
  parseAddress,
  parseDuration,
  readJsonConfig,
  rejectUnknownKeys,
  validateLogOptions,
  validateTlsOptions,
  type ConfigSection,
  type LinkSecurity,
  type LogOptions,
} from '@fsso/common';
import { compilePolicy, type CompiledPolicy } from './policy';
import { NFT_SECTION, NFT_SET_SECTION } from './nft/config';
import { SQUID_SECTION } from './squid/config';
import { PUSH_SECTION, PUSH_TARGET } from './push/config';
import { PROXY_SECTION } from './proxy/config';
import type { CollectorTarget, FailMode } from './client';

/*
 * `fsso-fw --config FILE`: the keys, their defaults and docs in one place (as the collector's and
 * agent's config-schema.ts), then one function from the file's object to a validated config.
 */
export const FW_TOP: ConfigSection = {
  path: '',
  title: 'Top level',
  keys: [
    {
      key: 'collectors',
      type: 'list of "host:port" or {"name", "address", "tls", "insecure"}',
      doc: 'In priority order (at least one): the client syncs from the first live one and returns to a higher one once it is back and synced.',
    },
    {
      key: 'tls',
      type: '{"ca", "cert", "key", "pins"}',
      doc: 'Mutual TLS for every collector (a firewall certificate); `pins` accepts only the collector certificates with these SHA-256 thumbprints.',
    },
    {
      key: 'insecure',
      type: 'boolean',
      default: false,
      doc: 'Plaintext gRPC to every collector (labs only; warned about).',
    },
    {
      key: 'policy',
      type: '{"rules", "default", "anyDomain"} or a path',
      doc: 'The policy `decide` applies: ordered rules, first match wins. A string is a JSON file relative to the config file.',
    },
    {
      key: 'domains',
      type: 'list of {"netbios", "dns"}',
      doc: "Which NetBIOS and DNS names denote one domain (as the collector's `domains`), for names in the policy.",
    },
    {
      key: 'grace',
      type: 'duration',
      default: '5m',
      doc: 'With every collector down, the last table is served this long.',
    },
    {
      key: 'failMode',
      type: '"closed" or "keep"',
      default: 'closed',
      doc: 'After the grace: closed (nobody is known; identity rules deny) or keep (the last table until a collector returns).',
    },
    { key: 'clientName', type: 'string', default: 'fsso-fw', doc: "Names this firewall in the collectors' logs." },
    {
      key: 'log',
      type: '{"level", "format", "file"}',
      doc: 'level: error, warn, info (default) or debug; format: "json" or "pretty"; file: a path (created 0600).',
    },
    { key: 'nft', type: 'object', doc: 'The nftables sets `fsso-fw nft-sync` keeps (below).' },
    { key: 'squid', type: 'object', doc: 'The squid helper, `fsso-fw squid-helper` (below).' },
    { key: 'push', type: 'object', doc: 'The targets `fsso-fw push` keeps equal to the replica (below).' },
    { key: 'proxy', type: 'object', doc: 'The authenticating web proxy, `fsso-fw proxy` (below).' },
  ],
};

export const FW_SCHEMA: readonly ConfigSection[] = [
  FW_TOP,
  NFT_SECTION,
  NFT_SET_SECTION,
  SQUID_SECTION,
  PUSH_SECTION,
  PUSH_TARGET,
  PROXY_SECTION,
];

export interface FwConfig {
  collectors: (CollectorTarget & { name: string; insecure: boolean })[];
  policy: CompiledPolicy | undefined;
  domains: DomainNames;
  graceMs: number;
  failMode: FailMode;
  clientName: string;
  log: LogOptions;
  /** Sections other parts of fsso-fw validate themselves (`nft`, `squid`), as the file holds them. */
  extra: Record<string, unknown>;
}

/** The sections owned by the adapters; present ones are handed over as they are. */
export const EXTRA_SECTIONS = ['nft', 'squid', 'push', 'proxy'] as const;

/** Values from the command line and the environment that override the file. */
export interface FwOverrides {
  collectors?: string[] | undefined;
  tls?: LinkSecurity['tls'];
  insecure?: boolean | undefined;
  policyFile?: string | undefined;
  grace?: string | undefined;
  failMode?: string | undefined;
}

export function loadFwConfig(path: string | undefined, over: FwOverrides = {}): FwConfig {
  const raw = path === undefined ? {} : readJsonConfig(path);
  return validateFwConfig(raw, path === undefined ? process.cwd() : dirname(resolve(path)), over);
}

export function validateFwConfig(raw: Record<string, unknown>, baseDir: string, over: FwOverrides = {}): FwConfig {
  rejectUnknownKeys(
    raw,
    FW_TOP.keys.map((k) => k.key),
    '',
  );
  const insecureAll = over.insecure ?? optionalBool(raw, 'insecure', '') ?? false;
  const tlsAll = over.tls ?? validateTlsOptions(raw['tls'], baseDir, 'tls');
  if (insecureAll && tlsAll)
    throw new ConfigError(
      'insecure, tls: "insecure": true and TLS files are both given; remove "insecure" for mutual TLS, or the TLS files for a plaintext lab',
      'insecure',
    );
  const domains = domainNames(raw['domains']);
  const rawCollectors: unknown = over.collectors ?? raw['collectors'];
  if (!Array.isArray(rawCollectors) || rawCollectors.length === 0) {
    throw new ConfigError(
      'collectors: list at least one collector, e.g. ["collector1.corp.example:7450", "collector2.corp.example:7450"] (or --collector)',
      'collectors',
    );
  }
  const names = new Set<string>();
  const collectors = rawCollectors.map((c: unknown, i) => {
    const f = `collectors[${i}]`;
    if (typeof c !== 'string' && (typeof c !== 'object' || c === null || Array.isArray(c)))
      throw new ConfigError(`${f}: expected "host:port" or {"address": "host:port"}`, f);
    const o: Record<string, unknown> = typeof c === 'string' ? { address: c } : (c as Record<string, unknown>);
    rejectUnknownKeys(o, ['name', 'address', 'tls', 'insecure'], f);
    const address = parseAddress(o['address'], `${f}.address`);
    const name = optionalString(o, 'name', `${f}.`) ?? address;
    if (names.has(name))
      throw new ConfigError(`${f}.name: "${name}" is used twice; give each collector its own name`, `${f}.name`);
    names.add(name);
    const ownTls = validateTlsOptions(o['tls'], baseDir, `${f}.tls`);
    const insecure = optionalBool(o, 'insecure', `${f}.`) ?? insecureAll;
    if (ownTls && insecure)
      throw new ConfigError(
        `${f}.insecure, ${f}.tls: plaintext is asked for a collector that has its own "tls"; remove one of them`,
        `${f}.insecure`,
      );
    const tls = ownTls ?? tlsAll;
    if (!insecure && !tls)
      throw new ConfigError(
        `${f}: no TLS settings; set "tls": {"ca", "cert", "key"} (here or at the top, or --ca/--cert/--key), or "insecure": true for a plaintext lab`,
        `${f}.tls`,
      );
    return {
      name,
      address,
      insecure,
      credentials: channelCredentials(insecure ? { insecure: true } : { tls }, `${f}.tls`),
    };
  });
  let policyRaw: unknown = over.policyFile ?? raw['policy'];
  // A policy file (--policy, or a path in the config) holds the same object as an inline policy.
  if (typeof policyRaw === 'string') policyRaw = readJsonConfig(over.policyFile ?? resolve(baseDir, policyRaw));
  const policy = policyRaw === undefined ? undefined : compilePolicy(policyRaw, domains);
  const graceMs = parseDuration(over.grace ?? raw['grace'] ?? '5m', over.grace !== undefined ? '--grace' : 'grace');
  const failMode = over.failMode ?? raw['failMode'] ?? 'closed';
  if (failMode !== 'closed' && failMode !== 'keep')
    throw new ConfigError(`failMode: expected "closed" or "keep", got ${JSON.stringify(failMode)}`, 'failMode');
  const extra: Record<string, unknown> = {};
  for (const k of EXTRA_SECTIONS) {
    const v = raw[k];
    if (v === undefined) continue;
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new ConfigError(`${k}: expected an object ({ ... })`, k);
    extra[k] = v;
  }
  return {
    collectors,
    policy,
    domains,
    graceMs,
    failMode,
    clientName: optionalString(raw, 'clientName', '') ?? 'fsso-fw',
    log: validateLogOptions(raw['log']),
    extra,
  };
}

function domainNames(raw: unknown): DomainNames {
  if (raw === undefined) return DomainNames.NONE;
  if (!Array.isArray(raw))
    throw new ConfigError('domains: expected a list like [{"netbios": "CORP", "dns": "corp.example.test"}]', 'domains');
  return new DomainNames(
    raw.map((d: unknown, i) => {
      const f = `domains[${i}]`;
      if (typeof d !== 'object' || d === null)
        throw new ConfigError(`${f}: expected {"netbios": "CORP", "dns": "corp.example.test"}`, f);
      const o = d as Record<string, unknown>;
      rejectUnknownKeys(o, ['netbios', 'dns'], f);
      const netbios = optionalString(o, 'netbios', `${f}.`);
      if (!netbios) throw new ConfigError(`${f}.netbios: missing; name the domain's NetBIOS name`, `${f}.netbios`);
      return { netbios, dns: optionalString(o, 'dns', `${f}.`) };
    }),
  );
}
