/**
 * `npm run bench` (nft part): the time of one nft transaction of 1 000 element changes as
 * nft-sync writes it (one line per change, deletes and adds together), in a network namespace of
 * its own, next to baselines measured in the same run: an empty transaction (the cost of running
 * nft at all) and 1 000 adds written by hand as one element list. Prints figures; asserts nothing.
 */
import { changeScript, fullSyncScript, nftRunner, validateNftConfig, type ElementChange } from '@fsso/firewall-client';
import { netnsUnavailable, TestNetns } from '../support/netns';

const ROUNDS = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const skip = netnsUnavailable(['nft']);
  if (skip) {
    console.log(`nft bench skipped: ${skip}`);
    return;
  }
  const ns = new TestNetns();
  try {
    const cfg = validateNftConfig({
      sets: [
        { name: 'a', users: ['x'] },
        { name: 'b', users: ['y'] },
      ],
      family: 'ip',
      command: ['ip', 'netns', 'exec', ns.name, 'nft'],
    });
    const run = nftRunner(cfg.command);
    const ips = Array.from({ length: 1000 }, (_, i) => `198.18.${Math.floor(i / 250) + 1}.${(i % 250) + 1}`);
    const timed = async (script: string): Promise<number> => {
      const r = await run(script);
      if (!r.ok) throw new Error(`nft refused the bench script: ${r.error}`);
      return r.durationMs;
    };
    const empty: number[] = [];
    const byHand: number[] = [];
    const changes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Start: 1 000 addresses in set a, none in b.
      await timed(fullSyncScript(cfg, new Map([['a', new Set(ips)]])));
      empty.push(await timed('\n'));
      byHand.push(await timed(`flush set ip fsso b\nadd element ip fsso b { ${ips.join(', ')} }\n`));
      await timed('flush set ip fsso b\n');
      // 500 addresses move from a to b: 1 000 changes in one transaction.
      const moves: ElementChange[] = ips.slice(0, 500).flatMap((ip) => [
        { set: 'a', ip, op: 'delete' as const },
        { set: 'b', ip, op: 'add' as const },
      ]);
      changes.push(await timed(changeScript(cfg, moves)));
    }
    console.log(
      `nft: one transaction of 1 000 changes (500 addresses moving between sets), median of ${ROUNDS}: ${median(changes).toFixed(1)} ms`,
    );
    console.log(
      `     baselines: empty transaction ${median(empty).toFixed(1)} ms; 1 000 adds as one element list ${median(byHand).toFixed(1)} ms`,
    );
  } finally {
    ns.remove();
  }
}

void main();
