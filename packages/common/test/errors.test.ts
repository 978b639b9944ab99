import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CallFailedError,
  CertificateInvalidError,
  DatabaseNotSqliteError,
  DatabaseOpenError,
  DatabaseTooNewError,
  FileError,
  FileUnreadableError,
  FssoError,
  InstallError,
  InternalError,
  KeyInvalidError,
  ListenError,
  PermissionDeniedError,
  PkiError,
  PrivilegeError,
  SpoolOpenError,
  TlsUnavailableError,
  type FssoErrorCode,
} from '../src/errors';

test('every named error carries its stable code, its class name and the message as given', () => {
  const cases: [FssoError, FssoErrorCode, string][] = [
    [new FileError('m', '/x', 'EACCES'), 'FSSO_FILE', 'FileError'],
    [new FileUnreadableError('m', '/x'), 'FSSO_FILE_UNREADABLE', 'FileUnreadableError'],
    [new PkiError('m', 'no-ca'), 'FSSO_PKI', 'PkiError'],
    [new CertificateInvalidError('m', 'tls.cert', '/x'), 'FSSO_CERT_INVALID', 'CertificateInvalidError'],
    [new KeyInvalidError('m', 'tls.key', '/x'), 'FSSO_KEY_INVALID', 'KeyInvalidError'],
    [new DatabaseOpenError('m', '/x'), 'FSSO_DB_OPEN', 'DatabaseOpenError'],
    [new DatabaseNotSqliteError('m', '/x'), 'FSSO_DB_NOT_SQLITE', 'DatabaseNotSqliteError'],
    [new DatabaseTooNewError('m', '/x', 9, 4), 'FSSO_DB_TOO_NEW', 'DatabaseTooNewError'],
    [new SpoolOpenError('m', '/x'), 'FSSO_SPOOL_OPEN', 'SpoolOpenError'],
    [new ListenError('m', '127.0.0.1:1'), 'FSSO_LISTEN_FAILED', 'ListenError'],
    [new TlsUnavailableError('m'), 'FSSO_TLS_UNAVAILABLE', 'TlsUnavailableError'],
    [new PermissionDeniedError('m', '127.0.0.1:1'), 'FSSO_PERMISSION_DENIED', 'PermissionDeniedError'],
    [new CallFailedError('m', '127.0.0.1:1'), 'FSSO_CALL_FAILED', 'CallFailedError'],
    [new InstallError('m'), 'FSSO_INSTALL', 'InstallError'],
    [new PrivilegeError('m', 'root'), 'FSSO_NEEDS_ROOT', 'PrivilegeError'],
    [new PrivilegeError('m', 'admin'), 'FSSO_NEEDS_ADMIN', 'PrivilegeError'],
    [new InternalError('m'), 'FSSO_INTERNAL', 'InternalError'],
  ];
  for (const [err, code, name] of cases) {
    assert.ok(err instanceof FssoError, name);
    assert.equal(err.code, code);
    assert.equal(err.name, name);
    assert.equal(err.message, 'm');
  }
});

test('the typed fields say which file, address or step failed', () => {
  const file = new FileError('m', '/etc/fsso/x.pem', 'EACCES');
  assert.deepEqual([file.path, file.errno], ['/etc/fsso/x.pem', 'EACCES']);
  const cert = new CertificateInvalidError('m', '--cert', 'a.key');
  assert.deepEqual([cert.field, cert.file], ['--cert', 'a.key']);
  const db = new DatabaseTooNewError('m', 'c.db', 9, 4);
  assert.deepEqual([db.path, db.version, db.known], ['c.db', 9, 4]);
  assert.equal(new PkiError('m', 'openssl-missing').reason, 'openssl-missing');
  assert.equal(new ListenError('m', '127.0.0.1:9443').address, '127.0.0.1:9443');
  assert.equal(new PrivilegeError('m', 'admin').needs, 'admin');
});
