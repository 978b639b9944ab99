import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../support/paths';
import { runCommand, startProcess, tempDir, writeFirewallConfig } from '../support/processes';
import { startFedCollector } from '../support/agent-stream';
import { netnsUnavailable, TestNetns } from '../support/netns';

const skip = netnsUnavailable(['nft']);

/**
 * A real collector fed by a real agent stream, `fsso-fw nft-sync` as a process, and real nft in a
 * namespace the test creates. Groups come only from a directory, so sets here are user lists; group
 * sets follow a real Samba DC's LDAP groups in samba-collector.test.ts, and the group rules are
 * tested against real nft with a hand-driven table in the package's nft-sync test.
 */
test(
  "nft-sync: logons, a roam, a user change and a logoff show in `nft -j list set`; others' tables untouched; --cleanup removes ours",
  { skip },
  async (t) => {
    const dir = tempDir('nft');
    t.after(dir.cleanup);
    const ns = new TestNetns();
    t.after(() => ns.remove());
    ns.exec(
      ['nft', '-f', '-'],
      'table inet filter { set keep { type ipv4_addr; elements = { 198.18.9.9 }; }; chain input { type filter hook input priority 0; policy accept; }; }\n',
    );
    const { collector, agent } = await startFedCollector(t, dir.path);
    await agent.sendAcked([
      { user: 'alice', domain: 'CORP', ip: '198.18.1.10', workstation: 'WS-ALICE' },
      { user: 'bob', domain: 'CORP', ip: '198.18.1.11' },
    ]);

    const config = join(dir.path, 'fw.json');
    writeFirewallConfig(config, [collector.address], {
      grace: '1s',
      failMode: 'closed',
      nft: {
        sets: [
          { name: 'fsso_vpn_users', users: ['CORP\\alice', 'carol'] },
          { name: 'fsso_bob', users: ['bob'] },
        ],
        command: ['ip', 'netns', 'exec', ns.name, 'nft'],
      },
    });
    const sync = startProcess('nft-sync', BIN.fw, ['nft-sync', '--config', config]);
    t.after(() => sync.stop());
    let applies = 0;
    /** Waits for the next 'nft applied' line (each is one transaction). */
    const applied = async (): Promise<void> => {
      const want = ++applies;
      await sync.waitFor((l) => l.message === 'nft applied' && Number(l['applies']) >= want);
      applies = Number(sync.lines.filter((l) => l.message === 'nft applied').at(-1)?.['applies']);
    };
    await applied();
    const sets = (): [string[], string[]] => [
      ns.setElements('inet', 'fsso', 'fsso_vpn_users'),
      ns.setElements('inet', 'fsso', 'fsso_bob'),
    ];
    assert.deepEqual(sets(), [['198.18.1.10'], ['198.18.1.11']], 'adopted at start');

    await t.test('a logon joins, a roam moves the address', async () => {
      await agent.sendAcked([{ user: 'carol', domain: 'CORP', ip: '198.18.1.12' }]);
      await applied();
      assert.deepEqual(sets()[0], ['198.18.1.10', '198.18.1.12']);
      // alice's laptop WS-ALICE roams from .10 to .20: the collector releases .10 (reason roamed).
      await agent.sendAcked([{ user: 'alice', domain: 'CORP', ip: '198.18.1.20', workstation: 'WS-ALICE' }]);
      for (
        let i = 0;
        i < 100 && ns.setElements('inet', 'fsso', 'fsso_vpn_users').join() !== '198.18.1.12,198.18.1.20';
        i++
      )
        await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(sets()[0], ['198.18.1.12', '198.18.1.20']);
    });

    await t.test(
      "bob logs on at carol's address: it leaves one set and joins the other in one transaction",
      async () => {
        await agent.sendAcked([{ kind: 'USER_LOGOFF', user: 'bob', domain: 'CORP', ip: '198.18.1.11' }]);
        for (let i = 0; i < 100 && sets()[1].length > 0; i++) await new Promise((r) => setTimeout(r, 50));
        const before = sync.lines.filter((l) => l.message === 'nft applied').length;
        await agent.sendAcked([{ user: 'bob', domain: 'CORP', ip: '198.18.1.12' }]);
        const line = await sync.waitFor(
          (l) => l.message === 'nft applied' && l['kind'] === 'change' && l['adds'] === 1 && l['deletes'] === 1,
        );
        assert.ok(sync.lines.filter((l) => l.message === 'nft applied').length > before);
        assert.equal(typeof line['durationMs'], 'number');
        assert.deepEqual(sets(), [['198.18.1.20'], ['198.18.1.12']]);
      },
    );

    await t.test('a logoff leaves; the other table is untouched', async () => {
      await agent.sendAcked([{ kind: 'USER_LOGOFF', user: 'bob', domain: 'CORP', ip: '198.18.1.12' }]);
      for (let i = 0; i < 100 && sets()[1].length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(sets(), [['198.18.1.20'], []]);
      assert.deepEqual(ns.setElements('inet', 'filter', 'keep'), ['198.18.9.9']);
    });

    await t.test('the collector gone past the grace: failMode closed empties the sets, logged', async () => {
      await collector.daemon.stop();
      await sync.waitFor((l) => l.message === 'firewall client mode' && l['to'] === 'CLOSED', 15_000);
      for (let i = 0; i < 100 && sets()[0].length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(sets(), [[], []]);
      assert.deepEqual(ns.setElements('inet', 'filter', 'keep'), ['198.18.9.9']);
    });

    await t.test('--cleanup removes our table and only ours; a bad config names the key', async () => {
      assert.equal(await sync.stop(), 0);
      const r = await runCommand(BIN.fw, ['nft-sync', '--config', config, '--cleanup']);
      assert.equal(r.code, 0, r.stderr);
      const tables = ns.exec(['nft', 'list', 'tables']);
      assert.doesNotMatch(tables, /inet fsso/);
      assert.match(tables, /inet filter/);
      assert.deepEqual(ns.setElements('inet', 'filter', 'keep'), ['198.18.9.9']);
      const bad = join(dir.path, 'bad.json');
      writeFileSync(
        bad,
        JSON.stringify({
          collectors: [collector.address],
          insecure: true,
          nft: { sets: [{ name: 'x', users: ['a'], grups: ['b'] }] },
        }),
      );
      const e = await runCommand(BIN.fw, ['nft-sync', '--config', bad]);
      assert.equal(e.code, 1);
      assert.equal(
        e.stderr.trim(),
        'fsso-fw: nft.sets[0].grups: unknown key; the keys here are name, groups, users, unknown, shared, contested, inferred [FSSO_CONFIG_INVALID]',
      );
      const noFile = await runCommand(BIN.fw, ['nft-sync'], { FSSO_CONFIG: '' });
      assert.equal(noFile.code, 2);
      assert.equal(
        noFile.stderr.trim(),
        'fsso-fw: nft-sync needs --config FILE (a JSON file with "collectors", "tls" and "nft"; see docs/config.md)',
      );
      const noSection = join(dir.path, 'no-nft.json');
      writeFileSync(noSection, JSON.stringify({ collectors: [collector.address], insecure: true }));
      const n = await runCommand(BIN.fw, ['nft-sync', '--config', noSection]);
      assert.equal(n.code, 2);
      assert.match(n.stderr, /^fsso-fw: nft-sync needs an "nft" section in the config, e\.g\. "nft": \{"sets": /);
      assert.doesNotMatch(n.stderr, /\n\s+at /, 'no stack trace');
    });
  },
);
