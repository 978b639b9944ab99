import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { normaliseIp } from '@fsso/common';
import type { AgentEvent, RecordResult } from '../src/model';
import type { SourceFormat } from '../src/format';
import { syslogFormat } from '../src/syslog';
import { freeradiusDetailFormat } from '../src/freeradius';

/** dist/test/x.test.js -> <checkout>/../shared/data; FSSO_SHARED_DATA when it lives elsewhere. */
function radiusDir(): string {
  const dir = process.env['FSSO_SHARED_DATA'] || path.resolve(__dirname, '../../../../../shared/data');
  const sub = path.join(dir, 'radius_vpn_wireless');
  if (!fs.existsSync(sub)) throw new Error(`recorded data not found at ${sub}; set FSSO_SHARED_DATA`);
  return sub;
}
const DIR = radiusDir();
const USERID = 'elastic-integrations_panw_test-panw-panos-userid-sample.log';
const GP = 'elastic-integrations_panw_test-panw-panos-globalprotect-sample.log';
const ISE = 'elastic-integrations_cisco_ise_test-pipeline-radius-accounting.log';
const FORTI = 'elastic-integrations_fortinet_fortigate_test-fortinet.log.SUBSET_user_lines.log';
const DETAIL_2015 = 'freeradius_detail_2015_from_java_comment_Hybrid_accounting_parser.txt';
const DETAIL_ONE = 'freeradius-server_src_tests_detail_one.txt';
const DAY = 86_400_000;

/** Reads a file exactly as the file follower does: splitter, then parser, record by record. */
function run(format: SourceFormat, file: string, chunk?: number): { records: string[]; results: RecordResult[] } {
  const buf = fs.readFileSync(path.join(DIR, file));
  const splitter = format.createSplitter();
  const records: string[] = [];
  const step = chunk ?? buf.length;
  for (let i = 0; i < buf.length; i += step) records.push(...splitter.push(buf.subarray(i, i + step)));
  records.push(...splitter.end());
  assert.equal(splitter.consumed, buf.length, `${format.name} ${file}: consumed`);
  return { records, results: records.map(format.createParser()) };
}

const one = (r: RecordResult | undefined): AgentEvent => {
  assert.equal(r?.events.length, 1, r?.skipped);
  return r?.events[0] as AgentEvent;
};
const brief = (e: AgentEvent): string[] => [e.kind, e.user, e.domain, e.ip];

test('every file goes through both formats without throwing; line and record counts from grep', () => {
  // `grep -c . FILE` (non-blank lines) for the syslog format; blank-line paragraphs for detail.
  const lines: Record<string, number> = {
    [ISE]: 3,
    [FORTI]: 8,
    [GP]: 12,
    [USERID]: 14,
    [DETAIL_ONE]: 9,
    [DETAIL_2015]: 32,
    'freeradius-server_src_tests_modules_sql_acct_0_start.attrs': 38,
    'freeradius-server_src_tests_modules_sql_acct_1_update.attrs': 38,
    'freeradius-server_src_tests_modules_sql_acct_2_stop.attrs': 39,
  };
  const paragraphs: Record<string, number> = { [DETAIL_ONE]: 1, [DETAIL_2015]: 2 };
  assert.deepEqual(fs.readdirSync(DIR).sort(), Object.keys(lines).sort());
  for (const [file, n] of Object.entries(lines)) {
    assert.equal(run(syslogFormat(), file).records.length, n, file);
    // The .attrs files are "input packet" + "expected answer" blocks; the others one paragraph.
    const detail = run(freeradiusDetailFormat, file);
    assert.equal(detail.records.length, paragraphs[file] ?? (file.endsWith('.attrs') ? 2 : 1), file);
    // Byte-by-byte feeding gives the same records.
    assert.deepEqual(run(freeradiusDetailFormat, file, 1).records, detail.records, file);
    assert.deepEqual(run(syslogFormat(), file, 7).records, run(syslogFormat(), file).records, file);
  }
});

test('PAN-OS USERID: every line maps; login/logout, domain\\user, computer account as HOST_SEEN', () => {
  const { results } = run(syslogFormat(), USERID);
  const got = results.map((r) => brief(one(r)));
  assert.deepEqual(got, [
    ['USER_LOGON', 'name', 'DOMAIN', '81.2.69.193'],
    ['USER_LOGOFF', 'name', 'DOMAIN', '10.55.18.7'],
    ...Array<string[]>(4).fill(['USER_LOGON', 'administrator', 'PLANO2008R2', '172.17.128.92']),
    ['USER_LOGON', 'admin', 'DOMAIN', '10.68.2.9'],
    ['USER_LOGOFF', 'admin', 'DOMAIN', '10.68.2.9'],
    ['USER_LOGON', 'admin', 'SUBDOMAIN', '10.68.2.9'],
    ['USER_LOGON', 'admin', '', '10.68.2.9'],
    ['USER_LOGON', 'user', '', '10.68.2.9'],
    ['USER_LOGON', 'admin', '', '10.68.2.9'],
    ['USER_LOGOFF', 'admin', 'DOMAIN', '10.68.2.9'],
    ['HOST_SEEN', 'ya072z', 'VIERWERK.NET', '10.9.3.250'],
  ]);
  const events = results.map(one);
  const host = events[13] as AgentEvent;
  assert.deepEqual(
    [host.workstation, host.source, host.sourceEventId, host.logonType],
    ['YA072Z', 'syslog', 'panos-userid', 0],
  );
  // Lines 1-13 carry "Nov 30 16:09:08" without year or host; line 14 has no header: read time.
  const first = new Date((events[0] as AgentEvent).eventTimeMs);
  assert.deepEqual(
    [first.getUTCMonth(), first.getUTCDate(), first.getUTCHours(), first.getUTCMinutes(), first.getUTCSeconds()],
    [10, 30, 16, 9, 8],
  );
  assert.ok(first.getTime() <= Date.now() + DAY);
  assert.ok(Math.abs(host.eventTimeMs - Date.now()) < 60_000);
  assert.equal((events[0] as AgentEvent).reporter, '');
});

test('PAN-OS GlobalProtect: the private (tunnel) address, never the public one', () => {
  const { results } = run(syslogFormat(), GP);
  const at = (line: number): RecordResult => results[line - 1] as RecordResult;
  // gateway-config-release is "remove ip-user mapping or remove tunnel": a logoff.
  assert.deepEqual(
    [...brief(one(at(2))), one(at(2)).workstation],
    ['USER_LOGOFF', 'user', 'DOMAIN', '10.20.13.217', 'CP935'],
  );
  assert.deepEqual(brief(one(at(3))), ['USER_ACTIVITY', 'user1', 'DOMAIN', '67.43.156.14']);
  // setup-ipsec: public 175.16.199.1, private 10.20.30.40.
  assert.deepEqual(
    [...brief(one(at(7))), one(at(7)).workstation],
    ['USER_ACTIVITY', 'musterman', 'DOMAIN', '10.20.30.40', 'RECHNER123'],
  );
  // PAN-OS 9.1 layout, "host\\user" escaped twice; private 10.2.2.2 beats private IPv6 fc00::1.
  assert.deepEqual(brief(one(at(10))), ['USER_ACTIVITY', 'user', 'HOST', '10.2.2.2']);
  assert.deepEqual(brief(one(at(11))), ['USER_ACTIVITY', 'user', '', '10.4.4.4']);
  // Empty private IPv4: the private IPv6.
  assert.deepEqual(brief(one(at(12))), ['USER_ACTIVITY', 'user', '', 'fc00::abcd']);
  assert.deepEqual(
    [1, 4, 5, 6, 8, 9].map((n) => at(n).skipped),
    [
      'panos-globalprotect: line does not match the pattern', // portal-prelogin
      'panos-globalprotect: placeholder user (pre-logon)', // gateway-getconfig of the pre-logon tunnel
      'panos-globalprotect: no usable address (0.0.0.0)', // tunnel-latency without user or tunnel address
      'panos-globalprotect: no usable address (0.0.0.0)', // gateway-auth: no tunnel address yet
      'panos-globalprotect: line does not match the pattern', // portal-prelogin
      'panos-globalprotect: line does not match the pattern', // portal-getconfig
    ],
  );
  const publicIps = ['89.160.20.112', '1.128.3.4', '175.16.199.1', '10.1.1.1', '10.3.3.3', 'fc00::1234'];
  for (const r of results) for (const e of r.events) assert.ok(!publicIps.includes(e.ip), e.ip);
});

test('Cisco ISE accounting: Start is a logon with Framed-IP and MAC, Stop a logoff', () => {
  const { results } = run(syslogFormat(), ISE);
  const start = one(results[0]);
  assert.deepEqual(
    [...brief(start), start.mac, start.reporter, start.sourceEventId],
    ['USER_LOGON', 'nisehorrrrn', '', '89.160.20.112', 'd4:ca:6d:14:87:3b', 'hijk.xyz.com', 'cisco-ise-accounting'],
  );
  const d = new Date(start.eventTimeMs);
  assert.deepEqual(
    [d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()],
    [3, 27, 11, 11, 47],
  );
  // Line 3 is segment 1 of a two-part message; it holds every attribute needed, so it counts.
  for (const r of results.slice(1)) {
    const stop = one(r);
    assert.deepEqual(
      [...brief(stop), stop.mac, stop.reporter],
      ['USER_LOGOFF', 'businesskent', '', '89.160.20.112', '5c:0a:5b:43:3f:79', 'tuv.w.xyz.com'],
    );
  }
});

test('FortiGate: FSSO-logon, auth-logon, tunnel-up at tunnelip; the 1192.168.1.1 line is skipped', () => {
  const { records, results } = run(syslogFormat(), FORTI);
  const fsso = one(results[0]);
  assert.deepEqual(brief(fsso), ['USER_LOGON', 'elasticouser', '', '10.10.10.10']);
  // eventtime=1587231168439640874 (ns), not the date=/time= fields.
  assert.equal(fsso.eventTimeMs, 1587231168439);
  assert.deepEqual(brief(one(results[1])), ['USER_LOGON', 'elastiiiuser', '', '10.10.10.10']);
  // remip=67.43.156.13 is the client's internet address; tunnelip=10.10.10.10 is where it is.
  const tunnel = one(results[4]);
  assert.deepEqual(brief(tunnel), ['USER_LOGON', 'someuser', '', '10.10.10.10']);
  assert.equal(tunnel.eventTimeMs, 1587230627698);
  // FSSO-logoff: srcip=192.168.1.1 user="elasticadmin" but msg "user elasticuser logged off 1192.168.1.1".
  assert.equal(results[5]?.skipped, 'fortigate: line does not match the pattern');
  assert.equal(normaliseIp('1192.168.1.1'), null);
  // The same line with a consistent msg is a logoff, so the skip is the contradiction's doing.
  const fixed = (records[5] ?? '').replace(
    'user elasticuser logged off 1192.168.1.1',
    'user elasticadmin logged off 192.168.1.1',
  );
  assert.deepEqual(brief(one(syslogFormat().createParser()(fixed))), [
    'USER_LOGOFF',
    'elasticadmin',
    '',
    '192.168.1.1',
  ]);
  // FortiClient "add", SSL new connection (user N/A), traffic logs (user= via FSSO, unauthuser).
  assert.deepEqual(
    [2, 3, 6, 7].map((i) => results[i]?.skipped),
    Array(4).fill('no profile matches'),
  );
  const all = results.flatMap((r) => r.events);
  assert.equal(all.length, 3);
  assert.ok(all.every((e) => e.ip === '10.10.10.10'));
});

test('FreeRADIUS detail: Framed-IP-Address, Acct-Status-Type, Event-Timestamp with zone', () => {
  const { results } = run(freeradiusDetailFormat, DETAIL_2015);
  const [a, b] = results.map(one) as [AgentEvent, AgentEvent];
  assert.deepEqual(
    [...brief(a), a.reporter, a.source],
    ['USER_ACTIVITY', 'taki_dsl_p', '', '78.92.255.12', 'mt_haap_infog', 'radius'],
  );
  // "Jun  9 2015 00:03:47 CEST" = 22:03:47 UTC; the server's Timestamp 1433801028 is 1 s later.
  assert.equal(a.eventTimeMs, Date.UTC(2015, 5, 8, 22, 3, 47));
  assert.deepEqual(brief(b), ['USER_ACTIVITY', 'elemera016_dsl', '', '78.92.255.8']);
  assert.equal(b.eventTimeMs, 1433801299000);
  // detail/one.txt: bob on a WiMAX port with no Framed-IP-Address, and a 10-digit Calling-Station-Id.
  assert.deepEqual(
    run(freeradiusDetailFormat, DETAIL_ONE).results.map((r) => r.skipped),
    ['no usable Framed-IP-Address (none)'],
  );
  const attrs: Array<[string, string, string]> = [
    ['0_start', 'USER_LOGON', 'user0'],
    ['1_update', 'USER_ACTIVITY', 'user1'],
    ['2_stop', 'USER_LOGOFF', 'user2'],
  ];
  for (const [file, kind, user] of attrs) {
    const r = run(freeradiusDetailFormat, `freeradius-server_src_tests_modules_sql_acct_${file}.attrs`).results;
    assert.deepEqual(brief(one(r[0])), [kind, user, 'EXAMPLE.ORG', '198.51.100.59'], file);
    // The "expected answer" block holds only `==` comparisons.
    assert.equal(r[1]?.skipped, 'not a FreeRADIUS detail record (no attributes)', file);
  }
  // 'Feb  1 2015 08:28:58 WIB' (UTC+7).
  assert.equal(
    one(run(freeradiusDetailFormat, 'freeradius-server_src_tests_modules_sql_acct_0_start.attrs').results[0])
      .eventTimeMs,
    Date.UTC(2015, 1, 1, 1, 28, 58),
  );
});

test('syslog lines carry no detail record and detail records match no syslog profile', () => {
  for (const file of [DETAIL_2015, DETAIL_ONE]) {
    assert.ok(
      run(syslogFormat(), file).results.every((r) => r.skipped === 'no profile matches'),
      file,
    );
  }
  for (const file of [USERID, GP, ISE, FORTI]) {
    assert.deepEqual(
      run(freeradiusDetailFormat, file).results.map((r) => r.skipped),
      ['not a FreeRADIUS detail record (no attributes)'],
      file,
    );
  }
});
