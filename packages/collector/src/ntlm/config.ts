import {
  ConfigError,
  optionalBool,
  optionalInt,
  parseDuration,
  rejectUnknownKeys,
  type ConfigSection,
} from '@fsso/common';

/** The schemes a proxy may pass on; each maps to one ntlm_auth helper protocol. */
export type AuthScheme = 'ntlm' | 'negotiate';
export const AUTH_SCHEMES: readonly AuthScheme[] = ['ntlm', 'negotiate'];

/** The `ntlm` section: proxy authentication through Samba's winbind helper `ntlm_auth`. */
export interface NtlmConfig {
  enabled: boolean;
  /** argv before the helper-protocol argument; `["ntlm_auth"]` on a host joined to the domain. */
  command: string[];
  /** Helper processes per scheme, each serving one exchange at a time. */
  helpers: number;
  /** Exchanges waiting for a free helper; more are refused at once ("busy"). */
  queue: number;
  /** From the first token to the verdict: a challenge older than this is void. */
  exchangeTimeoutMs: number;
  /** How long a verdict waits for the user's groups from the directory (LDAP) before it goes without. */
  groupWaitMs: number;
  schemes: AuthScheme[];
}

export const COLLECTOR_NTLM: ConfigSection = {
  path: 'ntlm',
  title: 'ntlm',
  keys: [
    {
      key: 'ntlm.enabled',
      type: 'boolean',
      default: false,
      doc: 'Serves ProxyAuthService: `fsso-fw proxy` passes NTLM/Negotiate tokens here; needs the host joined to the domain (winbindd).',
    },
    {
      key: 'ntlm.command',
      type: 'list of strings',
      default: '["ntlm_auth"]',
      doc: 'The helper and its first arguments (e.g. `["ntlm_auth", "--configfile=/etc/samba/smb.conf"]`); `--helper-protocol` is added.',
    },
    { key: 'ntlm.helpers', type: 'whole number 1–64', default: 4, doc: 'Helper processes per scheme.' },
    {
      key: 'ntlm.queue',
      type: 'whole number 0–10000',
      default: 64,
      doc: 'Exchanges waiting for a free helper; more are refused ("busy") and counted.',
    },
    {
      key: 'ntlm.exchangeTimeout',
      type: 'duration',
      default: '10s',
      doc: 'From the first token to the verdict; a challenge older than this is void.',
    },
    {
      key: 'ntlm.groupWait',
      type: 'duration',
      default: '2s',
      doc: "How long a verdict waits for the user's groups from `directories` before it is sent without them.",
    },
    {
      key: 'ntlm.schemes',
      type: 'list of "ntlm", "negotiate"',
      default: '["ntlm", "negotiate"]',
      doc: 'Schemes the collector verifies (negotiate: `gss-spnego`, needs the HTTP/proxy.fqdn keytab).',
    },
  ],
};

const KEYS = COLLECTOR_NTLM.keys.map((k) => k.key.slice('ntlm.'.length));

export const NTLM_DISABLED: NtlmConfig = {
  enabled: false,
  command: ['ntlm_auth'],
  helpers: 4,
  queue: 64,
  exchangeTimeoutMs: 10_000,
  groupWaitMs: 2000,
  schemes: ['ntlm', 'negotiate'],
};

/** Fills defaults and validates the `ntlm` section; the error names the field and the fix. */
export function validateNtlm(raw: unknown): NtlmConfig {
  if (raw === undefined) return NTLM_DISABLED;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError('ntlm: expected an object like {"enabled": true, "helpers": 4}', 'ntlm');
  const o = raw as Record<string, unknown>;
  rejectUnknownKeys(o, KEYS, 'ntlm');
  const command = o['command'] ?? NTLM_DISABLED.command;
  if (
    !Array.isArray(command) ||
    command.length === 0 ||
    command.some((c: unknown) => typeof c !== 'string' || c === '')
  )
    throw new ConfigError(
      'ntlm.command: expected a list of non-empty strings, e.g. ["ntlm_auth", "--configfile=/etc/samba/smb.conf"]',
      'ntlm.command',
    );
  const schemes = o['schemes'] ?? NTLM_DISABLED.schemes;
  if (
    !Array.isArray(schemes) ||
    schemes.length === 0 ||
    schemes.some((s: unknown) => !AUTH_SCHEMES.includes(s as AuthScheme))
  )
    throw new ConfigError(
      `ntlm.schemes: expected a non-empty list of "ntlm" and "negotiate", got ${JSON.stringify(schemes)}`,
      'ntlm.schemes',
    );
  const exchangeTimeoutMs = parseDuration(o['exchangeTimeout'] ?? '10s', 'ntlm.exchangeTimeout');
  if (exchangeTimeoutMs < 100)
    throw new ConfigError(
      'ntlm.exchangeTimeout: must be at least "100ms"; write it like "10s"',
      'ntlm.exchangeTimeout',
    );
  return {
    enabled: optionalBool(o, 'enabled', 'ntlm.') ?? false,
    command: command as string[],
    helpers: optionalInt(o, 'helpers', 'ntlm.', 1, 64) ?? NTLM_DISABLED.helpers,
    queue: optionalInt(o, 'queue', 'ntlm.', 0, 10_000) ?? NTLM_DISABLED.queue,
    exchangeTimeoutMs,
    groupWaitMs: parseDuration(o['groupWait'] ?? '2s', 'ntlm.groupWait'),
    schemes: [...new Set(schemes as AuthScheme[])],
  };
}
