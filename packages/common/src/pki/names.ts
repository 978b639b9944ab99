import { isIP } from 'node:net';
import { UsageError } from '../cli/run';

/*
 * Every value that ends up in a certificate is checked against the grammar of what it is, before
 * openssl sees it. Before this, `--dns 'fw9,URI:urn:fsso:role:admin'` turned a firewall's
 * certificate into an admin's: openssl's SAN syntax takes commas, colons and `=` as structure.
 * The grammars below admit none of them (colons only inside IPv6 addresses).
 */

/** Why a value was refused, for the message: the first character that is not allowed. */
function badCharacter(v: string): string | undefined {
  const m = /[\u0000-\u001f\u007f\s,:=/\\"'`$<>;|*{}[\]]/.exec(v);
  if (!m) return undefined;
  const c = m[0];
  const code = c.charCodeAt(0);
  if (code < 0x20 || code === 0x7f) return `a control character (U+${code.toString(16).padStart(4, '0')})`;
  if (/\s/.test(c)) return 'whitespace';
  return `'${c}'`;
}

function refuse(flag: string, v: string, what: string, example: string): never {
  const bad = badCharacter(v);
  const shown = JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  const one = flag === '--name' ? '' : `give one per ${flag}, `;
  throw new UsageError(
    `${flag} ${shown} is not ${what}${bad ? `: it contains ${bad}` : ''}; ${one}e.g. ${flag} ${example}`,
  );
}

/** RFC 1123 label: letters, digits and hyphens, 1–63 characters, no hyphen at either end. */
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * True for a host name by RFC 1123: dot-separated labels, at most 253 characters, and a last
 * label that is not all digits (so `1.2.3.4.5` is not mistaken for a name, RFC 3696 §2).
 * Wildcards (`*.corp.example`) are not names here: a role certificate stands for one party.
 */
export function isDnsName(v: string): boolean {
  if (v.length === 0 || v.length > 253) return false;
  const labels = (v.endsWith('.') ? v.slice(0, -1) : v).split('.');
  return labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1] ?? '');
}

/** A `--dns` value: a host name. */
export function validateDnsName(v: string, flag = '--dns'): string {
  if (!isDnsName(v))
    refuse(flag, v, 'a host name (letters, digits, hyphens and dots; no wildcards)', 'collector.corp.example');
  return v.replace(/\.$/, '');
}

/** An `--ip` value: an IPv4 or IPv6 address, as node:net's isIP reads it. */
export function validateIp(v: string, flag = '--ip'): string {
  if (isIP(v) === 0) refuse(flag, v, 'an IPv4 or IPv6 address', '10.0.0.5');
  return v;
}

/** A `--name`: the certificate's CN; a host name or an address (then also its SAN). */
export function validateCertName(v: string, flag = '--name'): { name: string; san: 'DNS' | 'IP' } {
  if (isIP(v) !== 0) return { name: v, san: 'IP' };
  if (!isDnsName(v)) refuse(flag, v, 'a host name or an IP address', 'dc1.corp.example');
  // The name is also the certificate's CN, which X.509 limits to 64 characters.
  if (v.length > 64)
    throw new UsageError(
      `${flag} is ${v.length} characters; a certificate's name (its CN) is at most 64: use a shorter name and add the long one with --dns`,
    );
  return { name: v.replace(/\.$/, ''), san: 'DNS' };
}

/** NetBIOS domain: one label of up to 15 letters, digits, hyphens or underscores. */
const NETBIOS = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,14})$/;

/** A `--domain`: a NetBIOS name (CORP), a DNS domain (corp.example) or `*` (every domain). Upper-cased. */
export function validateDomain(v: string, flag = '--domain'): string {
  if (v !== '*' && !NETBIOS.test(v) && !isDnsName(v)) {
    refuse(flag, v, "a domain (a NetBIOS name like CORP, a DNS domain like corp.example, or '*' for all)", 'CORP');
  }
  return v.toUpperCase();
}

/** An agent id as the collector knows it (its `agentId`), carried as urn:fsso:agent:ID. */
const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

export function validateAgentId(v: string, flag = '--agent-id'): string {
  if (!AGENT_ID.test(v)) refuse(flag, v, 'an agent id (letters, digits and . _ @ -, up to 128 characters)', 'dc1');
  return v;
}

/** An output file base name: the same characters as an agent id, so it cannot leave the folder. */
export function validateOutName(v: string, flag = '--out'): string {
  if (!AGENT_ID.test(v) || v.includes('..')) refuse(flag, v, 'a file name (letters, digits and . _ @ -)', 'dc1');
  return v;
}

/** Validity limits in days. Leaf certificates: 825 days at most (the CA/Browser Forum's old ceiling). */
export const VALIDITY = {
  ca: { default: 3650, max: 7300 },
  collector: { default: 825, max: 825 },
  client: { default: 365, max: 825 },
} as const;

/**
 * `--days`: a whole number from 1 to `max`. Text from the command line or a number from code;
 * `undefined` gives the default.
 */
export function validateDays(
  v: string | number | undefined,
  limits: { default: number; max: number },
  flag = '--days',
): number {
  if (v === undefined) return limits.default;
  const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > limits.max) {
    throw new UsageError(
      `${flag} ${JSON.stringify(String(v))}: give a whole number of days from 1 to ${limits.max} (default ${limits.default}); renew certificates instead of making them last longer`,
    );
  }
  return n;
}
