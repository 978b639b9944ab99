/*
 * Throughput of each push path (not part of npm test or npm run bench): identities/s into a real
 * FreeRADIUS (RSSO, waiting for each Accounting-Response so only what landed counts) and
 * batches/s into the PAN-OS and Check Point HTTPS stand-ins. Run: node test/dist/bench/push.js
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDriver, validatePushConfig, type PushOp } from '@fsso/firewall-client';
import { testPki } from '../support/pki';
import { tempDir } from '../support/processes';
import { FreeRadius, freeradiusUnavailable } from '../support/freeradius';
import { CheckpointStandIn, PanosStandIn } from '../support/push-standins';

const N = Number(process.env['PUSH_BENCH_N'] ?? 20_000);

function ops(n: number): PushOp[] {
  return Array.from({ length: n }, (_, i) => ({
    op: 'login' as const,
    id: { ip: `198.18.${(i >> 8) & 255}.${i & 255}`, user: `user${i}`, domain: 'CORP', groups: ['CORP\\VPN-Users'] },
  }));
}

/** Sends `all` in batches with `concurrency` in flight; returns operations/s and batches/s. */
async function drive(
  send: (b: PushOp[]) => Promise<unknown>,
  all: PushOp[],
  batch: number,
  concurrency: number,
): Promise<{ opsPerS: number; batchesPerS: number }> {
  const batches: PushOp[][] = [];
  for (let i = 0; i < all.length; i += batch) batches.push(all.slice(i, i + batch));
  const t0 = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) await send(batches[next++] ?? []);
    }),
  );
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { opsPerS: Math.round(all.length / s), batchesPerS: Math.round(batches.length / s) };
}

async function main(): Promise<void> {
  const dir = tempDir('push-bench');
  const pki = testPki();
  writeFileSync(join(dir.path, 's'), 'bench-secret', { mode: 0o600 });
  const rows: string[] = [];
  const skip = freeradiusUnavailable();
  if (skip) rows.push(`rsso: skipped (${skip})`);
  else {
    const radius = new FreeRadius(join(dir.path, 'radius'), 'bench-secret');
    await radius.start();
    const cfg = validatePushConfig(
      {
        targets: [
          {
            name: 'f',
            kind: 'fortigate-rsso',
            address: `127.0.0.1:${radius.port}`,
            secret: { file: 's' },
            response: true,
          },
        ],
      },
      dir.path,
    ).targets[0];
    if (!cfg) throw new Error('no target');
    const d = makeDriver(cfg, 'bench');
    const r = await drive((b) => d.send(b, AbortSignal.timeout(10_000)), ops(N), 64, 4);
    d.close();
    const landed = radius.records().length;
    await radius.stop();
    rows.push(
      `rsso into FreeRADIUS (response on, 64 x 4 in flight): ${r.opsPerS} identities/s (${landed} records written)`,
    );
  }
  for (const [kind, standIn, path, batch] of [
    ['panos', new PanosStandIn('k'), '', 500],
    ['checkpoint', new CheckpointStandIn('k'), '/_IA_API/v1.0', 100],
  ] as const) {
    const port = await standIn.start();
    writeFileSync(join(dir.path, 'k'), 'k', { mode: 0o600 });
    const cfg = validatePushConfig(
      {
        targets: [
          {
            name: kind,
            kind,
            address: `https://127.0.0.1:${port}${path}`,
            secret: { file: 'k' },
            tls: { ca: pki.ca },
            batch,
          },
        ],
      },
      dir.path,
    ).targets[0];
    if (!cfg) throw new Error('no target');
    const d = makeDriver(cfg, 'bench');
    const r = await drive((b) => d.send(b, AbortSignal.timeout(10_000)), ops(N), batch, cfg.kind === 'panos' ? 5 : 4);
    d.close();
    await standIn.stop();
    rows.push(`${kind} stand-in (HTTPS, ${batch} per batch): ${r.batchesPerS} batches/s = ${r.opsPerS} identities/s`);
  }
  dir.cleanup();
  for (const r of rows) process.stdout.write(`${r}\n`);
}

void main();
