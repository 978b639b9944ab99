/**
 * `npm run bench` (second part): policy decisions per second on a 1 M-entry replica-like table
 * (the replica's own shape: a Map from normalised address to the collector's Identity objects),
 * next to a plain `Map.get` on the same keys in the same order, in the same run. Prints figures;
 * asserts nothing (tests never assert wall-clock times).
 */
import type { Identity__Output } from '@fsso/common';
import { compilePolicy } from '@fsso/firewall-client';

const ENTRIES = Number(process.env['FSSO_BENCH_REPLICA'] ?? 1_000_000);
const ROUNDS = 5;

function table(n: number): Map<string, Identity__Output> {
  const m = new Map<string, Identity__Output>();
  for (let i = 0; i < n; i++) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const groups = [
      'CORP\\Domain Users',
      i % 3 === 0 ? 'CORP\\VPN-Users' : 'CORP\\Sales',
      ...(i % 7 === 0 ? ['CORP\\Admins'] : []),
    ];
    m.set(ip, {
      ip,
      user: `user${i}`,
      domain: 'CORP',
      groups,
      groupDns: [],
      workstation: `WS${i}`,
      firstSeenMs: 1,
      lastSeenMs: 2,
      source: 'windows-security',
      revision: i,
      shared: i % 1000 === 0,
      groupsStale: false,
      inferred: false,
      contested: false,
    });
  }
  return m;
}

/** The keys in a random order (a fixed seed, so runs compare), with 1 in 10 absent (unknown addresses). */
function randomKeys(m: Map<string, Identity__Output>): string[] {
  const keys = [...m.keys()];
  let seed = 12345;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
  }
  for (let i = 0; i < keys.length; i += 10) keys[i] = `198.18.${i & 255}.${(i >> 8) & 255}`;
  return keys;
}

function perSecond(keys: string[], body: (k: string) => number): number {
  let sink = 0;
  const started = process.hrtime.bigint();
  for (let r = 0; r < ROUNDS; r++) for (const k of keys) sink += body(k);
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  if (sink === -1) console.log('unreachable');
  return (keys.length * ROUNDS) / secs;
}

function main(): void {
  const m = table(ENTRIES);
  const keys = randomKeys(m);
  const policy = compilePolicy({
    rules: [
      { action: 'deny', name: 'admins-elsewhere', groups: ['CORP\\Admins'] },
      {
        action: 'allow',
        name: 'vpn',
        groups: ['CORP\\VPN-Users', 'CN=VPN-Users,OU=Groups,DC=corp,DC=example,DC=test'],
      },
      { action: 'allow', name: 'ops', users: ['CORP\\alice', 'CORP\\bob'] },
      { action: 'deny', name: 'labs', shared: true },
    ],
    default: 'deny',
  });
  const fmt = (n: number): string => `${(n / 1e6).toFixed(2)} M/s`;
  const cold = perSecond(keys.slice(0, keys.length), (k) => (policy.decide(m.get(k)).action === 'allow' ? 1 : 0));
  const base = perSecond(keys, (k) => (m.get(k) === undefined ? 0 : 1));
  const warm = perSecond(keys, (k) => (policy.decide(m.get(k)).action === 'allow' ? 1 : 0));
  const base2 = perSecond(keys, (k) => (m.get(k) === undefined ? 0 : 1));
  console.log(
    `FSSO decide() benchmark: ${ENTRIES.toLocaleString('en-US')}-entry replica table, random addresses (1 in 10 unknown), ${ROUNDS} rounds`,
  );
  console.log(`Map.get (baseline)               ${fmt((base + base2) / 2)}`);
  console.log(`decide(Map.get) warm             ${fmt(warm)}   ratio ${(warm / ((base + base2) / 2)).toFixed(2)}`);
  console.log(`decide(Map.get) incl. first pass ${fmt(cold)}   (keys computed once per identity object)`);
  console.log('target: >= 5 M decisions/s and >= 0.5 x Map.get (issue 12)');
}

main();
