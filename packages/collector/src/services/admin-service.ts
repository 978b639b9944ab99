import {
  DomainNames,
  InvalidInputError,
  NotFoundError,
  parseAccountName,
  parseNetwork,
  type AdminServiceHandlers,
  type AgentInfo,
  type Clock,
  VERSION,
} from '@fsso/common';
import type { IdentityTable } from '../store/identity-table';
import type { AgentStore } from '../store/agent-store';
import type { Ingestor } from '../ingest/ingestor';
import type { ChangeHub } from '../sync/hub';
import type { AgentRegistry } from '../agents/registry';
import { toHistoryItem, toIdentity } from './convert';
import { evidenceOf } from '../identity/entry';
import { parseRequestIp } from './identity-service';
import { unary } from './status';
import type { StreamCounter } from './limits';

export interface AdminDeps {
  table: IdentityTable;
  agents: AgentStore;
  ingestor: Ingestor;
  hub: ChangeHub;
  registry: AgentRegistry;
  clock: Clock;
  collectorId: string;
  database: string;
  startedMs: number;
  state: () => string;
  denied: { count: number };
  limitHits: Record<string, number>;
  /** Proxy authentication counters (`ntlm` in stats); absent when it is off. */
  ntlm?: () => Record<string, number>;
  streams: StreamCounter;
  /** NetBIOS/DNS equivalences (config `domains`, directories): `--domain corp.example` finds CORP. */
  names?: DomainNames;
  /** The collector's agentRetention: what `agents --prune` uses unless told otherwise. */
  agentRetentionMs?: number;
}

/** "CORP\dave", "dave@corp.example" or "dave" (+ a separate domain): the user and canonical domain to match. */
function userFilter(
  rawUser: string,
  rawDomain: string,
  names: DomainNames,
): { user: string | undefined; domain: string | undefined } {
  const a = parseAccountName(rawUser);
  const named = a.domain ?? rawDomain;
  const domain = named.trim() ? names.canonical(named) : undefined;
  if (a.domain && rawDomain.trim() && !names.same(a.domain, rawDomain)) {
    throw new InvalidInputError(
      `user ${JSON.stringify(rawUser)} names domain ${a.domain}, but the domain filter is ${rawDomain}; give the domain once`,
    );
  }
  return { user: a.user.trim() ? a.user.trim().toLowerCase() : undefined, domain };
}

/** What fssoctl calls: inspect and correct the table, see the agents. */
export function adminService(d: AdminDeps): AdminServiceHandlers {
  return {
    ListLogons: unary((req) => {
      const network = req.network ? parseNetwork(req.network) : undefined;
      if (network === null)
        throw new InvalidInputError(
          `network ${JSON.stringify(req.network)} is not a network; write it like 10.1.0.0/16`,
        );
      const filter = { ...userFilter(req.user, req.domain, d.names ?? DomainNames.NONE), network };
      const pageSize = Math.min(req.pageSize || 100, 1000);
      const page = d.table.list(filter, req.pageToken, pageSize);
      const last = page.entries[page.entries.length - 1];
      return {
        logons: page.entries.map(toIdentity),
        nextPageToken: page.more && last ? last.ip : '',
        total: page.total,
      };
    }),

    GetLogon: unary((req) => {
      const ip = parseRequestIp(req.ip);
      const e = d.table.get(ip);
      if (!e) throw new NotFoundError(`no user is known at ${ip}`);
      return toIdentity(e);
    }),

    DeleteLogon: unary((req) => {
      const ip = parseRequestIp(req.ip);
      const change = d.ingestor.forceLogoff(ip);
      if (!change?.entry) throw new NotFoundError(`no user is known at ${ip}; nothing to remove`);
      return { removed: toIdentity(change.entry), revision: change.revision };
    }),

    ListAgents: unary(() => ({
      agents: d.agents.all().map((a): AgentInfo => {
        const conn = d.registry.get(a.agentId);
        return {
          agentId: a.agentId,
          hostname: a.hostname,
          domains: a.domains,
          version: a.version,
          connected: conn !== undefined,
          connectedSinceMs: conn?.connectedSinceMs ?? 0,
          lastContactMs: a.lastContactMs,
          lastEventMs: a.lastEventMs,
          ackedSeq: a.ackedSeq,
          backlog: Math.max(0, a.headSeq - a.ackedSeq),
          eventsAccepted: a.eventsAccepted,
          duplicates: a.duplicates,
          peer: conn?.peer ?? '',
        };
      }),
    })),

    ExplainLogon: unary((req) => {
      const ip = parseRequestIp(req.ip);
      const e = d.table.get(ip);
      if (!e)
        throw new NotFoundError(`no user is known at ${ip}; 'fssoctl who ${ip} --at TIME' shows who had it before`);
      return { identity: toIdentity(e), evidence: evidenceOf(e), claims: e.claims };
    }),

    GetLogonAt: unary((req) => {
      const ip = parseRequestIp(req.ip);
      if (!Number.isFinite(req.atMs) || req.atMs <= 0)
        throw new InvalidInputError('at_ms must be a time (epoch milliseconds)');
      const h = d.table.history.at(ip, req.atMs);
      return { at: h.at ? toHistoryItem(h.at) : null, around: h.around.map(toHistoryItem) };
    }),

    GetUser: unary((req) => {
      const f = userFilter(req.user, req.domain, d.names ?? DomainNames.NONE);
      if (!f.user)
        throw new InvalidInputError("a user name is needed, e.g. 'dave', 'CORP\\dave' or 'dave@corp.example'");
      const inDomain = (domain: string): boolean => f.domain === undefined || domain === f.domain;
      const current = d.table
        .ofUser(f.user)
        .filter((e) => inDomain(e.domain))
        .sort((a, b) => b.lastSeenMs - a.lastSeenMs);
      const sinceMs = Number.isFinite(req.sinceMs) && req.sinceMs > 0 ? req.sinceMs : d.clock.now() - 24 * 3_600_000;
      const history = d.table.history.ofUser(f.user, sinceMs).filter((h) => inDomain(h.domain));
      return { current: current.map(toIdentity), history: history.map(toHistoryItem) };
    }),

    PruneAgents: unary((req) => {
      const olderThanMs =
        Number.isFinite(req.olderThanMs) && req.olderThanMs > 0
          ? req.olderThanMs
          : (d.agentRetentionMs ?? 30 * 86_400_000);
      const cutoff = d.clock.now() - olderThanMs;
      const connected = (id: string): boolean => d.registry.get(id) !== undefined;
      const removed = req.dryRun
        ? d.agents
            .all()
            .filter((a) => a.lastContactMs < cutoff && a.lastEventMs < cutoff && !connected(a.agentId))
            .map((a) => a.agentId)
        : d.agents.prune(cutoff, connected);
      return { removed, olderThanMs };
    }),

    GetStats: unary(() => ({
      collectorId: d.collectorId,
      tableId: d.table.tableId,
      state: d.state(),
      revision: d.table.revision,
      logons: d.table.count(),
      eventsAccepted: d.ingestor.counters.accepted,
      duplicates: d.ingestor.counters.duplicates,
      expired: d.ingestor.counters.expired,
      rejected: d.ingestor.counters.rejected,
      denied: d.denied.count,
      limitHits: {
        ...d.limitHits,
        ...(d.ingestor.authority.entryQuota ? { maxEntriesPerDomain: d.ingestor.authority.entryQuota } : {}),
      },
      openStreams: d.streams.size,
      clockSkewed: d.ingestor.counters.skewed,
      contested: d.ingestor.authority.contested,
      outOfAuthority: d.ingestor.authority.outOfAuthority,
      ntlm: d.ntlm?.() ?? {},
      agentsConnected: d.registry.size,
      syncSubscribers: d.hub.size,
      startedMs: d.startedMs,
      database: d.database,
      version: VERSION,
    })),
  };
}
