import {
  ConfigError,
  DomainNames,
  directoryGroupName,
  formatAccount,
  parseAccountName,
  parseGroupName,
  type Identity__Output,
} from '@fsso/common';
import { IdentityView } from './identity-view';
import { ROW_FLAGS, type ReplicaTable } from './replica-table';

/** One rule of a policy: who it names, and what happens to them. */
export interface PolicyRule {
  action: 'allow' | 'deny';
  /** Shown in decisions and logs. @default "rule N" */
  name?: string;
  /** "CORP\\alice" or "alice@corp.example.test" (that domain only); a bare "alice" only with `anyDomain`. */
  users?: readonly string[];
  /** "CORP\\VPN-Users", a DN (that DN only), or a bare name (any domain, only with `anyDomain`). */
  groups?: readonly string[];
  /** Addresses where nobody is known. They match only rules that say so. */
  unknown?: boolean;
  /** Addresses several users share. They match only rules that say so. */
  shared?: boolean;
  /** Addresses agents of different domains claim. They match only rules that say so. */
  contested?: boolean;
  /** Identities resolved on demand (reverse DNS, a machine's last user) match `users`/`groups` only here. */
  inferred?: boolean;
}

/** An ordered list of rules, first match wins, and what happens when none matches. */
export interface Policy {
  rules: readonly PolicyRule[];
  /** @default "deny" */
  default?: 'allow' | 'deny';
  /** Lets bare user and group names match in every domain. @default false */
  anyDomain?: boolean;
}

export interface PolicyDecision {
  action: 'allow' | 'deny';
  /** The index of the rule that matched; -1 when the default applied. */
  rule: number;
  /** The rule's name ("rule N" when it has none; "default"). */
  ruleName: string;
  /** Who the address belongs to, when a single user is known. */
  user?: string | undefined;
  /** Why, in words a firewall log can show. */
  reason: string;
}

const RULE_KEYS = ['action', 'name', 'users', 'groups', 'unknown', 'shared', 'contested', 'inferred'];

interface CompiledRule {
  action: 'allow' | 'deny';
  name: string;
  /** "DOMAIN\\user", lower case, canonical domain. */
  users: Set<string>;
  /** Bare user names (anyDomain). */
  anyUsers: Set<string>;
  /** "DOMAIN\\group", lower case, canonical domain. */
  groups: Set<string>;
  /** Bare group names (anyDomain). */
  anyGroups: Set<string>;
  /** Normalised DNs: a group whose DN is known matches these by DN alone. */
  dns: Set<string>;
  /** "DOMAIN\\cn" of each DN rule: for a group whose DN is not known (an older collector). */
  dnFallback: Set<string>;
  inferred: boolean;
  unknown: boolean;
  shared: boolean;
  contested: boolean;
  named: boolean;
}

/**
 * decide()'s cache for an identity object a caller holds (a replica's table caches per slot
 * instead: see decideAt), beside it, so the object's own fields stay as they are.
 */
const cache = new WeakMap<
  object,
  { keys: IdentityKeys | undefined; by: CompiledPolicy | undefined; decision: PolicyDecision | undefined }
>();

function cacheOf(o: object): {
  keys: IdentityKeys | undefined;
  by: CompiledPolicy | undefined;
  decision: PolicyDecision | undefined;
} {
  let c = cache.get(o);
  if (c === undefined) cache.set(o, (c = { keys: undefined, by: undefined, decision: undefined }));
  return c;
}

/** What decide() needs of an identity, computed once per identity object. */
interface IdentityKeys {
  who: string;
  user: string;
  bareUser: string;
  /** Per group: [its text, "domain\\name", bare name, DN or ''] */
  groups: [string, string, string, string][];
  /** The domain names the keys were computed with. */
  names: DomainNames;
}

/**
 * A policy compiled once into sets of normalised names, so that a decision is a few Set look-ups:
 * a firewall's decision path runs for every new connection, millions a second. A replica's table
 * caches the last decision per entry and clears it when the entry changes (decideAt); an identity
 * object decided directly has its keys and decision cached beside it.
 */
export class CompiledPolicy {
  private readonly rules: CompiledRule[];
  private readonly defaultAction: 'allow' | 'deny';
  private readonly unknownDecision: PolicyDecision;
  private readonly sharedDecision: PolicyDecision;
  private readonly contestedDecision: PolicyDecision;

  constructor(
    policy: Policy,
    private readonly names: DomainNames = DomainNames.NONE,
    field = 'policy',
  ) {
    this.defaultAction = policy.default ?? 'deny';
    this.rules = policy.rules.map((r, i) => this.compileRule(r, `${field}.rules[${i}]`, i, policy.anyDomain === true));
    this.unknownDecision = this.classDecision('unknown', 'no user is known at this address');
    this.sharedDecision = this.classDecision(
      'shared',
      'the address is shared by several users; no single user is named there',
    );
    this.contestedDecision = this.classDecision(
      'contested',
      'the address is contested by agents of different domains; no user is named there until it resolves',
    );
  }

  /** The decision for whoever is at an address (`undefined`: nobody known). */
  decide(identity: Identity__Output | undefined): PolicyDecision {
    if (identity === undefined) return this.unknownDecision;
    // A replica's view: the table's per-slot cache, as replica.decide reads it (no WeakMap entry per view).
    if (identity instanceof IdentityView) return identity.decideWith(this);
    const c = cache.get(identity);
    if (c !== undefined && c.by === this && c.decision !== undefined) return c.decision;
    const d = this.decideIdentity(identity, c?.keys);
    const slot = c ?? cacheOf(identity);
    slot.keys = d.keys;
    slot.by = this;
    slot.decision = d.decision;
    return d.decision;
  }

  /**
   * The decision for the entry of `ip`, at `slot` of a replica's table, cached per slot (the table clears
   * it when the entry changes): the decision path of a firewall, with no Identity built on a hit.
   */
  decideAt(table: ReplicaTable, ip: string, slot: number): PolicyDecision {
    const cache = table.decisionCache();
    const at = 2 * slot;
    if (cache[at] === this) return cache[at + 1] as PolicyDecision;
    const f = table.flagsAt(slot);
    let d: PolicyDecision;
    if ((f & ROW_FLAGS.SHARED) !== 0) d = this.sharedDecision;
    else if ((f & ROW_FLAGS.CONTESTED) !== 0) d = this.contestedDecision;
    else if (table.userAt(slot) === '') d = this.unknownDecision;
    else d = this.decideIdentity(table.at(ip, slot), undefined).decision;
    cache[at] = this;
    cache[at + 1] = d;
    return d;
  }

  /** `keys`: the identity's keys if known (computed, and returned, when not, or for other domain names). */
  private decideIdentity(
    identity: Identity__Output,
    keys: IdentityKeys | undefined,
  ): { decision: PolicyDecision; keys: IdentityKeys | undefined } {
    if (identity.shared) return { decision: this.sharedDecision, keys };
    if (identity.contested) return { decision: this.contestedDecision, keys };
    if (identity.user === '') return { decision: this.unknownDecision, keys };
    const k = keys === undefined || keys.names !== this.names ? this.identityKeys(identity) : keys;
    return { decision: this.decideKnown(k, identity.inferred), keys: k };
  }

  private decideKnown(k: IdentityKeys, inferred: boolean): PolicyDecision {
    let skippedInferred = false;
    for (let i = 0; i < this.rules.length; i++) {
      const r = this.rules[i] as CompiledRule;
      if (!r.named) continue;
      const why = matchKnown(r, k);
      if (why === undefined) continue;
      if (inferred && !r.inferred) {
        skippedInferred = true;
        continue;
      }
      return Object.freeze({
        action: r.action,
        rule: i,
        ruleName: r.name,
        user: k.who,
        reason: `${k.who}${inferred ? ' (inferred)' : ''} ${why}: rule ${i} "${r.name}" ${r.action === 'allow' ? 'allows' : 'denies'}`,
      });
    }
    const why = skippedInferred
      ? `${k.who} is only inferred at this address (resolved on demand) and no rule with "inferred": true names them`
      : `${k.who} matches no rule`;
    return Object.freeze({
      action: this.defaultAction,
      rule: -1,
      ruleName: 'default',
      user: k.who,
      reason: `${why}; default ${this.defaultAction}`,
    });
  }

  private classDecision(cls: 'unknown' | 'shared' | 'contested', what: string): PolicyDecision {
    const i = this.rules.findIndex((r) => r[cls]);
    const r = this.rules[i];
    if (r === undefined)
      return Object.freeze({
        action: this.defaultAction,
        rule: -1,
        ruleName: 'default',
        reason: `${what}, and no rule with "${cls}": true names such addresses; default ${this.defaultAction}`,
      });
    return Object.freeze({
      action: r.action,
      rule: i,
      ruleName: r.name,
      reason: `${what}: rule ${i} "${r.name}" (${cls}) ${r.action === 'allow' ? 'allows' : 'denies'}`,
    });
  }

  private identityKeys(id: Identity__Output): IdentityKeys {
    const domain = this.names.canonical(id.domain);
    // The collector sends each group's DN beside its name; only when they line up do they pair.
    const dns = id.groupDns.length === id.groups.length ? id.groupDns : [];
    const groups = id.groups.map((g, i): [string, string, string, string] => {
      const n = directoryGroupName(g, dns[i], this.names);
      // A group named without a domain belongs to the identity's own domain (never to any domain).
      const gd = n.domain ?? (n.dn === undefined ? domain : '');
      return [g, `${gd}\\${n.name}`, n.name, dns[i] ? (n.dn ?? '') : ''];
    });
    const bareUser = id.user.toLowerCase();
    return {
      who: formatAccount(id.user, id.domain),
      user: `${domain}\\${bareUser}`,
      bareUser,
      groups,
      names: this.names,
    };
  }

  private compileRule(raw: unknown, f: string, i: number, anyDomain: boolean): CompiledRule {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new ConfigError(`${f}: expected a rule like {"action": "allow", "groups": ["CORP\\\\VPN-Users"]}`, f);
    const o = raw as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (!RULE_KEYS.includes(key))
        throw new ConfigError(
          `${f}.${key}: unknown setting; known ones here are ${RULE_KEYS.join(', ')}`,
          `${f}.${key}`,
        );
    }
    if (o['action'] !== 'allow' && o['action'] !== 'deny')
      throw new ConfigError(
        `${f}.action: expected "allow" or "deny", got ${JSON.stringify(o['action'])}`,
        `${f}.action`,
      );
    if (o['name'] !== undefined && (typeof o['name'] !== 'string' || o['name'] === ''))
      throw new ConfigError(`${f}.name: expected a non-empty string, got ${JSON.stringify(o['name'])}`, `${f}.name`);
    const flag = (k: string): boolean => {
      const v = o[k];
      if (v !== undefined && typeof v !== 'boolean')
        throw new ConfigError(`${f}.${k}: expected true or false, got ${JSON.stringify(v)}`, `${f}.${k}`);
      return v === true;
    };
    const r: CompiledRule = {
      action: o['action'],
      name: (o['name'] as string | undefined) ?? `rule ${i}`,
      users: new Set(),
      anyUsers: new Set(),
      groups: new Set(),
      anyGroups: new Set(),
      dns: new Set(),
      dnFallback: new Set(),
      inferred: flag('inferred'),
      unknown: flag('unknown'),
      shared: flag('shared'),
      contested: flag('contested'),
      named: false,
    };
    for (const u of stringList(o['users'], `${f}.users`)) {
      const a = parseAccountName(u);
      if (a.domain === undefined && !anyDomain) throw bareName(`${f}.users`, u, 'user');
      if (a.domain === undefined) r.anyUsers.add(a.user.toLowerCase());
      else r.users.add(`${this.names.canonical(a.domain)}\\${a.user.toLowerCase()}`);
    }
    for (const g of stringList(o['groups'], `${f}.groups`)) {
      const n = parseGroupName(g, this.names);
      if (n.dn !== undefined) {
        r.dns.add(n.dn);
        r.dnFallback.add(`${n.domain ?? ''}\\${n.name}`);
      } else if (n.domain === undefined) {
        if (!anyDomain) throw bareName(`${f}.groups`, g, 'group');
        r.anyGroups.add(n.name);
      } else r.groups.add(`${n.domain}\\${n.name}`);
    }
    r.named = r.users.size + r.anyUsers.size + r.groups.size + r.anyGroups.size + r.dns.size > 0;
    if (!r.named && !r.unknown && !r.shared && !r.contested) {
      throw new ConfigError(
        `${f}: the rule names nobody; give it "users" or "groups", or "unknown"/"shared"/"contested": true`,
        f,
      );
    }
    return r;
  }
}

/** Whether a known identity's keys meet a rule's names; the words for the reason if so. */
function matchKnown(r: CompiledRule, k: IdentityKeys): string | undefined {
  if (r.users.has(k.user) || r.anyUsers.has(k.bareUser)) return 'is named';
  for (const [text, key, bare, dn] of k.groups) {
    // A group whose DN is known matches a DN rule by DN alone (its name may differ from its CN).
    const hit = dn !== '' ? r.dns.has(dn) : r.dnFallback.has(key);
    if (hit || r.groups.has(key) || r.anyGroups.has(bare)) return `is a member of ${text}`;
  }
  return undefined;
}

function stringList(v: unknown, field: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.trim() === ''))
    throw new ConfigError(`${field}: expected a list of names, e.g. ["CORP\\\\VPN-Users"]`, field);
  return v as string[];
}

function bareName(field: string, name: string, what: string): ConfigError {
  return new ConfigError(
    `${field}: ${JSON.stringify(name)} names no domain; write "CORP\\\\${name}" (or a DN), or set "anyDomain": true in the policy to match that ${what} in every domain`,
    field,
  );
}

/** Validates and compiles a policy as a config file or `--policy FILE` holds it. */
export function compilePolicy(raw: unknown, names: DomainNames = DomainNames.NONE, field = 'policy'): CompiledPolicy {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(`${field}: expected {"rules": [...], "default": "deny"}`, field);
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!['rules', 'default', 'anyDomain'].includes(key))
      throw new ConfigError(
        `${field}.${key}: unknown setting; known ones here are rules, default, anyDomain`,
        `${field}.${key}`,
      );
  }
  if (!Array.isArray(o['rules']))
    throw new ConfigError(
      `${field}.rules: expected a list of rules, e.g. [{"action": "allow", "groups": ["CORP\\\\VPN-Users"]}]`,
      `${field}.rules`,
    );
  const def = o['default'] ?? 'deny';
  if (def !== 'allow' && def !== 'deny')
    throw new ConfigError(
      `${field}.default: expected "allow" or "deny", got ${JSON.stringify(def)}`,
      `${field}.default`,
    );
  const anyDomain = o['anyDomain'] ?? false;
  if (typeof anyDomain !== 'boolean')
    throw new ConfigError(
      `${field}.anyDomain: expected true or false, got ${JSON.stringify(anyDomain)}`,
      `${field}.anyDomain`,
    );
  return new CompiledPolicy({ rules: o['rules'] as PolicyRule[], default: def, anyDomain }, names, field);
}
