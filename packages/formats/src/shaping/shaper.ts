import { ConfigError, normaliseIp, parseDuration, parseNetwork, type Network, networkContains } from '@fsso/common';
import type { AgentEvent } from '../model';
import { FoldMemory } from './fold';

/** The `filters` section of the agent config. */
export interface FilterOptions {
  /**
   * Accounts that are never users at an address: exact names (case-insensitive), `*` wildcards
   * ("svc-*", "healthmailbox*") or `/regex/flags`.
   * @default ["krbtgt", "anonymous logon", "system", "local service", "network service", "dwm-*", "umfd-*"]
   */
  ignoreUsers?: string[];
  /** Source networks that are never user machines: servers, the DCs themselves. @default [] */
  ignoreNetworks?: string[];
  /**
   * Windows logon types that count as a user at an address. Types 4 (batch) and 5 (service) are
   * services, not people, and 0 is the system at boot.
   * @default [2, 3, 7, 8, 9, 10, 11]
   */
  logonTypes?: number[];
  /**
   * Repeats of the same user's same kind of event at one address (same workstation and MAC) within this
   * window become one, unless anything about that user, machine or address changed in between. "0s" turns folding off.
   * @default "30s"
   */
  coalesceWindow?: string;
}

export interface ShaperStats {
  ignoredUser: number;
  ignoredNetwork: number;
  ignoredLogonType: number;
  coalesced: number;
}

const DEFAULT_IGNORE = ['krbtgt', 'anonymous logon', 'system', 'local service', 'network service', 'dwm-*', 'umfd-*'];
const DEFAULT_LOGON_TYPES = [2, 3, 7, 8, 9, 10, 11];

/**
 * Drops what is not evidence of a person at an address and folds bursts (a logon brings a dozen
 * 4769s). A repeat folds only while nothing about its user, machine or address changed since the
 * event it repeats (see FoldMemory): the collector must end up with the same table as without folding.
 */
export class Shaper {
  readonly stats: ShaperStats = { ignoredUser: 0, ignoredNetwork: 0, ignoredLogonType: 0, coalesced: 0 };
  private readonly userTests: ((u: string) => boolean)[];
  private readonly networks: Network[];
  private readonly logonTypes: Set<number>;
  private readonly fold: FoldMemory;

  constructor(opts: FilterOptions = {}, field = 'filters') {
    this.userTests = (opts.ignoreUsers ?? DEFAULT_IGNORE).map((p, i) => userMatcher(p, `${field}.ignoreUsers[${i}]`));
    this.networks = (opts.ignoreNetworks ?? []).map((n, i) => {
      const net = parseNetwork(n);
      if (!net)
        throw new ConfigError(
          `${field}.ignoreNetworks[${i}]: ${JSON.stringify(n)} is not a network; write it like "10.0.0.0/24"`,
          `${field}.ignoreNetworks[${i}]`,
        );
      return net;
    });
    this.logonTypes = new Set(opts.logonTypes ?? DEFAULT_LOGON_TYPES);
    this.fold = new FoldMemory(parseDuration(opts.coalesceWindow ?? '30s', `${field}.coalesceWindow`));
  }

  shape(events: readonly AgentEvent[]): AgentEvent[] {
    const out: AgentEvent[] = [];
    for (const e of events) if (this.keep(e)) out.push(e);
    return out;
  }

  private keep(e: AgentEvent): boolean {
    const personal = e.kind === 'USER_LOGON' || e.kind === 'USER_ACTIVITY' || e.kind === 'USER_LOGOFF';
    if (personal && this.userTests.some((t) => t(e.user))) {
      this.stats.ignoredUser++;
      return false;
    }
    if (e.ip !== '' && this.networks.some((n) => networkContains(n, normaliseIp(e.ip) ?? e.ip))) {
      this.stats.ignoredNetwork++;
      return false;
    }
    if (e.kind === 'USER_LOGON' && e.logonType !== 0 && !this.logonTypes.has(e.logonType)) {
      this.stats.ignoredLogonType++;
      return false;
    }
    if (this.fold.folds(e)) {
      this.stats.coalesced++;
      return false;
    }
    this.fold.pass(e);
    return true;
  }
}

function userMatcher(pattern: string, field: string): (u: string) => boolean {
  const re = /^\/(.*)\/([a-z]*)$/.exec(pattern);
  if (re) {
    try {
      const rx = new RegExp(re[1] ?? '', re[2]);
      return (u) => rx.test(u);
    } catch (err) {
      throw new ConfigError(
        `${field}: ${pattern} is not a valid regular expression (${err instanceof Error ? err.message : String(err)})`,
        field,
      );
    }
  }
  const lower = pattern.toLowerCase();
  if (!lower.includes('*')) return (u) => u === lower;
  const rx = new RegExp(
    `^${lower
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return (u) => rx.test(u);
}
