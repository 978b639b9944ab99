/**
 * A restart with a table of several pages: Lookup is answered while the rows load (from SQLite),
 * everything that needs the whole table (an agent's batch, Sync, the operator's calls) is held
 * until the load ends, and then sees all of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadFsso, type IdentityServiceClient, type Identity__Output } from '@fsso/common';
import { IdentityReplica } from '@fsso/firewall-client';
import { AgentStream, startFedCollector } from '../support/agent-stream';
import { adminClient, getStats } from '../support/grpc';
import { startCollector, tempDir } from '../support/processes';

const N = 12_000;
const ip = (i: number): string => `198.18.${100 + Math.floor(i / 250)}.${(i % 250) + 1}`;

function lookup(client: IdentityServiceClient, address: string): Promise<Identity__Output> {
  return new Promise((resolve, reject) =>
    client.lookup({ ip: address }, { deadline: Date.now() + 10_000 }, (err, r) =>
      err || !r ? reject(err ?? new Error('no answer')) : resolve(r),
    ),
  );
}

test('after a restart with a table of several pages, Lookup answers while it loads and ingest, Sync and admin see all of it', async (t) => {
  const dir = tempDir('restart-load');
  t.after(dir.cleanup);
  const { pki, collector, agent } = await startFedCollector(t, dir.path);
  for (let from = 0; from < N; from += 2000)
    await agent.sendAcked(
      Array.from({ length: 2000 }, (_, k) => ({ user: `user${from + k}`, domain: 'CORP', ip: ip(from + k) })),
    );
  agent.close();
  await collector.daemon.stop();

  const again = await startCollector(dir.path);
  t.after(() => again.daemon.stop());
  const listening = again.daemon.lines.find((l) => l.message === 'collector listening');
  assert.equal(listening?.['loading'], true, 'listening before the table is loaded, and says so');

  const { proto } = loadFsso();
  const identity = new proto.fsso.v1.IdentityService(
    again.address,
    again.credentials('firewall'),
  ) as IdentityServiceClient;
  t.after(() => identity.close());
  // The last rows load last: whichever way they are read, the answers are the table's.
  const answers = await Promise.all([N - 1, N - 2, 0].map((i) => lookup(identity, ip(i))));
  assert.deepEqual(
    answers.map((a) => [a.ip, a.user, a.domain]),
    [N - 1, N - 2, 0].map((i) => [ip(i), `user${i}`, 'CORP']),
  );

  // An agent's batch is taken only with the whole table in memory (the rules read it).
  const next = new AgentStream(again.address, pki.ca, pki.agent);
  t.after(() => next.close());
  assert.ok((await next.hello('dc1', ['CORP'])).ok);
  await next.sendAcked([{ user: 'late', domain: 'CORP', ip: ip(N) }]);
  const loaded = again.daemon.lines.find((l) => l.message === 'identity table loaded');
  assert.equal(loaded?.['logons'], N, 'the ack came after the load, which logged the whole table');

  const stats = await getStats(adminClient(again));
  assert.equal(stats.logons, N + 1);
  assert.equal(stats.state, 'RUNNING');

  const replica = new IdentityReplica({ address: again.address, credentials: again.credentials('firewall') });
  t.after(() => replica.stop());
  replica.start();
  await replica.whenReady(20_000);
  assert.equal(replica.size, N + 1);
  assert.equal(replica.lookup(ip(N))?.user, 'late');
  assert.equal(replica.lookup(ip(N - 1))?.user, `user${N - 1}`);
});
