import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RssoDriver, validatePushConfig, type PushStatus } from '@fsso/firewall-client';
import { BIN } from '../support/paths';
import { runCommand, startProcess, tempDir, writeFirewallConfig } from '../support/processes';
import { startFedCollector } from '../support/agent-stream';
import { FreeRadius, freeradiusUnavailable, type DetailRecord } from '../support/freeradius';

const skip = freeradiusUnavailable();
const SECRET = 'rsso-Secret-7f3a';

async function until<T>(what: string, get: () => T | undefined, tries = 200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const pick = (r: DetailRecord): string =>
  `${r['Acct-Status-Type']} ${r['User-Name']} ${r['Framed-IP-Address'] ?? r['Framed-IPv6-Address']}`;

/**
 * FortiGate RSSO against a real RADIUS server: FreeRADIUS (Debian's package) with a private
 * config on loopback stands in for the FortiGate's accounting receiver; its `detail` file is what
 * it received. A real collector, a real agent stream, `fsso-fw push` as a process.
 */
test(
  'push to FortiGate RSSO: logons, a roam and a logoff reach FreeRADIUS as Start / Interim-Update / Stop; a wrong secret is refused and shown',
  { skip },
  async (t) => {
    const dir = tempDir('push-rsso');
    t.after(dir.cleanup);
    const radius = new FreeRadius(join(dir.path, 'radius'), SECRET);
    await radius.start();
    t.after(() => radius.stop());
    const { collector, agent } = await startFedCollector(t, dir.path);
    await agent.sendAcked([
      { user: 'alice', domain: 'CORP', ip: '198.18.10.10', workstation: 'WS-ALICE' },
      { user: 'bob', domain: 'CORP', ip: '198.18.10.11' },
    ]);
    writeFileSync(join(dir.path, 'fgt.secret'), `${SECRET}\n`, { mode: 0o600 });
    const statusFile = join(dir.path, 'state', 'push-status.json');
    const config = join(dir.path, 'fw.json');
    writeFirewallConfig(config, [collector.address], {
      log: { format: 'json' },
      push: {
        statusFile,
        targets: [
          {
            name: 'fgt',
            kind: 'fortigate-rsso',
            address: `127.0.0.1:${radius.port}`,
            secret: { file: 'fgt.secret' },
            timeout: '4s',
            response: true,
          },
          {
            name: 'fgt-wrong-secret',
            kind: 'fortigate-rsso',
            address: `127.0.0.1:${radius.port}`,
            secret: { env: 'FGT_WRONG_SECRET' },
            timeout: '4s',
            response: true,
            requestTimeout: '300ms',
            retry: { initial: '200ms', max: '1s' },
          },
        ],
      },
    });
    const push = startProcess('push', BIN.fw, ['push', '--config', config], { FGT_WRONG_SECRET: 'not-the-secret' });
    t.after(() => push.stop());
    await push.waitFor((l) => l.message === 'push running');

    const starts = (): string[] => radius.records().map(pick);
    await t.test('the table at start arrives as Start records', async () => {
      await until('two Starts', () => {
        const s = starts();
        return s.includes('Start CORP\\alice 198.18.10.10') && s.includes('Start CORP\\bob 198.18.10.11')
          ? s
          : undefined;
      });
      const rec = radius.records().find((r) => r['User-Name'] === 'CORP\\alice');
      assert.equal(rec?.['Calling-Station-Id'], '198.18.10.10');
      assert.match(rec?.['Acct-Session-Id'] ?? '', /^[0-9a-f]{16}$/);
      assert.equal(rec?.['NAS-Identifier'], 'fsso-fw');
    });

    await t.test('a roam is Stop at the old address and Start at the new; a logoff is Stop', async () => {
      await agent.sendAcked([{ user: 'alice', domain: 'CORP', ip: '198.18.10.20', workstation: 'WS-ALICE' }]);
      await until('the roam', () => (starts().includes('Start CORP\\alice 198.18.10.20') ? true : undefined));
      await until('the Stop of the old address', () =>
        starts().includes('Stop CORP\\alice 198.18.10.10') ? true : undefined,
      );
      await agent.sendAcked([{ kind: 'USER_LOGOFF', user: 'bob', domain: 'CORP', ip: '198.18.10.11' }]);
      await until('bob Stop', () => (starts().includes('Stop CORP\\bob 198.18.10.11') ? true : undefined));
      const all = radius.records();
      const stop = all.find((r) => pick(r) === 'Stop CORP\\alice 198.18.10.10');
      const start = all.find((r) => pick(r) === 'Start CORP\\alice 198.18.10.10');
      assert.equal(stop?.['Acct-Session-Id'], start?.['Acct-Session-Id'], 'Stop ends the session Start began');
    });

    await t.test('present users are refreshed with Interim-Update before the timeout (half of 4 s)', async () => {
      await until(
        'an Interim-Update',
        () => (starts().includes('Interim-Update CORP\\alice 198.18.10.20') ? true : undefined),
        120,
      );
      assert.ok(!starts().includes('Interim-Update CORP\\bob 198.18.10.11'), 'a logged-off user is not refreshed');
    });

    await t.test(
      'a wrong shared secret: FreeRADIUS drops it, status says so, the good target is unaffected',
      async () => {
        await until('the drop in the FreeRADIUS log', () =>
          radius.log.some((l) => /Shared secret is incorrect/.test(l)) ? true : undefined,
        );
        const s = await until('a status with the failure', () => {
          try {
            const st = JSON.parse(readFileSync(statusFile, 'utf8')) as PushStatus;
            const bad = st.targets.find((x) => x.name === 'fgt-wrong-secret');
            return bad && bad.counters.failures > 0 ? st : undefined;
          } catch {
            return undefined;
          }
        });
        const good = s.targets.find((x) => x.name === 'fgt');
        const bad = s.targets.find((x) => x.name === 'fgt-wrong-secret');
        assert.equal(good?.state, 'UP');
        assert.equal(good?.held, 1);
        assert.equal(bad?.state, 'FAILING');
        assert.equal(bad?.connected, false);
        assert.match(bad?.lastError ?? '', /no valid Accounting-Response .* shared secret/);
        const warn = await push.waitFor(
          (l) => l.message === 'push target failing' && l['target'] === 'fgt-wrong-secret',
        );
        assert.equal(warn.level, 'warn');

        const human = await runCommand(BIN.fw, ['push', 'status', '--config', config]);
        assert.equal(human.code, 1, 'exit 1: a target is failing');
        assert.match(human.stdout, /fgt \(fortigate-rsso 127\.0\.0\.1:\d+\): UP, connected/);
        assert.match(human.stdout, /fgt-wrong-secret \(fortigate-rsso .*\): FAILING/);
        assert.match(human.stdout, /last error .*: no valid Accounting-Response/);
        const json = await runCommand(BIN.fw, ['push', 'status', '--config', config, '--json']);
        const j = JSON.parse(json.stdout) as PushStatus & { running: boolean };
        assert.equal(j.running, true);
        assert.deepEqual(
          j.targets.map((x) => x.name),
          ['fgt', 'fgt-wrong-secret'],
        );
        // The secrets appear nowhere the operator or a log reader sees.
        const seen = [
          push.lines.map((l) => JSON.stringify(l)).join('\n'),
          push.stderr.join('\n'),
          readFileSync(statusFile, 'utf8'),
          human.stdout,
          json.stdout,
        ].join('\n');
        assert.ok(!seen.includes(SECRET) && !seen.includes('not-the-secret'), 'no secret in logs or status');
      },
    );

    await t.test('push status after a stop says it is not running (exit 3)', async () => {
      assert.equal(await push.stop(), 0);
      const r = await runCommand(BIN.fw, ['push', 'status', '--config', config]);
      assert.equal(r.code, 3);
      assert.match(r.stdout, /fsso-fw push is not running \(pid \d+, STOPPED/);
    });
  },
);

test(
  'RSSO driver: groups travel in Class (joined by the delimiter), IPv6 in Framed-IPv6-Address',
  { skip },
  async (t) => {
    const dir = tempDir('push-rsso-driver');
    t.after(dir.cleanup);
    const radius = new FreeRadius(join(dir.path, 'radius'), SECRET);
    await radius.start();
    t.after(() => radius.stop());
    writeFileSync(join(dir.path, 's'), SECRET, { mode: 0o600 });
    const [cfg] = validatePushConfig(
      {
        targets: [
          {
            name: 'f',
            kind: 'fortigate-rsso',
            address: `127.0.0.1:${radius.port}`,
            secret: { file: 's' },
            delimiter: ';',
            response: true,
            ipv6: true,
          },
        ],
      },
      dir.path,
    ).targets;
    assert.ok(cfg);
    const driver = new RssoDriver(cfg, 'fw-test');
    t.after(() => driver.close());
    const r = await driver.send(
      [
        {
          op: 'login',
          id: { ip: '198.18.10.30', user: 'carol', domain: 'CORP', groups: ['CORP\\VPN-Users', 'CORP\\Staff'] },
        },
        { op: 'login', id: { ip: '2001:db8::30', user: 'dave', domain: 'CORP', groups: [] } },
      ],
      AbortSignal.timeout(2000),
    );
    assert.deepEqual(r, { status: 'success' });
    const recs = radius.records();
    const carol = recs.find((x) => x['User-Name'] === 'CORP\\carol');
    assert.equal(carol?.['Class'], 'CORP\\VPN-Users;CORP\\Staff');
    assert.equal(carol?.['Acct-Status-Type'], 'Start');
    assert.equal(recs.find((x) => x['User-Name'] === 'CORP\\dave')?.['Framed-IPv6-Address'], '2001:db8::30');
  },
);
