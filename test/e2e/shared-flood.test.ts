import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AdminServiceClient, Identity__Output } from '@fsso/common';
import { adminClient } from '../support/grpc';
import { agentClient, report, rssMiB, statsLatencyMs } from '../support/flood';
import { startCollector, tempDir } from '../support/processes';

const TS = '198.19.250.10';

function getLogon(admin: AdminServiceClient, ip: string): Promise<Identity__Output> {
  return new Promise((resolve, reject) =>
    admin.getLogon({ ip }, { deadline: Date.now() + 10_000 }, (err, res) =>
      err || !res ? reject(err ?? new Error('no answer')) : resolve(res),
    ),
  );
}

/** Admin calls one after another until `work` settles; the worst latency seen. */
async function pollWhile(admin: AdminServiceClient, work: Promise<unknown>): Promise<{ worst: number; polls: number }> {
  let done = false;
  void work.then(
    () => (done = true),
    () => (done = true),
  );
  let worst = 0;
  let polls = 0;
  while (!done && polls < 1000) {
    worst = Math.max(worst, await statsLatencyMs(admin, 10_000));
    polls++;
    await new Promise((res) => setTimeout(res, 50));
  }
  return { worst, polls };
}

test('10 000 users at one address: the collector stays responsive and the address is shared, and stays shared after 200 000 other addresses', async (t) => {
  const dir = tempDir('shared-flood');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path, { config: { durability: 'normal' } });
  t.after(() => collector.daemon.stop());
  const admin = adminClient(collector);
  t.after(() => admin.close());
  const rssBefore = rssMiB(collector.daemon.pid);
  await statsLatencyMs(admin);

  // Admin calls keep being answered while the 10 000 are ingested (each within a generous 10 s).
  const terminal = report(
    agentClient(collector.address, 'dc-ts'),
    'dc-ts',
    Array.from({ length: 10_000 }, (_, i) => ({ user: `ts-user${i}`, ip: TS })),
  );
  const latencyDuring = await pollWhile(admin, terminal);
  const r = await terminal;
  assert.equal(r.error, undefined, r.error?.message);
  const e = await getLogon(admin, TS);
  assert.equal(e.shared, true);
  assert.equal(e.user, '', 'a shared address names nobody');
  const rssAfterTs = rssMiB(collector.daemon.pid);

  // 200 000 distinct other addresses: more than 198.18.0.0/15 holds, so IPv6 from the documentation
  // prefix 2001:db8::/32 (RFC 3849). Data only: nothing connects to event addresses in this test.
  const other = report(
    agentClient(collector.address, 'dc-other'),
    'dc-other',
    Array.from({ length: 200_000 }, (_, i) => ({
      user: `u${i}`,
      ip: `2001:db8:0:${(i >> 16).toString(16)}::${(i & 0xffff).toString(16)}`,
    })),
  );
  const latencyFlood = await pollWhile(admin, other);
  const o = await other;
  assert.equal(o.error, undefined, o.error?.message);
  assert.equal(o.accepted, 200_000);
  const rssFlood = rssMiB(collector.daemon.pid);

  // One more user at the terminal server: still shared, not handed to that user.
  const again = await report(agentClient(collector.address, 'dc-ts2'), 'dc-ts2', [{ user: 'late-user', ip: TS }]);
  assert.equal(again.accepted, 1);
  const after = await getLogon(admin, TS);
  assert.equal(after.shared, true);
  assert.equal(after.user, '');
  t.diagnostic(
    `RSS MiB before/after 10 000 users at one address/after 200 000 other addresses: ${rssBefore}/${rssAfterTs}/${rssFlood}; GetStats ms worst during the 10 000 (${latencyDuring.polls} calls): ${latencyDuring.worst.toFixed(1)}, worst during the 200 000 (${latencyFlood.polls} calls): ${latencyFlood.worst.toFixed(1)}`,
  );
});
