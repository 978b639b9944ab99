import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import {
  caPaths,
  initCa,
  issueCert,
  loadFsso,
  type AgentServiceClient,
  type CollectorMessage__Output,
} from '@fsso/common';
import { BIN } from '../support/paths';
import { runCommand, startCollector, tempDir } from '../support/processes';
import { renewableCollectorFiles, testPki } from '../support/pki';

/** Mutual TLS with roles, against a real collector process. */
test('mutual TLS: roles, agent scope, and refusals that explain themselves', async (t) => {
  const dir = tempDir('security');
  t.after(dir.cleanup);
  const pki = testPki();
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());
  const base = ['--collector', collector.address, '--ca', pki.ca];

  await t.test('an operator certificate may use the admin service', async () => {
    const r = await runCommand(BIN.ctl, ['stats', '--json', ...collector.args('admin')]);
    assert.equal(r.code, 0, r.stderr);
  });

  await t.test('no client certificate: refused at the handshake', async () => {
    const creds = grpc.credentials.createSsl(readFileSync(pki.ca));
    const { proto } = loadFsso();
    const client = new proto.fsso.v1.AdminService(collector.address, creds);
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      (
        client as unknown as {
          getStats: (r: object, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void) => void;
        }
      ).getStats({}, { deadline: Date.now() + 5000 }, (e) => resolve(e)),
    );
    client.close();
    assert.ok(err, 'the call must fail');
    assert.equal(err.code, grpc.status.UNAVAILABLE);
  });

  await t.test(
    'a firewall certificate calling the admin service: PERMISSION_DENIED, and the log names the certificate',
    async () => {
      const r = await runCommand(BIN.ctl, ['stats', ...collector.args('firewall')]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /has role firewall; fsso\.v1\.AdminService needs admin \[FSSO_PERMISSION_DENIED\]/);
      await collector.daemon.waitFor((l) => l.message === 'call refused' && String(l['reason']).includes('fw1'));
      // The same certificate may read the table.
      assert.equal((await runCommand(BIN.fw, ['table', '--json', ...collector.args('firewall')])).code, 0);
    },
  );

  await t.test('an agent for domain A reporting a user of domain B is rejected and counted', async () => {
    const corp = pki.issue('agent', 'dc-corp', ['CORP']);
    const { proto } = loadFsso();
    const client = new proto.fsso.v1.AgentService(
      collector.address,
      grpc.credentials.createSsl(readFileSync(pki.ca), readFileSync(corp.key), readFileSync(corp.cert)),
    ) as AgentServiceClient;
    t.after(() => client.close());
    const stream = client.report();
    const replies: CollectorMessage__Output[] = [];
    const acked = new Promise<void>((resolve, reject) => {
      stream.on('data', (m: CollectorMessage__Output) => {
        replies.push(m);
        if (m.ack) resolve();
      });
      stream.on('error', reject);
    });
    const now = Date.now();
    const ev = (seq: number, user: string, domain: string, ip: string) => ({
      seq,
      kind: 'USER_LOGON' as const,
      user,
      domain,
      ip,
      eventTimeMs: now,
      source: 'windows-security',
      sourceEventId: '4624',
      logonType: 3,
    });
    stream.write({
      hello: { agentId: 'dc-corp', domains: ['CORP'], hostname: 'dc-corp', version: 'test', spoolId: 's1', headSeq: 3 },
    });
    stream.write({
      batch: {
        events: [
          ev(1, 'alice', 'CORP', '198.18.9.1'),
          ev(2, 'ceo', 'SALES', '198.18.9.2'),
          ev(3, 'bob', '', '198.18.9.3'),
        ],
        headSeq: 3,
      },
    });
    await acked;
    stream.end();
    // The ack tells the agent what was refused and why, so it cannot count the refused event as delivered.
    assert.deepEqual(replies.find((m) => m.ack)?.ack, {
      ackedSeq: 3,
      accepted: 2,
      duplicates: 0,
      rejected: 1,
      rejections: [{ seq: 2, reason: "domain SALES is outside the agent certificate's domains (CORP)" }],
    });
    const rows = JSON.parse((await runCommand(BIN.ctl, ['logons', '--json', ...collector.args('admin')])).stdout) as {
      ip: string;
      user: string;
      domain: string;
    }[];
    assert.deepEqual(
      rows.map((r) => [r.ip, r.user, r.domain]),
      [
        ['198.18.9.1', 'alice', 'CORP'],
        ['198.18.9.3', 'bob', 'CORP'],
      ],
      'the SALES user never landed; a domain-less user is taken as CORP',
    );
    const stats = JSON.parse((await runCommand(BIN.ctl, ['stats', '--json', ...collector.args('admin')])).stdout) as {
      rejected: number;
    };
    assert.equal(stats.rejected, 1);
  });

  await t.test('a client that trusts another CA is refused, with an explanation', async () => {
    const other = join(dir.path, 'other-ca');
    mkdirSync(other);
    const ca = initCa(other, 'Some other CA');
    const admin = issueCert(caPaths(other), { role: 'admin', name: 'stranger' });
    const r = await runCommand(BIN.ctl, [
      'stats',
      '--collector',
      collector.address,
      '--ca',
      ca.cert,
      '--cert',
      admin.cert,
      '--key',
      admin.key,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not from the CA in --ca|another CA|certificate/);
    const check = await runCommand(BIN.ctl, ['tls', 'check', collector.address, '--ca', ca.cert]);
    assert.equal(check.code, 1);
    assert.match(check.stdout, /does NOT verify against .*which is not in the CA file: this server uses another CA/);
    const ok = await runCommand(BIN.ctl, ['tls', 'check', collector.address, ...base.slice(2)]);
    assert.match(ok.stdout, /verifies against/);
  });

  await t.test('pinning: a client that pins another thumbprint refuses the collector', async () => {
    const shown = JSON.parse((await runCommand(BIN.ctl, ['pki', 'show', pki.collector.cert, '--json'])).stdout) as {
      thumbprint: string;
    };
    const ok = await runCommand(BIN.ctl, ['stats', ...collector.args('admin'), '--pin', `sha256:${shown.thumbprint}`]);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await runCommand(BIN.ctl, ['stats', ...collector.args('admin'), '--pin', 'ab'.repeat(32)]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not one of the pinned thumbprints/);
  });

  await t.test('a renewed certificate is served without a restart', async () => {
    const reloadDir = join(dir.path, 'reload');
    const files = renewableCollectorFiles(reloadDir, 'reload-a');
    const first = files.first;
    const c2 = await startCollector(reloadDir, { config: { tls: { ca: pki.ca, cert: files.cert, key: files.key } } });
    t.after(() => c2.daemon.stop());
    const served = async (): Promise<string> =>
      /0\. reload-\S* .*\n/.exec(
        (await runCommand(BIN.ctl, ['tls', 'check', c2.address, '--ca', pki.ca])).stdout,
      )?.[0] ?? '';
    const before = await served();
    const renewed = files.renew('reload-b');
    const thumb = (f: string): string =>
      (
        JSON.parse(execFileSync(process.execPath, [BIN.ctl, 'pki', 'show', f, '--json']).toString()) as {
          thumbprint: string;
        }
      ).thumbprint;
    assert.notEqual(thumb(first.cert), thumb(renewed.cert));
    const deadline = Date.now() + 15_000;
    let after = before;
    while (Date.now() < deadline && after === before) {
      await new Promise((r) => setTimeout(r, 500));
      after = await served();
    }
    assert.notEqual(after, before, 'the collector serves the renewed certificate');
    assert.ok(after.includes(`sha256:${thumb(renewed.cert)}`), after);
    assert.equal((await runCommand(BIN.ctl, ['stats', ...c2.args('admin')])).code, 0, 'and clients still connect');
  });

  await t.test('plaintext only behind an explicit flag, and it warns', async () => {
    const plainDir = join(dir.path, 'plain');
    mkdirSync(plainDir);
    writeFileSync(join(plainDir, 'c.json'), JSON.stringify({ listen: '127.0.0.1:0' }));
    const refused = await runCommand(BIN.collector, ['serve', '--config', join(plainDir, 'c.json')]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /tls: the collector needs tls\.ca, tls\.cert and tls\.key \(mutual TLS\), or "insecure": true/,
    );
    const noFlag = await runCommand(BIN.ctl, ['stats', '--collector', collector.address]);
    assert.equal(noFlag.code, 2);
    assert.match(noFlag.stderr, /no TLS credentials: pass --ca, --cert and --key .* or --insecure/);
  });
});
