import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { connect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { loadFsso, type AdminServiceClient, type IdentityServiceClient } from '@fsso/common';
import { startCollector, tempDir } from '../support/processes';
import { testPki } from '../support/pki';
import { getStats } from '../support/grpc';

/** A free loopback port: the test must know it before the collector logs it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

type Attempt = 'refused' | 'handshake' | string;

/** One TLS handshake with the agent certificate: refused (nothing listens yet), done, or the error. */
function handshake(port: number): Promise<Attempt> {
  const pki = testPki();
  return new Promise((resolve) => {
    const s = connect({
      host: '127.0.0.1',
      port,
      ca: readFileSync(pki.ca),
      cert: readFileSync(pki.agent.cert),
      key: readFileSync(pki.agent.key),
      servername: 'localhost',
      ALPNProtocols: ['h2'],
    });
    s.once('secureConnect', () => {
      s.destroy();
      resolve('handshake');
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      s.destroy();
      resolve(e.code === 'ECONNREFUSED' ? 'refused' : (e.code ?? e.message));
    });
  });
}

test('a client connecting while the collector starts is refused or served, never reset: it listens only once its TLS files are loaded', async (t) => {
  const dir = tempDir('startup');
  t.after(dir.cleanup);
  const port = await freePort();
  const seen = new Map<Attempt, number>();
  let listening = false;
  let served = 0;
  // Knocks from before the start until a few handshakes after "collector listening" (bounded).
  const knocking = (async () => {
    for (let i = 0; i < 5000 && served < 20; i++) {
      const r = await handshake(port);
      seen.set(r, (seen.get(r) ?? 0) + 1);
      if (r === 'handshake' && listening) served++;
      if (r === 'refused') await new Promise((res) => setTimeout(res, 2));
    }
  })();
  const collector = await startCollector(dir.path, { port });
  t.after(() => collector.daemon.stop());
  listening = true;
  await knocking;
  const errors = [...seen.keys()].filter((k) => k !== 'refused' && k !== 'handshake');
  assert.deepEqual(errors, [], `connections reset during start-up: ${JSON.stringify([...seen])}`);
  assert.ok(served >= 20, `handshakes after "collector listening": ${served}`);
  // And the first call after the line is answered.
  const { proto } = loadFsso();
  const admin = new proto.fsso.v1.AdminService(collector.address, collector.credentials('admin')) as AdminServiceClient;
  t.after(() => admin.close());
  assert.equal((await getStats(admin)).denied, 0);
});

test('each connection is judged by its own certificate, call after call, while others with other roles call beside it', async (t) => {
  const dir = tempDir('roles');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());
  const { proto } = loadFsso();
  const pki = testPki();
  const make = (role: 'admin' | 'firewall' | 'agent') => {
    // A channel of its own per client: one TLS connection per certificate.
    const creds = grpc.credentials.createSsl(
      readFileSync(pki.ca),
      readFileSync(pki[role].key),
      readFileSync(pki[role].cert),
    );
    const opts = { 'grpc.use_local_subchannel_pool': 1 };
    return {
      role,
      admin: new proto.fsso.v1.AdminService(collector.address, creds, opts) as AdminServiceClient,
      identity: new proto.fsso.v1.IdentityService(collector.address, creds, opts) as IdentityServiceClient,
    };
  };
  const clients = [make('admin'), make('firewall'), make('agent')];
  t.after(() => clients.forEach((c) => (c.admin.close(), c.identity.close())));
  const stats = (c: (typeof clients)[number]) =>
    new Promise<grpc.status>((resolve) => c.admin.getStats({}, (e) => resolve(e ? e.code : grpc.status.OK)));
  const lookup = (c: (typeof clients)[number]) =>
    new Promise<grpc.status>((resolve) =>
      c.identity.lookup({ ip: '198.18.77.1' }, (e) => resolve(e ? e.code : grpc.status.OK)),
    );
  const ROUNDS = 20;
  const outcomes = new Map<string, Set<grpc.status>>();
  for (let round = 0; round < ROUNDS; round++) {
    const results = await Promise.all(
      clients.flatMap((c) => [
        stats(c).then((s) => [`${c.role} admin`, s] as const),
        lookup(c).then((s) => [`${c.role} lookup`, s] as const),
      ]),
    );
    for (const [k, s] of results) outcomes.set(k, (outcomes.get(k) ?? new Set()).add(s));
  }
  const nobodyHere = grpc.status.NOT_FOUND; // allowed, and the table is empty
  assert.deepEqual(Object.fromEntries([...outcomes].map(([k, v]) => [k, [...v]])), {
    'admin admin': [grpc.status.OK],
    'admin lookup': [nobodyHere],
    'firewall admin': [grpc.status.PERMISSION_DENIED],
    'firewall lookup': [nobodyHere],
    'agent admin': [grpc.status.PERMISSION_DENIED],
    'agent lookup': [grpc.status.PERMISSION_DENIED],
  });
  // Every refusal counted and logged under the certificate that made it.
  const admin = clients[0];
  assert.ok(admin);
  assert.equal((await getStats(admin.admin)).denied, 3 * ROUNDS);
  const refused = collector.daemon.lines.filter((l) => l.message === 'call refused').map((l) => String(l['reason']));
  assert.equal(refused.length, 3 * ROUNDS);
  assert.equal(
    refused.filter((r) => r.startsWith('certificate fw1 ') && r.includes('has role firewall')).length,
    ROUNDS,
  );
  assert.equal(
    refused.filter((r) => r.startsWith('certificate dc1 ') && r.includes('has role agent')).length,
    2 * ROUNDS,
  );
});
