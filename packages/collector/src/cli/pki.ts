import { readFileSync } from 'node:fs';
import { connect, type PeerCertificate, type DetailedPeerCertificate } from 'node:tls';
import { ROLES, UsageError, parseCertificate, caPaths, collectorCertProblem, initCa, issueCert, parseAddress, summarise, type Role } from '@fsso/common';

type Values = Record<string, string | boolean | string[] | undefined>;
const out = (s: string): boolean => process.stdout.write(`${s}\n`);
const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);

/** `fssoctl pki init|issue|show`: a private CA and role certificates, made with openssl. */
export function pkiCommand(sub: string | undefined, arg: string | undefined, v: Values): number {
  const dir = typeof v['dir'] === 'string' ? v['dir'] : 'pki';
  switch (sub) {
    case 'init': {
      const days = typeof v['days'] === 'string' ? v['days'] : undefined;
      const p = initCa(dir, typeof v['name'] === 'string' ? v['name'] : undefined, days, v['force'] === true);
      out(`CA created: ${p.cert} (certificate, mode 0644: give it to every component) and ${p.key} (key, mode 0600: keep it offline); ${dir} is mode 0700`);
      return 0;
    }
    case 'issue': {
      const role = v['role'];
      if (typeof role !== 'string' || !ROLES.includes(role as Role)) throw new UsageError(`issue needs --role, one of ${ROLES.join(', ')}`);
      const name = v['name'];
      if (typeof name !== 'string') throw new UsageError('issue needs --name (host name of the agent, firewall, operator or collector)');
      const agentId = typeof v['agent-id'] === 'string' ? v['agent-id'] : undefined;
      const days = typeof v['days'] === 'string' ? v['days'] : undefined;
      const r = issueCert(caPaths(dir), { role: role as Role, name, domains: list(v['domain']), ips: list(v['ip']), dns: list(v['dns']), agentId, days, force: v['force'] === true });
      out(`issued ${r.cert} (mode 0644) and ${r.key} (mode 0600) for role ${role}`);
      printSummary(r.cert, false);
      return 0;
    }
    case 'show': {
      if (!arg) throw new UsageError("show needs a certificate file, e.g. 'fssoctl pki show pki/dc1.pem'");
      printSummary(arg, v['json'] === true);
      return 0;
    }
    default:
      throw new UsageError("pki commands: 'init', 'issue', 'show' (see 'fssoctl --help')");
  }
}

function printSummary(file: string, json: boolean): void {
  const pem = readFileSync(file);
  parseCertificate(pem, file, 'pki show', 'give it the certificate (.pem) file'); // one line for a key or other file, not an OpenSSL stack
  const s = summarise(pem);
  if (json) {
    out(JSON.stringify(s));
    return;
  }
  out([
    `  subject     ${s.subject}`, `  issuer      ${s.issuer}`, `  SANs        ${s.san.join(', ') || '-'}`,
    `  EKU         ${s.eku.join(', ') || '-'}`, `  valid       ${s.notBefore} to ${s.notAfter}${s.expired ? '  EXPIRED' : ''}`,
    `  role        ${s.roles.join(', ') || (s.ca ? '(CA)' : '-')}`, `  domains     ${s.domains.join(', ') || '-'}`, `  thumbprint  sha256:${s.thumbprint}`,
  ].join('\n'));
}

/** OpenSSL's verdicts, in words that say what to do. */
export function explainTlsError(code: string, chain: DetailedPeerCertificate[]): string {
  const last = chain[chain.length - 1];
  const top = last ? `${last.subject?.CN ?? '?'} (issued by ${last.issuer?.CN ?? '?'})` : 'the server certificate';
  switch (code) {
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return `the chain stops at ${top}; add its issuer to the CA file (or have the server send its intermediate certificates)`;
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return `the chain ends at ${top}, which is not in the CA file: this server uses another CA; use that CA file, or reissue its certificate from yours`;
    case 'CERT_HAS_EXPIRED':
      return 'the server certificate has expired; issue a new one and put it in place (the collector reloads it by itself)';
    case 'CERT_NOT_YET_VALID':
      return 'the server certificate is not valid yet: check both clocks';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'the certificate does not name the host you connected to; connect by a name or address it lists (see its SANs), or reissue it';
    default:
      return code;
  }
}

/** `fssoctl tls check HOST:PORT`: the chain a server sends, and whether it verifies against the CA file. */
export function tlsCheck(target: string | undefined, v: Values): Promise<number> {
  if (!target) throw new UsageError("tls check needs HOST:PORT, e.g. 'fssoctl tls check collector.corp.example:7450 --ca pki/ca.pem'");
  parseAddress(target, 'HOST:PORT');
  const i = target.lastIndexOf(':');
  const host = target.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(target.slice(i + 1));
  const ca = typeof v['ca'] === 'string' ? readFileSync(v['ca']) : undefined;
  const key = typeof v['key'] === 'string' ? readFileSync(v['key']) : undefined;
  const cert = typeof v['cert'] === 'string' ? readFileSync(v['cert']) : undefined;
  return new Promise((resolve) => {
    const sock = connect({ host, port, ca, key, cert, servername: /^[\d.:]+$/.test(host) ? undefined : host, rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
      const chain: DetailedPeerCertificate[] = [];
      for (let c: DetailedPeerCertificate | undefined = sock.getPeerCertificate(true); c && !chain.includes(c); c = c.issuerCertificate === c ? undefined : c.issuerCertificate) chain.push(c);
      out(`${target} sent ${chain.length} certificate(s):`);
      chain.forEach((c: PeerCertificate, n) => out(`  ${n}. ${c.subject?.CN ?? '?'}  issued by ${c.issuer?.CN ?? '?'}  valid to ${c.valid_to}  sha256:${(c.fingerprint256 ?? '').replace(/:/g, '').toLowerCase()}  SAN ${c.subjectaltname ?? '-'}`));
      const err = sock.authorizationError ? String((sock.authorizationError as Error & { code?: string }).code ?? sock.authorizationError) : undefined;
      if (err) out(`does NOT verify against ${typeof v['ca'] === 'string' ? v['ca'] : 'the system CAs'}: ${explainTlsError(err, chain)}`);
      else out(`verifies against ${typeof v['ca'] === 'string' ? v['ca'] : 'the system CAs'}${cert ? ' (client certificate presented)' : ''}`);
      // The same test every client makes: a certificate from the CA is not enough, it must be a collector's.
      const notCollector = chain[0] ? collectorCertProblem(chain[0]) : undefined;
      if (notCollector) out(`clients will refuse it: ${notCollector}`);
      sock.end();
      resolve(err || notCollector ? 1 : 0);
    });
    sock.on('error', (e: Error & { code?: string }) => {
      out(`cannot complete a TLS handshake with ${target}: ${e.code ?? ''} ${e.message}${/alert/i.test(e.message) ? ' (the server refused our certificate: pass --cert/--key of a certificate from its CA)' : ''}`);
      resolve(1);
    });
  });
}
