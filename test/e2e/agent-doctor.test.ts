import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, DEMO_SAMPLE } from '../support/paths';
import { runCommand, startCollector, tempDir, type CollectorHandle } from '../support/processes';
import { testPki } from '../support/pki';

interface Check {
  check: string;
  verdict: string;
  detail: string;
}

async function doctor(
  dir: string,
  config: Record<string, unknown>,
): Promise<{ code: number | null; checks: Record<string, Check>; text: string }> {
  const path = join(dir, `agent-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(config));
  const r = await runCommand(BIN.agent, ['doctor', '--json', '--config', path]);
  assert.equal(r.stderr, '', 'no stack trace, no stderr');
  const checks = Object.fromEntries((JSON.parse(r.stdout) as Check[]).map((c) => [c.check, c]));
  return { code: r.code, checks, text: r.stdout };
}

function agentConfig(
  collector: CollectorHandle,
  cert: { cert: string; key: string },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    tls: { ca: testPki().ca, cert: cert.cert, key: cert.key },
    collectors: [{ name: 'main', address: collector.address }],
    sources: [{ name: 'sec', format: 'windows-xml', path: DEMO_SAMPLE }],
    ...extra,
  };
}

test('doctor checks the agent certificate as the collector will: role and domains', async (t) => {
  const dir = tempDir('agent-doctor');
  t.after(dir.cleanup);
  const pki = testPki();
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());
  const corp = pki.issue('agent', 'corp-doc', ['CORP']);

  const good = await doctor(dir.path, agentConfig(collector, corp, { domains: ['CORP'] }));
  assert.equal(good.code, 0, good.text);
  assert.equal(good.checks['certificate']?.verdict, 'OK');
  assert.match(good.checks['certificate']?.detail ?? '', /agent corp-doc for CORP, valid \d+ more day\(s\)$/);

  const firewall = await doctor(dir.path, agentConfig(collector, pki.firewall));
  assert.equal(firewall.code, 1);
  assert.equal(firewall.checks['certificate']?.verdict, 'FAIL');
  assert.match(
    firewall.checks['certificate']?.detail ?? '',
    /\(fw1\) has role firewall, an agent needs role agent; collectors refuse it at the hello; issue one with 'fssoctl pki issue --role agent/,
  );
  // The health check alone passes (any certificate from the CA may ask): that is why this check exists.
  assert.equal(firewall.checks['collector main']?.verdict, 'OK');

  const sales = await doctor(dir.path, agentConfig(collector, corp, { domains: ['CORP', 'SALES'] }));
  assert.equal(sales.code, 1);
  assert.match(
    sales.checks['certificate']?.detail ?? '',
    /\(corp-doc\) may report for CORP, not SALES \(config domains\); collectors refuse the hello; set domains to those the certificate covers/,
  );

  const dns = await doctor(dir.path, agentConfig(collector, corp, { domains: ['corp.example'] }));
  assert.equal(dns.code, 0, 'a DNS name of a certificate domain is only a warning: the collector may map it');
  assert.equal(dns.checks['certificate']?.verdict, 'WARN');
  assert.match(
    dns.checks['certificate']?.detail ?? '',
    /corp\.example is covered only if the collector maps it to CORP/,
  );
});

test('doctor binds each syslog listener port: a taken port fails with the fix, a free one is OK', async (t) => {
  const dir = tempDir('agent-doctor-ports');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());
  // Another "syslog daemon" holding 127.0.0.1 ports, TCP and UDP.
  const tcp = createServer();
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  t.after(() => tcp.close());
  const udp = createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  t.after(() => udp.close());
  const taken = {
    tcp: `127.0.0.1:${(tcp.address() as { port: number }).port}`,
    udp: `127.0.0.1:${udp.address().port}`,
  };
  const listener = (ports: { tcp: string; udp: string }): Record<string, unknown> => ({
    name: 'radius',
    format: 'syslog-listener',
    ...ports,
    allowFrom: ['127.0.0.1'],
  });

  const busy = await doctor(dir.path, agentConfig(collector, testPki().agent, { sources: [listener(taken)] }));
  assert.equal(busy.code, 1, busy.text);
  assert.equal(
    busy.checks['port radius udp']?.detail,
    `udp ${taken.udp} is already in use (another syslog daemon, or the agent already running?); stop it or choose another port`,
  );
  assert.equal(busy.checks['port radius tcp']?.verdict, 'FAIL');
  assert.match(busy.checks['port radius tcp']?.detail ?? '', /^tcp 127\.0\.0\.1:\d+ is already in use/);

  // Port 0 asks for any free port: the same listener config with free ports passes.
  const free = await doctor(
    dir.path,
    agentConfig(collector, testPki().agent, { sources: [listener({ tcp: '127.0.0.1:0', udp: '127.0.0.1:0' })] }),
  );
  assert.equal(free.code, 0, free.text);
  assert.equal(free.checks['port radius udp']?.verdict, 'OK');
  assert.equal(free.checks['port radius tcp']?.detail, 'tcp 127.0.0.1:0 is free to listen on');
});
