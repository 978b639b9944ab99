/**
 * nft: one nftables transaction of 1 000 element changes as nft-sync writes it, in a network
 * namespace of its own, next to 1 000 adds written by hand as one element list. Runs
 * test/bench/nft.ts (its own process, which owns the measurement) and reads its figures.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { Scenario } from '../harness/types';

export const nft: Scenario = {
  name: 'nft',
  title:
    'One nft transaction of 1 000 element changes (500 addresses moving between sets) in a network namespace of its own; baseline: 1 000 adds as one element list. Skipped without root and nft.',
  run() {
    return new Promise((resolve, reject) => {
      execFile(process.execPath, [join(__dirname, '..', 'nft.js')], { timeout: 120_000 }, (err, stdout) => {
        if (err) return reject(new Error(`test/bench/nft.ts failed: ${err.message}`));
        const skipped = /nft bench skipped: (.*)/.exec(stdout);
        if (skipped)
          return resolve([
            { figure: 'nft transaction, 1 000 changes', value: 0, unit: 'ms', notes: `skipped: ${skipped[1]}` },
          ]);
        const value = /median of \d+: ([\d.]+) ms/.exec(stdout);
        const byHand = /1 000 adds as one element list ([\d.]+) ms/.exec(stdout);
        if (!value?.[1]) return reject(new Error(`unexpected output of test/bench/nft.ts: ${stdout.slice(0, 300)}`));
        resolve([
          {
            figure: 'nft transaction, 1 000 changes (nft-sync)',
            value: Number(value[1]),
            unit: 'ms',
            ...(byHand?.[1]
              ? { baseline: { name: '1 000 adds as one element list', value: Number(byHand[1]), unit: 'ms' } }
              : {}),
          },
        ]);
      });
    });
  },
};
