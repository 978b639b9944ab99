import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { caPaths, initCa, issueCert, type Issued } from '@fsso/common';
import type { AgentEvent } from '@fsso/formats';
import { BUILTIN_PROFILES } from '@fsso/formats';
import { SyslogListener, type SyslogListenerOptions } from '../src/readers/syslog/listener';

// An ISE accounting line: one USER_LOGON of nisehorrrrn at 89.160.20.112.
const LINE =
  '<181>Apr 27 11:11:47 hijk.xyz.com CISE_RADIUS_Accounting 0000000001 1 0 2020-04-27 11:11:47.000 +00:00 0000000001 3002 NOTICE Radius-Accounting: RADIUS Accounting watchdog update, User-Name=nisehorrrrn, Framed-IP-Address=89.160.20.112, Calling-Station-ID=d4-ca-6d-14-87-3b, Acct-Status-Type=Start, Acct-Session-Id=1,';
const octets = (msg: string): string => `${Buffer.byteLength(msg)} ${msg}`;

/** A logger whose warn lines the test can read (the level operators run at). */
function capture(): { log: winston.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return {
    log: winston.createLogger({
      level: 'info',
      format: winston.format.json(),
      transports: [new winston.transports.Stream({ stream })],
    }),
    lines,
  };
}

async function listen(opts: Partial<SyslogListenerOptions>) {
  const events: AgentEvent[] = [];
  const { log, lines } = capture();
  const listener = new SyslogListener(
    { allowFrom: ['127.0.0.1'], profiles: [...BUILTIN_PROFILES], ...opts },
    (b) => events.push(...b),
    log,
  );
  const ports = await listener.start();
  return { listener, ports, events, lines };
}

/** Polls until `check` holds (bounded: 3 s). */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 150 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(check(), `timed out waiting for ${what}`);
}

function sendUdp(port: number, from: string, text: string): Promise<void> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve, reject) =>
    s.bind(0, from, () =>
      s.send(text, port, '127.0.0.1', (err) => {
        s.close();
        if (err) reject(err);
        else resolve();
      }),
    ),
  );
}

test("allowFrom: an allowed sender's line becomes an event; one from 127.0.0.2 is dropped, counted and logged once", async () => {
  const { listener, ports, events, lines } = await listen({ udp: '127.0.0.1:0', tcp: '127.0.0.1:0' });
  try {
    for (let i = 0; i < 3; i++) await sendUdp(ports.udpPort ?? 0, '127.0.0.2', LINE); // the "one datagram maps CORP\\ceo" attack
    await sendUdp(ports.udpPort ?? 0, '127.0.0.1', LINE);
    await until('the allowed event', () => events.length === 1);
    await until('three denials', () => listener.stats.denied === 3);
    assert.equal(events[0]?.user, 'nisehorrrrn');
    assert.equal(listener.stats.messages, 1, 'denied datagrams are not parsed');

    // TCP from outside allowFrom: closed before a byte is read.
    const outsider = net.connect({ port: ports.tcpPort ?? 0, host: '127.0.0.1', localAddress: '127.0.0.2' });
    outsider.on('error', () => undefined);
    outsider.write(`${LINE}\n`);
    await new Promise<void>((resolve) => outsider.once('close', () => resolve()));
    assert.equal(listener.stats.denied, 4);
    assert.equal(events.length, 1);

    const warns = lines.filter((l) => l['message'] === 'syslog sender not in allowFrom: dropped');
    assert.deepEqual(
      warns.map((l) => [l['level'], l['peer'], l['transport']]),
      [['warn', '127.0.0.2', 'udp']],
      'one line per sender per minute, not one per datagram',
    );
  } finally {
    await listener.stop();
  }
});

test('allowFrom is required and must hold networks', () => {
  const make = (allowFrom: unknown): SyslogListener =>
    new SyslogListener({ udp: '127.0.0.1:0', allowFrom: allowFrom as string[], profiles: [] }, () => {}, capture().log);
  assert.throws(
    () => make(undefined),
    /^ConfigError: allowFrom: list the networks of the devices that send syslog, e\.g\. "allowFrom": \["10\.0\.0\.0\/8", "127\.0\.0\.1"\]/,
  );
  assert.throws(() => make([]), /allowFrom: list the networks/);
  assert.throws(
    () => make(['10.0.0.0/33']),
    /^ConfigError: allowFrom\[0\]: "10\.0\.0\.0\/33" is not an address or network/,
  );
});

interface Pki {
  ca: string;
  server: Issued;
  client: Issued;
  stranger: Issued;
}

function makePki(dir: string): Pki {
  const ours = initCa(join(dir, 'ca'), 'Syslog test CA');
  mkdirSync(join(dir, 'other'));
  const other = initCa(join(dir, 'other'), 'Another CA');
  return {
    ca: ours.cert,
    server: issueCert(ours, { role: 'collector', name: 'localhost', ips: ['127.0.0.1'], out: 'listener' }),
    client: issueCert(ours, { role: 'firewall', name: 'fw1', out: 'sender' }),
    stranger: issueCert(caPaths(other.dir), { role: 'firewall', name: 'fw1', out: 'stranger' }),
  };
}

/** A TLS syslog sender; resolves once the handshake is done, rejects when it fails. */
function tlsSender(port: number, pki: Pki, cert?: Issued, localAddress = '127.0.0.1'): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    socket.on('error', reject);
    const s = tls.connect(
      {
        socket,
        ca: readFileSync(pki.ca),
        servername: 'localhost',
        ...(cert ? { cert: readFileSync(cert.cert), key: readFileSync(cert.key) } : {}),
      },
      () => resolve(s),
    );
    s.on('error', reject);
    // TLS 1.3: a refused client certificate arrives as an alert after the client's handshake is done.
    s.on('close', () => reject(new Error('closed by the listener')));
  });
}

test('TLS syslog (RFC 5425): a sender with a certificate from tls.ca works; none, another CA, or outside allowFrom is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsso-syslog-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makePki(dir);
  const { listener, ports, events, lines } = await listen({
    tls: {
      listen: '127.0.0.1:0',
      ca: readFileSync(pki.ca),
      cert: readFileSync(pki.server.cert),
      key: readFileSync(pki.server.key),
    },
  });
  t.after(() => listener.stop());
  const port = ports.tlsPort ?? 0;
  assert.ok(port > 0);

  const good = await tlsSender(port, pki, pki.client);
  good.write(octets(LINE));
  await until('the event over TLS', () => events.length === 1);
  assert.deepEqual([events[0]?.kind, events[0]?.user, events[0]?.ip], ['USER_LOGON', 'nisehorrrrn', '89.160.20.112']);
  good.destroy();

  const refused = async (cert: Issued | undefined): Promise<void> => {
    const sent = tlsSender(port, pki, cert).then((s) => {
      s.write(octets(LINE));
      return new Promise<never>((_, reject) => s.on('close', () => reject(new Error('closed'))));
    });
    await assert.rejects(sent);
  };
  await refused(undefined);
  await refused(pki.stranger);
  await until('two refused handshakes', () => listener.stats.tlsRefused === 2);
  assert.ok(
    lines.some(
      (l) =>
        l['level'] === 'warn' &&
        l['message'] === 'syslog TLS sender refused: a client certificate from the configured CA is required',
    ),
    JSON.stringify(lines),
  );

  await assert.rejects(tlsSender(port, pki, pki.client, '127.0.0.2'));
  await until('the denial', () => listener.stats.denied === 1);
  assert.equal(listener.stats.tlsRefused, 2, 'a sender outside allowFrom never reaches the handshake');
  assert.equal(events.length, 1, "nothing but the good sender's line became an event");
});
