import { Registry, mirroredCounter, scrapedGauge, type MetricSample } from '@fsso/common';
import type { TargetStatus } from './delivery';

const STATES = ['CONNECTING', 'UP', 'FAILING'] as const;

/**
 * `fsso_push_*` for Prometheus, read from the deliveries at each scrape: the same figures
 * `fsso-fw push status` shows, so an alert on a target that stopped taking updates needs no file.
 */
export function pushRegistry(targets: () => TargetStatus[]): Registry {
  const registry = new Registry();
  const per = (read: (t: TargetStatus) => number) => (): MetricSample[] =>
    targets().map((t) => [{ target: t.name, kind: t.kind }, read(t)] as const);
  scrapedGauge(
    registry,
    'fsso_push_target_state',
    'Delivery state per target: 1 for the current state (CONNECTING, UP, FAILING), 0 for the others.',
    ['target', 'kind', 'state'],
    () =>
      targets().flatMap((t) =>
        STATES.map((s) => [{ target: t.name, kind: t.kind, state: s }, t.state === s ? 1 : 0] as const),
      ),
  );
  scrapedGauge(
    registry,
    'fsso_push_queue',
    'Addresses waiting to be sent.',
    ['target', 'kind'],
    per((t) => t.queue),
  );
  scrapedGauge(
    registry,
    'fsso_push_in_flight',
    'Requests sent and not answered.',
    ['target', 'kind'],
    per((t) => t.inFlight),
  );
  scrapedGauge(
    registry,
    'fsso_push_held_entries',
    'Entries the target holds by our acknowledged requests.',
    ['target', 'kind'],
    per((t) => t.held),
  );
  scrapedGauge(
    registry,
    'fsso_push_last_success_seconds',
    'Unix time of the last acknowledged request (0: never).',
    ['target', 'kind'],
    per((t) => Math.floor(t.lastSuccessMs / 1000)),
  );
  for (const [key, help] of [
    ['requests', 'Requests sent.'],
    ['failures', 'Requests that failed (and were retried).'],
    ['logins', 'Logon operations acknowledged.'],
    ['logouts', 'Logoff operations acknowledged.'],
    ['refreshes', 'Refresh operations acknowledged.'],
    ['resyncs', 'Full resyncs started.'],
    ['rejected', 'Entries the target refused.'],
  ] as const)
    mirroredCounter(
      registry,
      `fsso_push_${key}_total`,
      help,
      ['target', 'kind'],
      per((t) => t.counters[key]),
    );
  return registry;
}
