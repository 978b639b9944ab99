import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  ConfigError,
  DatabaseNotSqliteError,
  InvalidInputError,
  NotFoundError,
  PermissionDeniedError,
  TlsUnavailableError,
} from '@fsso/common';
import { toServiceError } from '../src/services/status';
import { DirectoryUnavailableError } from '../src/directory/ldap';
import { openDatabase } from '../src/store/database';

test('the service edge turns each error into its gRPC status and keeps the message', () => {
  assert.deepEqual(toServiceError(new NotFoundError('no user is known at 10.0.0.1')), {
    code: grpc.status.NOT_FOUND,
    details: 'no user is known at 10.0.0.1',
  });
  assert.deepEqual(toServiceError(new InvalidInputError('bad ip')), {
    code: grpc.status.INVALID_ARGUMENT,
    details: 'bad ip',
  });
  assert.deepEqual(toServiceError(new ConfigError('x', 'f')), { code: grpc.status.FAILED_PRECONDITION, details: 'x' });
  assert.deepEqual(toServiceError(new DirectoryUnavailableError('ldap down')), {
    code: grpc.status.UNAVAILABLE,
    details: 'ldap down',
  });
  assert.deepEqual(toServiceError(new TlsUnavailableError('no tls')), {
    code: grpc.status.UNAVAILABLE,
    details: 'no tls',
  });
  assert.deepEqual(toServiceError(new PermissionDeniedError('refused', '127.0.0.1:1')), {
    code: grpc.status.PERMISSION_DENIED,
    details: 'refused',
  });
});

test('anything that is not ours becomes INTERNAL, saying so', () => {
  assert.deepEqual(toServiceError(new Error('boom')), { code: grpc.status.INTERNAL, details: 'internal error: boom' });
  assert.deepEqual(toServiceError('boom'), { code: grpc.status.INTERNAL, details: 'internal error: boom' });
});

test('a file that is not SQLite is refused with a named error, and left untouched', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsso-status-'));
  try {
    const path = join(dir, 'collector.db');
    writeFileSync(path, 'not a database, an operator file\n'.repeat(200));
    assert.throws(
      () => openDatabase(path, 'full'),
      (err: unknown) => {
        assert.ok(err instanceof DatabaseNotSqliteError);
        assert.equal(err.code, 'FSSO_DB_NOT_SQLITE');
        assert.equal(err.path, path);
        assert.match(err.message, /is not an SQLite database of the collector .*it was left untouched/);
        return true;
      },
    );
    assert.equal(readFileSync(path, 'utf8'), 'not a database, an operator file\n'.repeat(200));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
