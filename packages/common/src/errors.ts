/**
 * Every stable error code. Scripts and tests match on these strings, and the service edge maps
 * each one to a gRPC status in a `Record<FssoErrorCode, status>`, so a code added here without a
 * status fails the build instead of silently becoming INTERNAL.
 */
export type FssoErrorCode =
  | 'FSSO_CONFIG_INVALID'
  | 'FSSO_INVALID_INPUT'
  | 'FSSO_NOT_FOUND'
  | 'FSSO_PEER_UNAVAILABLE'
  | 'FSSO_LDAP_UNAVAILABLE'
  | 'FSSO_USAGE'
  | 'FSSO_FILE'
  | 'FSSO_FILE_UNREADABLE'
  | 'FSSO_PKI'
  | 'FSSO_CERT_INVALID'
  | 'FSSO_KEY_INVALID'
  | 'FSSO_DB_OPEN'
  | 'FSSO_DB_NOT_SQLITE'
  | 'FSSO_DB_TOO_NEW'
  | 'FSSO_SPOOL_OPEN'
  | 'FSSO_LISTEN_FAILED'
  | 'FSSO_TLS_UNAVAILABLE'
  | 'FSSO_PERMISSION_DENIED'
  | 'FSSO_CALL_FAILED'
  | 'FSSO_INSTALL'
  | 'FSSO_NEEDS_ROOT'
  | 'FSSO_NEEDS_ADMIN'
  | 'FSSO_STALE_IDENTITY'
  | 'FSSO_INTERNAL';

/**
 * One error family for every package. `code` is stable (scripts and tests match on it); the
 * message says what is wrong and what to do. Services translate to gRPC status codes only at
 * their edge.
 */
export class FssoError extends Error {
  readonly code: FssoErrorCode;
  constructor(code: FssoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A configuration value is missing or wrong. `field` is its path, e.g. `sources[0].path`. */
export class ConfigError extends FssoError {
  readonly field: string;
  constructor(message: string, field: string) {
    super('FSSO_CONFIG_INVALID', message);
    this.field = field;
  }
}

/** Input from the outside (an event, a request) is malformed. */
export class InvalidInputError extends FssoError {
  constructor(message: string) {
    super('FSSO_INVALID_INPUT', message);
  }
}

/** The thing asked for does not exist (an address nobody is logged on at). */
export class NotFoundError extends FssoError {
  constructor(message: string) {
    super('FSSO_NOT_FOUND', message);
  }
}

/** A peer (collector, agent) cannot be reached or broke the protocol. */
export class PeerError extends FssoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FSSO_PEER_UNAVAILABLE', message, options);
  }
}

/** A file could not be used for a reason other than "not there" (permissions, a folder, a full disk). */
export class FileError extends FssoError {
  /** The errno code Node reported, e.g. `EACCES`. */
  readonly errno: string;
  constructor(
    message: string,
    readonly path: string,
    errno: string,
  ) {
    super('FSSO_FILE', message);
    this.errno = errno;
  }
}

/** A file a command was pointed at could not be read. */
export class FileUnreadableError extends FssoError {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super('FSSO_FILE_UNREADABLE', message);
  }
}

/** Why a PKI step failed: openssl is missing, openssl refused, or the folder holds no CA. */
export type PkiFailure = 'openssl-missing' | 'openssl-failed' | 'no-ca';

/** A step of `fssoctl pki` failed. */
export class PkiError extends FssoError {
  constructor(
    message: string,
    readonly reason: PkiFailure,
  ) {
    super('FSSO_PKI', message);
  }
}

/** A file given as a certificate is not one (`field` names the setting or flag, e.g. `tls.cert`). */
export class CertificateInvalidError extends FssoError {
  constructor(
    message: string,
    readonly field: string,
    readonly file: string,
  ) {
    super('FSSO_CERT_INVALID', message);
  }
}

/** A file given as a private key is not one. */
export class KeyInvalidError extends FssoError {
  constructor(
    message: string,
    readonly field: string,
    readonly file: string,
  ) {
    super('FSSO_KEY_INVALID', message);
  }
}

/** The collector's database could not be opened or used. */
export class DatabaseOpenError extends FssoError {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super('FSSO_DB_OPEN', message);
  }
}

/** The database file is not the collector's SQLite file; it was left untouched. */
export class DatabaseNotSqliteError extends FssoError {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super('FSSO_DB_NOT_SQLITE', message);
  }
}

/** The database has a newer schema than this collector knows. */
export class DatabaseTooNewError extends FssoError {
  constructor(
    message: string,
    readonly path: string,
    readonly version: number,
    readonly known: number,
  ) {
    super('FSSO_DB_TOO_NEW', message);
  }
}

/** The agent's spool could not be opened. */
export class SpoolOpenError extends FssoError {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super('FSSO_SPOOL_OPEN', message);
  }
}

/** A server (gRPC, metrics) could not listen on its address. */
export class ListenError extends FssoError {
  constructor(
    message: string,
    readonly address: string,
  ) {
    super('FSSO_LISTEN_FAILED', message);
  }
}

/** The TLS certificate, key or CA could not be loaded in time. */
export class TlsUnavailableError extends FssoError {
  constructor(message: string) {
    super('FSSO_TLS_UNAVAILABLE', message);
  }
}

/** The collector at `address` refused a call for this certificate's role. */
export class PermissionDeniedError extends FssoError {
  constructor(
    message: string,
    readonly address: string,
  ) {
    super('FSSO_PERMISSION_DENIED', message);
  }
}

/** The collector at `address` answered a call with an error status. */
export class CallFailedError extends FssoError {
  constructor(
    message: string,
    readonly address: string,
  ) {
    super('FSSO_CALL_FAILED', message);
  }
}

/** Installing or removing a service cannot go ahead as asked. */
export class InstallError extends FssoError {
  constructor(message: string) {
    super('FSSO_INSTALL', message);
  }
}

/** A command needs more rights than it runs with: root on Linux, an elevated prompt on Windows. */
export class PrivilegeError extends FssoError {
  constructor(
    message: string,
    readonly needs: 'root' | 'admin',
  ) {
    super(needs === 'root' ? 'FSSO_NEEDS_ROOT' : 'FSSO_NEEDS_ADMIN', message);
  }
}

/**
 * An identity a firewall replica's `lookup()` gave was read after its entry changed (a Sync
 * message applied since, on a later turn of the event loop): it would otherwise answer with
 * whatever the replica holds there now. A mistake of the caller, named with the way out.
 */
export class StaleIdentityError extends FssoError {
  /** The address that was looked up. */
  readonly ip: string;
  constructor(ip: string) {
    super(
      'FSSO_STALE_IDENTITY',
      `the identity looked up at ${ip} was read after the replica's entry there changed or was removed; read it in the same synchronous section as lookup(), or call toObject() on it to keep a copy across an await`,
    );
    this.ip = ip;
  }
}

/** A broken invariant of our own or of a dependency (not the operator's mistake). */
export class InternalError extends FssoError {
  constructor(message: string) {
    super('FSSO_INTERNAL', message);
  }
}

/** Narrows anything thrown to a message, without casting. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : JSON.stringify(err);
}
