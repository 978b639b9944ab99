import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN } from '../support/paths';
import { runCommand, startCollector, tempDir } from '../support/processes';
import { AgentStream } from '../support/agent-stream';
import { testPki } from '../support/pki';

interface Row {
  ip: string;
  user: string;
  shared: boolean;
}

/**
 * Issue 9, item 1: three users make an address shared; the collector is killed (SIGKILL, and
 * SIGTERM) and restarted on its database; the next single logon there must not name that user.
 */
for (const how of ['SIGKILL', 'SIGTERM'] as const) {
  test(`a shared address stays shared across a collector restart (${how}): the next single logon names nobody`, async (t) => {
    const dir = tempDir('shared-restart');
    t.after(dir.cleanup);
    const pki = testPki();
    const cert = pki.issue('agent', `dc-ts-${how.toLowerCase()}`, ['CORP']);
    const say = async (address: string, users: string[]): Promise<void> => {
      const s = new AgentStream(address, pki.ca, cert);
      try {
        const hello = await s.hello(`dc-ts-${how.toLowerCase()}`, ['CORP'], `spool-${Date.now()}-${Math.random()}`);
        assert.ok(hello.ok && hello.message.welcome, JSON.stringify(hello));
        const r = await s.send(
          users.map((user) => ({ user, domain: 'CORP', ip: '198.18.40.5', logonType: 10, sourceEventId: '4624' })),
        );
        assert.ok(r.ok && r.message.ack?.accepted === users.length, JSON.stringify(r));
      } finally {
        s.close();
      }
    };
    const table = async (c: { args: (r?: 'admin') => string[] }): Promise<Row[]> =>
      JSON.parse((await runCommand(BIN.ctl, ['logons', '--json', ...c.args()])).stdout) as Row[];

    const first = await startCollector(dir.path);
    await say(first.address, ['alice', 'bob', 'carol']);
    assert.deepEqual(
      (await table(first)).map((r) => [r.ip, r.shared]),
      [['198.18.40.5', true]],
    );
    if (how === 'SIGKILL') await first.daemon.kill();
    else await first.daemon.stop();

    const second = await startCollector(dir.path);
    t.after(() => second.daemon.stop());
    await say(second.address, ['dave']);
    const rows = await table(second);
    assert.deepEqual(
      rows.map((r) => [r.ip, r.shared, r.user]),
      [['198.18.40.5', true, '']],
      'dave is not named alone: the address is still shared',
    );
    const ex = JSON.parse(
      (await runCommand(BIN.ctl, ['explain', '198.18.40.5', '--json', ...second.args()])).stdout,
    ) as { claims: { user: string }[] };
    assert.deepEqual(
      ex.claims.map((c) => c.user).sort(),
      ['alice', 'bob', 'carol', 'dave'],
      'its users are kept with the entry',
    );
  });
}
