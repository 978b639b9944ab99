/**
 * `fsso-fw --config`, `decide` and `status` as an operator runs them, against a real collector.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentStream } from '../support/agent-stream';
import { BIN } from '../support/paths';
import { testPki } from '../support/pki';
import { runCommand, startCollector, tempDir, writeFirewallConfig } from '../support/processes';

test('fsso-fw decide and status from a config file with two collectors; bad configs name the key and the fix', async (t) => {
  const dir = tempDir('cli-fw-client');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());
  const pki = testPki();
  const agent = new AgentStream(collector.address, pki.ca, pki.agent);
  t.after(() => agent.close());
  assert.equal((await agent.hello('dc1', ['CORP'])).ok, true);
  assert.equal((await agent.send([{ user: 'alice', domain: 'CORP', ip: '198.18.9.1' }])).ok, true);

  const policy = join(dir.path, 'policy.json');
  writeFileSync(
    policy,
    JSON.stringify({
      rules: [
        { action: 'allow', name: 'staff', users: ['CORP\\alice'] },
        { action: 'deny', name: 'unknown', unknown: true },
      ],
    }),
  );
  const cfg = join(dir.path, 'fw.json');
  // The first collector is down (nothing listens on port 1): the client serves from the second.
  writeFirewallConfig(cfg, ['127.0.0.1:1', { name: 'main', address: collector.address }], {
    policy: 'policy.json',
    grace: '2s',
    failMode: 'keep',
  });

  const allow = await runCommand(BIN.fw, ['decide', '198.18.9.1', '--config', cfg, '--json']);
  assert.equal(allow.code, 0, allow.stderr);
  assert.deepEqual(JSON.parse(allow.stdout), {
    ip: '198.18.9.1',
    action: 'allow',
    rule: 0,
    ruleName: 'staff',
    user: 'CORP\\alice',
    reason: 'CORP\\alice is named: rule 0 "staff" allows',
  });
  const deny = await runCommand(BIN.fw, ['decide', '198.18.9.2', '--config', cfg]);
  assert.equal(deny.code, 1);
  assert.equal(
    deny.stdout.trim(),
    'DENY 198.18.9.2: no user is known at this address: rule 1 "unknown" (unknown) denies',
  );

  const status = await runCommand(BIN.fw, ['status', '--config', cfg, '--json']);
  assert.equal(status.code, 0, status.stderr);
  const s = JSON.parse(status.stdout) as {
    collector: string;
    mode: string;
    entries: number;
    collectors: { name: string }[];
  };
  assert.equal(s.collector, 'main');
  assert.equal(s.mode, 'LIVE');
  assert.equal(s.entries, 1);
  assert.deepEqual(
    s.collectors.map((c) => c.name),
    ['127.0.0.1:1', 'main'],
  );
  const human = await runCommand(BIN.fw, ['status', '--config', cfg]);
  assert.match(human.stdout, /collector: {3}main\nstate: {7}LIVE/);

  const bad: [Record<string, unknown>, RegExp][] = [
    [
      { collectors: [collector.address], insecure: true, colectors: [] },
      /colectors: unknown setting; known ones here are collectors, tls/,
    ],
    [
      { collectors: [collector.address], insecure: true, failMode: 'open' },
      /failMode: expected "closed" or "keep", got "open"/,
    ],
    [{ collectors: [collector.address], insecure: true, grace: 'soon' }, /grace: "soon" is not a duration/],
    [{ collectors: [], insecure: true }, /collectors: list at least one collector/],
    [
      {
        collectors: [collector.address],
        insecure: true,
        policy: { rules: [{ action: 'allow', groups: ['VPN-Users'] }] },
      },
      /policy\.rules\[0\]\.groups: "VPN-Users" names no domain/,
    ],
  ];
  for (const [c, re] of bad) {
    writeFileSync(cfg, JSON.stringify(c));
    const r = await runCommand(BIN.fw, ['status', '--config', cfg]);
    assert.equal(r.code, 1, `${JSON.stringify(c)}: ${r.stderr}`);
    assert.match(r.stderr, /\[FSSO_CONFIG_INVALID\]\n$/);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});
