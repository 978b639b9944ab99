import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DATA, countKind, feedBuffer, onlyEvent, readRecorded, type Fed } from './format-harness';
import type { SourceFormat } from '../src/format';
import { dhcpIscFormat, dhcpIscLeasesFormat, parseDhcpdLine } from '../src/dhcp';

/**
 * `dhcp-isc` (dhcpd syslog lines) and `dhcp-isc-leases` (dhcpd.leases) on the recorded files
 * (shared/data/README.md section 3). Every expected value was read from those files.
 */

const DATA = SHARED_DATA;
const SYSLOG_DIR = join(DATA, 'dhcp', 'isc_dhcpd_syslog');
const LEASES_DIR = join(DATA, 'dhcp', 'isc_dhcpd_leases');
const SYSLOG = 'dhcpd_syslog_lines_from_public_github_texts.log';
const read = (dir: string, file: string): Buffer => readRecorded(dir.slice(DATA.length + 1), file);
const feed = (format: SourceFormat, dir: string, file: string, chunk?: number): Fed =>
  feedBuffer(format, read(dir, file), chunk);
const only = onlyEvent;
const count = countKind;

function leaseFiles(): string[] {
  assert.ok(
    existsSync(LEASES_DIR),
    `recorded data not found at ${LEASES_DIR}; set FSSO_SHARED_DATA to the shared/data folder`,
  );
  return readdirSync(LEASES_DIR)
    .filter((f) => f.endsWith('.leases'))
    .sort();
}

test('dhcpd syslog: every line maps or has an expected reason; one HOST_ADDRESS per DHCPACK', () => {
  const { records, results, consumed, size } = feed(dhcpIscFormat, SYSLOG_DIR, SYSLOG);
  assert.equal(records.length, 25);
  assert.equal(consumed, size);
  for (const [i, r] of results.entries()) {
    if (r.events.length > 0) continue;
    assert.match(
      r.skipped ?? '',
      /^(DHCP(DISCOVER|OFFER|REQUEST) does not grant or end a lease|not a dhcpd lease message)$/,
      `line ${i + 1}`,
    );
  }
  // grep -c 'DHCPACK on' = 6; the file has no DHCPRELEASE.
  assert.equal(count(results, 'HOST_ADDRESS'), 6);
  assert.equal(count(results, 'HOST_RELEASED'), 0);
  const acks = records.map((l, i) => (l.includes('DHCPACK on') ? i : -1)).filter((i) => i >= 0);
  assert.deepEqual(acks, [0, 8, 14, 19, 23, 24]);
  for (const i of acks) assert.equal(results[i]?.events.length, 1, `line ${i + 1}`);
});

test('dhcpd syslog: DHCPACK with host name, relayed DHCPACK without one', () => {
  const { results } = feed(dhcpIscFormat, SYSLOG_DIR, SYSLOG);
  // Jul 11 20:01:28 server dhcpd[902]: DHCPACK on 192.168.2.106 to 8c:04:ba:35:4b:76 (DESKTOP-H2PRVNN) via eno1
  const first = only(results[0]);
  assert.deepEqual(
    [
      first.kind,
      first.ip,
      first.mac,
      first.user,
      first.workstation,
      first.domain,
      first.sourceEventId,
      first.reporter,
      first.source,
    ],
    [
      'HOST_ADDRESS',
      '192.168.2.106',
      '8c:04:ba:35:4b:76',
      'desktop-h2prvnn',
      'DESKTOP-H2PRVNN',
      '',
      'DHCPACK',
      'server',
      'dhcp',
    ],
  );
  const t = new Date(first.eventTimeMs);
  assert.deepEqual(
    [t.getUTCMonth(), t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds()],
    [6, 11, 20, 1, 28],
  );
  // Aug 13 14:15:55 infra dhcpd[1569]: DHCPACK on 192.168.4.194 to 02:a8:3f:00:00:08 (rhel9-1924) via ens224
  const rhel = only(results[8]);
  assert.deepEqual(
    [rhel.ip, rhel.mac, rhel.workstation, rhel.reporter],
    ['192.168.4.194', '02:a8:3f:00:00:08', 'RHEL9-1924', 'infra'],
  );
  // Feb 26 16:09:56 DHCP dhcpd[231]: DHCPACK on 192.168.10.10 to 12:9a:eb:09:c8:2c via 192.168.10.1
  const relayed = only(results[14]);
  assert.deepEqual(
    [relayed.ip, relayed.mac, relayed.user, relayed.workstation, relayed.reporter],
    ['192.168.10.10', '12:9a:eb:09:c8:2c', '', '', 'dhcp'],
  );
  // The OFFER just before it gives nothing.
  assert.equal(results[12]?.skipped, 'DHCPOFFER does not grant or end a lease');
});

test('dhcpd syslog: the year of a BSD timestamp is this year unless that is over a day ahead', () => {
  const line = readFileSync(join(SYSLOG_DIR, SYSLOG), 'utf8').split('\n')[24] ?? '';
  assert.ok(
    line.startsWith('Oct 20 15:25:01 dns1 dhcpd[1838]: DHCPACK on 192.168.5.168 to c8:4b:d6:0a:77:2d (A-76MRRL3)'),
  );
  const at = (now: number): number => only(parseDhcpdLine(line, now)).eventTimeMs;
  assert.equal(at(Date.UTC(2026, 10, 23)), Date.UTC(2026, 9, 20, 15, 25, 1));
  // 15 h ahead of "now" is within the day of slack (server clocks ahead of UTC).
  assert.equal(at(Date.UTC(2026, 9, 20, 0, 30)), Date.UTC(2026, 9, 20, 15, 25, 1));
  // Over a day ahead: last year's October.
  assert.equal(at(Date.UTC(2026, 9, 19)), Date.UTC(2025, 9, 20, 15, 25, 1));
  assert.equal(at(Date.UTC(2027, 0, 2)), Date.UTC(2026, 9, 20, 15, 25, 1));
});

test('dhcpd.leases: every file splits into its statements, read whole, whatever the chunk size', () => {
  const files = leaseFiles();
  assert.equal(files.length, 8);
  for (const file of files) {
    const text = read(LEASES_DIR, file).toString('utf8');
    // Independent count: top-level statements start at the beginning of a line.
    const expected = text.match(/^(lease|ia-na|ia-ta|ia-pd|server-duid)\b/gm)?.length ?? 0;
    const whole = feed(dhcpIscLeasesFormat, LEASES_DIR, file);
    assert.equal(whole.records.length, expected, file);
    assert.equal(whole.consumed, whole.size, file);
    for (const chunk of [1, 7, 64])
      assert.deepEqual(
        feed(dhcpIscLeasesFormat, LEASES_DIR, file, chunk).records,
        whole.records,
        `${file} in ${chunk}-byte chunks`,
      );
    for (const [i, r] of whole.results.entries()) {
      if (r.events.length > 0) continue;
      assert.match(
        r.skipped ?? '',
        /^(abandoned lease: another host answers at this address|ia-pd is a delegated prefix, not a host address|dhcpd\.leases server-duid statement is not a lease)$/,
        `${file} statement ${i + 1}`,
      );
    }
  }
});

test('dhcpd.leases: HOST_ADDRESS / HOST_RELEASED per file (grep of binding states)', () => {
  // active `lease` or `ia-na` blocks (ia-pd excluded) / free, backup blocks; the one abandoned lease gives neither.
  const expected: Record<string, [number, number]> = {
    'python-isc-dhcp-leases_backup.leases': [0, 2],
    'python-isc-dhcp-leases_debian7.leases': [0, 5],
    'python-isc-dhcp-leases_dhcpd6-4.2.4.leases': [1, 0],
    'python-isc-dhcp-leases_dhcpd6-4.3.3.leases': [2, 0],
    'python-isc-dhcp-leases_epoch.leases': [0, 2],
    'python-isc-dhcp-leases_options.leases': [1, 0],
    'python-isc-dhcp-leases_pfsense.leases': [2, 0],
    'python-isc-dhcp-leases_static.leases': [0, 1],
  };
  assert.deepEqual(leaseFiles(), Object.keys(expected).sort());
  for (const [file, [address, released]] of Object.entries(expected)) {
    const { results } = feed(dhcpIscLeasesFormat, LEASES_DIR, file);
    assert.equal(count(results, 'HOST_ADDRESS'), address, `${file} HOST_ADDRESS`);
    assert.equal(count(results, 'HOST_RELEASED'), released, `${file} HOST_RELEASED`);
  }
});

test('dhcpd.leases: active v4 leases at `starts`, with MAC and client-hostname', () => {
  const options = only(feed(dhcpIscLeasesFormat, LEASES_DIR, 'python-isc-dhcp-leases_options.leases').results[0]);
  assert.deepEqual(
    [options.kind, options.ip, options.mac, options.user, options.workstation, options.sourceEventId, options.reporter],
    ['HOST_ADDRESS', '10.10.10.10', '24:65:11:d9:a6:b3', 'kronos', 'KRONOS', 'active', ''],
  );
  assert.equal(options.eventTimeMs, Date.UTC(2016, 1, 27, 7, 11, 41)); // starts 6 2016/02/27 07:11:41
  const [sat, pc] = feed(dhcpIscLeasesFormat, LEASES_DIR, 'python-isc-dhcp-leases_pfsense.leases').results.map(only);
  assert.deepEqual(
    [sat?.ip, sat?.mac, sat?.user, sat?.workstation],
    ['10.0.10.72', '64:5a:04:6a:07:a2', 'satellite-c700', 'SATELLITE-C700'],
  );
  assert.equal(sat?.eventTimeMs, Date.UTC(2015, 6, 6, 7, 50, 42));
  assert.deepEqual([pc?.ip, pc?.workstation], ['10.0.0.36', 'GEBRUIKER-PC']);
});

test('dhcpd.leases: free and backup leases are HOST_RELEASED at `ends` (or `starts` without one)', () => {
  const debian = feed(dhcpIscLeasesFormat, LEASES_DIR, 'python-isc-dhcp-leases_debian7.leases').results;
  const free = only(debian[0]); // lease 10.0.0.10 { ... ends 2 2013/12/10 13:07:04; binding state free; ...
  assert.deepEqual(
    [free.kind, free.ip, free.mac, free.sourceEventId],
    ['HOST_RELEASED', '10.0.0.10', '60:a4:4c:b5:6a:dd', 'free'],
  );
  assert.equal(free.eventTimeMs, Date.UTC(2013, 11, 10, 13, 7, 4));
  // lease 10.0.0.17 { ... binding state abandoned; }: a host answered a ping there.
  assert.equal(debian[5]?.skipped, 'abandoned lease: another host answers at this address');
  const [withEnds, noEnds] = feed(dhcpIscLeasesFormat, LEASES_DIR, 'python-isc-dhcp-leases_epoch.leases').results.map(
    only,
  );
  assert.deepEqual([withEnds?.kind, withEnds?.ip, withEnds?.eventTimeMs], ['HOST_RELEASED', '10.0.0.1', 1508141363000]); // ends epoch
  assert.deepEqual([noEnds?.ip, noEnds?.eventTimeMs, noEnds?.mac], ['10.0.0.2', 1507637114000, '']); // starts epoch
  const stat = only(feed(dhcpIscLeasesFormat, LEASES_DIR, 'python-isc-dhcp-leases_static.leases').results[0]);
  assert.deepEqual(
    [stat.kind, stat.ip, stat.eventTimeMs],
    ['HOST_RELEASED', '10.0.0.15', Date.UTC(2015, 8, 10, 0, 29, 0)],
  );
});

test('dhcpd6.leases: ia-na addresses with the MAC of the DUID-LLT in the IA id, ia-pd skipped', () => {
  const old = feed(dhcpIscLeasesFormat, LEASES_DIR, 'python-isc-dhcp-leases_dhcpd6-4.2.4.leases').results;
  const na = only(old[1]);
  // ia-na "4dv\352" + DUID 00 01 00 01 1d 66 1f e2 | 0a 00 27 00 00 00; cltt 2 2015/08/18 16:55:37
  assert.deepEqual(
    [na.kind, na.ip, na.mac, na.user],
    ['HOST_ADDRESS', '2001:610:600:891d::60', '0a:00:27:00:00:00', ''],
  );
  assert.equal(na.eventTimeMs, Date.UTC(2015, 7, 18, 16, 55, 37));
  assert.equal(old[2]?.skipped, 'ia-pd is a delegated prefix, not a host address');
  const file = 'python-isc-dhcp-leases_dhcpd6-4.3.3.leases';
  const results = feed(dhcpIscLeasesFormat, LEASES_DIR, file).results;
  const events = results.flatMap((r) => r.events);
  assert.deepEqual(
    events.map((e) => e.ip),
    ['2001:10:10::106', '2001:10:30::1fe'],
  );
  // Cross-check with what dhcpd itself stored: `set clientduid = "...<mac>"` inside each iaaddr.
  const text = read(LEASES_DIR, file).toString('utf8');
  for (const e of events) {
    const block = text.slice(text.indexOf(`iaaddr ${e.ip} {`));
    const duid = /set clientduid = "([0-9a-f]+)"/.exec(block)?.[1] ?? '';
    assert.equal(e.mac.replace(/:/g, ''), duid.slice(-12), e.ip);
  }
});
