import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { run, runOk, runQuietSync } from './exec';

/**
 * The DC's addresses and the client namespaces. The DC stays in the root network namespace, bound
 * to a 127.x address of its own (added to `lo`) plus the .1 of the clients' /24 on a bridge, so
 * the collector on the host reaches its LDAP directly while each client IP is a separate network
 * namespace whose logons the DC sees from that IP. Every name carries a per-run tag and everything
 * created is removed by name in `down`.
 */
export interface NetPlan {
  /** Per-run prefix of every netns/interface name (interface names are at most 15 characters). */
  tag: string;
  dcIp: string;
  /** The bridge address clients talk to; '' when there are no clients. */
  gateway: string;
  clientIps: string[];
}

type Created = { kind: 'addr' | 'link' | 'netns'; name: string };

export class LabNetwork {
  private readonly created: Created[] = [];
  constructor(readonly plan: NetPlan) {}

  get bridge(): string {
    return `${this.plan.tag}-br`;
  }

  clientNs(ip: string): string {
    if (!this.plan.clientIps.includes(ip))
      throw new Error(`${ip} is not one of this DC's client addresses (${this.plan.clientIps.join(', ')})`);
    return `${this.plan.tag}-c${ip.split('.')[3] ?? ''}`;
  }

  /** Names of the network namespaces this run uses (for the test's own cleanup check). */
  get namespaces(): string[] {
    return this.plan.clientIps.map((ip) => this.clientNs(ip));
  }

  async up(): Promise<void> {
    const { dcIp, gateway, clientIps } = this.plan;
    // Samba binds only addresses that exist on an interface; 127.0.0.0/8 routing alone is not enough.
    await runOk('ip', ['addr', 'add', `${dcIp}/32`, 'dev', 'lo']);
    this.created.push({ kind: 'addr', name: dcIp });
    if (clientIps.length === 0) return;
    await runOk('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
    this.created.push({ kind: 'link', name: this.bridge });
    await runOk('ip', ['addr', 'add', `${gateway}/24`, 'dev', this.bridge]);
    await runOk('ip', ['link', 'set', this.bridge, 'up']);
    for (const ip of clientIps) {
      const ns = this.clientNs(ip);
      await runOk('ip', ['netns', 'add', ns]);
      this.created.push({ kind: 'netns', name: ns });
      await runOk('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
      // Only the host end joins the bridge. The pair would die with the namespace, but the kernel
      // removes it asynchronously after `netns del`; deleting the host end first is immediate.
      await runOk('ip', ['link', 'add', `${ns}e`, 'netns', ns, 'type', 'veth', 'peer', 'name', `${ns}p`]);
      this.created.push({ kind: 'link', name: `${ns}p` });
      await runOk('ip', ['link', 'set', `${ns}p`, 'master', this.bridge, 'up']);
      await runOk('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `${ip}/24`, 'dev', `${ns}e`]);
      await runOk('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', `${ns}e`, 'up']);
    }
  }

  /** Removes what `up` created, newest first; returns what could not be removed. */
  async down(): Promise<string[]> {
    const left: string[] = [];
    for (const c of [...this.created].reverse()) {
      const args = deleteArgs(c);
      const r = await run('ip', args);
      if (r.code !== 0 && stillThere(c)) left.push(`${c.kind} ${c.name}: ${r.stderr.trim()}`);
    }
    this.created.length = 0;
    return left;
  }

  /** Best-effort `down` for a process 'exit' handler. */
  downSync(): void {
    for (const c of [...this.created].reverse()) runQuietSync('ip', deleteArgs(c));
    this.created.length = 0;
  }
}

function deleteArgs(c: Created): string[] {
  if (c.kind === 'netns') return ['netns', 'del', c.name];
  if (c.kind === 'link') return ['link', 'del', c.name];
  return ['addr', 'del', `${c.name}/32`, 'dev', 'lo'];
}

function stillThere(c: Created): boolean {
  if (c.kind === 'netns') return existsSync(`/run/netns/${c.name}`);
  if (c.kind === 'link') return existsSync(`/sys/class/net/${c.name}`);
  return runQuietSync('sh', ['-c', `ip -4 -o addr show dev lo | grep -q ' ${c.name}/'`]) === 0;
}

/** Client addresses must be lab-only (198.18.0.0/15) and share one /24 whose .1 is the gateway. */
export function planNetwork(clientIps: readonly string[], hostAddrs: readonly string[]): NetPlan {
  const subnets = new Set(clientIps.map((ip) => ip.split('.').slice(0, 3).join('.')));
  for (const ip of clientIps) {
    const o = ip.split('.').map(Number);
    if (!isIPv4(ip) || o[0] !== 198 || (o[1] !== 18 && o[1] !== 19))
      throw new Error(`client address ${ip} is not in the lab range 198.18.0.0/15`);
    if ((o[3] ?? 0) < 2 || (o[3] ?? 0) > 254)
      throw new Error(`client address ${ip}: the last octet must be 2..254 (.1 is the DC)`);
  }
  if (subnets.size > 1) throw new Error(`client addresses must share one /24, got ${clientIps.join(', ')}`);
  if (new Set(clientIps).size !== clientIps.length) throw new Error(`client addresses repeat: ${clientIps.join(', ')}`);
  const subnet = [...subnets][0];
  if (subnet !== undefined && hostAddrs.some((a) => a.startsWith(`${subnet}.`))) {
    throw new Error(`${subnet}.0/24 is already in use on this host; pick another (see pickClientIps)`);
  }
  let dcIp = '';
  do dcIp = `127.${randomInt(16, 250)}.${randomInt(0, 256)}.${randomInt(2, 255)}`;
  while (hostAddrs.includes(dcIp));
  return { tag: freeTag(), dcIp, gateway: subnet === undefined ? '' : `${subnet}.1`, clientIps: [...clientIps] };
}

/** `count` addresses .11, .12, ... in a random /24 of 198.18.0.0/15 that nothing on this host uses. */
export async function pickClientIps(count: number): Promise<string[]> {
  const used = await hostAddresses();
  for (;;) {
    const subnet = `198.${randomInt(18, 20)}.${randomInt(1, 255)}`;
    if (!used.some((a) => a.startsWith(`${subnet}.`)))
      return Array.from({ length: count }, (_, i) => `${subnet}.${11 + i}`);
  }
}

/** Every IPv4 address and route destination on the host, to avoid colliding with them. */
export async function hostAddresses(): Promise<string[]> {
  const text =
    (await runOk('ip', ['-4', '-o', 'addr', 'show'])) + (await runOk('ip', ['-4', 'route', 'show', 'table', 'all']));
  return [...text.matchAll(/(\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1] ?? '');
}

function freeTag(): string {
  const taken = new Set([
    ...(existsSync('/run/netns') ? readdirSync('/run/netns') : []),
    ...readdirSync('/sys/class/net'),
  ]);
  for (;;) {
    const tag = `fs${randomBytes(3).toString('hex').slice(0, 4)}`;
    if (![...taken].some((n) => n.startsWith(tag))) return tag;
  }
}
