import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, optionalBool, optionalString, parseDuration, rejectUnknownKeys } from '@fsso/common';

/** One domain's directory (AD or Samba AD), as the collector asks it for groups. */
export interface DirectoryConfig {
  /** NetBIOS name ("CORP"): events name users by it or by the DNS name. */
  domain: string;
  /** DNS name ("corp.example.test"). */
  dnsDomain: string;
  /** "ldaps://dc1.corp.example:636" or "ldap://…" (with startTls). Several for failover. */
  urls: string[];
  baseDn: string;
  bindDn: string;
  /** Read from `passwordFile` or `passwordEnv`; never logged. */
  password: string;
  /** Where the password came from, to warn if others can read it. */
  passwordFile: string | undefined;
  startTls: boolean;
  /**
   * Simple binds over plain ldap:// (no StartTLS) allowed: the password crosses the network in
   * clear. Labs only; warned about at start.
   */
  insecure: boolean;
  /** PEM CA file for LDAPS/StartTLS. */
  ca: Buffer | undefined;
  /** The name the DC's certificate carries, when the URL uses an address ("dc1.corp.example.test"). */
  tlsServerName: string | undefined;
  timeoutMs: number;
}

export interface GroupSettings {
  /** How long fetched groups are fresh: each account is asked again this long after its last answer. @default 15m */
  ttlMs: number;
  /**
   * A logon of a user whose groups are older than this asks the directory again, in the
   * background (the logon is not held up). @default 1m
   */
  refreshAgeMs: number;
  /** Only these groups are sent to firewalls (names as operators write them); empty: all. */
  filter: string[];
}

const KNOWN = [
  'domain',
  'dnsDomain',
  'url',
  'urls',
  'baseDn',
  'bindDn',
  'passwordFile',
  'passwordEnv',
  'startTls',
  'insecure',
  'caFile',
  'tlsServerName',
  'timeout',
];

export function validateDirectories(raw: unknown, baseDir: string, env = process.env): DirectoryConfig[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    throw new ConfigError(
      'directories: expected a list of {"domain", "url", "baseDn", "bindDn", "passwordFile"} objects',
      'directories',
    );
  return raw.map((d: unknown, i) => {
    const f = `directories[${i}]`;
    if (typeof d !== 'object' || d === null) throw new ConfigError(`${f}: expected an object`, f);
    const o = d as Record<string, unknown>;
    rejectUnknownKeys(o, KNOWN, f);
    const need = (k: string, example: string): string => {
      const v = optionalString(o, k, `${f}.`);
      if (!v) throw new ConfigError(`${f}.${k}: missing; e.g. ${example}`, `${f}.${k}`);
      return v;
    };
    const domain = need('domain', '"CORP"').toUpperCase();
    const baseDn = need('baseDn', '"DC=corp,DC=example,DC=test"');
    const dnsDomain = (
      optionalString(o, 'dnsDomain', `${f}.`) ??
      baseDn
        .split(',')
        .filter((p) => /^dc=/i.test(p.trim()))
        .map((p) => p.trim().slice(3))
        .join('.')
    ).toUpperCase();
    const urls = Array.isArray(o['urls'])
      ? (o['urls'] as unknown[]).map(String)
      : [need('url', '"ldaps://dc1.corp.example.test:636"')];
    for (const u of urls)
      if (!/^ldaps?:\/\/[^/]+/.test(u))
        throw new ConfigError(
          `${f}.url: ${JSON.stringify(u)} is not an LDAP URL; write it like ldaps://dc1.corp.example.test:636`,
          `${f}.url`,
        );
    const startTls = optionalBool(o, 'startTls', `${f}.`) ?? false;
    const insecure = optionalBool(o, 'insecure', `${f}.`) ?? false;
    checkBindProtection(urls, startTls, insecure, `${f}.${Array.isArray(o['urls']) ? 'urls' : 'url'}`, f);
    const caFile = optionalString(o, 'caFile', `${f}.`);
    let ca: Buffer | undefined;
    if (caFile) {
      try {
        ca = readFileSync(resolve(baseDir, caFile));
      } catch {
        throw new ConfigError(
          `${f}.caFile: cannot read ${caFile}; give the PEM file of the CA that signed the DC's certificate`,
          `${f}.caFile`,
        );
      }
    }
    return {
      domain,
      dnsDomain,
      urls,
      baseDn,
      bindDn: need('bindDn', '"CN=svc-fsso,CN=Users,DC=corp,DC=example,DC=test"'),
      password: readPassword(o, f, baseDir, env),
      passwordFile: typeof o['passwordFile'] === 'string' ? resolve(baseDir, o['passwordFile']) : undefined,
      startTls,
      insecure,
      ca,
      tlsServerName: optionalString(o, 'tlsServerName', `${f}.`),
      timeoutMs: parseDuration(o['timeout'] ?? '5s', `${f}.timeout`),
    };
  });
}

/**
 * Every directory binds with a DN and password (there is no anonymous mode), so a plain ldap://
 * URL without StartTLS would send the service account's password in clear: refused unless the
 * entry says `insecure: true`. `insecure` where nothing is plaintext is refused too, so the flag
 * never lingers unnoticed once TLS is in place.
 */
function checkBindProtection(urls: string[], startTls: boolean, insecure: boolean, urlField: string, f: string): void {
  const plain = startTls ? [] : urls.filter((u) => /^ldap:\/\//i.test(u));
  if (plain.length > 0 && !insecure) {
    throw new ConfigError(
      `${urlField}: ${plain.join(', ')} is plain LDAP without StartTLS, so the bind password would cross the network in clear; use ldaps://HOST:636, or set "startTls": true (with "caFile"), or "insecure": true for a lab`,
      urlField,
    );
  }
  if (plain.length === 0 && insecure) {
    throw new ConfigError(
      `${f}.insecure: every URL here uses ${startTls ? 'StartTLS' : 'ldaps://'} already, so "insecure": true does nothing; remove it`,
      `${f}.insecure`,
    );
  }
}

/** Names the directories whose password crosses the network in clear, for the start-up warning. */
export function plaintextDirectories(dirs: readonly DirectoryConfig[]): string[] {
  return dirs.filter((d) => d.insecure).map((d) => d.domain);
}

/** The bind password comes from a file or an environment variable, never from the config itself. */
function readPassword(o: Record<string, unknown>, f: string, baseDir: string, env: NodeJS.ProcessEnv): string {
  if ('password' in o)
    throw new ConfigError(
      `${f}.password: passwords do not go in the config; use passwordFile or passwordEnv`,
      `${f}.password`,
    );
  const file = optionalString(o, 'passwordFile', `${f}.`);
  const envName = optionalString(o, 'passwordEnv', `${f}.`);
  if (file) {
    try {
      return readFileSync(resolve(baseDir, file), 'utf8').replace(/\r?\n$/, '');
    } catch {
      throw new ConfigError(
        `${f}.passwordFile: cannot read ${file}; create it (mode 0600) with the bind password`,
        `${f}.passwordFile`,
      );
    }
  }
  if (envName) {
    const v = env[envName];
    if (!v)
      throw new ConfigError(`${f}.passwordEnv: the environment variable ${envName} is not set`, `${f}.passwordEnv`);
    return v;
  }
  throw new ConfigError(`${f}: give the bind password as passwordFile or passwordEnv`, `${f}.passwordFile`);
}

export function validateGroupSettings(raw: unknown): GroupSettings {
  if (raw === undefined) return { ttlMs: 15 * 60_000, refreshAgeMs: 60_000, filter: [] };
  if (typeof raw !== 'object' || raw === null)
    throw new ConfigError('groups: expected {"ttl": "15m", "refreshAge": "1m", "filter": [...]}', 'groups');
  const o = raw as Record<string, unknown>;
  rejectUnknownKeys(o, ['ttl', 'refreshAge', 'filter'], 'groups');
  const filter = o['filter'] ?? [];
  if (!Array.isArray(filter) || !filter.every((g) => typeof g === 'string'))
    throw new ConfigError(
      'groups.filter: expected a list of group names like "CORP\\\\VPN-Users" or DNs',
      'groups.filter',
    );
  const ttlMs = parseDuration(o['ttl'] ?? '15m', 'groups.ttl');
  if (ttlMs < 1000)
    throw new ConfigError(
      `groups.ttl: ${JSON.stringify(o['ttl'])} is under a second, which would ask the directory for every account continuously; use "1s" or more (default "15m")`,
      'groups.ttl',
    );
  // Unset, it is a minute or the TTL if that is shorter (a refresh age past the TTL never applies).
  const refreshAgeMs =
    o['refreshAge'] === undefined ? Math.min(60_000, ttlMs) : parseDuration(o['refreshAge'], 'groups.refreshAge');
  if (refreshAgeMs > ttlMs)
    throw new ConfigError(
      `groups.refreshAge: ${JSON.stringify(o['refreshAge'])} is longer than groups.ttl (${JSON.stringify(o['ttl'] ?? '15m')}), so it would never apply; give a value up to the TTL, e.g. "1m"`,
      'groups.refreshAge',
    );
  return { ttlMs, refreshAgeMs, filter: filter as string[] };
}
