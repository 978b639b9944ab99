import { ConfigError, EVENT_KINDS, errorMessage, rejectUnknownKeys } from '@fsso/common';
import { BUILTIN_PROFILES } from './builtin-profiles';

export { BUILTIN_PROFILES } from './builtin-profiles';

/** The event kinds a syslog profile may produce: every kind of the protocol. */
export const PROFILE_KINDS = EVENT_KINDS;
export type ProfileKind = (typeof PROFILE_KINDS)[number];

/**
 * How to read one kind of syslog line. Both regular expressions are applied to the syslog MSG
 * (what follows PRI, timestamp, host and tag), without flags.
 */
export interface SyslogProfile {
  name: string;
  /** Selects the lines this profile is for; without it, `pattern` itself selects. */
  match?: string;
  /**
   * Named groups: `user` and `ip` (required), `domain`, `mac`, `host` (workstation), and `epoch`
   * (Unix time in s, ms, µs or ns, chosen by the number of digits) instead of the header time.
   */
  pattern: string;
  kind: ProfileKind;
  /** Chooses the kind from a captured group (case-insensitive); values not in `map` keep `kind`. */
  kindBy?: { group: string; map: Record<string, ProfileKind> };
}

/** A profile with its expressions built, as the parser uses it. */
export interface CompiledProfile {
  readonly profile: SyslogProfile;
  readonly match: RegExp | null;
  readonly pattern: RegExp;
  /** kindBy.map with lower-case keys. */
  readonly kindMap: ReadonlyMap<string, ProfileKind>;
}

const KNOWN_KEYS = ['name', 'match', 'pattern', 'kind', 'kindBy'];
const REQUIRED_GROUPS = ['user', 'ip'];

/**
 * Checks `sources[i].profiles` from the config. An entry is a profile object or the name of a
 * built-in one. Errors name the exact field, e.g. `sources[2].profiles[1].pattern`.
 */
export function validateProfiles(raw: unknown, field: string): SyslogProfile[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new ConfigError(
      `${field}: expected a non-empty list of profiles (objects, or built-in names such as "panos-userid")`,
      field,
    );
  }
  const out: SyslogProfile[] = [];
  raw.forEach((entry: unknown, i: number) => {
    const at = `${field}[${i}]`;
    const profile = typeof entry === 'string' ? builtin(entry, at) : validateOne(entry, at);
    if (out.some((p) => p.name === profile.name)) {
      // The name is the events' sourceEventId: two profiles with one name could not be told apart.
      throw new ConfigError(
        `${at}.name: "${profile.name}" is used by an earlier profile; names must be unique`,
        `${at}.name`,
      );
    }
    out.push(profile);
  });
  return out;
}

function builtin(name: string, at: string): SyslogProfile {
  const found = BUILTIN_PROFILES.find((p) => p.name === name);
  if (!found) {
    throw new ConfigError(
      `${at}: "${name}" is not a built-in profile; use one of ${BUILTIN_PROFILES.map((p) => p.name).join(', ')}`,
      at,
    );
  }
  return found;
}

function validateOne(entry: unknown, at: string): SyslogProfile {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new ConfigError(`${at}: expected an object {"name", "pattern", "kind"} or a built-in profile name`, at);
  }
  const o = entry as Record<string, unknown>;
  rejectUnknownKeys(o, KNOWN_KEYS, at);
  const name = o['name'];
  if (typeof name !== 'string' || name.trim() === '')
    throw new ConfigError(`${at}.name: expected a non-empty string`, `${at}.name`);

  const match = o['match'];
  if (match !== undefined) {
    if (typeof match !== 'string' || match === '')
      throw new ConfigError(`${at}.match: expected a regular expression as a string`, `${at}.match`);
    compileRegex(match, `${at}.match`);
  }
  const pattern = o['pattern'];
  if (typeof pattern !== 'string' || pattern === '') {
    throw new ConfigError(
      `${at}.pattern: expected a regular expression with named groups (?<user>…) and (?<ip>…)`,
      `${at}.pattern`,
    );
  }
  const groups = groupNames(compileRegex(pattern, `${at}.pattern`));
  const missing = REQUIRED_GROUPS.filter((g) => !groups.includes(g));
  if (missing.length > 0) {
    throw new ConfigError(
      `${at}.pattern: has no named group ${missing.map((g) => `(?<${g}>…)`).join(' or ')}; both user and ip are required`,
      `${at}.pattern`,
    );
  }
  const kind = checkKind(o['kind'], `${at}.kind`);
  const profile: SyslogProfile = { name, pattern, kind };
  if (match !== undefined) profile.match = match;
  if (o['kindBy'] !== undefined) profile.kindBy = validateKindBy(o['kindBy'], groups, `${at}.kindBy`);
  return profile;
}

function validateKindBy(raw: unknown, groups: string[], at: string): NonNullable<SyslogProfile['kindBy']> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(
      `${at}: expected {"group": "status", "map": {"Start": "USER_LOGON", "Stop": "USER_LOGOFF"}}`,
      at,
    );
  }
  const o = raw as Record<string, unknown>;
  rejectUnknownKeys(o, ['group', 'map'], at);
  const group = o['group'];
  if (typeof group !== 'string' || !groups.includes(group)) {
    throw new ConfigError(
      `${at}.group: ${JSON.stringify(group)} is not a named group of the pattern (it has ${groups.join(', ')})`,
      `${at}.group`,
    );
  }
  const map = o['map'];
  if (typeof map !== 'object' || map === null || Array.isArray(map) || Object.keys(map).length === 0) {
    throw new ConfigError(`${at}.map: expected an object from captured value to kind`, `${at}.map`);
  }
  const out: Record<string, ProfileKind> = {};
  for (const [value, kind] of Object.entries(map as Record<string, unknown>)) {
    out[value] = checkKind(kind, `${at}.map.${value}`);
  }
  return { group, map: out };
}

function checkKind(raw: unknown, at: string): ProfileKind {
  if (typeof raw === 'string' && (PROFILE_KINDS as readonly string[]).includes(raw)) return raw as ProfileKind;
  throw new ConfigError(`${at}: ${JSON.stringify(raw)} is not a kind; use one of ${PROFILE_KINDS.join(', ')}`, at);
}

function compileRegex(source: string, at: string): RegExp {
  try {
    return new RegExp(source);
  } catch (err: unknown) {
    throw new ConfigError(
      `${at}: invalid regular expression: ${errorMessage(err)}; check brackets and groups, and double every backslash in JSON ("\\\\d")`,
      at,
    );
  }
}

/** Every named group of a regex: an empty alternative makes it match '' with all groups undefined. */
export function groupNames(re: RegExp): string[] {
  const m = new RegExp(`(?:${re.source})|`).exec('');
  return Object.keys(m?.groups ?? {});
}

/** Builds the expressions of already validated profiles (the built-ins are valid by test). */
export function compileProfiles(profiles: readonly SyslogProfile[]): CompiledProfile[] {
  return profiles.map((profile) => ({
    profile,
    match: profile.match === undefined ? null : new RegExp(profile.match),
    pattern: new RegExp(profile.pattern),
    kindMap: new Map(Object.entries(profile.kindBy?.map ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  }));
}
