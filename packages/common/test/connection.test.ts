import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, resolveConnection } from '../src/index';

test('CLI: --insecure with --ca/--cert/--key is a usage error naming both, from flags or environment', () => {
  const flags = { collector: '127.0.0.1:7450', insecure: true, ca: 'ca.pem', cert: 'ops.pem', key: 'ops.key' };
  assert.throws(
    () => resolveConnection(flags, {}),
    (err: unknown) =>
      err instanceof UsageError &&
      /^--insecure and --ca\/--cert\/--key are both given .*; drop --insecure to use mutual TLS, or drop the TLS files for a plaintext lab collector$/.test(
        err.message,
      ),
  );
  // One TLS file is enough to make the intent ambiguous.
  assert.throws(() => resolveConnection({ insecure: true, ca: 'ca.pem' }, {}), /--insecure and --ca are both given/);
  // FSSO_INSECURE in the environment with TLS flags: the same error, naming the variable.
  assert.throws(
    () => resolveConnection({ ca: 'ca.pem', cert: 'ops.pem', key: 'ops.key' }, { FSSO_INSECURE: '1' }),
    /^UsageError: FSSO_INSECURE and --ca\/--cert\/--key are both given/,
  );
  // --insecure alone still works (and warns on stderr).
  assert.equal(resolveConnection({ insecure: true }, {}).insecure, true);
});
