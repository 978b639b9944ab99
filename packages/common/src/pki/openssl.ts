import { spawnSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PkiError } from '../errors';
import { UsageError } from '../cli/run';
import { ensurePrivateDir } from '../config/file-modes';
import { DOMAIN_URI, ROLE_URI, ROLES, type Role } from './roles';
import {
  VALIDITY,
  validateAgentId,
  validateCertName,
  validateDays,
  validateDnsName,
  validateDomain,
  validateIp,
  validateOutName,
} from './names';

/**
 * A private CA and role certificates, made with the system `openssl` (no hand-rolled ASN.1).
 * Modes are fixed whatever the umask: a new folder 0700, keys 0600, certificates 0644 (they are
 * public, and the services that read them may run as other users once copied out).
 */
function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.error)
    throw new PkiError(
      `cannot run openssl (${r.error.message}); install it (Debian: apt-get install openssl)`,
      'openssl-missing',
    );
  if (r.status !== 0) throw new PkiError(`openssl ${args[0]} failed: ${r.stderr.trim()}`, 'openssl-failed');
}

/** The agent id an agent certificate carries, urn:fsso:agent:ID (the collector binds the agent to it). */
const AGENT_URI = 'urn:fsso:agent:';

export interface CaPaths {
  dir: string;
  cert: string;
  key: string;
}

export function caPaths(dir: string): CaPaths {
  return { dir, cert: join(dir, 'ca.pem'), key: join(dir, 'ca.key') };
}

function refuseOverwrite(files: string[], what: string, other: string): void {
  const there = files.find((f) => existsSync(f));
  if (there) throw new UsageError(`${there} exists already; ${what}. Use ${other}, or --force to replace it`);
}

/**
 * Makes the files in a private scratch folder inside `dir`, fixes their modes, then renames them
 * into place: nothing is ever visible half-written or with the umask's mode, and a failure
 * leaves the old files alone.
 */
function inScratch<T extends Record<string, string>>(
  dir: string,
  finals: T,
  body: (tmp: T, scratch: string) => void,
): void {
  const scratch = mkdtempSync(join(dir, '.fsso-pki-'));
  try {
    const tmp = Object.fromEntries(
      Object.entries(finals).map(([k, f]) => [k, join(scratch, `${k}.${f.endsWith('.key') ? 'key' : 'pem'}`)]),
    ) as T;
    body(tmp, scratch);
    for (const [k, f] of Object.entries(finals)) {
      const t = tmp[k] as string;
      chmodSync(t, f.endsWith('.key') ? 0o600 : 0o644);
      renameSync(t, f);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A new P-256 key, unencrypted (its file mode protects it), for `openssl req`. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** `pki init`: a CA key and self-signed certificate in `dir` (0700). Refuses to replace a CA without `force`. */
export function initCa(
  dir: string,
  name = 'FSSO private CA',
  days: number | string = VALIDITY.ca.default,
  force = false,
): CaPaths {
  const p = caPaths(dir);
  const d = validateDays(days, VALIDITY.ca);
  if (!force)
    refuseOverwrite([p.key, p.cert], 'a new CA would orphan every certificate the old one signed', 'another --dir');
  // The CA's subject is free text to the operator, but it goes into -subj, where '/' and '='
  // are structure: the same characters as a name, plus spaces.
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$/.test(name))
    throw new UsageError(
      `--name ${JSON.stringify(name)}: a CA name is letters, digits, spaces and . _ @ - (up to 64), e.g. --name 'Corp FSSO CA'`,
    );
  // A folder we make is 0700. One that exists keeps its mode (it may be '.'), unless others
  // could write it: then they could swap ca.key, and it is refused.
  ensurePrivateDir(dir);
  const dirMode = statSync(dir).mode;
  if (process.platform !== 'win32' && dirMode & 0o022 && !(dirMode & 0o1000)) {
    throw new UsageError(
      `${dir} can be written by other users (mode ${(dirMode & 0o777).toString(8).padStart(4, '0')}), who could swap the CA key; run 'chmod 700 ${dir}' or use another --dir`,
    );
  }
  inScratch(dir, { key: p.key, cert: p.cert }, (t) => {
    openssl([
      'req',
      '-x509',
      '-new',
      ...NEW_KEY,
      '-keyout',
      t.key,
      '-out',
      t.cert,
      '-days',
      String(d),
      '-subj',
      `/CN=${name}/O=FSSO`,
      '-addext',
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-addext',
      'subjectKeyIdentifier=hash',
    ]);
  });
  return p;
}

export interface IssueOptions {
  role: Role;
  /** The certificate's CN: a host name (then also a DNS SAN) or an IP address (then an IP SAN). */
  name: string;
  /** Agent and proxy certificates: domains it may report (vouch) for ('*' for all). */
  domains?: string[] | undefined;
  /** Extra SANs for servers: addresses clients connect to. */
  ips?: string[] | undefined;
  dns?: string[] | undefined;
  /** Agent certificates: the agent id (urn:fsso:agent:ID). @default the name */
  agentId?: string | undefined;
  /** Validity in days, 1 to 825. @default 825 for role collector, 365 for the others */
  days?: number | string | undefined;
  /** Output basename in the CA folder. @default the name */
  out?: string | undefined;
  /** Replace an existing certificate and key of that name. @default false */
  force?: boolean | undefined;
}

export interface Issued {
  cert: string;
  key: string;
}

/** The extension file openssl signs with: one SAN per line in [alt_names], from validated values only. */
export function extensionConfig(role: Role, san: { dns: string[]; ips: string[]; uris: string[] }): string {
  // A collector is a server to agents and firewalls and a client of nothing else; the others are clients.
  const eku = role === 'collector' ? 'serverAuth,clientAuth' : 'clientAuth';
  const lines = [
    '[ext]',
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage = ${eku}`,
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
    'subjectAltName = @alt_names',
    '',
    '[alt_names]',
  ];
  san.uris.forEach((v, i) => lines.push(`URI.${i + 1} = ${v}`));
  san.dns.forEach((v, i) => lines.push(`DNS.${i + 1} = ${v}`));
  san.ips.forEach((v, i) => lines.push(`IP.${i + 1} = ${v}`));
  return `${lines.join('\n')}\n`;
}

/** Checks every input of `issueCert` (usage errors naming the flag) and gives the SANs. */
export function planCertificate(o: IssueOptions): {
  cn: string;
  days: number;
  base: string;
  san: { dns: string[]; ips: string[]; uris: string[] };
} {
  if (!ROLES.includes(o.role)) throw new UsageError(`--role ${JSON.stringify(o.role)}: use one of ${ROLES.join(', ')}`);
  const cn = validateCertName(o.name);
  const domains = (o.domains ?? []).map((d) => validateDomain(d));
  if (o.role === 'agent' && domains.length === 0)
    throw new UsageError(
      "an agent certificate names the domains it may report for: add --domain CORP (or --domain '*' for a forest-wide agent)",
    );
  // A proxy vouches for the users it authenticated, so it names the domains it may vouch for, as an agent does.
  if (o.role === 'proxy' && domains.length === 0)
    throw new UsageError(
      "a proxy certificate names the domains whose users it may vouch for: add --domain CORP (or --domain '*' for every domain)",
    );
  if (o.role !== 'agent' && o.role !== 'proxy' && domains.length > 0)
    throw new UsageError(`--domain is for agent and proxy certificates; a ${o.role} certificate reports for no domain`);
  if (o.role !== 'agent' && o.agentId !== undefined)
    throw new UsageError(`--agent-id is for agent certificates, not ${o.role}`);
  const uris = [`${ROLE_URI}${o.role}`, ...[...new Set(domains)].map((d) => `${DOMAIN_URI}${d}`)];
  if (o.role === 'agent')
    uris.push(
      `${AGENT_URI}${validateAgentId(o.agentId ?? cn.name, o.agentId === undefined ? '--name (the agent id by default; or pass --agent-id)' : '--agent-id')}`,
    );
  const dns = new Set<string>((o.dns ?? []).map((d) => validateDnsName(d)));
  const ips = new Set<string>((o.ips ?? []).map((ip) => validateIp(ip)));
  (cn.san === 'DNS' ? dns : ips).add(cn.name);
  const days = validateDays(o.days, o.role === 'collector' ? VALIDITY.collector : VALIDITY.client);
  const base = o.out !== undefined ? validateOutName(o.out) : cn.name.replace(/[^A-Za-z0-9._-]/g, '_');
  return { cn: cn.name, days, base, san: { dns: [...dns], ips: [...ips], uris } };
}

/** `pki issue`: a key and a certificate for `role`, signed by the CA in `ca.dir`. */
export function issueCert(ca: CaPaths, o: IssueOptions): Issued {
  const plan = planCertificate(o);
  if (!existsSync(ca.key))
    throw new PkiError(`no CA in ${ca.dir}; run 'fssoctl pki init --dir ${ca.dir}' first`, 'no-ca');
  const caCert = new X509Certificate(readFileSync(ca.cert));
  const notAfter = Date.now() + plan.days * 86_400_000;
  if (notAfter > Date.parse(caCert.validTo)) {
    throw new UsageError(
      `--days ${plan.days} would outlive the CA (valid to ${new Date(caCert.validTo).toISOString()}); give fewer days, or make a new CA`,
    );
  }
  const out = { cert: join(ca.dir, `${plan.base}.pem`), key: join(ca.dir, `${plan.base}.key`) };
  if (!o.force) refuseOverwrite([out.cert, out.key], 'it may be in use, and its key would be lost', 'another --name');
  inScratch(ca.dir, out, (t, scratch) => {
    const csr = join(scratch, 'req.csr');
    const ext = join(scratch, 'ext.cnf');
    writeFileSync(ext, extensionConfig(o.role, plan.san), { mode: 0o600 });
    // The subject holds only the validated name and the role, so '/' and '=' cannot appear in it.
    openssl(['req', '-new', ...NEW_KEY, '-keyout', t.key, '-out', csr, '-subj', `/CN=${plan.cn}/OU=${o.role}/O=FSSO`]);
    // A random 128-bit serial (RFC 5280 allows 20 octets) instead of a ca.srl counter file.
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-set_serial',
      `0x${randomBytes(16)
        .toString('hex')
        .replace(/^[89a-f]/, '7')}`,
      '-out',
      t.cert,
      '-days',
      String(plan.days),
      '-extfile',
      ext,
      '-extensions',
      'ext',
    ]);
  });
  return out;
}
