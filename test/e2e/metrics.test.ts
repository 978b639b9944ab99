import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { COLLECTOR_METRICS } from '@fsso/collector';
import { AGENT_METRICS } from '@fsso/dc-agent';
import { BIN } from '../support/paths';
import {
  runCommand,
  startAgent,
  startCollector,
  startProcess,
  startWatch,
  tempDir,
  type Daemon,
} from '../support/processes';
import { testPki } from '../support/pki';
import { until } from '../support/grpc';

/** GET /metrics over plain HTTP on loopback, as Prometheus would. */
async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one series, e.g. value(text, 'fsso_collector_entries{state="user"}'). */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function metricsPort(d: Daemon): Promise<number> {
  const line = await d.waitFor((l) => l.message === 'metrics listening');
  return Number(/:(\d+)$/.exec(String(line['address']))?.[1]);
}

/** Recent times: older ones would be expired by deadEntryTimeout at once. */
const EVENTS = [
  {
    kind: 'USER_LOGON',
    user: 'alice',
    domain: 'CORP',
    ip: '198.18.7.10',
    eventTime: new Date(Date.now() - 3000).toISOString(),
    source: 'windows-security',
    sourceEventId: '4624',
    logonType: 3,
  },
  {
    kind: 'USER_LOGON',
    user: 'bob',
    domain: 'CORP',
    ip: '198.18.7.11',
    eventTime: new Date(Date.now() - 2000).toISOString(),
    source: 'windows-security',
    sourceEventId: '4624',
    logonType: 3,
  },
  // The certificate covers CORP only: the collector rejects this one, and says why in a label.
  {
    kind: 'USER_LOGON',
    user: 'mallory',
    domain: 'SALES',
    ip: '198.18.7.12',
    eventTime: new Date(Date.now() - 1000).toISOString(),
    source: 'windows-security',
    sourceEventId: '4624',
    logonType: 3,
  },
];

test('both metrics endpoints are scraped after real traffic, and every documented metric is there', async (t) => {
  const dir = tempDir('metrics');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path, { config: { metrics: { listen: '127.0.0.1:0' } } });
  t.after(() => collector.daemon.stop());
  const cPort = await metricsPort(collector.daemon);
  await startWatch(t, collector);

  const pki = testPki();
  const cert = pki.issue('agent', 'dc-metrics', ['CORP']);
  const events = join(dir.path, 'events.jsonl');
  writeFileSync(events, EVENTS.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const agent = startAgent(dir.path, {
    agentId: 'dc-metrics',
    domains: ['CORP'],
    tls: { ca: pki.ca, cert: cert.cert, key: cert.key },
    collectors: [{ name: 'main', address: collector.address }],
    sources: [{ name: 'ev', format: 'events', path: events }],
    metrics: { listen: '127.0.0.1:0' },
  });
  t.after(() => agent.stop());
  const aPort = await metricsPort(agent);

  let c = '';
  await until(
    'the collector to count three events',
    async () => {
      c = await scrape(cPort);
      return (
        (value(
          c,
          'fsso_collector_events_total{result="applied",kind="USER_LOGON",source="windows-security",reason=""}',
        ) ?? 0) === 2
      );
    },
    20_000,
    100,
  );
  for (const name of COLLECTOR_METRICS)
    assert.match(c, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is documented and must be exported`);
  assert.equal(
    value(
      c,
      'fsso_collector_events_total{result="rejected",kind="USER_LOGON",source="windows-security",reason="domain_not_covered"}',
    ),
    1,
  );
  assert.equal(value(c, 'fsso_collector_entries{state="user"}'), 2);
  assert.equal(value(c, 'fsso_collector_entries{state="shared"}'), 0);
  assert.equal(value(c, 'fsso_collector_sync_subscribers'), 1, 'the fsso-fw watch replica');
  assert.ok((value(c, 'fsso_collector_changes_published_total') ?? 0) >= 2);
  assert.equal(value(c, 'fsso_collector_agents_connected'), 1);
  assert.equal(value(c, 'fsso_collector_state{state="RUNNING"}'), 1);
  assert.equal(value(c, 'fsso_collector_ldap_lookups_total{result="error"}'), 0);

  let a = '';
  await until(
    'the agent to see its acks',
    async () => {
      a = await scrape(aPort);
      return value(a, 'fsso_agent_acked_sequence{collector="main"}') === 3;
    },
    20_000,
    100,
  );
  for (const name of AGENT_METRICS)
    assert.match(a, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is documented and must be exported`);
  assert.equal(value(a, 'fsso_agent_records_read_total'), 3);
  assert.equal(value(a, 'fsso_agent_events_total{result="parsed"}'), 3);
  assert.equal(value(a, 'fsso_agent_ack_lag_events{collector="main"}'), 0);
  assert.equal(value(a, 'fsso_agent_spool_head_sequence'), 3);
  assert.equal(value(a, 'fsso_agent_delivery_state{collector="main",state="STREAMING"}'), 1);

  // Only /metrics is served.
  assert.equal((await fetch(`http://127.0.0.1:${cPort}/`)).status, 404);
});

test('metrics are off unless configured, and a taken metrics port stops the collector and the agent with the address named', async (t) => {
  const dir = tempDir('metrics-port');
  t.after(dir.cleanup);
  const plain = await startCollector(dir.path);
  t.after(() => plain.daemon.stop());
  assert.equal(
    plain.daemon.lines.some((l) => l.message === 'metrics listening'),
    false,
  );

  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  t.after(() => blocker.close());
  const taken = (blocker.address() as { port: number }).port;
  const config = join(dir.path, 'taken.json');
  const pki = testPki();
  writeFileSync(
    config,
    JSON.stringify({
      listen: '127.0.0.1:0',
      dataDir: 'taken-data',
      tls: { ca: pki.ca, cert: pki.collector.cert, key: pki.collector.key },
      metrics: { listen: `127.0.0.1:${taken}` },
      log: { format: 'json' },
    }),
  );
  const r = await runCommand(BIN.collector, ['serve', '--config', config]);
  assert.notEqual(r.code, 0);
  assert.match(
    r.stderr,
    new RegExp(`metrics\\.listen 127\\.0\\.0\\.1:${taken}: the address is already in use; pick a free port`),
  );

  // The agent alike: its metrics port is bound before it starts reading, and a taken one stops it.
  const agentConfig = join(dir.path, 'agent-taken.json');
  writeFileSync(
    agentConfig,
    JSON.stringify({
      agentId: 'dc1',
      insecure: true,
      dataDir: 'agent-taken',
      collectors: [{ name: 'main', address: plain.address }],
      sources: [{ name: 'ev', format: 'events', path: config }],
      metrics: { listen: `127.0.0.1:${taken}` },
    }),
  );
  const agent = await runCommand(BIN.agent, ['run', '--config', agentConfig]);
  assert.notEqual(agent.code, 0);
  assert.match(agent.stderr, new RegExp(`metrics\\.listen 127\\.0\\.0\\.1:${taken}: the address is already in use`));

  writeFileSync(config, JSON.stringify({ listen: '127.0.0.1:0', insecure: true, metrics: { listen: 'everywhere' } }));
  const bad = await runCommand(BIN.collector, ['serve', '--config', config]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /metrics\.listen: "everywhere" is not an address; write it as "host:port"/);
});

const HealthClient = grpc.makeGenericClientConstructor(
  healthService as unknown as grpc.ServiceDefinition,
  'grpc.health.v1.Health',
);

test('health is SERVING while running and turns NOT_SERVING when the collector drains', async (t) => {
  const dir = tempDir('health');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());
  const client = new HealthClient(collector.address, collector.credentials('admin'));
  t.after(() => client.close());
  const seen: string[] = [];
  const watch = (client as unknown as Record<string, (req: object) => grpc.ClientReadableStream<{ status: string }>>)[
    'watch'
  ]!.call(client, { service: '' });
  watch.on('data', (m: { status: string }) => seen.push(m.status));
  watch.on('error', () => undefined);
  await until('the first health answer', () => seen.length > 0, 10_000);
  assert.equal(seen[0], 'SERVING');
  collector.daemon.child.kill('SIGTERM');
  await until('NOT_SERVING on the open Watch stream', () => seen.includes('NOT_SERVING'), 10_000);
  assert.equal(await collector.daemon.exited, 0);
});

test('--log-level beats FSSO_LOG_LEVEL, which beats log.level; a bad level names where it came from', async (t) => {
  const dir = tempDir('log-level');
  t.after(dir.cleanup);
  const config = join(dir.path, 'c.json');
  writeFileSync(
    config,
    JSON.stringify({ listen: '127.0.0.1:0', insecure: true, dataDir: 'd', log: { format: 'json', level: 'info' } }),
  );
  // warn from the environment: no 'collector listening' (info), but the plaintext warning.
  const quiet = startProcess('collector', BIN.collector, ['serve', '--config', config], { FSSO_LOG_LEVEL: 'warn' });
  t.after(() => quiet.stop());
  await quiet.waitFor((l) => l.level === 'warn');
  const loud = startProcess(
    'collector',
    BIN.collector,
    ['serve', '--config', config, '--listen', '127.0.0.1:0', '--log-level', 'info'],
    { FSSO_LOG_LEVEL: 'warn' },
  );
  t.after(() => loud.stop());
  await loud.waitFor((l) => l.message === 'collector listening');
  await quiet.stop();
  assert.equal(
    quiet.lines.some((l) => l.level === 'info'),
    false,
    JSON.stringify(quiet.lines),
  );

  const bad = await runCommand(BIN.collector, ['serve', '--config', config], { FSSO_LOG_LEVEL: 'chatty' });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /FSSO_LOG_LEVEL: "chatty" is not a level; use one of error, warn, info, debug/);
  const agentBad = await runCommand(BIN.agent, ['run', '--config', config, '--log-level', 'loud']);
  assert.notEqual(agentBad.code, 0);
});
