import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { caPaths, initCa } from '@fsso/common';
import type { PushStatus } from '@fsso/firewall-client';
import { BIN } from '../support/paths';
import { runCommand, startProcess, tempDir, writeFirewallConfig } from '../support/processes';
import { startFedCollector } from '../support/agent-stream';
import { CheckpointStandIn, PanosStandIn, WebhookStandIn, type StandIn } from '../support/push-standins';

const KEY = 'panos-Key-91be';
const CP = 'cp-Secret-22d0';
const TOKEN = 'hook-Token-5c1e';

async function until(what: string, ok: () => boolean, tries = 300): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** What a stand-in holds, as `{ip: "DOMAIN\\user"}`. */
const held = (s: StandIn): Record<string, string> =>
  Object.fromEntries(Object.entries(s.live()).map(([ip, e]) => [ip, `${e.domain}\\${e.user}`]));

/**
 * PAN-OS, Check Point and a JSON-RPC webhook cannot run here: local HTTPS stand-ins implement
 * each documented request and answer strictly (test/support/push-standins.ts). One `fsso-fw
 * push` feeds all three from a real collector; failures on demand, a "reboot" and an outage
 * show retries, refresh and that one failing target never stalls the others.
 */
test('push over HTTPS to PAN-OS, Check Point and a webhook (stand-ins): equal to the replica through batches, retries, a reboot and an outage', async (t) => {
  const dir = tempDir('push-https');
  t.after(dir.cleanup);
  const panos = new PanosStandIn(KEY);
  const cp = new CheckpointStandIn(CP);
  const hook = new WebhookStandIn(TOKEN);
  panos.delayMs = 100;
  for (const s of [panos, cp, hook]) {
    await s.start();
    t.after(() => s.stop());
  }
  // A CA that did not sign the stand-ins' certificate: a target pinned to it must refuse them.
  initCa(join(dir.path, 'other-ca'), 'Another CA');
  const { pki, collector, agent } = await startFedCollector(t, dir.path);
  const want: Record<string, string> = {};
  const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'];
  await agent.sendAcked(
    users.map((u, i) => {
      want[`198.18.20.${10 + i}`] = `CORP\\${u}`;
      return { user: u, domain: 'CORP', ip: `198.18.20.${10 + i}`, workstation: `WS-${u.toUpperCase()}` };
    }),
  );
  writeFileSync(join(dir.path, 'panos.key'), KEY, { mode: 0o600 });
  writeFileSync(join(dir.path, 'cp.secret'), `${CP}\n`, { mode: 0o600 });
  const statusFile = join(dir.path, 'push-status.json');
  const config = join(dir.path, 'fw.json');
  const fast = { retry: { initial: '100ms', max: '400ms' }, requestTimeout: '2s' };
  writeFirewallConfig(config, [collector.address], {
    log: { format: 'json' },
    push: {
      statusFile,
      metrics: { listen: '127.0.0.1:0' },
      targets: [
        {
          name: 'pa',
          kind: 'panos',
          address: `https://127.0.0.1:${panos.port}`,
          secret: { file: 'panos.key' },
          tls: { ca: pki.ca },
          batch: 2,
          concurrency: 5,
          timeout: '4s',
          ...fast,
        },
        {
          name: 'cp',
          kind: 'checkpoint',
          address: `https://127.0.0.1:${cp.port}/_IA_API/v1.0`,
          secret: { file: 'cp.secret' },
          tls: { ca: pki.ca },
          timeout: '4s',
          ...fast,
        },
        {
          name: 'hook',
          kind: 'webhook',
          address: `https://127.0.0.1:${hook.port}/fsso`,
          secret: { env: 'HOOK_TOKEN' },
          tls: { ca: pki.ca },
          timeout: '1h',
          ...fast,
        },
        {
          name: 'pa-other-ca',
          kind: 'panos',
          address: `https://127.0.0.1:${panos.port}`,
          secret: { file: 'panos.key' },
          tls: { ca: caPaths(join(dir.path, 'other-ca')).cert },
          timeout: '1h',
          ...fast,
        },
      ],
    },
  });
  const push = startProcess('push', BIN.fw, ['push', '--config', config], { HOOK_TOKEN: TOKEN });
  t.after(() => push.stop());
  await push.waitFor((l) => l.message === 'push running');
  const status = (): PushStatus => JSON.parse(readFileSync(statusFile, 'utf8')) as PushStatus;
  const target = (name: string): PushStatus['targets'][number] | undefined =>
    status().targets.find((x) => x.name === name);
  const allEqual = (): boolean =>
    [panos, cp, hook].every((s) => JSON.stringify(held(s)) === JSON.stringify(sorted(want)));

  await t.test(
    'the table at start: every target holds it; PAN-OS got batches of at most 2, at most 5 in flight',
    async () => {
      await until('all three equal', allEqual);
      assert.ok(panos.batchSizes.every((n) => n <= 2) && panos.batchSizes.length >= 5, `batches ${panos.batchSizes}`);
      assert.ok(panos.maxInFlight > 1 && panos.maxInFlight <= 5, `in flight ${panos.maxInFlight}`);
      assert.deepEqual([...cp.refused, ...hook.refused], []);
      assert.equal(cp.live()['198.18.20.10']?.domain, 'CORP');
    },
  );

  await t.test('a target with another CA never gets a byte: TLS verification names the fix', async () => {
    await until('the TLS failure in status', () => (target('pa-other-ca')?.counters.failures ?? 0) > 0);
    const s = target('pa-other-ca');
    assert.equal(s?.state, 'FAILING');
    assert.equal(s?.held, 0);
    assert.match(s?.lastError ?? '', /does not verify against tls\.ca .*give the CA that signed it/);
  });

  await t.test('a roam and a logoff: deltas reach every target', async () => {
    await agent.sendAcked([{ user: 'alice', domain: 'CORP', ip: '198.18.20.50', workstation: 'WS-ALICE' }]);
    delete want['198.18.20.10'];
    want['198.18.20.50'] = 'CORP\\alice';
    await agent.sendAcked([{ kind: 'USER_LOGOFF', user: 'bob', domain: 'CORP', ip: '198.18.20.11' }]);
    delete want['198.18.20.11'];
    await until('all three equal after the roam and logoff', allEqual);
  });

  await t.test('PAN-OS answers errors: retried with backoff; the others are not held back', async () => {
    panos.failNext(4);
    const before = target('pa')?.counters.failures ?? 0;
    await agent.sendAcked([{ user: 'mallory', domain: 'CORP', ip: '198.18.20.60' }]);
    want['198.18.20.60'] = 'CORP\\mallory';
    await until(
      'cp and hook have it',
      () => held(cp)['198.18.20.60'] === 'CORP\\mallory' && held(hook)['198.18.20.60'] === 'CORP\\mallory',
    );
    await until('PAN-OS too, after its retries', allEqual);
    await until('each error counted in status', () => (target('pa')?.counters.failures ?? 0) >= before + 4);
    await push.waitFor((l) => l.message === 'push target back' && l['target'] === 'pa');
  });

  await t.test('Check Point "reboots" (forgets its table): the refresh (half of 4 s) refills it', async () => {
    cp.forget();
    assert.deepEqual(held(cp), {});
    await until('cp refilled', allEqual, 200);
  });

  await t.test('the webhook is down for a while, then back: it ends equal; the others never stalled', async () => {
    const port = hook.port;
    await hook.stop();
    await agent.sendAcked([{ kind: 'USER_LOGOFF', user: 'carol', domain: 'CORP', ip: '198.18.20.12' }]);
    delete want['198.18.20.12'];
    await until('pa and cp without carol', () => !held(panos)['198.18.20.12'] && !held(cp)['198.18.20.12']);
    await until('the webhook shown failing', () => target('hook')?.state === 'FAILING');
    assert.match(target('hook')?.lastError ?? '', /cannot connect to 127\.0\.0\.1:\d+ \(connection refused\)/);
    hook.forget();
    await hook.start(port);
    await until('the webhook equal again', allEqual, 200);
    await until('the webhook UP', () => target('hook')?.state === 'UP');
  });

  await t.test('push status names each target; no secret is in logs or status', async () => {
    const r = await runCommand(BIN.fw, ['push', 'status', '--config', config]);
    assert.equal(r.code, 1, 'pa-other-ca is failing');
    assert.match(
      r.stdout,
      /pa \(panos https:\/\/127\.0\.0\.1:\d+\): UP, connected\n {4}queue \d+, in flight \d+, held 9;/,
    );
    assert.match(r.stdout, /pa-other-ca \(panos .*\): FAILING/);
    const seen = [
      push.lines.map((l) => JSON.stringify(l)).join('\n'),
      push.stderr.join('\n'),
      readFileSync(statusFile, 'utf8'),
      r.stdout,
    ].join('\n');
    for (const secret of [KEY, CP, TOKEN]) assert.ok(!seen.includes(secret), 'no secret in logs or status');
  });

  await t.test('Prometheus sees the same: state, held entries and failures per target', async () => {
    const line = await push.waitFor((l) => l.message === 'metrics listening');
    const text = await (await fetch(`http://${String(line['address'])}/metrics`)).text();
    const value = (name: string, labels: string): number => {
      const m = new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(text);
      assert.ok(m, `${name}{${labels}} in the scrape`);
      return Number(m[1]);
    };
    assert.equal(value('fsso_push_target_state', 'target="pa",kind="panos",state="UP"'), 1);
    assert.equal(value('fsso_push_target_state', 'target="pa-other-ca",kind="panos",state="FAILING"'), 1);
    assert.equal(value('fsso_push_held_entries', 'target="pa",kind="panos"'), target('pa')?.held);
    assert.equal(value('fsso_push_held_entries', 'target="pa-other-ca",kind="panos"'), 0);
    assert.ok(value('fsso_push_failures_total', 'target="pa",kind="panos"') >= 4, 'the PAN-OS errors counted');
    assert.ok(value('fsso_push_last_success_seconds', 'target="cp",kind="checkpoint"') > 0);
    for (const secret of [KEY, CP, TOKEN]) assert.ok(!text.includes(secret), 'no secret in the metrics');
  });
});

function sorted(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
