import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as netServer, type AddressInfo } from 'node:net';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { BIN } from '../support/paths';
import { Daemon, startCollector, tempDir } from '../support/processes';
import { testPki } from '../support/pki';
import { AgentStream } from '../support/agent-stream';
import { netnsUnavailable, TestNetns } from '../support/netns';

const skip =
  netnsUnavailable(['squid']) ??
  (spawnSync('id', ['proxy'], { stdio: 'ignore' }).status === 0
    ? undefined
    : "no 'proxy' user (Debian's squid package makes it)");

/** A free TCP port on `host` (squid's http_port takes no 0). */
async function freePort(host: string): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = randomInt(20_000, 60_000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = netServer()
        .once('error', () => resolve(false))
        .listen(port, host, () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error(`no free port on ${host}`);
}

/**
 * One GET through the proxy, from `from` inside the namespace; the HTTP status code. Asynchronous:
 * the web server is in this process, so a synchronous child would block it.
 */
function getThroughProxy(ns: TestNetns, from: string, proxy: string, port: number, url: string): Promise<number> {
  const js = `const r=require('http').request({host:'${proxy}',port:${port},localAddress:'${from}',path:'${url}',headers:{host:new URL('${url}').host},timeout:20000},(res)=>{console.log(res.statusCode);res.resume()});r.on('timeout',()=>r.destroy(new Error('timeout')));r.on('error',(e)=>{console.log('error '+e.message)});r.end()`;
  return new Promise((resolve) => {
    const c = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', js], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('close', () => resolve(Number(out.trim()) || -1));
  });
}

/**
 * The real squid with `fsso-fw squid-helper` as its external ACL helper. Clients sit at their own
 * 198.18.x addresses in a namespace the test creates (a veth pair; squid listens on the host end);
 * the web server is the test's own on loopback.
 */
test(
  'squid-helper: a mapped client reaches the server and the access log names the user; an unmapped client gets 403',
  { skip },
  async (t) => {
    const dir = tempDir('squid');
    t.after(dir.cleanup);
    const ns = new TestNetns();
    t.after(() => ns.remove());
    const net = `198.18.${randomInt(100, 250)}`;
    const [host, mapped, unmapped] = [`${net}.1`, `${net}.11`, `${net}.12`];
    const veth = `${ns.name}h`;
    assert.equal(
      spawnSync('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', `${ns.name}n`, 'netns', ns.name]).status,
      0,
    );
    t.after(() => spawnSync('ip', ['link', 'del', veth]));
    assert.equal(spawnSync('ip', ['addr', 'add', `${host}/24`, 'dev', veth]).status, 0);
    assert.equal(spawnSync('ip', ['link', 'set', veth, 'up']).status, 0);
    for (const ip of [mapped, unmapped]) ns.exec(['ip', 'addr', 'add', `${ip}/24`, 'dev', `${ns.name}n`]);
    ns.exec(['ip', 'link', 'set', `${ns.name}n`, 'up']);
    ns.exec(['ip', 'link', 'set', 'lo', 'up']);

    const hits: string[] = [];
    const server: Server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.end('hello from the test server\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/page`;

    const pki = testPki();
    const collector = await startCollector(dir.path);
    t.after(() => collector.daemon.stop());
    const agent = new AgentStream(collector.address, pki.ca, pki.agent);
    t.after(() => agent.close());
    assert.ok((await agent.hello('dc1', ['CORP'])).ok);
    const r = await agent.send([{ user: 'alice', domain: 'CORP', ip: mapped }]);
    assert.ok(r.ok && r.message.ack, JSON.stringify(r));

    // squid runs its helpers as 'proxy': the helper's files are copies it can read, in a folder of its own.
    const sq = join(dir.path, 'squid');
    spawnSync('mkdir', ['-p', sq]);
    for (const [from, to] of [
      [pki.ca, 'ca.pem'],
      [pki.firewall.cert, 'fw.pem'],
      [pki.firewall.key, 'fw.key'],
    ] as const)
      copyFileSync(from, join(sq, to));
    writeFileSync(
      join(sq, 'fw.json'),
      JSON.stringify({ collectors: [collector.address], tls: { ca: 'ca.pem', cert: 'fw.pem', key: 'fw.key' } }),
    );
    assert.equal(spawnSync('chown', ['-R', 'proxy:proxy', sq]).status, 0);
    chownSync(dir.path, 0, 0);
    spawnSync('chmod', ['755', dir.path]);
    const port = await freePort(host);
    writeFileSync(
      join(sq, 'squid.conf'),
      [
        `http_port ${host}:${port}`,
        `pid_filename ${sq}/squid.pid`,
        `cache_log ${sq}/cache.log`,
        `access_log stdio:${sq}/access.log squid`,
        `coredump_dir ${sq}`,
        'cache deny all',
        'cache_mem 8 MB',
        'netdb_filename none',
        'visible_hostname fsso-test',
        'shutdown_lifetime 1 seconds',
        'logfile_rotate 0',
        `external_acl_type fsso ttl=60 negative_ttl=60 children-max=2 children-startup=1 concurrency=10 %SRC ${process.execPath} ${BIN.fw} squid-helper --config ${sq}/fw.json`,
        'acl fsso_users external fsso',
        'http_access allow fsso_users',
        'http_access deny all',
        '',
      ].join('\n'),
    );
    const squid = new Daemon(
      'squid',
      spawn('squid', ['-N', '-f', join(sq, 'squid.conf')], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    t.after(() => squid.stop());
    const cacheLog = (): string =>
      existsSync(join(sq, 'cache.log')) ? readFileSync(join(sq, 'cache.log'), 'utf8') : '';
    for (let i = 0; i < 200 && !/Accepting HTTP Socket connections/.test(cacheLog()); i++)
      await new Promise((res) => setTimeout(res, 50));
    assert.match(cacheLog(), /Accepting HTTP Socket connections/, `squid did not start: ${squid.stderr.join('\n')}`);

    await t.test("alice's address gets through and squid logs CORP\\alice", async () => {
      assert.equal(await getThroughProxy(ns, mapped, host, port, target), 200);
      assert.deepEqual(hits, ['/page']);
    });

    await t.test(
      'an address nobody is known at is denied by http_access (403), and never reaches the server',
      async () => {
        assert.equal(await getThroughProxy(ns, unmapped, host, port, `${target}?unmapped`), 403);
        assert.deepEqual(hits, ['/page']);
      },
    );

    await squid.stop();
    const log = readFileSync(join(sq, 'access.log'), 'utf8').trim().split('\n');
    const line = (ip: string): string[] => (log.find((l) => l.split(/\s+/)[2] === ip) ?? '').split(/\s+/);
    assert.equal(line(mapped)[3], 'TCP_MISS/200', log.join('\n'));
    // squid decodes the helper's CORP%5Calice to CORP\alice and its log format escapes the backslash.
    assert.equal(line(mapped)[7], 'CORP\\\\alice', log.join('\n'));
    assert.match(line(unmapped)[3] ?? '', /\/403$/, log.join('\n'));
    assert.equal(line(unmapped)[7], '-');
  },
);
