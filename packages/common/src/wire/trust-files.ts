import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { experimental } from '@grpc/grpc-js';
import { ConfigError, errorMessage } from '../errors';
import { readTrustFile } from '../config/file-modes';

type CertificateProvider = experimental.CertificateProvider;
type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

export interface TrustFiles {
  ca: string;
  cert: string;
  key: string;
}

/** What the provider reports: a reload it refused (the previous files stay in use), or one it took. */
export interface TrustFileEvents {
  refused(reason: string, file: string, field: string): void;
  reloaded(files: TrustFiles): void;
}

interface Loaded {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/**
 * Serves the server's CA, certificate and key to grpc-js, and re-reads them every `refreshMs` so a
 * renewed certificate is used without a restart. It replaces grpc-js's FileWatcherCertificateProvider,
 * which hands on whatever the files hold: this one first refuses files other users can change
 * (a CA file anyone can append to would let anyone mint an admin), a certificate that does not
 * parse or has expired, and a key that does not match the certificate (a renewal caught half
 * way). A refused reload keeps the previous credentials and is reported once until it changes.
 */
export class CheckedFileCertificateProvider implements CertificateProvider {
  private current: Loaded;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  private timer: NodeJS.Timeout | undefined;
  private lastRefusal: string | undefined;

  constructor(
    private readonly files: TrustFiles,
    private readonly refreshMs: number,
    private readonly events: TrustFileEvents,
    private readonly field = 'tls',
  ) {
    // A start with bad files must fail, naming the field.
    const first = load(files, field);
    if (!first.ok) throw new ConfigError(`${first.field}: ${first.reason}`, first.field);
    this.current = first.files;
  }

  /** Re-reads the files now; called by the timer. True when new credentials were handed on. */
  refresh(): boolean {
    const r = load(this.files, this.field);
    if (!r.ok) {
      if (r.reason !== this.lastRefusal) {
        this.lastRefusal = r.reason;
        this.events.refused(r.reason, r.file, r.field);
      }
      return false;
    }
    this.lastRefusal = undefined;
    const next = r.files;
    const caChanged = !next.ca.equals(this.current.ca);
    const idChanged = !next.cert.equals(this.current.cert) || !next.key.equals(this.current.key);
    if (!caChanged && !idChanged) return false;
    this.current = next;
    if (caChanged) for (const l of this.caListeners) l({ caCertificate: next.ca });
    if (idChanged) for (const l of this.identityListeners) l({ certificate: next.cert, privateKey: next.key });
    this.events.reloaded(this.files);
    return true;
  }

  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    process.nextTick(listener, { caCertificate: this.current.ca });
    this.watch();
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
    this.unwatch();
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    process.nextTick(listener, { certificate: this.current.cert, privateKey: this.current.key });
    this.watch();
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
    this.unwatch();
  }

  private watch(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.refresh(), this.refreshMs);
    // The server keeps the process alive; the watch alone must not.
    this.timer.unref();
  }

  private unwatch(): void {
    if (this.caListeners.size > 0 || this.identityListeners.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

type LoadResult = { ok: true; files: Loaded } | { ok: false; file: string; field: string; reason: string };

/** Reads and checks the three files; the first problem is returned with the file and the fix. */
function load(files: TrustFiles, field: string): LoadResult {
  const read: Partial<Loaded> = {};
  for (const k of ['ca', 'cert', 'key'] as const) {
    try {
      read[k] = readTrustFile(files[k], `${field}.${k}`);
    } catch (err) {
      // readTrustFile's message starts with the field; the log line names the field separately.
      return { ok: false, file: files[k], field: `${field}.${k}`, reason: errorMessage(err).replace(/^[\w.]+: /, '') };
    }
  }
  const { ca, cert, key } = read as Loaded;
  const bad = (k: keyof TrustFiles, reason: string): LoadResult => ({
    ok: false,
    file: files[k],
    field: `${field}.${k}`,
    reason,
  });
  let x509: X509Certificate;
  try {
    new X509Certificate(ca);
  } catch (err) {
    return bad('ca', `${files.ca} is not a PEM certificate (${errorMessage(err)}); put the CA file back`);
  }
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    return bad('cert', `${files.cert} is not a PEM certificate (${errorMessage(err)}); put the certificate back`);
  }
  if (Date.parse(x509.validTo) < Date.now())
    return bad(
      'cert',
      `${files.cert} expired on ${new Date(x509.validTo).toISOString()}; issue a new one ('fssoctl pki issue')`,
    );
  let matches: boolean;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    return bad('key', `${files.key} is not a PEM private key (${errorMessage(err)}); put the key file back`);
  }
  if (!matches) return bad('key', `${files.key} is not the key of ${files.cert}; replace both files together`);
  return { ok: true, files: { ca, cert, key } };
}
