import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from '../support/paths';
import { startPtrServer } from '../support/dns';
import { runCommand, startAgent, startCollector, startWatch, tempDir } from '../support/processes';

interface Row {
  ip: string;
  user: string;
  shared?: boolean;
  workstation?: string;
}

/**
 * Each identity rule's scenario, and the table a firewall must end up with. `format`: a scenario
 * recorded in a source's own format (default: the agent's `events`), for rules the agent applies
 * while reading a record (self-traffic); the running-collector run stamps such files with read time.
 */
const SCENARIOS: { file: string; format?: string; dead?: string; expect: Record<string, string> }[] = [
  { file: 'roam-wifi-to-lan-dhcp', expect: { '198.18.2.20': 'alice' } },
  { file: 'roam-machine-account', expect: { '198.18.2.21': 'alice' } },
  { file: 'sleep-then-renewal', dead: '1h', expect: { '198.18.1.10': 'alice' } },
  { file: 'sleep-then-new-address', dead: '1h', expect: { '198.18.2.44': 'alice' } },
  { file: 'ip-reuse', expect: { '198.18.4.10': 'bob' } },
  { file: 'terminal-server', expect: { '198.18.3.5': '(shared)' } },
  { file: 'out-of-order', expect: { '198.18.1.30': 'bob' } },
  { file: 'lock-is-not-logoff', expect: { '198.18.1.40': 'alice' } },
  { file: 'machine-reauth-keeps-newer-user', expect: { '198.18.10.5': 'bob' } },
  { file: 'shared-stays-shared-after-quiet', expect: { '198.18.10.6': '(shared)' } },
  { file: 'docked-laptop-two-leases', expect: { '198.18.11.10': 'fran', '198.18.11.20': 'fran' } },
  { file: 'docked-laptop-wifi-lease-ends', expect: { '198.18.11.32': 'gus' } },
  { file: 'dc-own-address-maps-nobody', format: 'samba-audit', expect: { '198.19.200.23': 'tess' } },
  { file: 'fold-after-roam', expect: { '198.18.15.15': 'bert' } },
];

const scenario = (name: string): string => join(ROOT, 'test/scenarios', `${name}.jsonl`);
/** The collector configuration every scenario runs under (simulate --config, and the running collector). */
const SCENARIO_CONFIG = join(ROOT, 'test/scenarios/collector.json');
const asMap = (rows: Row[]): Record<string, string> =>
  Object.fromEntries(rows.map((r) => [r.ip, r.shared ? '(shared)' : r.user]));

/** `fsso-collector simulate` of one scenario under the scenario config (`extra`: more flags). */
function simulateScenario(s: (typeof SCENARIOS)[number], extra: string[] = []) {
  return runCommand(BIN.collector, [
    'simulate',
    ...extra,
    '--format',
    s.format ?? 'events',
    scenario(s.file),
    '--json',
    '--config',
    SCENARIO_CONFIG,
    '--dead-entry-timeout',
    s.dead ?? '8h',
  ]);
}

for (const s of SCENARIOS) {
  test(`simulate: ${s.file}`, async () => {
    const r = await simulateScenario(s);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(asMap((JSON.parse(r.stdout) as { table: Row[] }).table), s.expect);
  });
}

for (const s of SCENARIOS) {
  test(`simulate --shape (the agent's filters and folding first): ${s.file}`, async () => {
    const r = await simulateScenario(s, ['--shape']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { table: Row[]; shaped: { read: number; coalesced: number } };
    assert.deepEqual(asMap(out.table), s.expect);
    if (s.file === 'fold-after-roam')
      assert.deepEqual([out.shaped.read, out.shaped.coalesced], [4, 1], 'only the true repeat is folded');
  });
}

test("simulate --agent-config applies that agent's filters, and a bad one fails naming the field and the fix", async () => {
  const dir = tempDir('agent-config');
  try {
    const run = (cfg: unknown): Promise<{ code: number | null; stdout: string; stderr: string }> => {
      writeFileSync(join(dir.path, 'agent.json'), JSON.stringify(cfg));
      return runCommand(BIN.collector, [
        'simulate',
        '--agent-config',
        join(dir.path, 'agent.json'),
        '--format',
        'events',
        scenario('fold-after-roam'),
        '--json',
        '--config',
        SCENARIO_CONFIG,
      ]);
    };
    const off = await run({ filters: { coalesceWindow: '0s' } });
    assert.equal(off.code, 0, off.stderr);
    assert.equal(
      (JSON.parse(off.stdout) as { shaped: { coalesced: number } }).shaped.coalesced,
      0,
      'folding off in that agent',
    );
    const bad = await run({ filters: { coalesceWindow: 'banana' } });
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /--agent-config .*agent\.json: filters\.coalesceWindow: "banana" is not a duration; write it like "90s"/,
    );
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
    const missing = await runCommand(BIN.collector, [
      'simulate',
      '--agent-config',
      join(dir.path, 'nope.json'),
      '--format',
      'events',
      scenario('fold-after-roam'),
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--agent-config .*nope\.json: no such file/);
  } finally {
    dir.cleanup();
  }
});

test('simulate --at shows the table at a past moment (sleep: empty while asleep, alice after the renewal)', async () => {
  const at = async (when: string): Promise<Record<string, string>> => {
    const r = await runCommand(BIN.collector, [
      'simulate',
      '--format',
      'events',
      scenario('sleep-then-renewal'),
      '--json',
      '--config',
      SCENARIO_CONFIG,
      '--dead-entry-timeout',
      '1h',
      '--at',
      when,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return asMap((JSON.parse(r.stdout) as { table: Row[] }).table);
  };
  assert.deepEqual(await at('2026-11-23T09:30:00Z'), { '198.18.1.10': 'alice' });
  assert.deepEqual(await at('2026-11-23T10:30:00Z'), {}, 'expired while the laptop slept');
  assert.deepEqual(await at('2026-11-23T11:31:00Z'), { '198.18.1.10': 'alice' }, 'back on the first renewal');
});

/** Moves a scenario's times so its last event is `endMs`, keeping the gaps (and the file's order). */
function shifted(name: string, endMs: number): string {
  const lines = readFileSync(scenario(name), 'utf8')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'));
  const times = lines.map((l) => Date.parse((JSON.parse(l) as { eventTime: string }).eventTime));
  const delta = endMs - Math.max(...times);
  return lines
    .map((l, i) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      delete o['eventTime'];
      return JSON.stringify({ ...o, eventTimeMs: (times[i] ?? 0) + delta });
    })
    .join('\n');
}

/**
 * Every scenario (but the sleep ones, covered by simulate's clock) through a real agent into a running
 * collector, in file order; `filters` are the agent's (none: its defaults, folding on).
 */
async function runLive(t: TestContext, name: string, filters?: Record<string, unknown>) {
  const dir = tempDir(name);
  t.after(dir.cleanup);
  const live = SCENARIOS.filter((s) => !s.dead);
  const now = Date.now() - 1000;
  live.forEach((s) =>
    writeFileSync(join(dir.path, `${s.file}.jsonl`), s.format ? readFileSync(scenario(s.file)) : shifted(s.file, now)),
  );
  const collector = await startCollector(dir.path, {
    config: JSON.parse(readFileSync(SCENARIO_CONFIG, 'utf8')) as Record<string, unknown>,
  });
  t.after(() => collector.daemon.stop());
  const agent = startAgent(
    dir.path,
    {
      collectors: [{ name: 'main', address: collector.address }],
      sources: live.map((s) => ({
        name: s.file,
        format: s.format ?? 'events',
        path: `${s.file}.jsonl`,
        ...(s.format ? { stampReadTime: true } : {}),
      })),
      ...(filters ? { filters } : {}),
    },
    ['--until-delivered'],
  );
  t.after(() => agent.stop());
  assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
  const r = await runCommand(BIN.ctl, ['logons', '--json', ...collector.args()]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    asMap(JSON.parse(r.stdout) as Row[]),
    Object.assign({}, ...live.map((s) => s.expect)) as Record<string, string>,
  );
  return { collector, agent, now };
}

test('the running collector applies the same rules to events as agents deliver them (file order, not time order)', async (t) => {
  // The dead-entry timeout stays at 8 h here: sleep scenarios are covered by simulate's clock.
  const { collector, now } = await runLive(t, 'rules', { coalesceWindow: '0s' });

  // Why is alice at her LAN address? The evidence chain says: her logon, then her machine's DHCP lease.
  const ex = await runCommand(BIN.ctl, ['explain', '198.18.2.20', '--json', ...collector.args()]);
  assert.equal(ex.code, 0, ex.stderr);
  const rules = (JSON.parse(ex.stdout) as { evidence: { rule: string; sourceEventId: string }[] }).evidence.map(
    (e) => e.rule,
  );
  assert.ok(rules.includes('resumed-dhcp') || rules.includes('resumed-host'), `evidence rules: ${rules.join(', ')}`);

  // Who had 198.18.4.10 before bob? History answers with alice, ended by bob's logon.
  const before = await runCommand(BIN.ctl, [
    'who',
    '198.18.4.10',
    '--at',
    new Date(now - 15 * 60_000).toISOString(),
    '--json',
    ...collector.args(),
  ]);
  assert.equal(before.code, 0, before.stderr);
  const h = JSON.parse(before.stdout) as { holder: { user: string; endedBy: string } };
  assert.deepEqual([h.holder.user, h.holder.endedBy], ['alice', 'replaced']);
});

test("the live pipeline with the agent's default folding gives the same table as simulate", async (t) => {
  // No `filters`: the agent folds repeats within its default 30 s window, as deployed.
  const { agent } = await runLive(t, 'rules-folded');
  // Folding was on and still saved work: the agent's last progress line counts the true repeat it folded.
  const progress = agent.lines.filter((l) => l.message === 'progress').pop();
  assert.ok(progress && (progress['coalesced'] as number) >= 1, JSON.stringify(progress));
});

test('resume from sleep in real time: the entry expires while asleep and the first ticket renewal brings the user back', async (t) => {
  const dir = tempDir('sleep');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path, { config: { deadEntryTimeout: '2s', sweepInterval: '200ms' } });
  t.after(() => collector.daemon.stop());
  const feed = join(dir.path, 'live.jsonl');
  writeFileSync(feed, '');
  const watch = await startWatch(t, collector);
  const agent = startAgent(dir.path, {
    collectors: [{ name: 'main', address: collector.address }],
    sources: [{ name: 'live', format: 'events', path: 'live.jsonl', follow: true, pollInterval: '100ms' }],
    filters: { coalesceWindow: '0s' },
  });
  t.after(() => agent.stop());
  const say = (o: Record<string, unknown>): void =>
    appendFileSync(
      feed,
      `${JSON.stringify({ user: 'alice', domain: 'CORP', ip: '198.18.7.7', workstation: 'WS-ALICE', source: 'windows-security', eventTimeMs: Date.now(), ...o })}\n`,
    );

  say({ kind: 'USER_LOGON', sourceEventId: '4624', logonType: 3 });
  await watch.waitFor((l) => l['event'] === 'change' && l['op'] === 'UPSERT' && l['ip'] === '198.18.7.7');
  // The laptop sleeps: no evidence for longer than the dead-entry timeout.
  const expired = await watch.waitFor(
    (l) => l['event'] === 'change' && l['op'] === 'DELETE' && l['ip'] === '198.18.7.7',
    10_000,
  );
  assert.equal(expired['reason'], 'expired');
  // It wakes: a 4770 renewal, no logon.
  say({ kind: 'USER_ACTIVITY', sourceEventId: '4770' });
  const back = await watch.waitFor(
    (l) =>
      l['event'] === 'change' &&
      l['op'] === 'UPSERT' &&
      l['ip'] === '198.18.7.7' &&
      (l['revision'] as number) > (expired['revision'] as number),
    10_000,
  );
  assert.equal((back['identity'] as { user: string }).user, 'alice');
});

test('unknown address, asked now: reverse DNS names the machine, whose last user is answered as inferred', async (t) => {
  const dir = tempDir('on-demand');
  t.after(dir.cleanup);
  const dns = await startPtrServer({
    '198.18.8.8': 'ws-dora.corp.example.test',
    '198.18.8.9': 'ws-nobody.corp.example.test',
  });
  t.after(() => dns.stop());
  const collector = await startCollector(dir.path, {
    config: { identity: { onDemand: { networks: ['198.18.8.0/24'], timeout: '800ms', dnsServers: [dns.address] } } },
  });
  t.after(() => collector.daemon.stop());
  // NTLM validations (4776) name dora's machine but no address: the table cannot place her.
  writeFileSync(
    join(dir.path, 'ntlm.jsonl'),
    `${JSON.stringify({ kind: 'USER_ACTIVITY', user: 'dora', domain: 'CORP', workstation: 'WS-DORA', eventTimeMs: Date.now() - 1000, source: 'windows-security', sourceEventId: '4776' })}\n`,
  );
  const agent = startAgent(
    dir.path,
    { collectors: [{ name: 'main', address: collector.address }], sources: [{ format: 'events', path: 'ntlm.jsonl' }] },
    ['--until-delivered'],
  );
  t.after(() => agent.stop());
  assert.equal(await agent.exited, 0);
  const fw = collector.args('firewall');
  assert.equal(
    (await runCommand(BIN.fw, ['lookup', '198.18.8.8', ...fw])).code,
    3,
    'the replica does not know her: nothing was stored',
  );

  const asked = await runCommand(BIN.fw, ['lookup', '198.18.8.8', '--ask', '--json', ...fw]);
  assert.equal(asked.code, 0, asked.stdout + asked.stderr);
  const id = JSON.parse(asked.stdout) as { user: string; workstation: string; inferred: boolean; source: string };
  assert.deepEqual(
    [id.user, id.workstation, id.inferred, id.source],
    ['dora', 'WS-DORA', true, 'on-demand:reverse-dns'],
  );

  const none = await runCommand(BIN.fw, ['lookup', '198.18.8.9', '--ask', ...fw]);
  assert.equal(none.code, 3);
  assert.match(
    none.stdout,
    /asked on demand: reverse DNS names ws-nobody\.corp\.example\.test, which has no recent user/,
  );
  const outside = await runCommand(BIN.fw, ['lookup', '198.18.9.9', '--ask', ...fw]);
  assert.equal(outside.code, 3, 'outside the configured networks nothing is asked');
});

test('active verification: an entry whose address now resolves to another machine is removed after N failed rounds', async (t) => {
  const dir = tempDir('verify');
  t.after(dir.cleanup);
  const dns = await startPtrServer({
    '198.18.8.20': 'ws-erin.corp.example.test',
    '198.18.8.21': 'ws-someone-else.corp.example.test',
  });
  t.after(() => dns.stop());
  const collector = await startCollector(dir.path, {
    config: {
      identity: {
        verify: {
          networks: ['198.18.8.0/24'],
          interval: '300ms',
          failures: 2,
          tcpPorts: [],
          dnsServers: [dns.address],
        },
      },
    },
  });
  t.after(() => collector.daemon.stop());
  const now = Date.now() - 1000;
  const logon = (user: string, ip: string, ws: string): string =>
    JSON.stringify({
      kind: 'USER_LOGON',
      user,
      domain: 'CORP',
      ip,
      workstation: ws,
      eventTimeMs: now,
      source: 'windows-security',
      sourceEventId: '4624',
      logonType: 3,
    });
  writeFileSync(
    join(dir.path, 'logons.jsonl'),
    `${logon('erin', '198.18.8.20', 'WS-ERIN')}\n${logon('frank', '198.18.8.21', 'WS-FRANK')}\n`,
  );
  const watch = await startWatch(t, collector);
  const agent = startAgent(
    dir.path,
    {
      collectors: [{ name: 'main', address: collector.address }],
      sources: [{ format: 'events', path: 'logons.jsonl' }],
    },
    ['--until-delivered'],
  );
  t.after(() => agent.stop());
  assert.equal(await agent.exited, 0);
  const removed = await watch.waitFor((l) => l['event'] === 'change' && l['op'] === 'DELETE', 10_000);
  assert.deepEqual([removed['ip'], removed['reason']], ['198.18.8.21', 'verification-failed']);
  await collector.daemon.waitFor((l) => l.message === 'entry failed verification' && l['ip'] === '198.18.8.21');
  const rows = JSON.parse((await runCommand(BIN.ctl, ['logons', '--json', ...collector.args()])).stdout) as Row[];
  assert.deepEqual(asMap(rows), { '198.18.8.20': 'erin' }, 'the consistent entry stays');
});
