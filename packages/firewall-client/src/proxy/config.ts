import {
  ConfigError,
  optionalInt,
  parseAddress,
  parseDuration,
  rejectUnknownKeys,
  type ConfigSection,
} from '@fsso/common';

export type ProxyScheme = 'negotiate' | 'ntlm';
const SCHEMES: readonly ProxyScheme[] = ['negotiate', 'ntlm'];

/** The `proxy` section of `fsso-fw --config FILE`, as `fsso-fw proxy` uses it. */
export interface ProxyConfig {
  /** "host:port" the explicit proxy listens on. */
  listen: string;
  /** Offered in this order in `Proxy-Authenticate` (browsers take the first they support). */
  schemes: ProxyScheme[];
  /** Failed verdicts from one address before it gets 403 instead of another 407. */
  maxFailures: number;
  /** How long failures of an address are remembered. */
  failureWindowMs: number;
  /** Connecting to the origin server (or a CONNECT target). */
  connectTimeoutMs: number;
}

export const PROXY_SECTION: ConfigSection = {
  path: 'proxy',
  title: 'proxy (`fsso-fw proxy`)',
  keys: [
    {
      key: 'proxy.listen',
      type: '"host:port"',
      default: '127.0.0.1:3128',
      doc: 'Where the explicit HTTP proxy (plain HTTP and CONNECT) listens. Browsers must use its DNS name for Kerberos.',
    },
    {
      key: 'proxy.schemes',
      type: 'list of "negotiate", "ntlm"',
      default: '["negotiate", "ntlm"]',
      doc: 'Offered in `Proxy-Authenticate`, in this order, to addresses nobody is known at.',
    },
    {
      key: 'proxy.maxFailures',
      type: 'whole number 1–100',
      default: 3,
      doc: 'Failed authentications from one address (within failureWindow) before it gets 403 instead of 407.',
    },
    { key: 'proxy.failureWindow', type: 'duration', default: '5m', doc: 'How long failures of an address count.' },
    { key: 'proxy.connectTimeout', type: 'duration', default: '10s', doc: 'Connecting to the origin server.' },
  ],
};

const KEYS = PROXY_SECTION.keys.map((k) => k.key.slice('proxy.'.length));

/** Fills defaults and validates the `proxy` section; the error names the field and the fix. */
export function validateProxyConfig(raw: unknown): ProxyConfig {
  const o = (raw ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object' || Array.isArray(o))
    throw new ConfigError('proxy: expected an object like {"listen": "0.0.0.0:3128"}', 'proxy');
  rejectUnknownKeys(o, KEYS, 'proxy');
  const schemes = o['schemes'] ?? ['negotiate', 'ntlm'];
  if (
    !Array.isArray(schemes) ||
    schemes.length === 0 ||
    schemes.some((s: unknown) => !SCHEMES.includes(s as ProxyScheme))
  )
    throw new ConfigError(
      `proxy.schemes: expected a non-empty list of "negotiate" and "ntlm", got ${JSON.stringify(schemes)}`,
      'proxy.schemes',
    );
  return {
    listen: parseAddress(o['listen'] ?? '127.0.0.1:3128', 'proxy.listen'),
    schemes: [...new Set(schemes as ProxyScheme[])],
    maxFailures: optionalInt(o, 'maxFailures', 'proxy.', 1, 100) ?? 3,
    failureWindowMs: parseDuration(o['failureWindow'] ?? '5m', 'proxy.failureWindow'),
    connectTimeoutMs: parseDuration(o['connectTimeout'] ?? '10s', 'proxy.connectTimeout'),
  };
}
