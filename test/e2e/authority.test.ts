import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { Issued } from '@fsso/common';
import { BIN } from '../support/paths';
import { runCommand, startCollector, tempDir } from '../support/processes';
import { handMadeCertificate, testPki } from '../support/pki';
import { AgentStream, type Reply } from '../support/agent-stream';

interface Row {
  ip: string;
  user: string;
  domain: string;
  shared: boolean;
  contested: boolean;
}

/**
 * Authority follows the certificate, against a real collector process: agents of CORP and SALES
 * (each with its own certificate) try to end, move, replace and share each other's users.
 */
test("authority: no agent rewrites another domain's users; legitimate use next to it still works", async (t) => {
  const dir = tempDir('authority');
  t.after(dir.cleanup);
  const pki = testPki();
  const collector = await startCollector(dir.path, {
    config: {
      domains: { CORP: 'corp.example.test', SALES: 'sales.example.test' },
      agents: [{ id: 'dhcp-corp', networks: ['198.18.30.0/24'] }],
    },
  });
  t.after(() => collector.daemon.stop());
  const open = async (cert: Issued, agentId: string, domains: string[]): Promise<AgentStream> => {
    const s = new AgentStream(collector.address, pki.ca, cert);
    t.after(() => s.close());
    const r = await s.hello(agentId, domains);
    assert.ok(r.ok && r.message.welcome, `hello of ${agentId}: ${JSON.stringify(r)}`);
    return s;
  };
  const sales = await open(pki.issue('agent', 'dc-sales', ['SALES']), 'dc-sales', ['SALES']);
  const corp = await open(pki.issue('agent', 'dc-corp', ['CORP']), 'dc-corp', ['CORP']);
  const acked = (r: Reply): void => assert.ok(r.ok && r.message.ack, JSON.stringify(r));
  const table = async (): Promise<Record<string, string>> => {
    const r = await runCommand(BIN.ctl, ['logons', '--json', ...collector.args()]);
    assert.equal(r.code, 0, r.stderr);
    return Object.fromEntries(
      (JSON.parse(r.stdout) as Row[]).map((e) => [
        e.ip,
        e.contested ? '(contested)' : e.shared ? '(shared)' : `${e.domain}\\${e.user}`,
      ]),
    );
  };
  const stats = async (): Promise<Record<string, number>> =>
    JSON.parse((await runCommand(BIN.ctl, ['stats', '--json', ...collector.args()])).stdout) as Record<string, number>;

  acked(
    await sales.send([
      { user: 'bob', domain: 'SALES', ip: '198.18.20.1' },
      { user: 'carol', domain: 'SALES', ip: '198.18.20.2' },
      { user: 'dave', domain: 'SALES', ip: '198.18.20.3', workstation: 'WS-DAVE' },
      { user: 'frank', domain: 'SALES', ip: '198.18.20.4' },
    ]),
  );

  await t.test(
    "IP reuse across domains: a CORP logon at SALES\\bob's address makes it contested, never CORP\\mallory",
    async () => {
      acked(await corp.send([{ user: 'mallory', domain: 'CORP', ip: '198.18.20.1' }]));
      assert.equal((await table())['198.18.20.1'], '(contested)');
      const line = await collector.daemon.waitFor((l) => String(l.message).startsWith('address contested'));
      assert.deepEqual(
        [line['ip'], line['holder'], line['claimant'], line['reporter']],
        ['198.18.20.1', 'SALES\\bob', 'CORP\\mallory', 'dc-corp'],
      );
      const ex = await runCommand(BIN.ctl, ['explain', '198.18.20.1', ...collector.args()]);
      assert.equal(ex.code, 0, ex.stderr);
      assert.match(ex.stdout, /contested/);
      assert.match(ex.stdout, /SALES\\bob\s+dc-sales/);
      assert.match(ex.stdout, /CORP\\mallory\s+dc-corp/);
      const fw = await runCommand(BIN.fw, ['check', '198.18.20.1', '--user', 'mallory', ...collector.args('firewall')]);
      assert.equal(fw.code, 1, 'the firewall lets nobody through on a contested address');
      assert.equal((await stats())['contested'], 1);
      // bob's own agent speaks again: the address is his.
      acked(await sales.send([{ kind: 'USER_ACTIVITY', user: 'bob', domain: 'SALES', ip: '198.18.20.1' }]));
      assert.equal((await table())['198.18.20.1'], 'SALES\\bob');
    },
  );

  await t.test("a CORP DHCP release of SALES\\carol's address removes nobody", async () => {
    acked(await corp.send([{ kind: 'HOST_RELEASED', ip: '198.18.20.2', workstation: 'WS-CAROL' }]));
    assert.equal((await table())['198.18.20.2'], 'SALES\\carol');
    assert.ok(((await stats())['outOfAuthority'] ?? 0) >= 1);
  });

  await t.test("CORP machine evidence naming SALES\\dave's workstation does not move dave", async () => {
    acked(
      await corp.send([
        { kind: 'HOST_SEEN', user: 'ws-dave', domain: 'CORP', workstation: 'WS-DAVE', ip: '198.18.20.99' },
        { kind: 'HOST_ADDRESS', workstation: 'WS-DAVE', ip: '198.18.20.98', mac: 'aa:bb:cc:dd:ee:01' },
      ]),
    );
    const now = await table();
    assert.equal(now['198.18.20.3'], 'SALES\\dave');
    assert.equal(now['198.18.20.99'], undefined);
    assert.equal(now['198.18.20.98'], undefined);
  });

  await t.test("three CORP users at SALES\\frank's address do not make it shared", async () => {
    acked(await corp.send(['m1', 'm2', 'm3'].map((u) => ({ user: u, domain: 'CORP', ip: '198.18.20.4' }))));
    assert.equal((await table())['198.18.20.4'], '(contested)');
    const ex = JSON.parse(
      (await runCommand(BIN.ctl, ['explain', '198.18.20.4', '--json', ...collector.args()])).stdout,
    ) as { claims: { user: string }[] };
    assert.equal(ex.claims[0]?.user, 'frank', 'the holder is named first in the claims');
  });

  await t.test('domains are compared whole, and a user name carrying a domain is judged by it', async () => {
    const dns = await open(pki.issue('agent', 'dc-corp-dns', ['CORP.EXAMPLE.TEST']), 'dc-corp-dns', [
      'CORP.EXAMPLE.TEST',
    ]);
    const before = (await stats())['rejected'] ?? 0;
    const r = await dns.send([
      { user: 'eve', domain: 'CORP.EVIL.COM', ip: '198.18.21.1' },
      { user: 'eve@sales.example.test', domain: 'CORP', ip: '198.18.21.2' },
      { user: 'SALES\\eve', domain: 'CORP', ip: '198.18.21.3' },
      { user: 'ok', domain: 'CORP', ip: '198.18.21.4' },
    ]);
    assert.ok(r.ok && r.message.ack);
    assert.equal(r.message.ack.accepted, 1);
    assert.equal((await stats())['rejected'], before + 3);
    const now = await table();
    assert.deepEqual(
      ['198.18.21.1', '198.18.21.2', '198.18.21.3', '198.18.21.4'].map((ip) => now[ip]),
      [undefined, undefined, undefined, 'CORP\\ok'],
      'a certificate for CORP.EXAMPLE.TEST reports for CORP (configured pair) and nothing else',
    );
    await collector.daemon.waitFor(
      (l) => l.message === 'event rejected' && String(l['reason']).includes('CORP.EVIL.COM is outside'),
    );
  });

  await t.test('a hello naming a domain the certificate does not cover is refused', async () => {
    const s = new AgentStream(collector.address, pki.ca, pki.issue('agent', 'dc-corp2', ['CORP']));
    t.after(() => s.close());
    const r = await s.hello('dc-corp2', ['CORP.SALES.EXAMPLE']);
    assert.ok(!r.ok);
    assert.equal(r.code, grpc.status.PERMISSION_DENIED);
    assert.match(r.details, /may report for CORP, not CORP\.SALES\.EXAMPLE/);
  });

  await t.test(
    'an agent certificate that names no domain is refused at the hello, and the collector logs why',
    async () => {
      const cert = handMadeCertificate(
        dir.path,
        'dc-nodomain',
        'subjectAltName=URI:urn:fsso:role:agent\nextendedKeyUsage=clientAuth',
      );
      const s = new AgentStream(collector.address, pki.ca, cert);
      t.after(() => s.close());
      const r = await s.hello('dc-nodomain', []);
      assert.ok(!r.ok);
      assert.equal(r.code, grpc.status.PERMISSION_DENIED);
      assert.match(r.details, /names no domain; issue the agent's certificate with --domain/);
      await collector.daemon.waitFor((l) => l.message === 'agent refused: its certificate names no domain');
    },
  );

  await t.test(
    'legitimate use: IP reuse and roaming inside one domain, a forest-wide agent, DHCP from an address authority',
    async () => {
      acked(
        await corp.send([
          { user: 'alice', domain: 'CORP', ip: '198.18.22.1', workstation: 'WS-ALICE' },
          { user: 'bert', domain: 'corp.example.test', ip: '198.18.22.1' },
          { user: 'cleo', domain: 'CORP', ip: '198.18.22.2', workstation: 'WS-CLEO' },
          { kind: 'HOST_SEEN', user: 'ws-cleo', domain: 'CORP', workstation: 'WS-CLEO', ip: '198.18.22.3' },
        ]),
      );
      const forest = await open(pki.issue('agent', 'dc-forest', ['*']), 'dc-forest', ['CORP', 'SALES']);
      acked(
        await sales.send([
          { user: 'gina', domain: 'SALES', ip: '198.18.22.4' },
          { user: 'hugo', domain: 'SALES', ip: '198.18.30.5' },
        ]),
      );
      acked(await forest.send([{ user: 'ida', domain: 'CORP', ip: '198.18.22.4' }]));
      const dhcp = await open(pki.issue('agent', 'dhcp-corp', ['CORP']), 'dhcp-corp', ['CORP']);
      acked(await dhcp.send([{ kind: 'HOST_RELEASED', ip: '198.18.30.5' }]));
      const now = await table();
      assert.deepEqual(
        ['198.18.22.1', '198.18.22.2', '198.18.22.3', '198.18.22.4', '198.18.30.5'].map((ip) => now[ip]),
        ['CORP\\bert', undefined, 'CORP\\cleo', 'CORP\\ida', undefined],
      );
    },
  );
});
