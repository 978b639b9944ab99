import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FssoError } from '../errors';
import { AGENT_ID_PATTERN, AGENT_URI, DOMAIN_URI, ROLE_URI, type Role } from './roles';

/**
 * A private CA and role certificates, made with the system `openssl` (no hand-rolled ASN.1).
 * Keys are P-256 and written with mode 0600.
 */
function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.error) throw new FssoError('FSSO_PKI', `cannot run openssl (${r.error.message}); install it (Debian: apt-get install openssl)`);
  if (r.status !== 0) throw new FssoError('FSSO_PKI', `openssl ${args[0]} failed: ${r.stderr.trim()}`);
}

export interface CaPaths {
  dir: string;
  cert: string;
  key: string;
}

export function caPaths(dir: string): CaPaths {
  return { dir, cert: join(dir, 'ca.pem'), key: join(dir, 'ca.key') };
}

export function initCa(dir: string, name = 'FSSO private CA', days = 3650, force = false): CaPaths {
  const p = caPaths(dir);
  if (existsSync(p.key) && !force) throw new FssoError('FSSO_PKI', `${p.key} exists already; a new CA would orphan every certificate it signed. Use another --dir, or --force`);
  mkdirSync(dir, { recursive: true });
  openssl(['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p.key, '-out', p.cert,
    '-days', String(days), '-subj', `/CN=${name}/O=FSSO`, '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  chmodSync(p.key, 0o600);
  return p;
}

export interface IssueOptions {
  role: Role;
  /** Host name (a DNS SAN when it looks like one) and the certificate's CN. */
  name: string;
  /** Agent certificates: domains it may report for ('*' for all). */
  domains?: string[];
  /**
   * Agent certificates: the agent id the collector binds its hello to (a urn:fsso:agent: URI).
   * @default the name
   */
  agentId?: string;
  /** Extra SANs for servers: addresses clients connect to. */
  ips?: string[];
  dns?: string[];
  days?: number;
  /** Output basename (default: the name). */
  out?: string;
}

export interface Issued {
  cert: string;
  key: string;
}

export function issueCert(ca: CaPaths, o: IssueOptions): Issued {
  if (!existsSync(ca.key)) throw new FssoError('FSSO_PKI', `no CA in ${ca.dir}; run 'fssoctl pki init --dir ${ca.dir}' first`);
  if (o.role === 'agent' && !(o.domains?.length)) throw new FssoError('FSSO_PKI', "an agent certificate names the domains it may report for: add --domain CORP (or --domain '*' for a forest-wide agent)");
  const agentId = o.agentId ?? o.name;
  if (o.role === 'agent' && !AGENT_ID_PATTERN.test(agentId)) throw new FssoError('FSSO_PKI', `agent id ${JSON.stringify(agentId)} must be 1-128 letters, digits, '.', '_', '@', '-'; pass --agent-id ID`);
  const base = join(ca.dir, (o.out ?? o.name).replace(/[^A-Za-z0-9._-]/g, '_'));
  const out = { cert: `${base}.pem`, key: `${base}.key` };
  const san = [`URI:${ROLE_URI}${o.role}`, ...(o.domains ?? []).map((d) => `URI:${DOMAIN_URI}${d.toUpperCase()}`)];
  if (o.role === 'agent') san.push(`URI:${AGENT_URI}${agentId}`);
  if (/^[A-Za-z0-9.-]+$/.test(o.name) && /[A-Za-z]/.test(o.name)) san.push(`DNS:${o.name}`);
  for (const d of o.dns ?? []) san.push(`DNS:${d}`);
  for (const ip of o.ips ?? []) san.push(`IP:${ip}`);
  // A collector is a server to agents and firewalls and a client of nothing else; the others are clients.
  const eku = o.role === 'collector' ? 'serverAuth,clientAuth' : 'clientAuth';
  const tmp = mkdtempSync(join(tmpdir(), 'fsso-pki-'));
  try {
    const csr = join(tmp, 'req.csr');
    const ext = join(tmp, 'ext.cnf');
    writeFileSync(ext, `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=${eku}\nsubjectAltName=${san.join(',')}\n`);
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', out.key, '-out', csr, '-subj', `/CN=${o.name}/OU=${o.role}/O=FSSO`]);
    chmodSync(out.key, 0o600);
    openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', out.cert, '-days', String(o.days ?? 825), '-extfile', ext]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}
