import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { readFileSync } from 'node:fs';
import { errorMessage, identityFromSan } from '@fsso/common';
import { splitAddress } from './readers/syslog/listener';
import type { Check } from './doctor';

const EXPIRY_WARN_DAYS = 14;

/**
 * An agent certificate as the collector will judge it: the agent role, every configured domain
 * covered, not about to expire, and the key its pair. A firewall certificate from the same CA
 * passes the TLS handshake and is refused only at the hello, every retry, so say it here first.
 */
export function certificateCheck(
  certFile: string,
  keyFile: string | undefined,
  domains: readonly string[],
  now = Date.now(),
): Check {
  const check = 'certificate';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(certFile));
  } catch (err) {
    return {
      check,
      verdict: 'FAIL',
      detail: `${certFile} is not a readable PEM certificate (${errorMessage(err)}); fix tls.cert`,
    };
  }
  const name = /^CN=(.*)$/m.exec(cert.subject)?.[1] ?? certFile;
  const id = identityFromSan(cert.subjectAltName);
  if (!id.roles.includes('agent')) {
    return {
      check,
      verdict: 'FAIL',
      detail: `${certFile} (${name}) has role ${id.roles.join(', ') || '(none)'}, an agent needs role agent; collectors refuse it at the hello; issue one with 'fssoctl pki issue --role agent --name HOST --domain NAME'`,
    };
  }
  if (keyFile) {
    try {
      if (!cert.checkPrivateKey(createPrivateKey(readFileSync(keyFile)))) {
        return {
          check,
          verdict: 'FAIL',
          detail: `${keyFile} is not the key of ${certFile}; point tls.key at the key issued with this certificate`,
        };
      }
    } catch (err) {
      return {
        check,
        verdict: 'FAIL',
        detail: `${keyFile} is not a readable private key (${errorMessage(err)}); fix tls.key`,
      };
    }
  }
  const notAfter = Date.parse(cert.validTo);
  if (notAfter <= now)
    return {
      check,
      verdict: 'FAIL',
      detail: `${certFile} expired on ${cert.validTo}; issue a new one ('fssoctl pki issue --role agent')`,
    };
  const covered = id.domains.includes('*') ? ['*'] : id.domains;
  if (covered.length === 0)
    return {
      check,
      verdict: 'FAIL',
      detail: `${certFile} (${name}) names no domain; collectors refuse it; issue it with --domain NAME (or --domain '*' for a forest-wide agent)`,
    };
  const outside = domains.filter((d) => !covered.includes('*') && !covered.includes(d.toUpperCase()));
  // A DNS name may equal a NetBIOS name of the certificate through the collector's directories or
  // domains map, which the agent cannot see: same first label is a warning, anything else a failure.
  const maybe = outside.filter((d) => covered.includes((d.split('.')[0] ?? '').toUpperCase()));
  const surely = outside.filter((d) => !maybe.includes(d));
  if (surely.length) {
    return {
      check,
      verdict: 'FAIL',
      detail: `${certFile} (${name}) may report for ${covered.join(', ')}, not ${surely.join(', ')} (config domains); collectors refuse the hello; set domains to those the certificate covers, or issue one with --domain for each`,
    };
  }
  const days = Math.floor((notAfter - now) / 86_400_000);
  const base = `${certFile}: agent ${id.agentIds[0] ?? name} for ${covered.join(', ')}, valid ${days} more day(s)`;
  if (maybe.length)
    return {
      check,
      verdict: 'WARN',
      detail: `${base}; ${maybe.join(', ')} is covered only if the collector maps it to ${covered.join(', ')} (its directories[] or domains)`,
    };
  if (days < EXPIRY_WARN_DAYS)
    return { check, verdict: 'WARN', detail: `${base}: expires soon (${cert.validTo}); issue a new one` };
  return { check, verdict: 'OK', detail: base };
}

/** Binds a syslog listener's address and releases it at once: taken or forbidden ports show before the start. */
export async function portCheck(check: string, proto: 'udp' | 'tcp', address: string, field: string): Promise<Check> {
  const { host, port } = splitAddress(address, field);
  const what = `${proto} ${address}`;
  try {
    if (proto === 'udp') {
      const s = dgram.createSocket(net.isIP(host) === 6 ? 'udp6' : 'udp4');
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(port, host, () => resolve());
      }).finally(
        () =>
          new Promise<void>((r) => {
            try {
              s.close(() => r());
            } catch {
              r();
            }
          }),
      );
    } else {
      const s = net.createServer();
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host, () => resolve());
      });
      await new Promise<void>((r) => s.close(() => r()));
    }
    return { check, verdict: 'OK', detail: `${what} is free to listen on` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE'
        ? 'is already in use (another syslog daemon, or the agent already running?); stop it or choose another port'
        : code === 'EACCES'
          ? 'may not be bound by this user (ports below 1024 need root or CAP_NET_BIND_SERVICE); run the agent as a service, or use a port above 1023'
          : code === 'EADDRNOTAVAIL'
            ? `names an address this machine does not have; fix ${field}`
            : `cannot be bound (${errorMessage(err)}); fix ${field}`;
    return { check, verdict: 'FAIL', detail: `${what} ${why}` };
  }
}
