import { readFileSync } from 'node:fs';
import { connect, type PeerCertificate, type DetailedPeerCertificate } from 'node:tls';
import {
  FileUnreadableError,
  ROLES,
  UsageError,
  parseCertificate,
  caPaths,
  collectorCertProblem,
  initCa,
  issueCert,
  parseAddress,
  summarise,
  type Role,
} from '@fsso/common';

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
      if (v['json'] === true) {
        out(JSON.stringify({ cert: p.cert, key: p.key, dir }));
        return 0;
      }
      out(
        `CA created: ${p.cert} (certificate, mode 0644: give it to every component) and ${p.key} (key, mode 0600: keep it offline); ${dir} is mode 0700`,
      );
      return 0;
    }
    case 'issue': {
      const role = v['role'];
      if (typeof role !== 'string' || !ROLES.includes(role as Role))
        throw new UsageError(`issue needs --role, one of ${ROLES.join(', ')}`);
      const name = v['name'];
      if (typeof name !== 'string')
        throw new UsageError('issue needs --name (host name of the agent, firewall, operator or collector)');
      const agentId = typeof v['agent-id'] === 'string' ? v['agent-id'] : undefined;
      const days = typeof v['days'] === 'string' ? v['days'] : undefined;
      const r = issueCert(caPaths(dir), {
        role: role as Role,
        name,
        domains: list(v['domain']),
        ips: list(v['ip']),
        dns: list(v['dns']),
        agentId,
        days,
        force: v['force'] === true,
      });
      if (v['json'] === true) {
        out(JSON.stringify({ cert: r.cert, key: r.key, role, certificate: summarise(readFileSync(r.cert)) }));
        return 0;
      }
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
  out(
    [
      `  subject     ${s.subject}`,
      `  issuer      ${s.issuer}`,
      `  SANs        ${s.san.join(', ') || '-'}`,
      `  EKU         ${s.eku.join(', ') || '-'}`,
      `  valid       ${s.notBefore} to ${s.notAfter}${s.expired ? '  EXPIRED' : ''}`,
      `  role        ${s.roles.join(', ') || (s.ca ? '(CA)' : '-')}`,
      `  domains     ${s.domains.join(', ') || '-'}`,
      `  thumbprint  sha256:${s.thumbprint}`,
    ].join('\n'),
  );
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

/** A failed connection or a TLS alert, in words with the fix: never OpenSSL's raw dump. */
export function explainHandshakeFailure(e: Error & { code?: string }, target: string, presented: boolean): string {
  const code = e.code ?? '';
  const text = `${code} ${e.message}`;
  if (code === 'ECONNREFUSED') return `nothing listens at ${target}: is the collector running, and is the port right?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host of ${target} is not known: check the name`;
  if (code === 'ETIMEDOUT' || code === 'FSSO_TLS_TIMEOUT')
    return `${target} did not answer the TLS handshake in time: a firewall in between, or not a TLS server`;
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return `${target} closed the connection during the handshake${presented ? '' : ': it may want a client certificate (--cert/--key or FSSO_CERT/FSSO_KEY)'}`;
  if (/CERTIFICATE_REQUIRED/i.test(text))
    return 'the server asks for a client certificate: pass --cert and --key (or FSSO_CERT/FSSO_KEY) of a certificate from its CA';
  if (/UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|DECRYPT_ERROR/i.test(text))
    return "the server refused our client certificate: it is not from the server's CA (or has expired); use a certificate its CA issued";
  if (/CERTIFICATE_EXPIRED/i.test(text))
    return 'the server refused our client certificate: it has expired; issue a new one';
  if (/WRONG_VERSION_NUMBER|packet length too long|unknown protocol|http request/i.test(text))
    return `${target} does not speak TLS: it may be a plaintext collector (started with --insecure); use --insecure against it, or give it a "tls" block`;
  if (/NO_APPLICATION_PROTOCOL/i.test(text)) return `${target} speaks TLS but not HTTP/2: it is not a gRPC server`;
  return `the TLS handshake failed (${code || e.message.split(':')[0]})`;
}

interface TlsCheckResult {
  target: string;
  chain: { subject: string; issuer: string; validTo: string; sha256: string; san: string }[];
  verified: boolean;
  clientCertificate: boolean;
  /** false: the server refused us after the handshake; null: it said nothing either way. */
  accepted: boolean | null;
  problems: string[];
}

/** How long to wait after the handshake for the server's word on our certificate (TLS 1.3 sends it then). */
const VERDICT_WAIT_MS = 3000;

/**
 * `fssoctl tls check HOST:PORT`: the chain a server sends, whether it verifies against the CA file,
 * whether it is a collector's, and whether the server accepts our certificate. Exit 0 all good,
 * 1 a verdict against, 4 no TLS session at all. Files default to FSSO_CA/FSSO_CERT/FSSO_KEY.
 */
export function tlsCheck(target: string | undefined, v: Values, env = process.env): Promise<number> {
  if (!target)
    throw new UsageError(
      "tls check needs HOST:PORT, e.g. 'fssoctl tls check collector.corp.example:7450 --ca pki/ca.pem'",
    );
  parseAddress(target, 'HOST:PORT');
  const i = target.lastIndexOf(':');
  const host = target.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(target.slice(i + 1));
  const file = (flag: string, envName: string): string | undefined =>
    typeof v[flag] === 'string' ? (v[flag] as string) : env[envName] || undefined;
  const caFile = file('ca', 'FSSO_CA');
  const certFile = file('cert', 'FSSO_CERT');
  const keyFile = file('key', 'FSSO_KEY');
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new UsageError('tls check needs --cert and --key together (or FSSO_CERT and FSSO_KEY), or neither');
  const read = (f: string | undefined, what: string): Buffer | undefined => {
    if (f === undefined) return undefined;
    try {
      return readFileSync(f);
    } catch (err) {
      throw new FileUnreadableError(
        `cannot read the ${what} ${f} (${(err as NodeJS.ErrnoException).code ?? 'error'}); check the path`,
        f,
      );
    }
  };
  const ca = read(caFile, 'CA file');
  const cert = read(certFile, 'certificate');
  const key = read(keyFile, 'key');
  const json = v['json'] === true;
  const caName = caFile ?? 'the system CAs';
  const result: TlsCheckResult = {
    target,
    chain: [],
    verified: false,
    clientCertificate: cert !== undefined,
    accepted: null,
    problems: [],
  };
  const finish = (code: number): number => {
    if (json) out(JSON.stringify(result));
    else {
      if (result.chain.length) {
        out(`${target} sent ${result.chain.length} certificate(s):`);
        result.chain.forEach((c, n) =>
          out(`  ${n}. ${c.subject}  issued by ${c.issuer}  valid to ${c.validTo}  sha256:${c.sha256}  SAN ${c.san}`),
        );
      }
      if (result.chain.length && result.verified)
        out(`verifies against ${caName}${cert ? ' (client certificate presented)' : ''}`);
      for (const p of result.problems) out(p);
      if (code === 0 && result.accepted === true) out('the server accepted the session');
    }
    return code;
  };
  return new Promise((resolve) => {
    let settled = false;
    const done = (code: number): void => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve(finish(code));
    };
    const sock = connect(
      {
        host,
        port,
        ca,
        key,
        cert,
        servername: /^[\d.:]+$/.test(host) ? undefined : host,
        rejectUnauthorized: false,
        ALPNProtocols: ['h2'],
      },
      () => {
        const chain: DetailedPeerCertificate[] = [];
        for (
          let c: DetailedPeerCertificate | undefined = sock.getPeerCertificate(true);
          c && !chain.includes(c);
          c = c.issuerCertificate === c ? undefined : c.issuerCertificate
        )
          chain.push(c);
        result.chain = chain.map((c: PeerCertificate) => ({
          subject: String(c.subject?.CN ?? '?'),
          issuer: String(c.issuer?.CN ?? '?'),
          validTo: c.valid_to,
          sha256: (c.fingerprint256 ?? '').replace(/:/g, '').toLowerCase(),
          san: c.subjectaltname ?? '-',
        }));
        const err = sock.authorizationError
          ? String((sock.authorizationError as Error & { code?: string }).code ?? sock.authorizationError)
          : undefined;
        result.verified = err === undefined;
        if (err) result.problems.push(`does NOT verify against ${caName}: ${explainTlsError(err, chain)}`);
        // The same test every client makes: a certificate from the CA is not enough, it must be a collector's.
        const notCollector = chain[0] ? collectorCertProblem(chain[0]) : undefined;
        if (notCollector) result.problems.push(`clients will refuse it: ${notCollector}`);
        // TLS 1.3 tells a refused client certificate only after the handshake: an HTTP/2 server's
        // first frame means we were let in, an alert means we were not.
        sock.once('data', () => {
          result.accepted = true;
          done(result.problems.length ? 1 : 0);
        });
        setTimeout(() => {
          const code = result.problems.length ? 1 : 0;
          if (!settled)
            result.problems.push(
              `the server said nothing within ${VERDICT_WAIT_MS / 1000} s of the handshake, so whether it accepts our certificate is unknown`,
            );
          done(code);
        }, VERDICT_WAIT_MS).unref();
      },
    );
    sock.setTimeout(10_000, () => sock.destroy(Object.assign(new Error('timeout'), { code: 'FSSO_TLS_TIMEOUT' })));
    sock.on('error', (e: Error & { code?: string }) => {
      const handshook = result.chain.length > 0;
      if (handshook) result.accepted = false;
      result.problems.push(
        `${handshook ? 'refused after the handshake' : `cannot complete a TLS handshake with ${target}`}: ${explainHandshakeFailure(e, target, cert !== undefined)}`,
      );
      done(handshook ? 1 : 4);
    });
  });
}
