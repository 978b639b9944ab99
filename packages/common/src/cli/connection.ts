import * as grpc from '@grpc/grpc-js';
import {
  CallFailedError,
  PermissionDeniedError,
  type FssoError,
  PeerError,
  NotFoundError,
  InvalidInputError,
} from '../errors';
import { parseAddress } from '../config/values';
import { channelCredentials, type LinkSecurity } from '../wire/credentials';
import { UsageError } from './run';
import { rememberLink } from './diagnose';

/** parseArgs options every client command shares. */
export const CONNECTION_OPTIONS = {
  collector: { type: 'string' },
  insecure: { type: 'boolean' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  pin: { type: 'string' },
} as const;

export const CONNECTION_HELP = `Connection (flags, or the environment variables in brackets):
  --collector HOST:PORT  the collector [FSSO_COLLECTOR] (default 127.0.0.1:7450)
  --ca FILE --cert FILE --key FILE
                         mutual TLS [FSSO_CA, FSSO_CERT, FSSO_KEY]
  --pin SHA256           accept only the collector certificate with this thumbprint [FSSO_PIN]
  --insecure             plaintext gRPC, for labs [FSSO_INSECURE=1]`;

export interface Connection {
  address: string;
  credentials: grpc.ChannelCredentials;
  insecure: boolean;
}

/** Flags first, then environment, then the default; the error says which flag to add. */
export function resolveConnection(values: Record<string, string | boolean | undefined>, env = process.env): Connection {
  const str = (flag: string, envName: string): string | undefined => {
    const v = values[flag];
    return typeof v === 'string' ? v : env[envName] || undefined;
  };
  const address = parseAddress(str('collector', 'FSSO_COLLECTOR') ?? '127.0.0.1:7450', '--collector');
  const insecure = values['insecure'] === true || env['FSSO_INSECURE'] === '1' || env['FSSO_INSECURE'] === 'true';
  const ca = str('ca', 'FSSO_CA');
  const cert = str('cert', 'FSSO_CERT');
  const key = str('key', 'FSSO_KEY');
  let security: LinkSecurity;
  const pin = str('pin', 'FSSO_PIN');
  // --insecure next to TLS files is a mistake either way round; taking either would hide it.
  if (insecure && (ca || cert || key)) {
    const flag = values['insecure'] === true ? '--insecure' : 'FSSO_INSECURE';
    const given = [ca && '--ca', cert && '--cert', key && '--key'].filter(Boolean).join('/');
    throw new UsageError(
      `${flag} and ${given} are both given (flags or FSSO_CA/FSSO_CERT/FSSO_KEY); drop ${flag} to use mutual TLS, or drop the TLS files for a plaintext lab collector`,
    );
  }
  if (ca && cert && key) security = { tls: { ca, cert, key, pins: pin ? [pin] : undefined } };
  else if (insecure) security = { insecure: true };
  else {
    throw new UsageError(
      'no TLS credentials: pass --ca, --cert and --key (or FSSO_CA/FSSO_CERT/FSSO_KEY), or --insecure for a plaintext lab collector',
    );
  }
  if (security.insecure)
    process.stderr.write('warning: plaintext gRPC (--insecure): identities cross the network unprotected\n');
  const credentials = channelCredentials(security, '--');
  rememberLink(address, security);
  return { address, credentials, insecure: security.insecure === true };
}

/**
 * The reason inside grpc-js's "No connection established. Last error: Error: WHY. Resolution
 * note: " wrapper, so a refused certificate reads as our sentence, not as transport noise.
 */
export function connectionFailureReason(details: string): string {
  const m = /No connection established\. Last error: (?:Error: )?([\s\S]*?)(?:\. Resolution note: [\s\S]*)?$/.exec(
    details,
  );
  return m?.[1] ?? details;
}

/** Turns a failed call into an error that says what to do. */
export function callError(err: unknown, address: string): FssoError {
  const e = err as Partial<grpc.ServiceError>;
  const details = connectionFailureReason(e.details ?? (err instanceof Error ? err.message : String(err)));
  switch (e.code) {
    case grpc.status.NOT_FOUND:
      return new NotFoundError(details);
    case grpc.status.INVALID_ARGUMENT:
      return new InvalidInputError(details);
    case grpc.status.PERMISSION_DENIED:
      return new PermissionDeniedError(`the collector at ${address} refused: ${details}`, address);
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED:
      // Our own refusal of the server's certificate already says what to do.
      if (/it is not a collector/.test(details)) return new PeerError(`refusing the server at ${address}: ${details}`);
      return new PeerError(
        `cannot reach the collector at ${address} (${details}); ${tlsHint(details) ?? 'is it running, and is --collector right?'}`,
      );
    default:
      return new CallFailedError(`the collector at ${address} answered: ${details}`, address);
  }
}

/** A unary call as a promise, with a deadline: `call(addr, (o, cb) => client.getLogon({ ip }, o, cb))`. */
export function call<Res>(
  address: string,
  invoke: (opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Res) => void) => unknown,
  timeoutMs = 10_000,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    invoke({ deadline: Date.now() + timeoutMs }, (err, res) => {
      if (err || res === undefined) reject(callError(err ?? new Error('empty response'), address));
      else resolve(res);
    });
  });
}

/** What a TLS failure inside a gRPC error means, and what to do. */
function tlsHint(details: string): string | undefined {
  if (/self[- ]signed certificate in certificate chain|unable to get local issuer/i.test(details))
    return "the collector's certificate is not from the CA in --ca: use the CA that issued it ('fssoctl tls check' shows the chain)";
  if (/certificate has expired/i.test(details)) return "the collector's certificate has expired: issue a new one";
  if (/does not name|altnames/i.test(details))
    return 'the certificate does not name the address you used: connect by a name it lists';
  if (/certificate required|alert/i.test(details))
    return 'the collector refused the TLS handshake: pass --cert/--key of a certificate from its CA';
  return undefined;
}
