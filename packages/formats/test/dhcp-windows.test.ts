import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DATA, countKind, feedBuffer, onlyEvent, readRecorded, type Fed } from './format-harness';
import { dhcpWindowsFormat } from '../src/dhcp';
import { columnsFromHeader } from '../src/dhcp/windows';

/**
 * `dhcp-windows` on the recorded DhcpSrvLog / DhcpV6SrvLog files (shared/data/README.md section 3).
 * Every expected value was read from those files; counts were taken with grep.
 */

const DATA = SHARED_DATA;
const DIR = join(DATA, 'dhcp', 'windows_dhcpsrvlog');
const ELASTIC_V4 = 'elastic-integrations_microsoft_dhcp_test-log.log';
const ELASTIC_V6 = 'elastic-integrations_microsoft_dhcp_test-logv6.log';
const KINESIS = 'kinesistap_test_DhcpSrvLog_preamble_header_plus_1_record.log';
const PUBLIC = 'windows_dhcpsrvlog_lines_from_public_texts.log';
const feed = (file: string): Fed => feedBuffer(dhcpWindowsFormat, readRecorded('dhcp', 'windows_dhcpsrvlog', file));
const only = onlyEvent;
const count = countKind;

/** The reasons a DhcpSrvLog record may be skipped for; anything else is a parser fault. */
const EXPECTED_SKIP =
  /^(DhcpSrvLog preamble or other text, not a CSV row|DhcpSrvLog CSV header|DhcpSrvLog event \d+ is not a lease grant or release)$/;

test('every recorded DhcpSrvLog file is read whole, and every record maps or has an expected reason', () => {
  assert.ok(existsSync(DIR), `recorded data not found at ${DIR}; set FSSO_SHARED_DATA to the shared/data folder`);
  const files = readdirSync(DIR).filter((f) => f.endsWith('.log'));
  assert.deepEqual(files.sort(), [ELASTIC_V4, ELASTIC_V6, KINESIS, PUBLIC].sort());
  for (const file of files) {
    const { results, consumed, size } = feed(file);
    assert.equal(consumed, size, file);
    for (const [i, r] of results.entries()) {
      if (r.events.length > 0) continue;
      // The one lease row without a client is Microsoft's own placeholder row, checked below.
      if (file === PUBLIC && i === 0) continue;
      assert.match(r.skipped ?? '', EXPECTED_SKIP, `${file} record ${i + 1}`);
    }
    for (const e of results.flatMap((r) => r.events)) {
      assert.equal(e.source, 'dhcp');
      assert.equal(e.logonType, 0);
    }
  }
});

test('HOST_ADDRESS / HOST_RELEASED per file (counted with grep over the rows)', () => {
  // v4: rows with ID 10/11 (grep -cE '(^|[^0-9])1[01],[0-9]{2}/'), minus the placeholder row;
  // ID 17 is the only release-type row. v6: ID 11002 rows (grep -c '^11002,').
  const expected: Array<[string, number, number]> = [
    [ELASTIC_V4, 2, 1],
    [ELASTIC_V6, 4, 0],
    [KINESIS, 0, 0],
    [PUBLIC, 4, 0],
  ];
  for (const [file, address, released] of expected) {
    const { results } = feed(file);
    assert.equal(count(results, 'HOST_ADDRESS'), address, `${file} HOST_ADDRESS`);
    assert.equal(count(results, 'HOST_RELEASED'), released, `${file} HOST_RELEASED`);
  }
});

test('the KinesisTap file: 33-line preamble and header skipped, exactly its 1 record read', () => {
  const { records, results } = feed(KINESIS);
  // 35 lines, 4 of them blank (2, 3, 31, 33): 29 preamble lines, the header, one row.
  assert.equal(records.length, 31);
  const reasons = results.map((r) => r.skipped ?? '');
  assert.equal(reasons.filter((s) => s === 'DhcpSrvLog preamble or other text, not a CSV row').length, 29);
  assert.equal(reasons[29], 'DhcpSrvLog CSV header');
  const rows = reasons.filter((s) => s.startsWith('DhcpSrvLog event'));
  // The record is `24,09/29/17,00:00:04,Database Cleanup Begin,...`: no lease in it.
  assert.deepEqual(rows, ['DhcpSrvLog event 24 is not a lease grant or release']);
  assert.ok(results.every((r) => r.events.length === 0));
});

test('the header of the real file names the columns the default layout assumes', () => {
  const header = feed(KINESIS).records[29] ?? '';
  assert.ok(header.startsWith('ID,Date,Time,Description,IP Address,Host Name,MAC Address,User Name, TransactionID'));
  assert.deepEqual(columnsFromHeader(header), { ip: 4, host: 5, mac: 6, error: -1, duid: -1 });
});

test('a row forwarded through syslog by a DC: host, MAC, DNS suffix and reporting server', () => {
  const { results } = feed(PUBLIC);
  // <13>Jun 28 13:22:54 DC01-MID-PRD.conchoresources.com 11,06/28/16,13:22:53,Renew,10.11.11.17,
  //   Bryans-iPhone-2.conchoresources.com,787E614D9DA3,,3344130468,0,,,
  assert.deepEqual(only(results[2]), {
    kind: 'HOST_ADDRESS',
    user: 'bryans-iphone-2',
    domain: 'CONCHORESOURCES.COM',
    ip: '10.11.11.17',
    workstation: 'BRYANS-IPHONE-2',
    mac: '78:7e:61:4d:9d:a3',
    // The row's own time (the year comes from the row), not the syslog header's 13:22:54.
    eventTimeMs: Date.UTC(2016, 5, 28, 13, 22, 53),
    source: 'dhcp',
    sourceEventId: '11',
    logonType: 0,
    reporter: 'dc01-mid-prd.conchoresources.com',
  });
});

test('production rows: new lease (10) and renewals (11) with bare 12-hex MACs and short names', () => {
  const { results } = feed(PUBLIC);
  const assign = only(results[4]); // 10,10/27/25,17:04:20,Assign,10.250.50.40,DESKTOP-OHVNO4B,D85ED385CC10,,0,0
  assert.equal(assign.kind, 'HOST_ADDRESS');
  assert.equal(assign.sourceEventId, '10');
  assert.equal(assign.ip, '10.250.50.40');
  assert.equal(assign.mac, 'd8:5e:d3:85:cc:10');
  assert.equal(assign.workstation, 'DESKTOP-OHVNO4B');
  assert.equal(assign.user, 'desktop-ohvno4b');
  assert.equal(assign.domain, '');
  assert.equal(assign.reporter, '');
  assert.equal(assign.eventTimeMs, Date.UTC(2025, 9, 27, 17, 4, 20));
  const renew = only(results[3]); // 11,11/01/25,04:05:32,Renew,10.250.71.22,PC-SSD-4632,CC28AA86C37F,...,MSFT 5.0,,,,0
  assert.deepEqual(
    [renew.kind, renew.ip, renew.mac, renew.workstation],
    ['HOST_ADDRESS', '10.250.71.22', 'cc:28:aa:86:c3:7f', 'PC-SSD-4632'],
  );
  const other = only(results[5]); // 11,10/27/25,17:03:37,Renew,10.250.52.18,PC-SSD-5824,A0AD9F02A039,,3281646423,0
  assert.deepEqual([other.ip, other.mac, other.user], ['10.250.52.18', 'a0:ad:9f:02:a0:39', 'pc-ssd-5824']);
});

test('defaultDomain fills in for short host names only; a DNS suffix in the row wins', () => {
  const path = join(DIR, PUBLIC);
  const parse = dhcpWindowsFormat.createParser({ defaultDomain: 'corp' });
  const lines = readFileSync(path, 'utf8').split('\n');
  assert.equal(only(parse(lines[3] ?? '')).domain, 'CORP'); // PC-SSD-4632
  assert.equal(only(parse((lines[2] ?? '').replace(/\r$/, ''))).domain, 'CONCHORESOURCES.COM');
});

test("Microsoft's placeholder renewal and the BAD_ADDRESS conflict row give no event", () => {
  const { results } = feed(PUBLIC);
  // 11,...,Renew,10.2.29.108,<Computer Name>.contoso.com,<MAC Address>,...: no real client named.
  assert.deepEqual(results[0]?.events, []);
  assert.equal(results[0]?.skipped, '11: lease names no client (no MAC, no host name)');
  // 13,...,Conflict,10.2.29.108,BAD_ADDRESS: someone answers there without a lease; keep their logon.
  assert.equal(results[1]?.skipped, 'DhcpSrvLog event 13 is not a lease grant or release');
});

test('elastic v4 rows: Assign with the all-zero MAC placeholder, and an expiry (17) as HOST_RELEASED', () => {
  const { results } = feed(ELASTIC_V4);
  const assign = only(results[9]); // 10,01/01/01,01:01:01,Assign,192.0.2.10,host.test.com,000000000000,,17739,0,,,
  assert.deepEqual(
    [assign.kind, assign.ip, assign.mac, assign.user, assign.domain, assign.workstation],
    ['HOST_ADDRESS', '192.0.2.10', '', 'host', 'TEST.COM', 'HOST'],
  );
  assert.equal(assign.eventTimeMs, Date.UTC(2001, 0, 1, 1, 1, 1));
  assert.equal(only(results[10]).ip, '192.0.2.20');
  const expired = only(results[13]); // 17,11/20/20,00:00:05,DNS record not deleted,8.8.8.8,,,,0,6,...
  assert.deepEqual(
    [expired.kind, expired.ip, expired.user, expired.mac, expired.sourceEventId],
    ['HOST_RELEASED', '8.8.8.8', '', '', '17'],
  );
  assert.equal(expired.eventTimeMs, Date.UTC(2020, 10, 20, 0, 0, 5));
  // DNS update rows name an address and host but say nothing about the lease.
  assert.equal(results[2]?.skipped, 'DhcpSrvLog event 30 is not a lease grant or release');
});

test('DhcpV6SrvLog: Request (11002) leases the IPv6 address to the host, Solicit (11000) does not', () => {
  const { results } = feed(ELASTIC_V6);
  // 11002,12/06/21,12:43:57,DHCPV6 Request,2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6,test-host,,18,0004A344...
  const request = only(results[6]);
  assert.deepEqual(
    [request.kind, request.ip, request.user, request.workstation, request.domain, request.sourceEventId],
    ['HOST_ADDRESS', '2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6', 'test-host', 'TEST-HOST', '', '11002'],
  );
  // DUID type 4 (UUID) carries no MAC.
  assert.equal(request.mac, '');
  assert.equal(request.eventTimeMs, Date.UTC(2021, 11, 6, 12, 43, 57));
  assert.equal(results[5]?.skipped, 'DhcpSrvLog event 11000 is not a lease grant or release');
  assert.equal(results[13]?.skipped, 'DhcpSrvLog event 11030 is not a lease grant or release');
});
