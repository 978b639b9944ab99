import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { resolve } from 'node:path';
import { ConfigError } from '../errors';
import { optionalString, rejectUnknownKeys } from '../config/values';

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
}

/** `tls` for mutual TLS, or `insecure: true` for plaintext (labs only; warned about at start). */
export interface LinkSecurity {
  tls?: TlsOptions | undefined;
  insecure?: boolean | undefined;
}

function readPem(path: string, field: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`${field}: cannot read ${path} (${why}); point it at a readable PEM file`, field);
  }
}

/** Explains in one line why a link runs without TLS, for the start-up warning. */
export const PLAINTEXT_WARNING =
  'insecure: true: gRPC runs WITHOUT TLS; anyone on the network can read and forge identities. Use tls.ca/cert/key outside a lab.';

export function serverCredentials(sec: LinkSecurity, field = 'tls'): grpc.ServerCredentials {
  if (sec.insecure) return grpc.ServerCredentials.createInsecure();
  if (!sec.tls) throw new ConfigError(`${field}: no TLS settings; set ${field}.ca, ${field}.cert and ${field}.key, or insecure: true for a plaintext lab setup`, field);
  return grpc.ServerCredentials.createSsl(
    readPem(sec.tls.ca, `${field}.ca`),
    [{ cert_chain: readPem(sec.tls.cert, `${field}.cert`), private_key: readPem(sec.tls.key, `${field}.key`) }],
    true,
  );
}

export function channelCredentials(sec: LinkSecurity, field = 'tls'): grpc.ChannelCredentials {
  if (sec.insecure) return grpc.credentials.createInsecure();
  if (!sec.tls) throw new ConfigError(`${field}: no TLS settings; set ${field}.ca, ${field}.cert and ${field}.key, or insecure: true for a plaintext lab setup`, field);
  return grpc.credentials.createSsl(readPem(sec.tls.ca, `${field}.ca`), readPem(sec.tls.key, `${field}.key`), readPem(sec.tls.cert, `${field}.cert`));
}

/** Validates a config's `tls` object; relative paths are taken from `baseDir` (the config's folder). */
export function validateTlsOptions(raw: unknown, baseDir: string, field = 'tls'): TlsOptions | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null) throw new ConfigError(`${field}: expected {"ca": FILE, "cert": FILE, "key": FILE}`, field);
  const o = raw as Record<string, unknown>;
  rejectUnknownKeys(o, ['ca', 'cert', 'key'], field);
  const get = (k: string): string => {
    const v = optionalString(o, k, `${field}.`);
    if (!v) throw new ConfigError(`${field}.${k}: missing; give the path of a PEM file`, `${field}.${k}`);
    return resolve(baseDir, v);
  };
  return { ca: get('ca'), cert: get('cert'), key: get('key') };
}
