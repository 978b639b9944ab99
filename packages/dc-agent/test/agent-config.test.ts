import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@fsso/common';
import { resolveAgentConfig } from '../src/config';

/** Runs resolveAgentConfig and returns the ConfigError's field and message. */
function configError(raw: Record<string, unknown>): { field: string; message: string } {
  try {
    resolveAgentConfig(raw, '/etc/fsso');
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

  const own = configError({ collectors: [{ ...collector, insecure: true }, { ...collector, name: 'b', insecure: true, tls }], sources });
  assert.equal(own.field, 'collectors[1].insecure');
  assert.match(own.message, /^collectors\[1\]\.insecure, collectors\[1\]\.tls: plaintext is asked for a collector that has its own "tls" block/);

  // The top-level insecure default must not silently drop a collector's own tls.
  const inherited = configError({ insecure: true, collectors: [{ ...collector, tls }], sources });
  assert.equal(inherited.field, 'insecure');
  assert.match(inherited.message, /^insecure \(top level\), collectors\[0\]\.tls: /);
});

test('agent: plaintext alone, or one collector explicitly insecure under a top-level tls, is allowed', () => {
  const plain = resolveAgentConfig({ insecure: true, collectors: [collector], sources }, '/etc/fsso');
  assert.equal(plain.collectors[0]?.insecure, true);
  const one = resolveAgentConfig({ tls, collectors: [{ ...collector, insecure: true }], sources }, '/etc/fsso');
  assert.deepEqual(one.collectors.map((c) => [c.name, c.insecure, c.keyFile]), [['main', true, undefined]]);
});
