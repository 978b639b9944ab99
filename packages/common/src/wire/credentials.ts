import { checkServerIdentity, type SecureContextOptions } from 'node:tls';
import type { SecureServerOptions } from 'node:http2';
import { EKU_CLIENT, EKU_SERVER, identityFromSan, summarise } from '../pki/roles';
import * as grpc from '@grpc/grpc-js';
import { resolve } from 'node:path';
import { ConfigError } from '../errors';
import { optionalString, rejectUnknownKeys } from '../config/values';
import { readTrustFile } from '../config/file-modes';
import type { Logger } from '../log/logger';
import { CheckedFileCertificateProvider } from './trust-files';
import { parseCertificate, parsePrivateKey } from '../pki/read-cert';

/**
 * TLS settings of one gRPC link. Mutual TLS: the server asks for a client certificate signed by
 * `ca`, the client checks the server's certificate against `ca`.
 */
export interface TlsOptions {
  /** PEM file of the CA(s) that sign the peer's certificate. */
  ca: string;
  /** PEM file of this side's certificate (chain). */
  cert: string;
  /** PEM file of this side's private key. */
  key: string;
  /**
   * Optional pinning: SHA-256 thumbprints (hex, colons optional) of the only peer certificates
   * accepted: the server's for a client, the clients' for a server. Empty: any from `ca`.
   */
  pins?: string[] | undefined;
}

/** "AB:CD:…" or "abcd…" to lower-case hex without colons. */
export function normaliseThumbprint(t: string): string {
  return t
    .replace(/^sha256:/i, '')
    .replace(/:/g, '')
    .toLowerCase();
}

/** `tls` for mutual TLS, or `insecure: true` for plaintext (labs only; warned about at start). */
export interface LinkSecurity {
  tls?: TlsOptions | undefined;
  insecure?: boolean | undefined;
}

/** A CA, certificate or key file; refused (naming the file and `chmod go-w`) if others can change it. */
const readPem = readTrustFile;

/** Explains in one line why a link runs without TLS, for the start-up warning. */
export const PLAINTEXT_WARNING =
  'insecure: true: gRPC runs WITHOUT TLS; anyone on the network can read and forge identities. Use tls.ca/cert/key outside a lab.';

/**
 * Mutual TLS for a server: clients must present a certificate signed by `ca`. The files are
 * re-read every `reloadMs`, so a renewed certificate or CA file takes effect without a restart;
 * a reload of files other users can change (or of a key that does not fit) is refused, the old
 * credentials stay, and `log` gets a warning.
 */
export function serverCredentials(
  sec: LinkSecurity,
  field = 'tls',
  reloadMs = 5000,
  log?: Logger,
): grpc.ServerCredentials {
  if (sec.insecure) return grpc.ServerCredentials.createInsecure();
  if (!sec.tls)
    throw new ConfigError(
      `${field}: no TLS settings; set ${field}.ca, ${field}.cert and ${field}.key, or insecure: true for a plaintext lab setup`,
      field,
    );
  checkOwnCertificate(sec.tls, field, EKU_SERVER, 'serverAuth');
  const files = new CheckedFileCertificateProvider(
    sec.tls,
    reloadMs,
    {
      refused: (reason, file, f) =>
        log?.warn('TLS files not reloaded; still using the previous ones', { field: f, file, reason }),
      reloaded: (t) => log?.info('TLS files reloaded', { ca: t.ca, cert: t.cert, key: t.key }),
    },
    field,
  );
  return new HardenedServerCredentials(
    grpc.experimental.createCertificateProviderServerCredentials(files, files, true),
  );
}

/**
 * TLS 1.2 suites the server offers: forward-secret ECDHE with an AEAD cipher only (no CBC, no
 * static RSA, no SHA-1 MACs). TLS 1.3 suites are Node's defaults; they must be listed, because a
 * cipher list without TLS_* entries turns TLS 1.3 off.
 */
export const SERVER_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** grpc-js's watcher type (not exported): called with each new secure context, null when unusable. */
type SecureContextWatcher = (context: SecureContextOptions | null) => void;

const HARDENING = { ciphers: SERVER_CIPHERS, minVersion: 'TLSv1.2', honorCipherOrder: true } as const;

/**
 * grpc-js's certificate-provider credentials take no cipher options, and the server's
 * setSecureContext (called on every certificate reload) resets ciphers and minVersion to Node's
 * defaults unless the new context options carry them. So this wrapper adds them both to the
 * server's constructor options and to every context update it passes on.
 */
class HardenedServerCredentials extends grpc.ServerCredentials {
  private readonly wrapped = new Map<SecureContextWatcher, SecureContextWatcher>();

  constructor(private readonly inner: grpc.ServerCredentials) {
    super({ ...inner._getConstructorOptions(), ...HARDENING });
  }

  override _isSecure(): boolean {
    return true;
  }

  override _getConstructorOptions(): SecureServerOptions | null {
    return { ...this.inner._getConstructorOptions(), ...HARDENING };
  }

  override _getSecureContextOptions(): SecureContextOptions | null {
    const o = this.inner._getSecureContextOptions();
    return o ? { ...o, ...HARDENING } : null;
  }

  override _addWatcher(watcher: SecureContextWatcher): void {
    const w: SecureContextWatcher = (o) => watcher(o ? { ...o, ...HARDENING } : null);
    this.wrapped.set(watcher, w);
    this.inner._addWatcher(w);
  }

  override _removeWatcher(watcher: SecureContextWatcher): void {
    const w = this.wrapped.get(watcher);
    if (!w) return;
    this.wrapped.delete(watcher);
    this.inner._removeWatcher(w);
  }

  override _getInterceptors(): grpc.ServerInterceptor[] {
    return this.inner._getInterceptors();
  }

  override _equals(other: grpc.ServerCredentials): boolean {
    return other instanceof HardenedServerCredentials && this.inner._equals(other.inner);
  }
}

/**
 * Mutual TLS for a client: presents its certificate, and accepts only a collector: the server's
 * certificate must name the address, carry the serverAuth EKU and the collector role.
 */
export function channelCredentials(sec: LinkSecurity, field = 'tls'): grpc.ChannelCredentials {
  if (sec.insecure) return grpc.credentials.createInsecure();
  if (!sec.tls)
    throw new ConfigError(
      `${field}: no TLS settings; set ${field}.ca, ${field}.cert and ${field}.key, or insecure: true for a plaintext lab setup`,
      field,
    );
  checkOwnCertificate(sec.tls, field, EKU_CLIENT, 'clientAuth');
  // The flag or config key an operator changes to point at another server, for the error's fix.
  const target = field === '--' ? '--collector' : field.replace(/\.tls$/, '.address');
  return grpc.credentials.createSsl(
    readPem(sec.tls.ca, fieldOf(field, 'ca')),
    readPem(sec.tls.key, fieldOf(field, 'key')),
    readPem(sec.tls.cert, fieldOf(field, 'cert')),
    {
      checkServerIdentity: (host, cert) => {
        const err = checkServerIdentity(host, cert);
        if (err)
          return new Error(
            `the server's certificate does not name ${host} (${err.message}); connect by a name or address its certificate lists, or reissue it with that name`,
          );
        const problem = collectorCertProblem(cert, target);
        if (problem) return new Error(problem);
        const pins = (sec.tls?.pins ?? []).map(normaliseThumbprint);
        const got = normaliseThumbprint(cert.fingerprint256 ?? '');
        if (pins.length && !pins.includes(got)) {
          return new Error(
            `the server's certificate (sha256 ${got}) is not one of the pinned thumbprints; if it was renewed on purpose, pin the new one`,
          );
        }
        return undefined;
      },
    },
  );
}

/**
 * Why a server certificate is not a collector's, or undefined if it is. Any certificate from the
 * CA would pass the chain check, so without this a firewall's or agent's certificate (and key)
 * could serve a fake table or swallow an agent's events. `target` names what to repoint.
 */
export function collectorCertProblem(
  cert: {
    subject?: { CN?: string | string[] } | undefined;
    subjectaltname?: string | undefined;
    ext_key_usage?: string[] | undefined;
  },
  target = '--collector',
): string | undefined {
  const cn = cert.subject?.CN ?? '?';
  const name = Array.isArray(cn) ? cn.join(',') : cn;
  const fix = `point ${target} at the collector or reissue its certificate with 'fssoctl pki issue --role collector'`;
  // An absent EKU extension means "any use" to X.509, but every collector certificate we issue has one.
  if (!cert.ext_key_usage)
    return `the server's certificate (${name}) has no extended key usage, so it is not marked serverAuth: it is not a collector certificate; ${fix}`;
  if (!cert.ext_key_usage.includes(EKU_SERVER))
    return `the server's certificate (${name}) is not for servers (no serverAuth extended key usage): it is not a collector; ${fix}`;
  const roles = identityFromSan(cert.subjectaltname).roles;
  if (!roles.includes('collector'))
    return `the server's certificate (${name}) has role ${roles.join(', ') || '(none)'}, not collector: it is not a collector; ${fix}`;
  return undefined;
}

/** `tls.cert` in a config, `--cert` on a command line (whose field is `--`). */
function fieldOf(field: string, k: 'ca' | 'cert' | 'key'): string {
  return field === '--' ? `--${k}` : `${field}.${k}`;
}

/**
 * Fails at start, with the fix, if our own certificate is unusable for its job: not a certificate
 * (often cert and key swapped), a key that is not its key, expired, or without the EKU it needs.
 */
function checkOwnCertificate(tls: TlsOptions, field: string, eku: string, ekuName: string): void {
  readPem(tls.ca, fieldOf(field, 'ca'));
  const certPem = readPem(tls.cert, fieldOf(field, 'cert'));
  const x509 = parseCertificate(certPem, tls.cert, fieldOf(field, 'cert'));
  const key = parsePrivateKey(readPem(tls.key, fieldOf(field, 'key')), tls.key, fieldOf(field, 'key'));
  // Without this a mismatched pair starts, logs "listening", and then fails every handshake.
  if (!x509.checkPrivateKey(key))
    throw new ConfigError(
      `${fieldOf(field, 'key')}: ${tls.key} is not the key of ${tls.cert}; use the .key file issued with that certificate (replace both together)`,
      fieldOf(field, 'key'),
    );
  const s = summarise(certPem);
  if (s.expired)
    throw new ConfigError(
      `${fieldOf(field, 'cert')}: ${tls.cert} expired on ${s.notAfter}; issue a new one ('fssoctl pki issue')`,
      fieldOf(field, 'cert'),
    );
  const ekus = x509.keyUsage ?? [];
  if (ekus.length > 0 && !ekus.includes(eku)) {
    throw new ConfigError(
      `${fieldOf(field, 'cert')}: ${tls.cert} lacks the ${ekuName} extended key usage it needs here (it has ${s.eku.join(', ')}); issue one for this role`,
      fieldOf(field, 'cert'),
    );
  }
}

/** Validates a config's `tls` object; relative paths are taken from `baseDir` (the config's folder). */
export function validateTlsOptions(raw: unknown, baseDir: string, field = 'tls'): TlsOptions | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null)
    throw new ConfigError(`${field}: expected {"ca": FILE, "cert": FILE, "key": FILE}`, field);
  const o = raw as Record<string, unknown>;
  rejectUnknownKeys(o, ['ca', 'cert', 'key', 'pins'], field);
  const get = (k: string): string => {
    const v = optionalString(o, k, `${field}.`);
    if (!v) throw new ConfigError(`${field}.${k}: missing; give the path of a PEM file`, `${field}.${k}`);
    return resolve(baseDir, v);
  };
  const pins = o['pins'];
  if (
    pins !== undefined &&
    (!Array.isArray(pins) || !pins.every((p) => typeof p === 'string' && /^(sha256:)?[0-9a-fA-F:]{64,95}$/.test(p)))
  ) {
    throw new ConfigError(
      `${field}.pins: expected SHA-256 thumbprints as 'fssoctl pki show' prints them (sha256:ab12…)`,
      `${field}.pins`,
    );
  }
  return { ca: get('ca'), cert: get('cert'), key: get('key'), pins: pins as string[] | undefined };
}
