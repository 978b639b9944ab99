import { ConfigError, keysOf, optionalBool, rejectUnknownKeys, type ConfigSection } from '@fsso/common';
import type { SquidOptions } from './protocol';

/** The `squid` section of `fsso-fw --config FILE` (`fsso-fw squid-helper`); docs/config.md is rendered from it. */
export const SQUID_SECTION: ConfigSection = {
  path: 'squid',
  title: 'squid helper (`squid`, for `fsso-fw squid-helper`)',
  keys: [
    {
      key: 'squid.inferred',
      type: 'boolean',
      default: false,
      doc: 'Whether identities resolved on demand (inferred) get `OK`; by default only evidence-backed identities do.',
    },
  ],
};

/** Fills the defaults of the `squid` section (absent: all defaults); errors name the field and the fix. */
export function validateSquidConfig(raw: unknown): SquidOptions {
  if (raw === undefined) return { inferred: false };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError('squid: expected an object like {"inferred": false}', 'squid');
  const o = raw as Record<string, unknown>;
  rejectUnknownKeys(o, keysOf(SQUID_SECTION), 'squid');
  return { inferred: optionalBool(o, 'inferred', 'squid.') ?? false };
}
