import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../support/paths';
import { runCommand, startCollector, startProcess, tempDir } from '../support/processes';
import { until } from '../support/grpc';

test('fsso-fw watch says when it is back after a collector restart, and the replica is live again', async (t) => {
  const dir = tempDir('fw-reconnect');
  t.after(dir.cleanup);
  const first = await startCollector(dir.path);
  t.after(() => first.daemon.stop());
  const watch = startProcess('fsso-fw watch', BIN.fw, ['watch', '--json', ...first.args('firewall')]);
  t.after(() => watch.stop());
  await watch.waitFor((l) => l['event'] === 'ready');

  await first.daemon.stop();
  await until(
    'the watch to report the lost stream',
    () => watch.stderr.some((l) => /^fsso-fw: disconnected \(.*\); reconnecting$/.test(l)),
    15_000,
    50,
  );
  // Down for a while, so the retry backoff has grown as it does in a real outage.
  await new Promise((r) => setTimeout(r, 6000));
  // Same port, same data folder: the collector a firewall knows, restarted.
  const second = await startCollector(dir.path, { port: first.port });
  t.after(() => second.daemon.stop());
  const answeredAt = Date.now();
  const back = await watch.waitFor((l) => l['event'] === 'reconnected', 20_000);
  t.diagnostic(
    `replica live again ${Date.now() - answeredAt} ms after the restarted collector logged 'collector listening'; down ${String(back['downMs'])} ms in all`,
  );
  assert.equal(typeof back['revision'], 'number');
  await until(
    'the human line on stderr',
    () => watch.stderr.some((l) => /^fsso-fw: back: live again after \d+\.\d s, 0 entries at revision \d+$/.test(l)),
    5000,
    50,
  );
});

test("parse --config applies that config's source format, filters and folding; --stats counts them", async (t) => {
  const dir = tempDir('parse-config');
  t.after(dir.cleanup);
  const now = Date.now();
  const at = (s: number): string => new Date(now - s * 1000).toISOString();
  const events = join(dir.path, 'events.jsonl');
  writeFileSync(
    events,
    [
      { kind: 'USER_LOGON', user: 'alice', domain: 'CORP', ip: '198.18.5.1', eventTime: at(30) },
      { kind: 'USER_LOGON', user: 'alice', domain: 'CORP', ip: '198.18.5.1', eventTime: at(29) }, // folded into the first
      { kind: 'USER_LOGON', user: 'svc-backup', domain: 'CORP', ip: '198.18.5.2', eventTime: at(28) }, // ignoreUsers
      { kind: 'USER_LOGON', user: 'bob', domain: 'CORP', ip: '198.18.6.9', eventTime: at(27) }, // ignoreNetworks
      { kind: 'USER_LOGON', user: 'carol', domain: 'CORP', ip: '198.18.5.3', eventTime: at(26) },
    ]
      .map((e) => JSON.stringify({ source: 'windows-security', sourceEventId: '4624', logonType: 3, ...e }))
      .join('\n') + '\n',
  );
  const config = join(dir.path, 'agent.json');
  writeFileSync(
    config,
    JSON.stringify({
      agentId: 'dc1',
      domains: ['CORP'],
      insecure: true,
      collectors: [{ name: 'main', address: '127.0.0.1:7450' }],
      sources: [{ name: 'recorded', format: 'events', path: events }],
      filters: { ignoreUsers: ['svc-*'], ignoreNetworks: ['198.18.6.0/24'], coalesceWindow: '30s' },
    }),
  );
  const raw = await runCommand(BIN.agent, ['parse', '--format', 'events', events]);
  assert.equal(raw.stdout.trim().split('\n').length, 5, 'without --config nothing is filtered');
  const r = await runCommand(BIN.agent, ['parse', '--config', config, '--stats', events]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { user: string }).user),
    ['alice', 'carol'],
  );
  assert.match(
    r.stderr,
    /^5 records, 5 events, 2 would be sent \(filters and folding of .*agent\.json, source recorded\)$/m,
  );
  assert.match(r.stderr, /^ {2}ignored user +1$/m);
  assert.match(r.stderr, /^ {2}ignored network +1$/m);
  assert.match(r.stderr, /^ {2}folded +1$/m);
  const missing = await runCommand(BIN.agent, ['parse', '--config', config, '--source', 'nope', events]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /has no file source named nope; its file sources are recorded/);
});
