import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@fsso/common';
import { resolveAgentConfig } from '../src/config';

/** Runs resolveAgentConfig and returns the ConfigError's field and message. */
function configError(raw: Record<string, unknown>, baseDir = '/etc/fsso'): { field: string; message: string } {
  try {
    resolveAgentConfig(raw, baseDir);
  } catch (err: unknown) {
    if (err instanceof ConfigError) return { field: err.field, message: err.message };
    throw err;
  }
  assert.fail('expected a ConfigError');
}

const tls = { ca: 'ca.pem', cert: 'dc1.pem', key: 'dc1.key' };
const sources = [{ format: 'windows-xml', path: 'security.xml' }];
const collector = { name: 'main', address: '127.0.0.1:7450' };

test('agent: "insecure": true next to a tls block is an error naming both, at the top and per collector', () => {
  const top = configError({ insecure: true, tls, collectors: [collector], sources });
  assert.equal(top.field, 'insecure');
  assert.match(top.message, /^insecure, tls: .*remove "insecure" for mutual TLS, or remove "tls" for a plaintext lab$/);

  const own = configError({
    collectors: [
      { ...collector, insecure: true },
      { ...collector, name: 'b', insecure: true, tls },
    ],
    sources,
  });
  assert.equal(own.field, 'collectors[1].insecure');
  assert.match(
    own.message,
    /^collectors\[1\]\.insecure, collectors\[1\]\.tls: plaintext is asked for a collector that has its own "tls" block/,
  );

  // The top-level insecure default must not silently drop a collector's own tls.
  const inherited = configError({ insecure: true, collectors: [{ ...collector, tls }], sources });
  assert.equal(inherited.field, 'insecure');
  assert.match(inherited.message, /^insecure \(top level\), collectors\[0\]\.tls: /);
});

test('agent: plaintext alone, or one collector explicitly insecure under a top-level tls, is allowed', () => {
  const plain = resolveAgentConfig({ insecure: true, collectors: [collector], sources }, '/etc/fsso');
  assert.equal(plain.collectors[0]?.insecure, true);
  const one = resolveAgentConfig({ tls, collectors: [{ ...collector, insecure: true }], sources }, '/etc/fsso');
  assert.deepEqual(
    one.collectors.map((c) => [c.name, c.insecure, c.keyFile]),
    [['main', true, undefined]],
  );
});

test('syslog listener: allowFrom is required, and a tls block needs readable PEM files', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsso-agentcfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const base = { insecure: true, collectors: [collector] };
  const syslog = (extra: Record<string, unknown>): Record<string, unknown> => ({
    ...base,
    sources: [{ format: 'syslog-listener', udp: '0.0.0.0:514', ...extra }],
  });
  const missing = configError(syslog({}));
  assert.equal(missing.field, 'sources[0].allowFrom');
  assert.match(
    missing.message,
    /^sources\[0\]\.allowFrom: list the networks of the devices that send syslog, e\.g\. "allowFrom": \["10\.0\.0\.0\/8", "127\.0\.0\.1"\]/,
  );
  assert.equal(configError(syslog({ allowFrom: ['10.0.0.0/8', 'gateway'] })).field, 'sources[0].allowFrom[1]');

  const ok = resolveAgentConfig(syslog({ allowFrom: ['10.0.0.0/8', '127.0.0.1'] }), dir).sources[0];
  assert.deepEqual(ok?.kind === 'syslog-listener' && ok.allowFrom, ['10.0.0.0/8', '127.0.0.1']);

  for (const f of ['ca.pem', 'l.pem', 'l.key']) writeFileSync(join(dir, f), 'PEM');
  const tlsOnly = (tlsBlock: Record<string, unknown>): Record<string, unknown> => ({
    ...base,
    sources: [{ format: 'syslog-listener', allowFrom: ['10.0.0.0/8'], tls: tlsBlock }],
  });
  const noFile = configError(tlsOnly({ ca: 'nope.pem', cert: 'l.pem', key: 'l.key' }), dir);
  assert.equal(noFile.field, 'sources[0].tls.ca');
  assert.match(
    noFile.message,
    /^sources\[0\]\.tls\.ca: cannot read nope\.pem .*; give the PEM file of the CA that signs the senders' client certificates$/,
  );
  assert.equal(configError(tlsOnly({ ca: 'ca.pem', cert: 'l.pem' }), dir).field, 'sources[0].tls.key');
  const src = resolveAgentConfig(tlsOnly({ ca: 'ca.pem', cert: 'l.pem', key: 'l.key' }), dir).sources[0];
  assert.equal(src?.kind === 'syslog-listener' && src.tls?.listen, '0.0.0.0:6514', 'RFC 5425 port by default');
});
