import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { loadFsso, type AgentServiceClient, type CollectorMessage__Output } from '@fsso/common';
import { BIN } from '../support/paths';
import { runCommand, startCollector, tempDir } from '../support/processes';
import { testPki } from '../support/pki';

/** Raw control characters a terminal would act on (LF is allowed between output lines). */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

test('agent-supplied text with terminal escapes and newlines is shown escaped by fssoctl, exact in --json', async (t) => {
  const dir = tempDir('sanitise');
  t.after(dir.cleanup);
  const pki = testPki();
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());

  // A real agent certificate sends an event whose free-text fields try to clear the screen and forge
  // an output line: C0/C1 control characters are refused at the edge. The next event's text uses
  // what passes the edge (a bidi override, a Unicode line separator) and must still print escaped.
  const { proto } = loadFsso();
  const client = new proto.fsso.v1.AgentService(
    collector.address,
    grpc.credentials.createSsl(readFileSync(pki.ca), readFileSync(pki.agent.key), readFileSync(pki.agent.cert)),
  ) as AgentServiceClient;
  t.after(() => client.close());
  const stream = client.report();
  const acked = new Promise<CollectorMessage__Output>((resolve, reject) => {
    stream.on('data', (m: CollectorMessage__Output) => m.ack && resolve(m));
    stream.on('error', reject);
  });
  const source = 'win\u2028FAKE';
  const now = Date.now();
  stream.write({
    hello: {
      agentId: 'dc1',
      domains: ['CORP'],
      hostname: 'dc1\x1b[5m',
      version: 'test',
      spoolId: 's-sanitise',
      headSeq: 2,
    },
  });
  stream.write({
    batch: {
      events: [
        {
          seq: 1,
          kind: 'USER_LOGON',
          user: 'eve',
          domain: 'CORP',
          ip: '198.18.7.2',
          eventTimeMs: now,
          source: 'win\x1b[31m\r',
          sourceEventId: '4624\x9b2J',
          reporter: 'dc\x1b[2J\nFAKE',
          logonType: 3,
        },
        {
          seq: 2,
          kind: 'USER_LOGON',
          user: 'mallory\u202eevil',
          domain: 'CORP',
          ip: '198.18.7.1',
          eventTimeMs: now,
          source,
          sourceEventId: '4624\u202e',
          reporter: 'dc1',
          logonType: 3,
        },
      ],
      headSeq: 2,
    },
  });
  assert.equal((await acked).ack?.accepted, 1, 'the event with C0/C1 control characters is refused at the edge');
  await collector.daemon.waitFor(
    (l) => l.message === 'event rejected' && /contains control characters/.test(String(l['reason'])),
  );
  stream.end();

  await t.test('explain: escaped, on the lines it owns', async () => {
    const r = await runCommand(BIN.ctl, ['explain', '198.18.7.1', ...collector.args('admin')]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, RAW_CONTROL);
    assert.match(r.stdout, /^  source       win\\u2028FAKE$/m);
    assert.match(r.stdout, /4624\\u202e/);
    assert.match(r.stdout, /^198\.18\.7\.1 is CORP\\mallory\\u202eevil$/m);
    assert.doesNotMatch(r.stdout, /^FAKE/m, 'no forged line');
  });

  await t.test('who, logons and agents: escaped too', async () => {
    for (const args of [['who', '198.18.7.1'], ['logons'], ['agents']]) {
      const r = await runCommand(BIN.ctl, [...args, ...collector.args('admin')]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, RAW_CONTROL, args.join(' '));
    }
    const agents = await runCommand(BIN.ctl, ['agents', ...collector.args('admin')]);
    assert.match(agents.stdout, /dc1\\x1b\[5m/);
  });

  await t.test('--json keeps the exact text', async () => {
    const r = await runCommand(BIN.ctl, ['explain', '198.18.7.1', '--json', ...collector.args('admin')]);
    const ex = JSON.parse(r.stdout) as {
      identity: { user: string; source: string };
      evidence: { reporter: string; source: string; sourceEventId: string }[];
    };
    assert.equal(ex.evidence[0]?.source, source);
    assert.equal(ex.evidence[0]?.sourceEventId, '4624\u202e');
    assert.equal(ex.identity.user, 'mallory\u202eevil');
  });
});
