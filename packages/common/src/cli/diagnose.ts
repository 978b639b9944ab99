import { readFileSync } from 'node:fs';
import { Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { LinkSecurity } from '../wire/credentials';

/*
 * grpc-js reports most connection failures as "Failed to connect" or an OpenSSL record dump,
 * which reads as "is it running?" whatever happened. When a call fails like that, the CLIs probe
 * the address once with node:net / node:tls and say which of these it is: nothing listening, a
 * plaintext server, a server from another CA, a server that refused our certificate, or a TLS
 * server asked for plaintext. The probe sends no gRPC call and no credentials beyond the
 * certificate the call itself would have presented.
 */

/** The security each address was resolved with (by resolveConnection), so a failure can be diagnosed later. */
const links = new Map<string, LinkSecurity>();

export function rememberLink(address: string, security: LinkSecurity): void {
  links.set(address, security);
}

export function rememberedLinks(): [string, LinkSecurity][] {
  return [...links];
}

/** Failures whose words do not say what went wrong; anything else is already explained. */
export function isOpaqueFailure(details: string): boolean {
  return /Failed to connect|wrong version number|packet length too long|Connection dropped|ECONNRESET|socket hang up|Connection closed|No connection established|Received RST_STREAM|Protocol error|no answer yet|stream ended by the collector/i.test(
    details,
  );
}

const PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
]);

function split(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

/** The first bytes the server answers to an HTTP/2 preface on `sock`, or undefined if it closed without a word. */
function firstAnswer(sock: Socket, waitMs: number): Promise<{ data?: Buffer; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const done = (r: { data?: Buffer; error?: NodeJS.ErrnoException }): void => {
      clearTimeout(timer);
      sock.removeAllListeners('data');
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({}), waitMs);
    sock.once('data', (d: Buffer) => done({ data: d }));
    sock.once('error', (e: NodeJS.ErrnoException) => done({ error: e }));
    sock.once('close', () => done({}));
    sock.write(PREFACE);
  });
}

/** One sentence with the fix, or undefined when the probe finds nothing wrong (the failure was elsewhere). */
export async function diagnoseConnection(
  address: string,
  sec: LinkSecurity,
  waitMs = 3000,
): Promise<string | undefined> {
  const { host, port } = split(address);
  const tcp = await new Promise<NodeJS.ErrnoException | Socket>((resolve) => {
    const s = tcpConnect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
    }, waitMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e);
    });
  });
  if (!(tcp instanceof Socket)) {
    if (tcp.code === 'ECONNREFUSED')
      return `connection refused at ${address}: nothing listens there; is the collector running, and is --collector (or collectors[].address) right?`;
    if (tcp.code === 'ETIMEDOUT')
      return `no answer from ${address} within ${waitMs / 1000} s: a firewall drops the connection, or the collector is frozen`;
    return `cannot connect to ${address} (${tcp.code ?? tcp.message}); check the address`;
  }
  if (sec.insecure || !sec.tls) {
    const a = await firstAnswer(tcp, waitMs);
    // An HTTP/2 server answers with a SETTINGS frame (type 4 at byte 3); a TLS server with a TLS record or nothing.
    if (a.data && a.data.length >= 4 && a.data[3] === 4) return undefined;
    return `the collector at ${address} expects TLS, and this client speaks plaintext (--insecure): drop --insecure and pass --ca, --cert and --key (FSSO_CA/FSSO_CERT/FSSO_KEY)`;
  }
  tcp.destroy();
  const tls = sec.tls;
  let ca: Buffer, cert: Buffer, key: Buffer;
  try {
    [ca, cert, key] = [readFileSync(tls.ca), readFileSync(tls.cert), readFileSync(tls.key)];
  } catch {
    return undefined;
  }
  return new Promise((resolve) => {
    const servername = /^[\d.]+$|:/.test(host) ? undefined : host;
    const sock = tlsConnect({
      host,
      port,
      ca,
      cert,
      key,
      servername,
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
    });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(`the TLS handshake with ${address} did not finish within ${waitMs / 1000} s: is it a TLS server at all?`);
    }, waitMs);
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(handshakeError(address, e, tls.cert));
    });
    sock.once('secureConnect', () => {
      clearTimeout(timer);
      const verdict = sock.authorizationError
        ? String((sock.authorizationError as NodeJS.ErrnoException).code ?? sock.authorizationError)
        : undefined;
      if (
        verdict === 'SELF_SIGNED_CERT_IN_CHAIN' ||
        verdict === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
        verdict === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' ||
        verdict === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
      ) {
        sock.destroy();
        resolve(
          `the collector's certificate at ${address} is signed by another CA than ${tls.ca}: use the CA file that issued it, or reissue the collector's certificate from yours ('fssoctl tls check ${address} --ca ${tls.ca}' shows the chain)`,
        );
        return;
      }
      // TLS 1.3: the server judges our certificate after the handshake, so a refusal arrives now.
      void firstAnswer(sock, waitMs).then((a) => {
        if (a.data && a.data.length >= 4 && a.data[3] === 4) resolve(undefined);
        else if (a.error) resolve(handshakeError(address, a.error, tls.cert));
        else
          resolve(
            `the collector at ${address} closed the connection after the TLS handshake: it refused our certificate ${tls.cert} (not signed by its tls.ca, or not in its tls.pins); use a certificate issued from the collector's CA`,
          );
      });
    });
  });
}

/** A TLS error during or right after the handshake, in words. */
function handshakeError(address: string, e: NodeJS.ErrnoException, certFile: string): string {
  const m = `${e.code ?? ''} ${e.message}`;
  if (/wrong version number|packet length too long|unknown protocol|http request/i.test(m)) {
    return `the server at ${address} does not speak TLS (a plaintext collector with "insecure": true?): for such a lab collector pass --insecure instead of --ca/--cert/--key, or give the collector its tls settings`;
  }
  if (
    /UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|alert (unknown ca|bad certificate|certificate required)/i.test(
      m,
    )
  ) {
    return `the collector at ${address} refused our certificate ${certFile} (${e.code ?? e.message}): it is not signed by the collector's CA; use a certificate issued from it`;
  }
  if (/ECONNRESET|socket hang up|EPIPE/i.test(m)) {
    return `the collector at ${address} closed the connection during the TLS handshake: it refused our certificate ${certFile} (not from its CA, or not pinned) or our TLS version; use a certificate issued from the collector's CA`;
  }
  return `TLS handshake with ${address} failed (${e.code ?? e.message})`;
}
