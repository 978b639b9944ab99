import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certAgentId, identityFromSan } from '../src/pki/roles';
import { collectorCertProblem } from '../src/wire/credentials';

test('identityFromSan reads agent ids beside roles and domains', () => {
  const id = identityFromSan(
    'URI:urn:fsso:role:agent, URI:urn:fsso:domain:corp, URI:urn:fsso:agent:dc1.corp.example, DNS:dc1.corp.example',
  );
  assert.deepEqual(id, { roles: ['agent'], domains: ['CORP'], agentIds: ['dc1.corp.example'] });
});

test("a certificate's agent id: its one agent URI, else its CN; several or a malformed one is a refusal", () => {
  assert.deepEqual(certAgentId(['dc1'], 'something-else'), { id: 'dc1' });
  assert.deepEqual(certAgentId([], 'dc1.corp.example'), { id: 'dc1.corp.example' }, 'certificates from before the URI');
  assert.match(
    (certAgentId(['dc1', 'dc2'], 'dc1') as { problem: string }).problem,
    /names 2 agent ids \(dc1, dc2\); issue it with one/,
  );
  assert.match((certAgentId([], 'DC one') as { problem: string }).problem, /agent id "DC one" is not 1-128 letters/);
  assert.match((certAgentId([], undefined) as { problem: string }).problem, /agent id ""/);
});

test('a server certificate is a collector only with the serverAuth EKU and the collector role', () => {
  const base = { subject: { CN: 'c1' }, subjectaltname: 'URI:urn:fsso:role:collector, IP Address:127.0.0.1' };
  assert.equal(collectorCertProblem({ ...base, ext_key_usage: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'] }), undefined);
  assert.match(
    collectorCertProblem(base) ?? '',
    /has no extended key usage, so it is not marked serverAuth: it is not a collector certificate; point --collector at the collector/,
  );
  assert.match(
    collectorCertProblem({ ...base, ext_key_usage: ['1.3.6.1.5.5.7.3.2'] }) ?? '',
    /is not for servers \(no serverAuth extended key usage\)/,
  );
  assert.match(
    collectorCertProblem(
      { ...base, subjectaltname: 'URI:urn:fsso:role:firewall', ext_key_usage: ['1.3.6.1.5.5.7.3.1'] },
      'collectors[0].address',
    ) ?? '',
    /^the server's certificate \(c1\) has role firewall, not collector: it is not a collector; point collectors\[0\]\.address at the collector or reissue its certificate with 'fssoctl pki issue --role collector'$/,
  );
});
