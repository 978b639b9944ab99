import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DATA, countKind, feedBuffer, onlyEvent, readRecorded, type Fed } from './format-harness';
import { dhcpKeaFormat } from '../src/dhcp';

/**
 * `dhcp-kea` on the recorded Kea files (shared/data/README.md section 3): the memfile lease CSVs
 * of Kea's own admin tests and kea-dhcp4 journal lines. Every expected value was read from them.
 */

const DATA = SHARED_DATA;
const DIR = join(DATA, 'dhcp', 'kea');
const JOURNAL = 'kea_dhcp4_journal_lines_from_public_texts.log';
const LEASE4 = 'kea_src_bin_admin_tests_data_lease4_dump_test.reference.csv';
const LEASE6 = 'kea_src_bin_admin_tests_data_lease6_dump_test.reference.csv';

const feed = (file: string): Fed => feedBuffer(dhcpKeaFormat, readRecorded('dhcp', 'kea', file));
const only = onlyEvent;
const count = countKind;

test('every recorded Kea file is read whole; records map or have an expected reason', () => {
  assert.ok(existsSync(DIR), `recorded data not found at ${DIR}; set FSSO_SHARED_DATA to the shared/data folder`);
  const files = readdirSync(DIR).filter((f) => !f.includes('SOURCES'));
  assert.deepEqual(files.sort(), [JOURNAL, LEASE4, LEASE6].sort());
  for (const file of files) {
    const { results, consumed, size } = feed(file);
    assert.equal(consumed, size, file);
    for (const [i, r] of results.entries()) {
      if (r.events.length > 0) continue;
      assert.match(
        r.skipped ?? '',
        /^(Kea lease file header|Kea lease[46] declined: another host answers at this address|DHCP4_LEASE_ADVERT is an offer, not a lease)$/,
        `${file} record ${i + 1}`,
      );
    }
  }
});

test('HOST_ADDRESS / HOST_RELEASED per file (state column and message ids counted by hand)', () => {
  // journal: 2 DHCP4_LEASE_ALLOC, 1 ADVERT. lease4: states 0, 1, 2. lease6: states 0, 1, 2, 2.
  const expected: Array<[string, number, number]> = [
    [JOURNAL, 2, 0],
    [LEASE4, 1, 1],
    [LEASE6, 1, 2],
  ];
  for (const [file, address, released] of expected) {
    const { results } = feed(file);
    assert.equal(count(results, 'HOST_ADDRESS'), address, `${file} HOST_ADDRESS`);
    assert.equal(count(results, 'HOST_RELEASED'), released, `${file} HOST_RELEASED`);
  }
});

test('kea-dhcp4 journal: DHCP4_LEASE_ALLOC gives address and MAC at Kea own timestamp', () => {
  const { results } = feed(JOURNAL);
  const first = only(results[0]);
  assert.deepEqual(first, {
    kind: 'HOST_ADDRESS',
    user: '',
    domain: '',
    ip: '192.168.42.100',
    workstation: '',
    mac: '08:00:27:4d:16:e9',
    eventTimeMs: Date.UTC(2025, 7, 13, 14, 23, 38, 856),
    source: 'dhcp',
    sourceEventId: 'DHCP4_LEASE_ALLOC',
    logonType: 0,
    reporter: 'kea-el',
  });
  assert.equal(results[1]?.skipped, 'DHCP4_LEASE_ADVERT is an offer, not a lease');
  // `ene 06 12:48:19 kea kea-dhcp4[617]: 2023-01-06 12:48:19.229 INFO ...`: Spanish month in the
  // journal header, the year and milliseconds from Kea's own stamp.
  const third = only(results[2]);
  assert.deepEqual([third.ip, third.mac, third.reporter], ['192.168.101.10', '08:00:27:d1:b8:5c', 'kea']);
  assert.equal(third.eventTimeMs, Date.UTC(2023, 0, 6, 12, 48, 19, 229));
});

test('lease4 CSV: assigned lease at expire - valid_lifetime, declined skipped, reclaimed released at expire', () => {
  const { results } = feed(LEASE4);
  assert.equal(results[0]?.skipped, 'Kea lease file header');
  // 0.0.0.10,32:30,33:30,40,1642000000,50,1,1,one.example.com,0,,0
  const assigned = only(results[1]);
  assert.deepEqual(
    [assigned.kind, assigned.ip, assigned.user, assigned.domain, assigned.workstation, assigned.sourceEventId],
    ['HOST_ADDRESS', '0.0.0.10', 'one', 'EXAMPLE.COM', 'ONE', 'lease4:default'],
  );
  // hwaddr 32:30 is two bytes: not a MAC.
  assert.equal(assigned.mac, '');
  assert.equal(assigned.eventTimeMs, (1642000000 - 40) * 1000);
  // 0.0.0.11,,31:32:33,40,1643210000,50,1,1,,1,{  },0
  assert.equal(results[2]?.skipped, 'Kea lease4 declined: another host answers at this address');
  // 0.0.0.12,32:32,,40,1643212345,50,1,1,three&#x2cexample&#x2ccom,2,...: the unescaped
  // `three,example,com` is no host name, and a release needs none.
  const reclaimed = only(results[3]);
  assert.deepEqual(
    [reclaimed.kind, reclaimed.ip, reclaimed.user, reclaimed.sourceEventId, reclaimed.eventTimeMs],
    ['HOST_RELEASED', '0.0.0.12', '', 'lease4:expired-reclaimed', 1643212345000],
  );
});

test('lease6 CSV: IPv6 rows by their own header, and the same rows without it (follower resuming)', () => {
  const { results } = feed(LEASE6);
  // ::10,32:30:33,30,1642000000,40,50,0,60,128,1,1,one.example.com,38:30,0,,90,16,0
  const assigned = only(results[1]);
  assert.deepEqual(
    [assigned.kind, assigned.ip, assigned.user, assigned.domain, assigned.mac, assigned.eventTimeMs],
    ['HOST_ADDRESS', '::10', 'one', 'EXAMPLE.COM', '', (1642000000 - 30) * 1000],
  );
  assert.equal(results[2]?.skipped, 'Kea lease6 declined: another host answers at this address');
  assert.deepEqual(
    [only(results[3]).kind, only(results[3]).ip, only(results[3]).eventTimeMs],
    ['HOST_RELEASED', '::12', 1643212345000],
  );
  // ::13,...,no.hwaddr.only.duid,,2,,0,0,0
  const last = only(results[4]);
  assert.deepEqual(
    [last.kind, last.ip, last.user, last.domain, last.eventTimeMs],
    ['HOST_RELEASED', '::13', 'no', 'HWADDR.ONLY.DUID', 1700000000000],
  );

  const text = readRecorded('dhcp', 'kea', LEASE6).toString('utf8');
  const headerless = feedBuffer(dhcpKeaFormat, Buffer.from(text.slice(text.indexOf('\n') + 1), 'utf8'));
  assert.deepEqual(headerless.results, results.slice(1));
});
