import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Identity__Output } from '@fsso/common';
import { validateNftConfig } from '../src/nft/config';
import { SetMembership } from '../src/nft/membership';
import { nftRunner, type NftRunner } from '../src/nft/runner';
import { NftSync } from '../src/nft/sync';
import type { ReplicaChange } from '../src/replica';

/** Why real nft in a namespace of our own cannot run here, or undefined when it can. */
function nftUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `needs Linux, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const c of ['ip', 'nft'])
    if (spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status !== 0)
      return `missing command ${c} (Debian packages iproute2, nftables)`;
  const probe = spawnSync('unshare', ['--net', '--', 'nft', 'list', 'ruleset'], { encoding: 'utf8' });
  return probe.status === 0
    ? undefined
    : `the kernel refuses network namespaces or nftables: ${(probe.stderr ?? '').trim() || `exit ${probe.status}`}`;
}

/** A table the test drives by hand: what the collector's replica would say, with groups (which only a directory gives). */
class HandSource extends EventEmitter {
  readonly table = new Map<string, Identity__Output>();
  private rev = 0;
  lookup(ip: string): Identity__Output | undefined {
    return this.table.get(ip);
  }
  entries(): Identity__Output[] {
    return [...this.table.values()];
  }
  set(ip: string, user: string, groups: string[]): void {
    const identity: Identity__Output = {
      ip,
      user,
      domain: 'CORP',
      groups,
      workstation: '',
      firstSeenMs: 0,
      lastSeenMs: 0,
      source: 'test',
      revision: ++this.rev,
      shared: false,
      groupsStale: false,
      inferred: false,
      contested: false,
      groupDns: [],
    };
    this.table.set(ip, identity);
    this.emit('change', { revision: this.rev, op: 'UPSERT', ip, identity, reason: 'test' } satisfies ReplicaChange);
  }
  remove(ip: string): void {
    const identity = this.table.get(ip);
    this.table.delete(ip);
    this.emit('change', { revision: ++this.rev, op: 'DELETE', ip, identity, reason: 'test' } satisfies ReplicaChange);
  }
}

const skip = nftUnavailable();

test(
  'nft-sync against real nft in a namespace of its own: group changes move addresses in one transaction',
  { skip },
  async (t) => {
    const ns = `fsnft${randomBytes(3).toString('hex')}`;
    assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
    t.after(() => spawnSync('ip', ['netns', 'del', ns]));
    const nft = (...args: string[]): string => {
      const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', ...args], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    const members = (set: string): string[] => {
      const j = JSON.parse(nft('-j', 'list', 'set', 'inet', 'fsso', set)) as {
        nftables: { set?: { elem?: string[] } }[];
      };
      return (j.nftables.find((x) => x.set)?.set?.elem ?? []).slice().sort();
    };
    // Someone else's table with a set of the same name: it must never change.
    const other = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], {
      input: 'table inet filter { set vpn { type ipv4_addr; elements = { 198.18.9.9 }; }; }\n',
      encoding: 'utf8',
    });
    assert.equal(other.status, 0, other.stderr);

    const cfg = validateNftConfig({
      sets: [
        { name: 'vpn', groups: ['CORP\\VPN-Users'] },
        { name: 'staff', groups: ['Staff'] },
      ],
      command: ['ip', 'netns', 'exec', ns, 'nft'],
      retryMs: 20,
    });
    const scripts: string[] = [];
    const real = nftRunner(cfg.command);
    let failNext = false;
    const run: NftRunner = async (s) => {
      scripts.push(s);
      if (failNext) {
        failNext = false;
        return { ok: false, durationMs: 0, error: 'Error: injected refusal' };
      }
      return real(s);
    };
    const logs: { message: string; meta?: Record<string, unknown> }[] = [];
    const log = {
      info: (message: string, meta?: Record<string, unknown>) => logs.push({ message, meta }),
      warn: (message: string, meta?: Record<string, unknown>) => logs.push({ message, meta }),
    };
    const src = new HandSource();
    src.table.set('198.18.1.10', {
      ...{
        ip: '198.18.1.10',
        user: 'alice',
        domain: 'CORP',
        groups: ['VPN-Users'],
        workstation: '',
        firstSeenMs: 0,
        lastSeenMs: 0,
        source: 't',
        revision: 0,
        shared: false,
        groupsStale: false,
        inferred: false,
        contested: false,
        groupDns: [],
      },
    });
    const sync = new NftSync(src, cfg, new SetMembership(cfg.sets), run, log);
    t.after(() => sync.stop());
    sync.start();
    await sync.idle();
    assert.deepEqual(members('vpn'), ['198.18.1.10'], 'adopted at start with the table as it was');
    assert.deepEqual(members('staff'), []);

    await t.test('alice leaves VPN-Users and joins Staff: one transaction deletes and adds', async () => {
      const before = scripts.length;
      src.set('198.18.1.10', 'alice', ['Staff']);
      await sync.idle();
      assert.equal(scripts.length, before + 1);
      assert.equal(
        scripts.at(-1),
        'delete element inet fsso vpn { 198.18.1.10 }\nadd element inet fsso staff { 198.18.1.10 }\n',
      );
      assert.deepEqual(members('vpn'), []);
      assert.deepEqual(members('staff'), ['198.18.1.10']);
    });

    await t.test('a group of another domain, an IPv6 address and a logoff', async () => {
      src.set('198.18.1.11', 'bob', ['SALES\\VPN-Users', 'VPN-Users']);
      src.set('2001:db8::11', 'carol', ['VPN-Users']);
      await sync.idle();
      src.remove('198.18.1.10');
      await sync.idle();
      assert.deepEqual(members('vpn'), ['198.18.1.11']);
      assert.deepEqual(members('vpn_v6'), ['2001:db8::11']);
      assert.deepEqual(members('staff'), []);
    });

    await t.test(
      'a refused transaction keeps the last good state; the retry re-syncs everything in one transaction',
      async () => {
        failNext = true;
        src.set('198.18.1.12', 'dave', ['Staff']);
        await sync.idle();
        assert.deepEqual(members('staff'), [], 'nothing half-applied');
        assert.ok(
          logs.some(
            (l) =>
              l.message.startsWith('nft transaction refused; the sets keep their last good state') &&
              l.meta?.['error'] === 'Error: injected refusal',
          ),
        );
        for (let i = 0; i < 200 && sync.stats.fullSyncs < 2; i++) await new Promise((r) => setTimeout(r, 20));
        await sync.idle();
        assert.deepEqual(members('staff'), ['198.18.1.12']);
        assert.match(scripts.at(-1) ?? '', /flush set inet fsso staff/);
        assert.equal(sync.stats.failures, 1);
      },
    );

    await t.test('a snapshot re-syncs the sets in one transaction; the other table is untouched', async () => {
      const dave = src.lookup('198.18.1.12') ?? assert.fail('dave is in the table');
      src.table.clear();
      src.table.set('198.18.1.20', { ...dave, ip: '198.18.1.20' });
      const before = scripts.length;
      src.emit('snapshot');
      await sync.idle();
      assert.equal(scripts.length, before + 1);
      assert.deepEqual(members('staff'), ['198.18.1.20']);
      assert.deepEqual(members('vpn'), []);
      assert.match(nft('list', 'set', 'inet', 'filter', 'vpn'), /elements = \{ 198\.18\.9\.9 \}/);
      const applied = logs.filter((l) => l.message === 'nft applied');
      assert.ok(
        applied.every((l) => typeof l.meta?.['durationMs'] === 'number' && typeof l.meta?.['applies'] === 'number'),
      );
    });
  },
);
