import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { BIN } from '../support/paths';
import { runCommand, startAgent, startCollector, tempDir } from '../support/processes';
import { testPki } from '../support/pki';
import { until } from '../support/grpc';

/** An RFC 5424 line from a VPN gateway, dated now (an old event would be expired on arrival). */
const vpn = (user: string, ip: string): string =>
  `<13>1 ${new Date().toISOString()} gw1 vpn - - - login ${user} at ${ip}`;
const PROFILES = [{ name: 'vpn', pattern: 'login (?<user>\\S+) at (?<ip>\\S+)', kind: 'USER_LOGON' }];

test("a DC agent's syslog listener: TLS senders with a certificate land, senders outside allowFrom do not", async (t) => {
  const dir = tempDir('syslog-agent');
  t.after(dir.cleanup);
  const pki = testPki();
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());
  const agent = startAgent(dir.path, {
    domains: ['CORP'],
    collectors: [{ name: 'main', address: collector.address }],
    sources: [
      {
        name: 'radius',
        format: 'syslog-listener',
        udp: '127.0.0.1:0',
        allowFrom: ['127.0.0.1'],
        profiles: PROFILES,
        tls: { listen: '127.0.0.1:0', ca: pki.ca, cert: pki.collector.cert, key: pki.collector.key },
      },
    ],
    filters: { coalesceWindow: '0s' },
  });
  t.after(() => agent.stop());
  const ports = await agent.waitFor((l) => l.message === 'syslog listening');
  const who = async (ip: string): Promise<{ user?: string; found?: boolean }> =>
    JSON.parse((await runCommand(BIN.ctl, ['who', ip, '--json', ...collector.args('admin')])).stdout) as {
      user?: string;
      found?: boolean;
    };

  // A forged datagram from another address (the "one UDP datagram maps CORP\ceo" attack).
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) =>
    udp.bind(0, '127.0.0.2', () =>
      udp.send(vpn('ceo', '198.18.5.9'), Number(ports['udpPort']), '127.0.0.1', (err) =>
        err ? reject(err) : resolve(),
      ),
    ),
  );
  udp.close();
  const warn = await agent.waitFor((l) => l.message === 'syslog sender not in allowFrom: dropped');
  assert.deepEqual([warn.level, warn['peer'], warn['transport']], ['warn', '127.0.0.2', 'udp']);

  // RFC 5425: octet-counted frames over TLS, with a client certificate from the CA.
  const line = vpn('alice', '198.18.5.5');
  const socket = net.connect({ port: Number(ports['tlsPort']), host: '127.0.0.1' });
  const sender = tls.connect({
    socket,
    ca: readFileSync(pki.ca),
    servername: 'localhost',
    cert: readFileSync(pki.firewall.cert),
    key: readFileSync(pki.firewall.key),
  });
  t.after(() => sender.destroy());
  await new Promise<void>((resolve, reject) => sender.once('secureConnect', () => resolve()).once('error', reject));
  sender.write(`${Buffer.byteLength(line)} ${line}`);
  await until(
    `alice at 198.18.5.5 (agent said: ${JSON.stringify(agent.lines.slice(-3))})`,
    async () => (await who('198.18.5.5')).user === 'alice',
    20_000,
    200,
  );
  assert.equal((await who('198.18.5.9')).found, false, 'the forged datagram never reached the table');
});
