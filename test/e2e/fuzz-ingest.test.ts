import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import * as fc from 'fast-check';
import {
  EVENT_KINDS,
  loadFsso,
  normaliseIp,
  type AdminServiceClient,
  type AgentMessage,
  type AgentServiceClient,
  type CollectorMessage__Output,
  type Event,
  type Identity__Output,
} from '@fsso/common';
import { BIN, sharedData } from '../support/paths';
import { runCommand, startCollector, tempDir } from '../support/processes';

// A hostile agent (unknown kinds, bad or huge addresses, 10 kB names, absurd times, seq gaps and
// repeats) and garbage on the port (raw TCP, HTTP/1, broken HTTP/2 and gRPC frames) change nothing:
// every batch is acked, good events in the same batches land, nothing malformed is stored, a resend is a no-op.

const SEED = 20261123;
const HELLO = {
  agentId: 'fuzz-dc1',
  domains: ['CORP'],
  hostname: 'fuzz',
  version: 'fuzz',
  lastAckedSeq: 0,
  spoolId: 'fuzz-spool',
  headSeq: 0,
};
/** The collector's limit on every text field (ingest/validate.ts). */
const MAX_FIELD = 256;
/** Real Windows records, as `fsso-dc-agent parse` turns them into events. */
const REAL: readonly (readonly [string, string])[] = [
  [
    'windows-xml',
    'xml_rendered_libevtx/EVTX-to-MITRE-Attack__TA0006-Credential_Access_T1110.xxx-Brut_force_ID4768-4771-Kerberos_user_enumeration__Kerbrute_.xml',
  ],
  ['windows-json', 'otrf/otrf_azure_loganalytics.ndjson'],
];

/** Real user evidence from `fsso-dc-agent parse`, each at its own 198.18.0.0/15 address and made current. */
async function realEvents(): Promise<Event[]> {
  const out: Event[] = [];
  for (const [format, file] of REAL) {
    const r = await runCommand(BIN.agent, ['parse', '--format', format, sharedData('windows_security', file)]);
    assert.equal(r.code, 0, r.stderr);
    for (const line of r.stdout.split('\n').filter((l) => l.trim() !== '')) {
      const e = JSON.parse(line) as Event & { user: string; kind: string };
      if ((e.kind !== 'USER_LOGON' && e.kind !== 'USER_ACTIVITY') || e.user === '') continue;
      // Old times would be stale on arrival, a shared workstation would roam users between the
      // addresses; neither is what this test is about.
      const i = out.length + 1;
      out.push({ ...e, ip: `198.18.${i >> 8}.${i & 255}`, workstation: '', eventTimeMs: Date.now() - 5000 + i });
    }
  }
  return out;
}

const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', ' ', '\u0000', 'a\nb', 'x$', '\\', '\uD800', 'é'.repeat(300)),
  fc.integer({ min: MAX_FIELD + 1, max: 10_240 }).map((n) => 'u'.repeat(n)),
);
// Outside 198.18.0.0/15, so that hostile events that happen to be valid cannot move a good one.
const ip = fc.oneof(
  fc.constantFrom(
    '',
    '-',
    'not an ip',
    '999.1.1.1',
    '1.2.3',
    '::1',
    '127.0.0.1',
    '0.0.0.0',
    '::',
    '255.255.255.255',
    '1.2.3.4/24',
    'ipv4:',
    '1.2.3.4%eth0',
    'f'.repeat(10_000),
    '203.0.113.5\u0000',
    ' 203.0.113.6 ',
    '[2001:db8::1]:443',
  ),
  fc.string({ maxLength: 45 }),
  fc.nat({ max: 255 }).map((n) => `203.0.113.${n}`),
  fc.nat({ max: 0xffff }).map((n) => `2001:DB8::${n.toString(16)}`),
  fc.nat({ max: 255 }).map((n) => `::ffff:203.0.113.${n}`),
);
const wild = fc.record({
  // Numbers beyond the enum arrive as numbers; strings the client does not know become 0.
  kind: fc.oneof(
    fc.constantFrom<string | number>(...EVENT_KINDS, 'EVENT_KIND_UNSPECIFIED', 'NOT_A_KIND'),
    fc.integer({ min: -5, max: 1000 }),
  ),
  user: text,
  domain: text,
  ip,
  workstation: text,
  mac: text,
  source: text,
  sourceEventId: text,
  reporter: text,
  eventTimeMs: fc.oneof(
    fc.constantFrom(-1, 0, 1, NaN, Infinity, -Infinity, 1e300, 2 ** 63, Number.MAX_SAFE_INTEGER),
    fc.integer({ min: -1e12, max: 4e12 }),
  ),
  logonType: fc.oneof(fc.constantFrom(-1, NaN, 2 ** 32, 2 ** 40), fc.integer()),
  // How its seq relates to the one before: a gap, the same again, 0, or past 2^53 (not safe).
  seq: fc.oneof(
    { weight: 6, arbitrary: fc.nat({ max: 1000 }) },
    { weight: 1, arbitrary: fc.constantFrom('repeat', 'zero', 'unsafe') },
  ),
});
// Odd but valid: the collector takes these, so the identity rules meet them too.
const odd = fc.string({ unit: 'binary', maxLength: 20 });
const plausible = fc.record({
  kind: fc.constantFrom<string | number>(...EVENT_KINDS),
  user: odd,
  domain: odd,
  workstation: odd,
  mac: odd,
  source: odd,
  sourceEventId: odd,
  reporter: odd,
  ip: fc.nat({ max: 255 }).map((n) => `203.0.113.${n}`),
  logonType: fc.nat({ max: 12 }),
  seq: fc.nat({ max: 3 }),
  eventTimeMs: fc.oneof(
    fc.constantFrom(Date.now(), 2 ** 63, 1),
    fc.integer({ min: Date.now() - 3_600_000, max: Date.now() + 3_600_000 }),
  ),
});
const hostileEvent = fc.oneof({ weight: 4, arbitrary: wild }, { weight: 1, arbitrary: plausible });
type Hostile = typeof hostileEvent extends fc.Arbitrary<infer T> ? T : never;

type Ack = { ackedSeq: number; accepted: number; duplicates: number };
/** A batch, and what the collector's rule (seq <= acked is a duplicate) makes of its sequences. */
interface Batch {
  events: Event[];
  valid: Event[];
  headSeq: number;
  duplicates: number;
  unsafe: number;
}

/** Up to 12 batches of 3 real and 15 hostile events, seqs increasing with gaps and repeats. */
function plan(valid: Event[], hostile: Hostile[]): Batch[] {
  let seq = 0;
  let acked = 0;
  const batches: Batch[] = [];
  for (let b = 0; b * 3 < valid.length && b < 12; b++) {
    const good = valid.slice(b * 3, b * 3 + 3);
    const events: Event[] = [];
    hostile.slice(b * 15, b * 15 + 15).forEach((h, i) => {
      const g = good[i / 5];
      if (i % 5 === 0 && g) events.push({ ...g, seq: (seq += 1) });
      const s =
        typeof h.seq === 'number'
          ? (seq += 1 + h.seq)
          : h.seq === 'repeat'
            ? seq
            : h.seq === 'zero'
              ? 0
              : '18446744073709551615';
      events.push({ ...h, kind: h.kind as unknown as Event['kind'], seq: s });
    });
    const safe = events.map((e) => e.seq).filter((s): s is number => typeof s === 'number');
    const duplicates = safe.filter((s) => (s <= acked ? true : ((acked = s), false))).length;
    batches.push({ events, valid: good, headSeq: seq, duplicates, unsafe: events.length - safe.length });
  }
  return batches;
}

/** One Report stream, its answers read in order. */
class Report {
  private readonly got: CollectorMessage__Output[] = [];
  private failure: Error | undefined;
  readonly call: grpc.ClientDuplexStream<AgentMessage, CollectorMessage__Output>;
  constructor(client: AgentServiceClient) {
    this.call = client.report();
    this.call.on('data', (m: CollectorMessage__Output) => this.got.push(m));
    this.call.on('error', (err: Error) => (this.failure = err));
    this.call.on('end', () => (this.failure ??= new Error('stream ended')));
  }
  async next(what: string): Promise<CollectorMessage__Output> {
    for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 5))) {
      const m = this.got.shift();
      if (m) return m;
      if (this.failure) throw new Error(`${what}: ${this.failure.message}`);
    }
    throw new Error(`${what}: no answer within 10 s`);
  }
}

function listAll(admin: AdminServiceClient): Promise<Identity__Output[]> {
  const page = (token: string): Promise<Identity__Output[]> =>
    new Promise((resolve, reject) => {
      admin.listLogons({ pageSize: 1000, pageToken: token }, { deadline: Date.now() + 5000 }, (err, res) => {
        if (err || !res) return reject(err ?? new Error('no answer'));
        if (!res.nextPageToken) return resolve(res.logons);
        page(res.nextPageToken).then((rest) => resolve([...res.logons, ...rest]), reject);
      });
    });
  return page('');
}

/** Sends every batch on a new stream; returns the acks. */
async function send(
  client: AgentServiceClient,
  batches: Batch[],
  lastAckedSeq: number,
): Promise<{ welcome: number; acks: Ack[] }> {
  const r = new Report(client);
  // As a real agent does, the hello reports the spool's head: the collector refuses seqs far past it.
  r.call.write({ hello: { ...HELLO, lastAckedSeq, headSeq: batches.at(-1)?.headSeq ?? 0 } });
  const welcome = (await r.next('welcome')).welcome?.ackedSeq ?? -1;
  const acks: Ack[] = [];
  for (const [i, b] of batches.entries()) {
    r.call.write({ batch: { events: b.events, headSeq: b.headSeq } });
    const ack = (await r.next(`ack of batch ${i}`)).ack;
    assert.ok(ack, `batch ${i} answered with an ack`);
    acks.push(ack);
  }
  r.call.end();
  return { welcome, acks };
}

/** Opens a plain TCP connection, writes `bytes`, and waits until the collector closes it (or 1 s). */
function rawTcp(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(bytes));
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve();
    };
    const timer = setTimeout(done, 1000);
    s.on('error', done).on('close', done).resume();
  });
}

/** A request over real HTTP/2 with a body that is not a valid gRPC message. */
function rawGrpc(port: number, path: string, body: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const done = (): void => {
      clearTimeout(timer);
      session.destroy();
      resolve();
    };
    const timer = setTimeout(done, 1000);
    session.on('error', done);
    const req = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    req.on('error', done).on('close', done).resume();
    req.end(body);
  });
}

test('a hostile agent and garbage on the port change nothing but what valid events say', async (t) => {
  const dir = tempDir('fuzz-ingest');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path, { config: { insecure: true } });
  t.after(() => collector.daemon.stop());
  const [{ proto }, creds] = [loadFsso(), grpc.credentials.createInsecure()];
  const agent = new proto.fsso.v1.AgentService(collector.address, creds) as AgentServiceClient;
  const admin = new proto.fsso.v1.AdminService(collector.address, creds) as AdminServiceClient;
  t.after(() => {
    agent.close();
    admin.close();
  });

  const valid = await realEvents();
  assert.ok(valid.length >= 12, `real user events: ${valid.length}`);
  const batches = plan(valid, fc.sample(hostileEvent, { seed: SEED, numRuns: 180 }));
  const highest = batches.at(-1)?.headSeq ?? 0;

  const first = await send(agent, batches, 0);
  assert.equal(first.welcome, 0);
  first.acks.forEach((a, i) => {
    const b = batches[i];
    assert.deepEqual(
      { acked: a.ackedSeq, duplicates: a.duplicates },
      { acked: b?.headSeq, duplicates: b?.duplicates },
      `batch ${i}: gaps skipped, repeats counted`,
    );
    assert.ok(
      a.accepted >= (b?.valid.length ?? 0) && a.accepted + a.duplicates <= (b?.events.length ?? 0),
      `batch ${i}: ${JSON.stringify(a)}`,
    );
  });

  const table = await listAll(admin);
  const at = new Map(table.map((e) => [e.ip, e]));
  for (const v of batches.flatMap((b) => b.valid))
    assert.equal(at.get(String(v.ip))?.user, String(v.user).toLowerCase(), `${v.user} at ${v.ip}`);
  for (const e of table) {
    assert.equal(normaliseIp(e.ip), e.ip, `table entry ${JSON.stringify(e.ip.slice(0, 60))}`);
    for (const v of [e.user, e.domain, e.workstation, e.source, ...e.groups])
      assert.ok(v.length <= MAX_FIELD, `${e.ip}: a field of ${v.length} characters`);
  }

  // The same agent reconnects and resends everything, as after a lost ack: nothing is new.
  const again = await send(agent, batches, highest);
  assert.equal(again.welcome, highest);
  again.acks.forEach((a, i) =>
    assert.deepEqual(
      { ackedSeq: a.ackedSeq, accepted: a.accepted, duplicates: a.duplicates },
      { ackedSeq: highest, accepted: 0, duplicates: (batches[i]?.events.length ?? 0) - (batches[i]?.unsafe ?? 0) },
      `resent batch ${i}`,
    ),
  );
  assert.deepEqual(await listAll(admin), table, 'a resend leaves the table (and its revisions) as it was');

  // Garbage on the port: raw bytes, HTTP/1, a broken HTTP/2 preface, malformed gRPC frames.
  const noise = fc
    .sample(fc.uint8Array({ minLength: 1, maxLength: 4096 }), { seed: SEED, numRuns: 6 })
    .map((bytes) => Buffer.from(bytes));
  const preface = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), noise[5] ?? Buffer.alloc(0)]);
  for (const bytes of [...noise, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), preface])
    await rawTcp(collector.port, bytes);
  const frame = (flag: number, len: number, body: Buffer): Buffer =>
    Buffer.concat([Buffer.from([flag, len >>> 24, (len >>> 16) & 255, (len >>> 8) & 255, len & 255]), body]);
  for (const path of ['/fsso.v1.AgentService/Report', '/fsso.v1.AdminService/ListLogons', '/no.such/Method']) {
    await rawGrpc(collector.port, path, frame(0, 0x7fffffff, Buffer.from('short')));
    await rawGrpc(collector.port, path, frame(1, 4, Buffer.from('zzzz')));
    await rawGrpc(collector.port, path, frame(0, 6, Buffer.from([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f])));
  }
  // Protocol misuse on real streams: a batch before the hello, a second hello, a bad agent id.
  for (const msgs of [
    [{ batch: { events: [], headSeq: 1 } }],
    [{ hello: HELLO }, { hello: HELLO }],
    [{ hello: { ...HELLO, agentId: 'a/'.repeat(5000) } }],
  ]) {
    const r = new Report(agent);
    for (const m of msgs) r.call.write(m);
    await assert.rejects(async () => {
      for (;;) await r.next('misuse');
    }, 'the collector ends a stream that breaks the protocol');
  }

  // What an operator sees: the CLI renders every entry, the agent and the counters.
  for (const cmd of [['logons', '--json'], ['logons'], ['agents'], ['stats']]) {
    const r = await runCommand(BIN.ctl, [...cmd, '--collector', collector.address, '--insecure']);
    assert.equal(r.code, 0, `fssoctl ${cmd.join(' ')}: ${r.stderr}`);
    if (cmd[1] === '--json')
      assert.deepEqual(
        (JSON.parse(r.stdout) as { ip: string }[]).map((e) => e.ip).sort(),
        table.map((e) => e.ip).sort(),
      );
  }
  const accepted = first.acks.reduce((n, a) => n + a.accepted, 0);
  t.diagnostic(
    `${valid.length} real and ${batches.reduce((n, b) => n + b.events.length, 0) - valid.length} hostile events in ${batches.length} batches: ${accepted} accepted, ${table.length} table entries`,
  );
  assert.equal(
    collector.daemon.child.exitCode,
    null,
    `the collector is still running; stderr: ${collector.daemon.stderr.join('\n')}`,
  );
  assert.deepEqual(await listAll(admin), table, 'garbage changed nothing');
  assert.equal(await collector.daemon.stop(), 0, 'and stops cleanly');

  const db = new Database(join(dir.path, 'collector-data/collector.db'), { readonly: true });
  try {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    const logons = db.prepare('SELECT ip FROM logons').all() as { ip: string }[];
    assert.deepEqual(
      logons.map((l) => l.ip).sort(),
      table.map((e) => e.ip).sort(),
      'the table on disk is the table served',
    );
    const rows = db
      .prepare('SELECT kind, user, domain, ip, workstation, mac, source, source_event_id AS id, reporter FROM events')
      .all() as Record<string, string>[];
    assert.equal(rows.length, accepted, 'every accepted event is stored once');
    for (const r of rows) {
      assert.ok((EVENT_KINDS as readonly string[]).includes(r['kind'] ?? ''), `stored kind ${r['kind']}`);
      assert.ok(r['ip'] === '' || normaliseIp(r['ip']) === r['ip'], `stored ip ${JSON.stringify(r['ip'])}`);
      for (const [k, v] of Object.entries(r))
        assert.ok((v ?? '').length <= MAX_FIELD, `stored ${k} of ${(v ?? '').length} characters`);
    }
  } finally {
    db.close();
  }
});
