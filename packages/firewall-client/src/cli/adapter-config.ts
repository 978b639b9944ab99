import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, DomainNames, NotFoundError, errorMessage } from '@fsso/common';
import { validateNftConfig, type NftConfig } from '../nft/config';

/** The config file of `fsso-fw nft-sync` and `fsso-fw squid-helper`. */
export interface AdapterConfig {
  /** Flags-shaped connection values (`--collector`, `--ca`...), paths resolved from the file's folder. */
  connection: Record<string, string | boolean | undefined>;
  domains: DomainNames;
  nft: NftConfig | undefined;
  squid: { inferred: boolean };
}

const TOP = ['collector', 'tls', 'insecure', 'domains', 'nft', 'squid'];

/**
 * Reads and validates the file; flags and FSSO_* variables given on the command line win over its
 * connection keys. Unknown keys are errors that name the key.
 */
export function loadAdapterConfig(path: string, need: 'nft' | 'squid'): AdapterConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new NotFoundError(
      `--config ${path}: cannot read it (${errorMessage(err)}); pass the path of a JSON config file`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid JSON (${errorMessage(err)})`, '');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(
      `${path}: expected a JSON object like {"collector": "host:7450", "tls": {...}, "${need}": {...}}`,
      '',
    );
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!TOP.includes(k)) throw new ConfigError(`${path}: unknown key "${k}"; the keys are ${TOP.join(', ')}`, k);
  const file = (v: unknown, field: string): string | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw new ConfigError(`${field}: expected a file path`, field);
    return resolve(dirname(path), v);
  };
  const connection: AdapterConfig['connection'] = {};
  if (o['collector'] !== undefined) {
    if (typeof o['collector'] !== 'string') throw new ConfigError('collector: expected "host:port"', 'collector');
    connection['collector'] = o['collector'];
  }
  if (o['insecure'] !== undefined && typeof o['insecure'] !== 'boolean')
    throw new ConfigError('insecure: expected true or false', 'insecure');
  if (o['insecure'] === true) connection['insecure'] = true;
  const tls = o['tls'];
  if (tls !== undefined) {
    if (typeof tls !== 'object' || tls === null || Array.isArray(tls))
      throw new ConfigError('tls: expected {"ca": FILE, "cert": FILE, "key": FILE, "pins": [SHA256]}', 'tls');
    const t = tls as Record<string, unknown>;
    for (const k of Object.keys(t))
      if (!['ca', 'cert', 'key', 'pins'].includes(k))
        throw new ConfigError(`tls.${k}: unknown key; the keys are ca, cert, key, pins`, `tls.${k}`);
    connection['ca'] = file(t['ca'], 'tls.ca');
    connection['cert'] = file(t['cert'], 'tls.cert');
    connection['key'] = file(t['key'], 'tls.key');
    const pins = t['pins'];
    if (pins !== undefined && (!Array.isArray(pins) || pins.length > 1 || pins.some((p) => typeof p !== 'string')))
      throw new ConfigError('tls.pins: expected a list of one SHA-256 thumbprint', 'tls.pins');
    if (Array.isArray(pins) && typeof pins[0] === 'string') connection['pin'] = pins[0];
  }
  return {
    connection,
    domains: domainNames(o['domains']),
    nft: need === 'nft' ? validateNftConfig(o['nft']) : undefined,
    squid: squidSection(o['squid']),
  };
}

/** `{"CORP": "corp.example.test"}`: which NetBIOS and DNS names denote one domain, as on the collector. */
function domainNames(v: unknown): DomainNames {
  if (v === undefined) return DomainNames.NONE;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((d) => typeof d !== 'string')) {
    throw new ConfigError('domains: expected {"NETBIOS": "dns.name"}, e.g. {"CORP": "corp.example.test"}', 'domains');
  }
  return new DomainNames(Object.entries(v as Record<string, string>).map(([netbios, dns]) => ({ netbios, dns })));
}

function squidSection(v: unknown): { inferred: boolean } {
  if (v === undefined) return { inferred: false };
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ConfigError('squid: expected {"inferred": false}', 'squid');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (k !== 'inferred') throw new ConfigError(`squid.${k}: unknown key; the keys are inferred`, `squid.${k}`);
  if (o['inferred'] !== undefined && typeof o['inferred'] !== 'boolean')
    throw new ConfigError('squid.inferred: expected true or false', 'squid.inferred');
  return { inferred: o['inferred'] === true };
}

/** Command-line values over the file's: flags and FSSO_* variables are read by resolveConnection after these. */
export function mergeConnection(
  flags: Record<string, string | boolean | undefined>,
  file: AdapterConfig['connection'],
  env = process.env,
): Record<string, string | boolean | undefined> {
  const out: Record<string, string | boolean | undefined> = { ...flags };
  const envOf: Record<string, string> = {
    collector: 'FSSO_COLLECTOR',
    ca: 'FSSO_CA',
    cert: 'FSSO_CERT',
    key: 'FSSO_KEY',
    pin: 'FSSO_PIN',
  };
  for (const [k, v] of Object.entries(file)) {
    const e = envOf[k];
    if (out[k] === undefined && !(e && env[e])) out[k] = v;
  }
  return out;
}
