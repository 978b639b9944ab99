import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ConfigError, createLogger } from '@fsso/common';
import type { AgentEvent } from '@fsso/formats';
import { BUILTIN_PROFILES } from '@fsso/formats';
import { SyslogListener, type SyslogListenerOptions } from '../src/readers/syslog/listener';

/** dist/test/x.test.js -> <checkout>/../shared/data; FSSO_SHARED_DATA when it lives elsewhere. */
function dataLines(file: string): string[] {
  const dir = process.env['FSSO_SHARED_DATA'] || path.resolve(__dirname, '../../../../../shared/data');
  return fs
    .readFileSync(path.join(dir, 'radius_vpn_wireless', file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
}
const ISE = dataLines('elastic-integrations_cisco_ise_test-pipeline-radius-accounting.log');
const USERID = dataLines('elastic-integrations_panw_test-panw-panos-userid-sample.log');
const GP = dataLines('elastic-integrations_panw_test-panw-panos-globalprotect-sample.log');
const FORTI = dataLines('elastic-integrations_fortinet_fortigate_test-fortinet.log.SUBSET_user_lines.log');
const log = createLogger('test', { level: 'error', format: 'json' });

/** A listener on 127.0.0.1:0 whose sink collects events; `until(n)` waits for the n-th. */
async function listen(extra: Partial<SyslogListenerOptions> = {}) {
  const events: AgentEvent[] = [];
  let wake = (): void => {};
  const listener = new SyslogListener(
    { udp: '127.0.0.1:0', tcp: '127.0.0.1:0', allowFrom: ['127.0.0.1'], profiles: [...BUILTIN_PROFILES], ...extra },
    (batch) => {
      events.push(...batch);
      wake();
    },
    log,
  );
  const ports = await listener.start();
  const until = async (n: number, ms = 3000): Promise<AgentEvent[]> => {
    const deadline = Date.now() + ms;
    while (events.length < n) {
      if (Date.now() > deadline)
        assert.fail(`waited for ${n} events, got ${events.length}: ${JSON.stringify(listener.stats)}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 20);
      });
    }
    return events;
  };
  return { listener, ports, events, until };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    // The server may reset a connection it cuts off; that is what these tests provoke.
    s.on('error', reject);
  });
}

/** Resolves when the server has closed the connection. */
function closed(s: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed || s.readableEnded) resolve();
    s.once('close', () => resolve());
  });
}

const octets = (msg: string): string => `${Buffer.byteLength(msg)} ${msg}`;
const brief = (e: AgentEvent | undefined): unknown[] => [e?.kind, e?.user, e?.domain, e?.ip, e?.reporter];

test('UDP: one datagram is one message; the sender stands in for a missing host', async () => {
  const { listener, ports, until } = await listen();
  const udp = dgram.createSocket('udp4');
  try {
    assert.ok((ports.udpPort ?? 0) > 0 && (ports.tcpPort ?? 0) > 0);
    const send = (line: string): Promise<void> =>
      new Promise((resolve, reject) =>
        udp.send(`${line}\n`, ports.udpPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
      );
    await send(ISE[0] ?? '');
    await send(USERID[13] ?? ''); // no header at all: the computer account YA072Z$
    await send('just noise');
    const got = await until(2);
    const ise = got.find((e) => e.user === 'nisehorrrrn');
    assert.deepEqual(
      [...brief(ise), ise?.mac],
      ['USER_LOGON', 'nisehorrrrn', '', '89.160.20.112', 'hijk.xyz.com', 'd4:ca:6d:14:87:3b'],
    );
    assert.deepEqual(brief(got.find((e) => e.kind === 'HOST_SEEN')), [
      'HOST_SEEN',
      'ya072z',
      'VIERWERK.NET',
      '10.9.3.250',
      '127.0.0.1',
    ]);
    // An oversized datagram is dropped and counted; the socket keeps working.
    await send(`<13>${'x'.repeat(9000)}`);
    await send(ISE[1] ?? '');
    await until(3);
    assert.equal(listener.stats.oversized, 1);
    assert.equal(listener.stats.skipped['no profile matches'], 1);
    assert.equal(listener.stats.messages, 4);
    assert.equal(listener.stats.events, 3);
  } finally {
    udp.close();
    await listener.stop();
  }
});

test('TCP: octet-counted and LF framing, mixed on one connection and split across writes', async () => {
  const { listener, ports, until } = await listen();
  const s = await connect(ports.tcpPort ?? 0);
  try {
    // GlobalProtect lines 2 and 7 octet-counted; line 7 split mid-frame into two writes.
    const framed = octets(GP[1] ?? '') + octets(GP[6] ?? '');
    s.write(framed.slice(0, framed.length - 40));
    await new Promise((r) => setTimeout(r, 30));
    s.write(framed.slice(framed.length - 40));
    // FortiGate FSSO-logon, the contradictory FSSO-logoff and tunnel-up, LF-terminated.
    s.write(`${FORTI[0]}\n${FORTI[5]}\r\n${FORTI[4]}\n`);
    const got = await until(4);
    assert.deepEqual(
      got.map((e) => [e.kind, e.user, e.ip]),
      [
        ['USER_LOGOFF', 'user', '10.20.13.217'],
        ['USER_ACTIVITY', 'musterman', '10.20.30.40'],
        ['USER_LOGON', 'elasticouser', '10.10.10.10'],
        ['USER_LOGON', 'someuser', '10.10.10.10'],
      ],
    );
    assert.equal(listener.stats.skipped['fortigate: line does not match the pattern'], 1);
  } finally {
    s.destroy();
    await listener.stop();
  }
});

test('TCP: an oversized frame or binary data closes that connection only', async () => {
  const { listener, ports, until } = await listen({ maxMessageBytes: 4096 });
  const good = await connect(ports.tcpPort ?? 0);
  const big = await connect(ports.tcpPort ?? 0);
  const lfBig = await connect(ports.tcpPort ?? 0);
  const tls = await connect(ports.tcpPort ?? 0);
  try {
    big.write(`5000 <13>${'y'.repeat(100)}`);
    lfBig.write(`<13>${'z'.repeat(5000)}`);
    tls.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x0a]));
    await Promise.all([closed(big), closed(lfBig), closed(tls)]);
    assert.equal(listener.stats.oversized, 2);
    assert.equal(listener.stats.garbage, 1);
    good.write(`${octets(USERID[0] ?? '')}${USERID[1]}\n`);
    const got = await until(2);
    assert.deepEqual(
      got.map((e) => [e.kind, e.user, e.domain, e.ip]),
      [
        ['USER_LOGON', 'name', 'DOMAIN', '81.2.69.193'],
        ['USER_LOGOFF', 'name', 'DOMAIN', '10.55.18.7'],
      ],
    );
    // A new connection after the bad ones works too.
    const again = await connect(ports.tcpPort ?? 0);
    again.write(`${ISE[2]}\n`);
    await until(3);
    again.destroy();
  } finally {
    for (const s of [good, big, lfBig, tls]) s.destroy();
    await listener.stop();
  }
});

test('TCP: connections over the cap are refused, idle ones are closed', async () => {
  const { listener, ports } = await listen({ udp: undefined, maxConnections: 2, idleTimeoutMs: 300 });
  assert.equal(ports.udpPort, undefined);
  const started = Date.now();
  const a = await connect(ports.tcpPort ?? 0);
  const b = await connect(ports.tcpPort ?? 0);
  const c = await connect(ports.tcpPort ?? 0);
  try {
    await closed(c);
    assert.equal(listener.stats.refused, 1);
    // a and b said nothing: closed after the idle time.
    await Promise.all([closed(a), closed(b)]);
    assert.ok(Date.now() - started >= 250, 'closed before the idle timeout');
  } finally {
    for (const s of [a, b, c]) s.destroy();
    await listener.stop();
  }
});

test('stop releases the ports; a sink that throws does not stop the listener', async () => {
  let calls = 0;
  const listener = new SyslogListener(
    { tcp: '127.0.0.1:0', allowFrom: ['127.0.0.0/8'], profiles: [...BUILTIN_PROFILES] },
    () => {
      calls++;
      throw new Error('sink down');
    },
    log,
  );
  const { tcpPort } = await listener.start();
  const s = await connect(tcpPort ?? 0);
  s.write(`${ISE[0]}\n${ISE[1]}\n`);
  while (calls < 2) await new Promise((r) => setTimeout(r, 10));
  assert.equal(listener.stats.events, 2);
  await listener.stop();
  await closed(s);
  // The port is free again: bind it ourselves.
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) =>
    probe.once('error', reject).listen(tcpPort, '127.0.0.1', () => resolve()),
  );
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  await listener.stop(); // twice is fine
});

test('options: an address is required and must be host:port', () => {
  assert.throws(() => new SyslogListener({ allowFrom: ['127.0.0.1'], profiles: [] }, () => {}, log), ConfigError);
  const bad = new SyslogListener({ udp: 'localhost', allowFrom: ['127.0.0.1'], profiles: [] }, () => {}, log);
  return assert.rejects(bad.start(), (err: unknown) => err instanceof ConfigError && err.field === 'udp');
});
