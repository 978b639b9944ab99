import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { caPaths, initCa, issueCert } from '@fsso/common';
import { BIN } from '../support/paths';
import { runCommand, startAgent, startCollector, tempDir, type Daemon, type LogLine } from '../support/processes';
import { testPki } from '../support/pki';

const LOST = 'collector stream lost; reconnecting';

/** A loopback port nothing listens on: bound, read back, released. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Events as the agent's own JSON-lines format, one per user, at 198.18.0.0/15 (test-only) addresses. */
function events(domain: string, n: number, from = 1): string {
  const now = Date.now();
  return (
    Array.from({ length: n }, (_, i) =>
      JSON.stringify({
        kind: 'USER_LOGON',
        user: `u${from + i}`,
        domain,
        ip: `198.18.${Math.floor((from + i) / 250)}.${((from + i) % 250) + 1}`,
        eventTimeMs: now,
        logonType: 3,
        source: 'test',
      }),
    ).join('\n') + '\n'
  );
}

/** The agent's exit code, or a failure naming its last lines if it has not exited in time (no hang). */
async function exitCode(agent: Daemon, ms = 60_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(`the agent did not exit within ${ms} ms; last lines: ${JSON.stringify(agent.lines.slice(-5))}`),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([agent.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function status(dir: string): Promise<string> {
  const r = await runCommand(BIN.agent, ['status', '--config', join(dir, 'agent.json')]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test('the agent says at warn, once per reason and with the fix, why it cannot deliver; status shows state, last error and since when', async (t) => {
  const dir = tempDir('agent-speaks');
  t.after(dir.cleanup);
  const pki = testPki();
  const collector = await startCollector(join(dir.path));
  t.after(() => collector.daemon.stop());
  mkdirSync(join(dir.path, 'plain'));
  const plain = await startCollector(join(dir.path, 'plain'), { config: { insecure: true } });
  t.after(() => plain.daemon.stop());
  const other = initCa(join(dir.path, 'other-ca'), 'Another CA');
  const foreign = issueCert(other, { role: 'agent', name: 'dc1', domains: ['*'], out: 'agent-dc1' });
  const corpOnly = pki.issue('agent', 'corp-dc', ['CORP']);
  const down = `127.0.0.1:${await freePort()}`;

  const cases: { what: string; address: string; config: Record<string, unknown>; says: RegExp }[] = [
    {
      what: 'nothing listening',
      address: down,
      config: {},
      says: new RegExp(
        `^connection refused at ${down.replace(/\./g, '\\.')}: is the collector running, and is collectors\\[\\]\\.address right\\?$`,
      ),
    },
    {
      what: 'a firewall-role certificate',
      address: collector.address,
      config: { agentId: undefined, tls: { ca: pki.ca, cert: pki.firewall.cert, key: pki.firewall.key } },
      says: /^collector refused our certificate: it has role firewall, an agent needs role agent .*'fssoctl pki issue --role agent/,
    },
    {
      what: "the collector's certificate from another CA",
      address: collector.address,
      config: { tls: { ca: caPaths(other.dir).cert, cert: pki.agent.cert, key: pki.agent.key } },
      says: new RegExp(
        `^the collector's certificate is signed by another CA than ${caPaths(other.dir).cert.replace(/[.]/g, '\\.')} .*set tls\\.ca to the CA that issued it`,
      ),
    },
    {
      what: 'our certificate from another CA',
      address: collector.address,
      config: { tls: { ca: pki.ca, cert: foreign.cert, key: foreign.key } },
      says: /^the collector at 127\.0\.0\.1:\d+ closed the connection during the TLS handshake: most likely it refused our certificate .*use a certificate from the collector's CA/,
    },
    {
      what: 'domains the certificate does not cover',
      address: collector.address,
      config: { agentId: undefined, domains: ['SALES'], tls: { ca: pki.ca, cert: corpOnly.cert, key: corpOnly.key } },
      says: /^collector refused our domains: certificate corp-dc \(sha256 [0-9a-f]+…\) may report for CORP, not SALES; set domains to those the certificate covers/,
    },
    {
      what: 'TLS against a plaintext collector',
      address: plain.address,
      config: {},
      says: /^the server at 127\.0\.0\.1:\d+ does not speak TLS \(wrong version number\): it is a plaintext collector or not a collector/,
    },
    {
      what: 'plaintext against a TLS collector',
      address: collector.address,
      config: { tls: undefined, insecure: true },
      says: /we speak plaintext \(insecure: true\); if the collector uses TLS, give the agent tls settings/,
    },
  ];

  const agents: { c: (typeof cases)[number]; sub: string; agent: Daemon; line: Promise<LogLine | Error> }[] = cases.map(
    (c, i) => {
      const sub = join(dir.path, `case${i}`);
      mkdirSync(sub);
      writeFileSync(join(sub, 'in.jsonl'), events('CORP', 3));
      // debug, so the test also sees the retries that stay quiet at the default level.
      const agent = startAgent(sub, {
        collectors: [{ name: 'main', address: c.address }],
        sources: [{ format: 'events', path: join(sub, 'in.jsonl') }],
        log: { format: 'json', level: 'debug' },
        ...c.config,
      });
      t.after(() => agent.stop());
      return {
        c,
        sub,
        agent,
        line: agent
          .waitFor((l) => l.message === LOST && c.says.test(String(l['reason'])), 20_000)
          .catch((err: Error) => err),
      };
    },
  );

  for (const { c, sub, agent, line } of agents) {
    await t.test(c.what, async () => {
      const l = await line;
      if (l instanceof Error)
        assert.fail(
          `${c.what}: reasons seen: ${JSON.stringify([...new Set(agent.lines.filter((x) => x.message === LOST).map((x) => x['reason']))])}`,
        );
      assert.equal(l.level, 'warn', 'at the default level');
      // Retries go on, quietly: the same reason is warned once, not per retry.
      await agent.waitFor((x) => x.message === LOST && x.level === 'debug' && x['reason'] === l['reason'], 20_000);
      const warned = agent.lines.filter((x) => x.message === LOST && x.level === 'warn' && x['reason'] === l['reason']);
      assert.equal(warned.length, 1, 'one warning per reason');
      const out = await status(sub);
      assert.match(
        out,
        /main \(127\.0\.0\.1:\d+\): acked 0, backlog 3\n {4}state: FAILING, retrying since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+, \d+s ago\n {4}last error: /,
      );
      assert.ok(out.includes(`last error: ${String(l['reason'])} (since `), out);
    });
  }

  await t.test('next to them, the good agent delivers and status says connected', async () => {
    const sub = join(dir.path, 'good');
    mkdirSync(sub);
    writeFileSync(join(sub, 'in.jsonl'), events('CORP', 3));
    const agent = startAgent(sub, {
      collectors: [{ name: 'main', address: collector.address }],
      sources: [{ format: 'events', path: join(sub, 'in.jsonl'), follow: true }],
    });
    t.after(() => agent.stop());
    await agent.waitFor((l) => l.message === 'connected to collector');
    const out = await status(sub);
    assert.match(out, /main \(127\.0\.0\.1:\d+\): acked \d, backlog \d\n {4}state: connected since /);
    assert.doesNotMatch(out, /last error/);
    assert.ok(!agent.lines.some((l) => l.message === LOST), 'no failure');
    await agent.stop();
    assert.match(await status(sub), /state: stopped \(the agent is not running\) since /);
  });
});

test('rejected events are not "delivered": the agent logs the reason, status counts them, and --until-delivered exits 4', async (t) => {
  const dir = tempDir('agent-rejected');
  t.after(dir.cleanup);
  const pki = testPki();
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());
  const corpOnly = pki.issue('agent', 'corp-rej', ['CORP']);
  // 5 CORP events the certificate covers, then 40 SALES events it does not, in batches of 10.
  writeFileSync(join(dir.path, 'in.jsonl'), events('CORP', 5) + events('SALES', 40, 100));
  const agent = startAgent(
    dir.path,
    {
      agentId: undefined,
      domains: ['CORP'],
      tls: { ca: pki.ca, cert: corpOnly.cert, key: corpOnly.key },
      batchSize: 10,
      collectors: [{ name: 'main', address: collector.address }],
      sources: [{ format: 'events', path: join(dir.path, 'in.jsonl') }],
    },
    ['--until-delivered'],
  );
  t.after(() => agent.stop());
  assert.equal(await exitCode(agent), 4, `exit code 4; stderr: ${agent.stderr.join('\n')}`);

  const warned = agent.lines.filter((l) => l.message === 'collector rejected events; they will not be resent');
  assert.ok(warned.length >= 1 && warned.length <= 2, `rate-limited: ${warned.length} lines for 4+ rejecting batches`);
  assert.equal(warned[0]?.level, 'warn');
  assert.match(
    String((warned[0]?.['reasons'] as string[])[0]),
    /^seq \d+: domain SALES is outside the agent certificate's domains \(CORP\)$/,
  );
  assert.equal(
    warned.reduce((n, l) => n + Number(l['rejected']), 0),
    40,
    'every rejected event is counted in the lines',
  );
  const final = agent.lines.find((l) => l.message === 'collectors rejected events; not every event was delivered');
  assert.deepEqual(final?.['rejected'], { main: 40 });
  assert.ok(!agent.lines.some((l) => l['reason'] === 'every event delivered'), 'not called delivered');

  const out = await status(dir.path);
  assert.match(
    out,
    /acked 45, backlog 0\n {4}state: stopped .*\n {4}rejected: 40 event\(s\); last: seq \d+: domain SALES is outside the agent certificate's domains \(CORP\) \(at \d{4}-/,
  );
  const json = JSON.parse(
    (await runCommand(BIN.agent, ['status', '--json', '--config', join(dir.path, 'agent.json')])).stdout,
  ) as { collectors: { link: { rejected: number } }[] };
  assert.equal(json.collectors[0]?.link.rejected, 40);

  // The covered events next to them landed.
  const stats = JSON.parse((await runCommand(BIN.ctl, ['stats', '--json', ...collector.args()])).stdout) as {
    eventsAccepted: number;
  };
  assert.equal(stats.eventsAccepted, 5);
});

test("batches fit the collector's limits from its welcome: no reconnect loop, everything delivered", async (t) => {
  const dir = tempDir('agent-limits');
  t.after(dir.cleanup);
  // Each limit alone would refuse the agent's batches of 500: by count, by bytes, by rate.
  const collector = await startCollector(dir.path, {
    config: { limits: { maxBatchEvents: 10, maxMessageBytes: 1500, maxEventsPerSecond: 400 } },
  });
  t.after(() => collector.daemon.stop());
  writeFileSync(join(dir.path, 'in.jsonl'), events('CORP', 600));
  const agent = startAgent(
    dir.path,
    {
      batchSize: 500,
      collectors: [{ name: 'main', address: collector.address }],
      sources: [{ format: 'events', path: join(dir.path, 'in.jsonl') }],
    },
    ['--until-delivered'],
  );
  t.after(() => agent.stop());
  assert.equal(await exitCode(agent), 0, agent.stderr.join('\n'));
  const connects = agent.lines.filter((l) => l.message === 'connected to collector');
  assert.equal(connects.length, 1, 'connected once');
  assert.equal(connects[0]?.['batchEvents'], 10, 'batch size taken from the welcome');
  assert.equal(agent.lines.filter((l) => l.message === LOST).length, 0, 'no reconnect');
  const stats = JSON.parse((await runCommand(BIN.ctl, ['stats', '--json', ...collector.args()])).stdout) as {
    eventsAccepted: number;
    limitHits: Record<string, number>;
  };
  assert.equal(stats.eventsAccepted, 600);
  assert.deepEqual(stats.limitHits, {}, 'no limit was hit');
});
