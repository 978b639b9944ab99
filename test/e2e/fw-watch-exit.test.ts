import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { BIN } from '../support/paths';
import { testPki } from '../support/pki';
import { runCommand } from '../support/processes';

/** A free loopback port: bound and released, so nothing listens there. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

test(
  'fsso-fw watch with no table within --timeout exits 1 with the reason (it used to print it and keep retrying)',
  { timeout: 30_000 },
  async () => {
    const pki = testPki();
    const port = await freePort();
    const r = await runCommand(BIN.fw, [
      'watch',
      '--timeout',
      '1s',
      '--collector',
      `127.0.0.1:${port}`,
      '--ca',
      pki.ca,
      '--cert',
      pki.firewall.cert,
      '--key',
      pki.firewall.key,
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(`no table from the collector at 127\\.0\\.0\\.1:${port} within 1000 ms \\(.*ECONNREFUSED.*\\)`),
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  },
);
