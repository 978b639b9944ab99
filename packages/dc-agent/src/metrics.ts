import { Registry, mirroredCounter as mirror, scrapedGauge as gauge, type MetricSample as Sample } from '@fsso/common';
import type { DcAgent } from './agent';

/** Every metric the README documents for the agent. */
export const AGENT_METRICS = [
  'fsso_agent_records_read_total',
  'fsso_agent_events_total',
  'fsso_agent_spool_events',
  'fsso_agent_spool_bytes',
  'fsso_agent_spool_head_sequence',
  'fsso_agent_spool_dropped_total',
  'fsso_agent_spool_blocked_total',
  'fsso_agent_acked_sequence',
  'fsso_agent_ack_lag_events',
  'fsso_agent_delivery_state',
] as const;

const LINK_STATES = ['CONNECTING', 'STREAMING', 'BACKOFF', 'STOPPED'] as const;

/**
 * The agent's Prometheus registry. Everything is read from the running agent at scrape time:
 * the spool, the shaper's counters and each collector link already count what is asked.
 */
export function agentMetrics(agent: DcAgent): Registry {
  const r = new Registry();
  const v = (): ReturnType<DcAgent['view']> => agent.view();
  mirror(r, 'fsso_agent_records_read_total', 'Records read by the sources (lines, XML events, leases)', [], () => [
    [{}, v().sources.reduce((n, s) => n + s.stats.records, 0)],
  ]);
  mirror(
    r,
    'fsso_agent_events_total',
    'Events by what the agent did with them: parsed (from records), ignored_user / ignored_network / ignored_logon_type (filters), folded (coalesced into an earlier one)',
    ['result'],
    () => {
      const s = v().shaper.stats;
      return [
        [{ result: 'parsed' }, v().sources.reduce((n, src) => n + src.stats.events, 0)],
        [{ result: 'ignored_user' }, s.ignoredUser],
        [{ result: 'ignored_network' }, s.ignoredNetwork],
        [{ result: 'ignored_logon_type' }, s.ignoredLogonType],
        [{ result: 'folded' }, s.coalesced],
      ];
    },
  );
  const spool = v;
  gauge(r, 'fsso_agent_spool_events', 'Events held in the spool (not yet acknowledged by every collector)', [], () => [
    [{}, spool().spool?.pending() ?? 0],
  ]);
  gauge(r, 'fsso_agent_spool_bytes', 'Payload bytes held in the spool (spoolMaxBytes caps it)', [], () => [
    [{}, spool().spool?.sizeBytes ?? 0],
  ]);
  gauge(r, 'fsso_agent_spool_head_sequence', 'The newest sequence number assigned to an event', [], () => [
    [{}, spool().spool?.head ?? 0],
  ]);
  mirror(
    r,
    'fsso_agent_spool_dropped_total',
    'Events dropped because the spool was full (spoolWhenFull: drop-oldest)',
    [],
    () => [[{}, spool().spool?.overflow.dropped ?? 0]],
  );
  mirror(
    r,
    'fsso_agent_spool_blocked_total',
    'Appends refused because the spool was full (spoolWhenFull: block); the source waits',
    [],
    () => [[{}, spool().spool?.overflow.blocked ?? 0]],
  );
  const perLink = (f: (seqHead: number, acked: number) => number): Sample[] => {
    const { spool: s, links } = v();
    if (!s) return [];
    return links.map((l) => [{ collector: l.name }, f(s.head, s.cursor(l.name))]);
  };
  gauge(r, 'fsso_agent_acked_sequence', 'The highest sequence each collector acknowledged', ['collector'], () =>
    perLink((_h, a) => a),
  );
  gauge(r, 'fsso_agent_ack_lag_events', 'Events spooled but not yet acknowledged, per collector', ['collector'], () =>
    perLink((h, a) => Math.max(0, h - a)),
  );
  gauge(
    r,
    'fsso_agent_delivery_state',
    'Per collector, 1 for the link state it is in (CONNECTING, STREAMING, BACKOFF, STOPPED)',
    ['collector', 'state'],
    () =>
      v().links.flatMap((l) =>
        LINK_STATES.map((st): Sample => [{ collector: l.name, state: st }, l.state === st ? 1 : 0]),
      ),
  );
  return r;
}
