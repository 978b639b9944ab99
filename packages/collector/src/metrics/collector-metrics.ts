import {
  Counter,
  EVENT_KINDS,
  Histogram,
  Registry,
  mirroredCounter as mirror,
  scrapedGauge as gauge,
} from '@fsso/common';
import type { EventOutcome } from '../ingest/ingestor';
import { rejectReason } from './reasons';

/** What the collector's metrics read at scrape time; all of it already counted elsewhere. */
export interface CollectorView {
  state: () => string;
  entries: () => Iterable<{ shared: boolean; contested: boolean }>;
  revision: () => number;
  syncSubscribers: () => number;
  changesPublished: () => number;
  agentsConnected: () => number;
  openStreams: () => number;
  ingest: () => { expired: number; skewed: number };
  authority: () => { contested: number; outOfAuthority: number; entryQuota: number };
  ldap: () => { lookups: number; failures: number; dropped: number };
  limitHits: () => Readonly<Record<string, number>>;
  denied: () => number;
  /** Proxy authentication counters (`ntlm` in stats: exchanges, succeeded, failed, replayed, …); {} when off. */
  proxyAuth?: () => Readonly<Record<string, number>>;
}

/**
 * Every metric the README documents for the collector, named by Prometheus conventions. Counters
 * the daemon already keeps as numbers are mirrored at scrape time (so there is one count, not two);
 * per-event counts come from the ingestor after each commit.
 */
export const COLLECTOR_METRICS = [
  'fsso_collector_events_total',
  'fsso_collector_entries',
  'fsso_collector_table_revision',
  'fsso_collector_sync_subscribers',
  'fsso_collector_changes_published_total',
  'fsso_collector_agents_connected',
  'fsso_collector_open_streams',
  'fsso_collector_state',
  'fsso_collector_expired_total',
  'fsso_collector_clock_skewed_events_total',
  'fsso_collector_authority_refusals_total',
  'fsso_collector_ldap_lookups_total',
  'fsso_collector_ldap_lookup_seconds',
  'fsso_collector_ldap_queue_dropped_total',
  'fsso_collector_limit_hits_total',
  'fsso_collector_denied_calls_total',
  'fsso_collector_proxy_auth_total',
] as const;

const STATES = ['STARTING', 'RUNNING', 'DRAINING', 'STOPPED'] as const;
/** Sources are agent-chosen text: a bounded set of label values, so a hostile agent cannot blow up the series count. */
const MAX_SOURCES = 32;

export class CollectorMetrics {
  readonly registry = new Registry();
  private readonly events: Counter<'result' | 'kind' | 'source' | 'reason'>;
  private readonly ldapSeconds: Histogram<'result'>;
  private readonly sources = new Set<string>();

  constructor(view: CollectorView) {
    const r = this.registry;
    this.events = new Counter({
      name: 'fsso_collector_events_total',
      help: 'Events received from agents, by result (applied, rejected, duplicate), kind, source and rejection reason',
      labelNames: ['result', 'kind', 'source', 'reason'],
      registers: [r],
    });
    gauge(
      r,
      'fsso_collector_entries',
      'Entries in the IP -> user table by state: user (one user named), shared, contested',
      ['state'],
      () => {
        const n = { user: 0, shared: 0, contested: 0 };
        for (const e of view.entries()) n[e.contested ? 'contested' : e.shared ? 'shared' : 'user']++;
        return Object.entries(n).map(([state, v]) => [{ state }, v]);
      },
    );
    gauge(r, 'fsso_collector_table_revision', 'The table revision (each committed change adds one)', [], () => [
      [{}, view.revision()],
    ]);
    gauge(r, 'fsso_collector_sync_subscribers', 'Open Sync streams (firewall replicas)', [], () => [
      [{}, view.syncSubscribers()],
    ]);
    gauge(r, 'fsso_collector_agents_connected', 'DC agents with an open Report stream', [], () => [
      [{}, view.agentsConnected()],
    ]);
    gauge(
      r,
      'fsso_collector_open_streams',
      'Open streaming calls of every kind (Report, Sync, health Watch)',
      [],
      () => [[{}, view.openStreams()]],
    );
    gauge(r, 'fsso_collector_state', 'The daemon state: 1 for the current one', ['state'], () =>
      STATES.map((s) => [{ state: s }, view.state() === s ? 1 : 0]),
    );
    mirror(
      r,
      'fsso_collector_proxy_auth_total',
      'NTLM/Negotiate proxy authentication, by counter (exchanges, succeeded, failed, replayed, expired, outOfAuthority, busy, helperErrors, helpersStarted, helperRestarts); none while ntlm is off',
      ['counter'],
      () => Object.entries(view.proxyAuth?.() ?? {}).map(([counter, v]) => [{ counter }, v] as const),
    );
    mirror(r, 'fsso_collector_changes_published_total', 'Table changes pushed to Sync subscribers', [], () => [
      [{}, view.changesPublished()],
    ]);
    mirror(r, 'fsso_collector_expired_total', 'Entries removed after deadEntryTimeout without evidence', [], () => [
      [{}, view.ingest().expired],
    ]);
    mirror(
      r,
      'fsso_collector_clock_skewed_events_total',
      'Events dated more than 5 minutes ahead (a skewed DC clock), counted as now',
      [],
      () => [[{}, view.ingest().skewed]],
    );
    mirror(
      r,
      'fsso_collector_authority_refusals_total',
      "Evidence beyond its agent's authority: contested (address of another domain claimed), out_of_authority (a move or removal refused), entry_quota (limits.maxEntriesPerDomain)",
      ['reason'],
      () => {
        const a = view.authority();
        return [
          [{ reason: 'contested' }, a.contested],
          [{ reason: 'out_of_authority' }, a.outOfAuthority],
          [{ reason: 'entry_quota' }, a.entryQuota],
        ];
      },
    );
    mirror(r, 'fsso_collector_ldap_lookups_total', 'LDAP group look-ups, by result (ok, error)', ['result'], () => {
      const l = view.ldap();
      return [
        [{ result: 'ok' }, l.lookups - l.failures],
        [{ result: 'error' }, l.failures],
      ];
    });
    this.ldapSeconds = new Histogram({
      name: 'fsso_collector_ldap_lookup_seconds',
      help: 'Duration of LDAP group look-ups',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [r],
    });
    mirror(
      r,
      'fsso_collector_ldap_queue_dropped_total',
      'Group look-ups not queued because limits.ldapQueue was full',
      [],
      () => [[{}, view.ldap().dropped]],
    );
    mirror(
      r,
      'fsso_collector_limit_hits_total',
      "How often each limit refused something (the limit's config name, as in fssoctl stats)",
      ['limit'],
      () => Object.entries(view.limitHits()).map(([limit, v]) => [{ limit }, v]),
    );
    mirror(r, 'fsso_collector_denied_calls_total', 'Calls refused because the certificate lacks the role', [], () => [
      [{}, view.denied()],
    ]);
    for (const result of ['ok', 'error']) this.ldapSeconds.zero({ result });
  }

  /** The ingestor's hook: one increment per event of a committed batch. */
  readonly onOutcomes = (outcomes: readonly EventOutcome[]): void => {
    for (const o of outcomes) {
      const kind = (EVENT_KINDS as readonly string[]).includes(o.kind) ? o.kind : 'unknown';
      this.events.inc({
        result: o.result,
        kind,
        source: this.sourceLabel(o.source),
        reason: o.reason === undefined ? '' : rejectReason(o.reason),
      });
    }
  };

  readonly onLookup = (seconds: number, ok: boolean): void => {
    this.ldapSeconds.observe({ result: ok ? 'ok' : 'error' }, seconds);
  };

  private sourceLabel(source: string): string {
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(source)) return 'other';
    if (this.sources.has(source)) return source;
    if (this.sources.size >= MAX_SOURCES) return 'other';
    this.sources.add(source);
    return source;
  }
}
