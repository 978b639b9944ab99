import { ConfigError, keysOf, type ConfigSection } from '@fsso/common';

/** The `nft` section of `fsso-fw --config FILE` (`fsso-fw nft-sync`); docs/config.md is rendered from it. */
export const NFT_SECTION: ConfigSection = {
  path: 'nft',
  title: 'nftables sets (`nft`, for `fsso-fw nft-sync`)',
  keys: [
    { key: 'nft.table', type: 'nft name', default: 'fsso', doc: 'The table nft-sync owns; it never touches another.' },
    {
      key: 'nft.family',
      type: '"inet", "ip" or "ip6"',
      default: 'inet',
      doc: 'The family of that table: inet holds an IPv4 and an IPv6 set per entry of `sets`.',
    },
    {
      key: 'nft.sets',
      type: 'list of set objects (below)',
      doc: 'One set pair per entry (`NAME` for IPv4, `NAME_v6` for IPv6), equal to the addresses whose identity matches.',
    },
    {
      key: 'nft.command',
      type: 'list of strings',
      default: '["nft"]',
      doc: 'The nft command and its leading arguments; `-f -` is appended and the transaction is written to its stdin.',
    },
    {
      key: 'nft.retryMs',
      type: 'whole milliseconds 10–60000',
      default: 1000,
      doc: 'After a failed transaction the last good state stays and a full sync is retried after this long, doubling up to 30 s.',
    },
  ],
};

export const NFT_SET_SECTION: ConfigSection = {
  path: 'nft.sets[]',
  title: 'One nftables set (`nft.sets[]`)',
  keys: [
    {
      key: 'nft.sets[].name',
      type: 'nft name (at most 29)',
      doc: 'The set name rules refer to (`ip saddr @NAME`); its IPv6 twin is `NAME_v6`.',
    },
    {
      key: 'nft.sets[].groups',
      type: 'list of group names',
      doc: 'Members of any of these groups: `CORP\\\\VPN-Users` only in CORP, a DN only that group, a bare name in any domain.',
    },
    {
      key: 'nft.sets[].users',
      type: 'list of account names',
      doc: 'These users (`CORP\\\\alice`, `alice@corp.example.test`, or `alice` in any domain).',
    },
    {
      key: 'nft.sets[].unknown',
      type: 'boolean',
      default: false,
      doc: 'Addresses the table holds with no user named (a machine seen, no user).',
    },
    { key: 'nft.sets[].shared', type: 'boolean', default: false, doc: 'Addresses shared by several users.' },
    {
      key: 'nft.sets[].contested',
      type: 'boolean',
      default: false,
      doc: 'Addresses claimed by agents of different domains (nobody is named there).',
    },
    {
      key: 'nft.sets[].inferred',
      type: 'boolean',
      default: false,
      doc: 'Whether identities resolved on demand (inferred) count for `users`/`groups`.',
    },
  ],
};

/** One managed set pair (IPv4 `NAME`, IPv6 `NAME_v6`): the addresses whose identity matches. */
export interface NftSetSpec {
  name: string;
  /** Members of any of these groups ("CORP\\VPN-Users" only in CORP, a DN only that group, "VPN-Users" in any domain). */
  groups: string[];
  /** These users ("CORP\\alice", "alice@corp.example", or "alice" in any domain). */
  users: string[];
  /** Addresses the table holds with no user named (a machine seen, no user). */
  unknown: boolean;
  /** Addresses shared by several users. */
  shared: boolean;
  /** Addresses contested by agents of different domains. */
  contested: boolean;
  /** Whether identities resolved on demand (inferred) count for `users`/`groups`. @default false */
  inferred: boolean;
}

export interface NftConfig {
  /** @default "fsso" */
  table: string;
  /** @default "inet" */
  family: 'inet' | 'ip' | 'ip6';
  sets: NftSetSpec[];
  /** The nft command and its leading arguments; `-f -` is appended. @default ["nft"] */
  command: string[];
  /** First retry after a failed transaction; doubles up to 30 s. @default 1000 */
  retryMs: number;
}

/** nft identifiers: a letter, then letters, digits and '_' (set names also get a `_v6` suffix). */
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,28}$/;
const TOP = keysOf(NFT_SECTION);
const SET = keysOf(NFT_SET_SECTION);

function rejectUnknown(o: Record<string, unknown>, known: string[], field: string): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k))
      throw new ConfigError(`${field}.${k}: unknown key; the keys here are ${known.join(', ')}`, `${field}.${k}`);
  }
}

function strings(v: unknown, field: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s.trim() === '')) {
    throw new ConfigError(
      `${field}: expected a list of names like ["CORP\\\\VPN-Users"], not ${JSON.stringify(v)}`,
      field,
    );
  }
  return v as string[];
}

function bool(v: unknown, field: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean')
    throw new ConfigError(`${field}: expected true or false, not ${JSON.stringify(v)}`, field);
  return v;
}

/** Fills the defaults of the `nft` section and checks every field; errors name the field and the fix. */
export function validateNftConfig(raw: unknown, field = 'nft'): NftConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(
      `${field}: expected an object like {"sets": [{"name": "fsso_vpn_users", "groups": ["CORP\\\\VPN-Users"]}]}`,
      field,
    );
  }
  const o = raw as Record<string, unknown>;
  rejectUnknown(o, TOP, field);
  const table = o['table'] ?? 'fsso';
  if (typeof table !== 'string' || !NAME.test(table))
    throw new ConfigError(
      `${field}.table: ${JSON.stringify(table)} is not an nft table name; use letters, digits and '_' (default "fsso")`,
      `${field}.table`,
    );
  const family = o['family'] ?? 'inet';
  if (family !== 'inet' && family !== 'ip' && family !== 'ip6')
    throw new ConfigError(
      `${field}.family: ${JSON.stringify(family)}; use "inet" (both families), "ip" or "ip6"`,
      `${field}.family`,
    );
  const command = o['command'] ?? ['nft'];
  if (!Array.isArray(command) || command.length === 0 || command.some((s) => typeof s !== 'string' || s === '')) {
    throw new ConfigError(
      `${field}.command: expected the nft command as a list, like ["nft"] or ["/usr/sbin/nft"]`,
      `${field}.command`,
    );
  }
  const retryMs = o['retryMs'] ?? 1000;
  if (typeof retryMs !== 'number' || !Number.isInteger(retryMs) || retryMs < 10 || retryMs > 60_000) {
    throw new ConfigError(
      `${field}.retryMs: expected whole milliseconds 10–60000 (default 1000), not ${JSON.stringify(retryMs)}`,
      `${field}.retryMs`,
    );
  }
  if (!Array.isArray(o['sets']) || o['sets'].length === 0) {
    throw new ConfigError(
      `${field}.sets: expected a list of sets like [{"name": "fsso_vpn_users", "groups": ["CORP\\\\VPN-Users"]}]`,
      `${field}.sets`,
    );
  }
  const seen = new Set<string>();
  const sets = (o['sets'] as unknown[]).map((s, i): NftSetSpec => {
    const f = `${field}.sets[${i}]`;
    if (typeof s !== 'object' || s === null || Array.isArray(s))
      throw new ConfigError(`${f}: expected an object like {"name": "fsso_vpn_users", "users": ["CORP\\\\alice"]}`, f);
    const e = s as Record<string, unknown>;
    rejectUnknown(e, SET, f);
    const name = e['name'];
    if (typeof name !== 'string' || !NAME.test(name))
      throw new ConfigError(
        `${f}.name: ${JSON.stringify(name)} is not an nft set name; use a letter, then letters, digits and '_' (at most 29)`,
        `${f}.name`,
      );
    if (seen.has(name.toLowerCase()))
      throw new ConfigError(`${f}.name: "${name}" is used twice; give each set its own name`, `${f}.name`);
    seen.add(name.toLowerCase());
    const spec: NftSetSpec = {
      name,
      groups: strings(e['groups'], `${f}.groups`),
      users: strings(e['users'], `${f}.users`),
      unknown: bool(e['unknown'], `${f}.unknown`),
      shared: bool(e['shared'], `${f}.shared`),
      contested: bool(e['contested'], `${f}.contested`),
      inferred: bool(e['inferred'], `${f}.inferred`),
    };
    if (spec.groups.length + spec.users.length === 0 && !spec.unknown && !spec.shared && !spec.contested) {
      throw new ConfigError(
        `${f}: set "${name}" would always be empty; give it "groups", "users", or "unknown"/"shared"/"contested": true`,
        f,
      );
    }
    return spec;
  });
  for (const s of sets)
    if (seen.has(`${s.name.toLowerCase()}_v6`))
      throw new ConfigError(
        `${field}.sets: "${s.name}_v6" is the IPv6 set of "${s.name}"; rename one`,
        `${field}.sets`,
      );
  return { table, family, sets, command: command as string[], retryMs };
}
