import type { NftConfig } from './config';

/** The IPv4 and IPv6 set names of each configured set, as the family allows. */
export function managedSets(cfg: NftConfig): { name: string; type: 'ipv4_addr' | 'ipv6_addr' }[] {
  return cfg.sets.flatMap((s) => [
    ...(cfg.family !== 'ip6' ? [{ name: s.name, type: 'ipv4_addr' as const }] : []),
    ...(cfg.family !== 'ip' ? [{ name: `${s.name}_v6`, type: 'ipv6_addr' as const }] : []),
  ]);
}

/**
 * One transaction that makes our sets equal `members`: creates the table and sets if missing
 * (`add` is a no-op for what exists, so chains an operator put in our table survive), flushes
 * each set and adds its elements. nft applies a file all or nothing.
 */
export function fullSyncScript(cfg: NftConfig, members: ReadonlyMap<string, ReadonlySet<string>>): string {
  const t = `${cfg.family} ${cfg.table}`;
  const out = [`add table ${t}`];
  for (const s of managedSets(cfg)) {
    out.push(`add set ${t} ${s.name} { type ${s.type}; }`, `flush set ${t} ${s.name}`);
    const ips = [...(members.get(s.name) ?? [])];
    // Chunks keep each line of a large table short enough for nft's parser.
    for (let i = 0; i < ips.length; i += 1000)
      out.push(`add element ${t} ${s.name} { ${ips.slice(i, i + 1000).join(', ')} }`);
  }
  return `${out.join('\n')}\n`;
}

/** The same, after dropping our table first: for a table whose sets cannot be adopted (wrong type). */
export function rebuildScript(cfg: NftConfig, members: ReadonlyMap<string, ReadonlySet<string>>): string {
  const t = `${cfg.family} ${cfg.table}`;
  return `add table ${t}\ndelete table ${t}\n${fullSyncScript(cfg, members)}`;
}

export interface ElementChange {
  set: string;
  ip: string;
  op: 'add' | 'delete';
}

/** Adds and deletes in one transaction: an address leaving one set and joining another moves at once. */
export function changeScript(cfg: NftConfig, changes: readonly ElementChange[]): string {
  const t = `${cfg.family} ${cfg.table}`;
  // Deletes first, so a set never holds an address twice over even for a moment inside the transaction.
  const sorted = [...changes].sort((a, b) => (a.op === b.op ? 0 : a.op === 'delete' ? -1 : 1));
  return `${sorted.map((c) => `${c.op} element ${t} ${c.set} { ${c.ip} }`).join('\n')}\n`;
}

/** Removes our table (and only ours); `add` first makes it a no-op when it is gone already. */
export function cleanupScript(cfg: NftConfig): string {
  const t = `${cfg.family} ${cfg.table}`;
  return `add table ${t}\ndelete table ${t}\n`;
}
