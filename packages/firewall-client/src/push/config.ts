import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ConfigError,
  errorMessage,
  optionalBool,
  optionalInt,
  optionalString,
  parseDuration,
  parseNetwork,
  readTrustFile,
  rejectUnknownKeys,
  resolveDataDir,
  validateMetricsOptions,
  type ConfigSection,
  type MetricsConfig,
  type Network,
} from '@fsso/common';

export const PUSH_KINDS = ['fortigate-rsso', 'panos', 'checkpoint', 'webhook'] as const;
export type PushKind = (typeof PUSH_KINDS)[number];

/** `push` in the `fsso-fw --config` file (`fsso-fw push`). */
export const PUSH_SECTION: ConfigSection = {
  path: 'push',
  title: 'Push targets (`fsso-fw push`)',
  keys: [
    { key: 'push.targets', type: 'list of targets', doc: 'The firewalls to keep equal to the replica (at least one).' },
    {
      key: 'push.statusFile',
      type: 'path',
      doc: 'Where the running service writes its delivery state every second (0600), read by `fsso-fw push status`. Default: `<data dir>/push-status.json` (FSSO_DATA_DIR, else `data/` beside the config file).',
    },
    {
      key: 'push.metrics',
      type: '{"listen": "host:port"}',
      doc: 'A Prometheus endpoint (`GET /metrics`, `fsso_push_*` per target); `{}` listens on 127.0.0.1:9466. Off when absent.',
    },
  ],
};

/** One entry of `push.targets`. */
export const PUSH_TARGET: ConfigSection = {
  path: 'push.targets[]',
  title: 'A push target',
  keys: [
    { key: 'name', type: 'string', doc: 'Names the target in logs and status; unique.' },
    { key: 'kind', type: PUSH_KINDS.map((k) => `"${k}"`).join(', '), doc: 'The protocol.' },
    {
      key: 'address',
      type: '"host:port" (fortigate-rsso) or an https:// URL',
      doc: 'fortigate-rsso: the FortiGate interface with `allowaccess radius-acct` (port 1813 unless given); panos: `https://fw`; checkpoint: `https://gw/_IA_API/v1.0`; webhook: the JSON-RPC endpoint.',
    },
    {
      key: 'secret',
      type: '{"file": PATH} or {"env": NAME}',
      doc: 'The RADIUS shared secret, PAN-OS API key, Check Point shared secret, or webhook bearer token (optional there). Never inline; never logged.',
    },
    {
      key: 'tls',
      type: '{"ca": FILE, "servername"}',
      doc: 'HTTPS kinds: the CA the target certificate must verify against (required; there is no way to skip verification).',
    },
    { key: 'networks', type: 'list of CIDR', doc: 'Only addresses in these networks are pushed. Default: all.' },
    {
      key: 'groups',
      type: 'list of group names',
      doc: 'Only users in one of these groups are pushed (names as in nft sets). Default: every user.',
    },
    { key: 'inferred', type: 'boolean', default: false, doc: 'Whether identities resolved on demand are pushed.' },
    {
      key: 'timeout',
      type: 'duration',
      doc: 'The lifetime each entry gets on the target; refreshed at half of it. Default: fortigate-rsso 8h (rsso-context-timeout), panos 45m, checkpoint 12h, webhook 1h.',
    },
    {
      key: 'batch',
      type: 'whole number',
      doc: 'Operations per request. Default: rsso 64 packets, panos 500, checkpoint 100, webhook 100.',
    },
    { key: 'concurrency', type: 'whole number', doc: 'Requests in flight. Default 4; panos at most 5.' },
    { key: 'rate', type: 'number', default: 0, doc: 'Requests per second at most (0: no limit).' },
    {
      key: 'requestTimeout',
      type: 'duration',
      default: '10s',
      doc: 'One request (or, for rsso with `response`, one answer).',
    },
    {
      key: 'retry',
      type: '{"initial", "max"}',
      default: '{"initial": "500ms", "max": "30s"}',
      doc: 'Backoff with jitter after a failed request.',
    },
    { key: 'delimiter', type: 'string', default: ',', doc: 'fortigate-rsso: joins the groups in `Class`.' },
    {
      key: 'response',
      type: 'boolean',
      default: false,
      doc: 'fortigate-rsso: wait for and verify Accounting-Response (`rsso-radius-response enable`).',
    },
    {
      key: 'ipv6',
      type: 'boolean',
      default: false,
      doc: 'fortigate-rsso: push IPv6 addresses too (`Framed-IPv6-Address`, RFC 6911).',
    },
  ],
};

export interface PushTargetConfig {
  name: string;
  kind: PushKind;
  /** "host:port" for rsso, a URL for the HTTPS kinds. */
  address: string;
  /** Never logged or written to status. */
  secret: string | undefined;
  /** The files a secret came from, for the readable-by-others warning. */
  secretFile: string | undefined;
  ca: Buffer | undefined;
  servername: string | undefined;
  networks: Network[];
  groups: string[];
  inferred: boolean;
  timeoutMs: number;
  batch: number;
  concurrency: number;
  rate: number;
  requestTimeoutMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  delimiter: string;
  response: boolean;
  ipv6: boolean;
}

export interface PushConfig {
  targets: PushTargetConfig[];
  statusFile: string;
  metrics: MetricsConfig | undefined;
}

const DEFAULTS: Record<PushKind, { timeout: string; batch: number }> = {
  'fortigate-rsso': { timeout: '8h', batch: 64 },
  panos: { timeout: '45m', batch: 500 },
  checkpoint: { timeout: '12h', batch: 100 },
  webhook: { timeout: '1h', batch: 100 },
};

/** PAN-OS documents at most 5 concurrent User-ID API calls. */
const PANOS_MAX_IN_FLIGHT = 5;

function targetKeys(): string[] {
  return PUSH_TARGET.keys.map((k) => k.key);
}

export function validatePushConfig(raw: unknown, baseDir: string, env: NodeJS.ProcessEnv = process.env): PushConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError('push: missing; add "push": {"targets": [...]} to the config file', 'push');
  const o = raw as Record<string, unknown>;
  rejectUnknownKeys(o, ['targets', 'statusFile', 'metrics'], 'push');
  const list = o['targets'];
  if (!Array.isArray(list) || list.length === 0)
    throw new ConfigError(
      'push.targets: list at least one target, e.g. [{"name": "fgt1", "kind": "fortigate-rsso", "address": "10.0.0.1", "secret": {"file": "fgt1.secret"}}]',
      'push.targets',
    );
  const names = new Set<string>();
  const targets = list.map((t: unknown, i) => {
    const target = validateTarget(t, `push.targets[${i}]`, baseDir, env);
    if (names.has(target.name))
      throw new ConfigError(
        `push.targets[${i}].name: "${target.name}" is used twice; give each target its own name`,
        `push.targets[${i}].name`,
      );
    names.add(target.name);
    return target;
  });
  return {
    targets,
    statusFile: statusFileOf(o, baseDir, env),
    metrics: validateMetricsOptions(o['metrics'], '127.0.0.1:9466', 'push.metrics'),
  };
}

/**
 * Where the status file is, without reading the targets' secrets: `fsso-fw push status` runs as
 * an operator who may not have them.
 */
export function statusFileOf(push: unknown, baseDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const o = typeof push === 'object' && push !== null && !Array.isArray(push) ? (push as Record<string, unknown>) : {};
  const statusFile = optionalString(o, 'statusFile', 'push.');
  return statusFile
    ? resolve(baseDir, statusFile)
    : join(resolveDataDir(undefined, baseDir, env).dir, 'push-status.json');
}

function validateTarget(raw: unknown, f: string, baseDir: string, env: NodeJS.ProcessEnv): PushTargetConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(`${f}: expected {"name", "kind", "address", "secret", ...}`, f);
  const o = raw as Record<string, unknown>;
  rejectUnknownKeys(o, targetKeys(), f);
  const name = optionalString(o, 'name', `${f}.`);
  if (!name) throw new ConfigError(`${f}.name: missing; name the target (it is shown in logs and status)`, `${f}.name`);
  const kind = o['kind'];
  if (typeof kind !== 'string' || !(PUSH_KINDS as readonly string[]).includes(kind))
    throw new ConfigError(`${f}.kind: ${JSON.stringify(kind)}; use one of ${PUSH_KINDS.join(', ')}`, `${f}.kind`);
  const k = kind as PushKind;
  const rsso = k === 'fortigate-rsso';
  if (!rsso)
    for (const only of ['delimiter', 'response', 'ipv6'])
      if (o[only] !== undefined)
        throw new ConfigError(`${f}.${only}: only fortigate-rsso targets take it; remove it`, `${f}.${only}`);
  const address = rsso ? rssoAddress(o['address'], `${f}.address`) : httpsAddress(o['address'], `${f}.address`);
  const secret = readSecret(o['secret'], `${f}.secret`, baseDir, env, k !== 'webhook');
  let ca: Buffer | undefined;
  let servername: string | undefined;
  if (rsso) {
    if (o['tls'] !== undefined)
      throw new ConfigError(
        `${f}.tls: RADIUS accounting has no TLS; remove it (the shared secret signs each packet)`,
        `${f}.tls`,
      );
  } else {
    const tls = o['tls'];
    if (typeof tls !== 'object' || tls === null || Array.isArray(tls))
      throw new ConfigError(
        `${f}.tls: missing; give {"ca": "FILE"}, the CA that signed the target's HTTPS certificate (its certificate is always verified)`,
        `${f}.tls`,
      );
    const t = tls as Record<string, unknown>;
    rejectUnknownKeys(t, ['ca', 'servername'], `${f}.tls`);
    const caPath = optionalString(t, 'ca', `${f}.tls.`);
    if (!caPath)
      throw new ConfigError(
        `${f}.tls.ca: missing; the CA file the target's certificate must verify against`,
        `${f}.tls.ca`,
      );
    ca = readTrustFile(resolve(baseDir, caPath), `${f}.tls.ca`);
    servername = optionalString(t, 'servername', `${f}.tls.`);
  }
  const networks = stringList(o['networks'], `${f}.networks`).map((n, j) => {
    const net = parseNetwork(n);
    if (!net)
      throw new ConfigError(
        `${f}.networks[${j}]: ${JSON.stringify(n)} is not a network; write it like "10.0.0.0/8"`,
        `${f}.networks[${j}]`,
      );
    return net;
  });
  const d = DEFAULTS[k];
  const timeoutMs = parseDuration(o['timeout'] ?? d.timeout, `${f}.timeout`);
  if (timeoutMs < 2000)
    throw new ConfigError(`${f}.timeout: at least "2s" (entries are refreshed at half of it)`, `${f}.timeout`);
  const maxIn = k === 'panos' ? PANOS_MAX_IN_FLIGHT : 64;
  const concurrency = optionalInt(o, 'concurrency', `${f}.`, 1, maxIn) ?? Math.min(4, maxIn);
  const rate = o['rate'] ?? 0;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0)
    throw new ConfigError(
      `${f}.rate: expected requests per second (0 for no limit), got ${JSON.stringify(rate)}`,
      `${f}.rate`,
    );
  const retry = o['retry'] ?? {};
  if (typeof retry !== 'object' || retry === null || Array.isArray(retry))
    throw new ConfigError(`${f}.retry: expected {"initial": "500ms", "max": "30s"}`, `${f}.retry`);
  const r = retry as Record<string, unknown>;
  rejectUnknownKeys(r, ['initial', 'max'], `${f}.retry`);
  const retryInitialMs = parseDuration(r['initial'] ?? '500ms', `${f}.retry.initial`);
  const retryMaxMs = parseDuration(r['max'] ?? '30s', `${f}.retry.max`);
  if (retryMaxMs < retryInitialMs)
    throw new ConfigError(`${f}.retry.max: shorter than retry.initial; make it longer`, `${f}.retry.max`);
  const delimiter = o['delimiter'] ?? ',';
  if (typeof delimiter !== 'string' || delimiter.length === 0 || delimiter.length > 4)
    throw new ConfigError(`${f}.delimiter: expected 1 to 4 characters, e.g. ","`, `${f}.delimiter`);
  return {
    name,
    kind: k,
    address,
    secret: secret?.value,
    secretFile: secret?.file,
    ca,
    servername,
    networks,
    groups: stringList(o['groups'], `${f}.groups`),
    inferred: optionalBool(o, 'inferred', `${f}.`) ?? false,
    timeoutMs,
    batch: optionalInt(o, 'batch', `${f}.`, 1, 10_000) ?? d.batch,
    concurrency,
    rate,
    requestTimeoutMs: parseDuration(o['requestTimeout'] ?? '10s', `${f}.requestTimeout`),
    retryInitialMs,
    retryMaxMs,
    delimiter,
    response: optionalBool(o, 'response', `${f}.`) ?? false,
    ipv6: optionalBool(o, 'ipv6', `${f}.`) ?? false,
  };
}

function rssoAddress(v: unknown, f: string): string {
  const m = typeof v === 'string' ? /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(v.trim()) : null;
  if (!m || Number(m[2] ?? 1813) > 65535 || Number(m[2] ?? 1813) === 0)
    throw new ConfigError(
      `${f}: ${JSON.stringify(v)} is not an address; write the FortiGate's "host" or "host:port" (RADIUS accounting, port 1813)`,
      f,
    );
  return `${m[1] ?? ''}:${m[2] ?? '1813'}`;
}

function httpsAddress(v: unknown, f: string): string {
  let url: URL | undefined;
  try {
    url = typeof v === 'string' ? new URL(v) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:' || url.username || url.password || url.search)
    throw new ConfigError(
      `${f}: ${JSON.stringify(v)} is not an https:// URL without credentials or query, e.g. "https://fw1.corp.example"`,
      f,
    );
  return url.href.replace(/\/$/, '');
}

/** A secret from a file (trailing newline dropped) or an environment variable; never inline in the config. */
function readSecret(
  v: unknown,
  f: string,
  baseDir: string,
  env: NodeJS.ProcessEnv,
  required: boolean,
): { value: string; file: string | undefined } | undefined {
  if (v === undefined) {
    if (!required) return undefined;
    throw new ConfigError(`${f}: missing; give {"file": "PATH"} or {"env": "VARIABLE"} (secrets are never inline)`, f);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ConfigError(
      `${f}: a secret is not written in the config; give {"file": "PATH"} (mode 0600) or {"env": "VARIABLE"}`,
      f,
    );
  const o = v as Record<string, unknown>;
  rejectUnknownKeys(o, ['file', 'env'], f);
  const file = optionalString(o, 'file', `${f}.`);
  const name = optionalString(o, 'env', `${f}.`);
  if ((file === undefined) === (name === undefined))
    throw new ConfigError(`${f}: give exactly one of "file" and "env"`, f);
  let value: string;
  let path: string | undefined;
  if (file !== undefined) {
    path = resolve(baseDir, file);
    try {
      value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new ConfigError(
        `${f}.file: cannot read ${path} (${errorMessage(err)}); point it at the secret's file`,
        `${f}.file`,
      );
    }
  } else {
    value = env[name ?? ''] ?? '';
    if (!value)
      throw new ConfigError(
        `${f}.env: the environment variable ${name} is not set or empty; export it before the start`,
        `${f}.env`,
      );
  }
  if (value === '') throw new ConfigError(`${f}: the secret is empty; write it into the file`, f);
  return { value, file: path };
}

function stringList(v: unknown, f: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === ''))
    throw new ConfigError(`${f}: expected a list of non-empty strings`, f);
  return v as string[];
}
