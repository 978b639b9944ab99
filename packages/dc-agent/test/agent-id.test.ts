import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, initCa, issueCert, type Issued } from '@fsso/common';
import { resolveAgentConfig } from '../src/config';

const dir = mkdtempSync(join(tmpdir(), 'fsso-agent-id-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const ca = initCa(dir, 'agent-id test CA');
const dc1 = issueCert(ca, { role: 'agent', name: 'dc1.corp.example', agentId: 'dc1', domains: ['CORP'] });

const config = (cert: Issued, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  tls: { ca: ca.cert, cert: cert.cert, key: cert.key },
  collectors: [{ address: '127.0.0.1:7450' }],
  sources: [{ format: 'events', path: 'x.jsonl' }],
  ...extra,
});

test("the agent id defaults to the certificate's (its urn:fsso:agent: URI)", () => {
  assert.equal(resolveAgentConfig(config(dc1), dir).agentId, 'dc1');
  assert.equal(resolveAgentConfig(config(dc1, { agentId: 'dc1' }), dir).agentId, 'dc1', 'naming it again is fine');
});

test('an agentId the certificate does not carry stops the start, naming both and the fix', () => {
  assert.throws(
    () => resolveAgentConfig(config(dc1, { agentId: 'dc2' }), dir),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.field, 'agentId');
      assert.match(
        err.message,
        /^tls\.cert: .*dc1\.corp\.example\.pem is the certificate of agent "dc1", but agentId is "dc2"; collectors refuse a hello naming another agent's id: remove agentId .* or issue a certificate with 'fssoctl pki issue --role agent --agent-id dc2'$/,
      );
      return true;
    },
  );
});

test('plaintext has no certificate: agentId, else the host name', () => {
  const plain = {
    insecure: true,
    collectors: [{ address: '127.0.0.1:7450' }],
    sources: [{ format: 'events', path: 'x.jsonl' }],
  };
  assert.equal(resolveAgentConfig(plain, dir).agentId, hostname());
  assert.equal(resolveAgentConfig({ ...plain, agentId: 'lab-dc' }, dir).agentId, 'lab-dc');
});

test('pki issue writes the agent URI: --agent-id, else the name; a name that is no id needs --agent-id', () => {
  const byName = issueCert(ca, { role: 'agent', name: 'dc3', domains: ['CORP'] });
  assert.equal(resolveAgentConfig(config(byName), dir).agentId, 'dc3');
  // An IPv6 address is a valid --name (an IP SAN) but no agent id.
  assert.throws(() => issueCert(ca, { role: 'agent', name: '::1', domains: ['CORP'] }), /pass --agent-id/);
  const explicit = issueCert(ca, { role: 'agent', name: '::1', agentId: 'dc4', domains: ['CORP'] });
  assert.equal(resolveAgentConfig(config(explicit), dir).agentId, 'dc4');
});
