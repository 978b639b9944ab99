import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { jsonToWindowsRecord, windowsJsonFormat } from '../src/windows';
import type { RecordResult } from '../src/model';
import {
  count,
  eventsOf,
  listFiles,
  malformedOf,
  ndjsonLines,
  onlyEvent,
  parseGolden,
  parseJsonLine,
  winPath,
} from './windows-test-data';

const NXLOG = 'otrf_nxlog_logstash.ndjson';
const FLAT = 'otrf_flat_eventdata.ndjson';
const WLB6 = 'otrf_winlogbeat6.ndjson';
const AZURE = 'otrf_azure_loganalytics.ndjson';

function parseNdjson(file: string): RecordResult[] {
  return ndjsonLines(file)
    .slice(1)
    .map((l) => parseJsonLine(l));
}

test('every line of every OTRF file goes through the windows-json format without a malformed record', () => {
  // Line counts from `grep -c . otrf/*.ndjson`.
  const lines: Record<string, number> = { [AZURE]: 28, [FLAT]: 353, [NXLOG]: 1806, [WLB6]: 109 };
  assert.deepEqual(listFiles('otrf', '.ndjson'), Object.keys(lines).sort());
  for (const [file, n] of Object.entries(lines)) {
    const buf = fs.readFileSync(winPath('otrf', file));
    const splitter = windowsJsonFormat.createSplitter();
    const records = [...splitter.push(buf), ...splitter.end()];
    assert.equal(records.length, n, file);
    assert.equal(splitter.consumed, buf.length, file);
    const results = records.map(windowsJsonFormat.createParser());
    assert.deepEqual(malformedOf(results), [], file);
    for (const r of results) assert.ok(!(r.skipped ?? '').startsWith('not a Windows event'), `${file}: ${r.skipped}`);
  }
});

test('every element of every Winlogbeat golden file maps without a malformed record', () => {
  const files = listFiles('winlogbeat_golden', '.json');
  assert.equal(files.length, 8);
  for (const file of files) {
    const results = parseGolden(file);
    assert.ok(results.length > 0, file);
    assert.deepEqual(malformedOf(results), [], file);
  }
});

test('per-file counts (computed with python over the JSON: named account, usable IpAddress, not $)', () => {
  const expected: Array<[string, number, number, number]> = [
    // file, USER_LOGON, HOST_SEEN from 4624, USER_LOGOFF from 4634
    [AZURE, 27, 0, 0],
    [FLAT, 5, 32, 26],
    [NXLOG, 102, 312, 108],
    [WLB6, 4, 27, 4],
  ];
  for (const [file, logon, host, logoff] of expected) {
    const events = eventsOf(parseNdjson(file));
    assert.equal(count(events, 'USER_LOGON'), logon, file);
    assert.equal(count(events, 'HOST_SEEN', '4624'), host, file);
    assert.equal(count(events, 'USER_LOGOFF', '4634'), logoff, file);
  }
  // OTRF flat: 16 successful 4776 (pedro at PEDRO01 x13, pedro-admin at PEDRO-COMPUTER x3), 1 failed.
  const flat = eventsOf(parseNdjson(FLAT)).filter((e) => e.sourceEventId === '4776');
  assert.equal(flat.length, 16);
  assert.deepEqual([...new Set(flat.map((e) => `${e.user}@${e.workstation}/${e.ip}`))].sort(), [
    'pedro-admin@PEDRO-COMPUTER/',
    'pedro@PEDRO01/',
  ]);
});

test('NXLog 4768: pgustavo from ::ffff:172.18.39.6, timed by the UTC @timestamp, not the zone-less EventTime', () => {
  const e = onlyEvent(parseJsonLine(ndjsonLines(NXLOG)[156] ?? ''));
  assert.deepEqual(
    [e.kind, e.user, e.domain, e.ip, e.reporter, e.sourceEventId],
    ['USER_ACTIVITY', 'pgustavo', 'THESHIRE.LOCAL', '172.18.39.6', 'mordordc.theshire.local', '4768'],
  );
  // "EventTime":"2020-09-21 23:03:07" is the DC's local time (4 h behind UTC); @timestamp says
  // 2020-09-22T03:03:09.880Z, Logstash's receive time 2.9 s later: the closer of the two.
  assert.equal(e.eventTimeMs, Date.UTC(2020, 8, 22, 3, 3, 9, 880));
});

test('NXLog Kerberos: 4770 renewal maps, 4769 with status 0x1b is skipped', () => {
  const lines = ndjsonLines(NXLOG);
  const renewal = onlyEvent(parseJsonLine(lines[655] ?? ''));
  assert.deepEqual(
    [renewal.kind, renewal.user, renewal.domain, renewal.ip],
    ['USER_ACTIVITY', 'wardog', 'THESHIRE.LOCAL', '172.18.39.6'],
  );
  assert.equal(parseJsonLine(lines[604] ?? '').skipped, 'event 4769 (Kerberos service ticket) failed with status 0x1b');
});

test('NXLog workstation events: RDP reconnect/disconnect, lock/unlock, user logoff', () => {
  const lines = ndjsonLines(NXLOG);
  const pick = (n: number): string[] => {
    const e = onlyEvent(parseJsonLine(lines[n] ?? ''));
    return [e.sourceEventId, e.kind, e.user, e.domain, e.ip, e.workstation];
  };
  assert.deepEqual(pick(187), ['4778', 'USER_ACTIVITY', 'pgustavo', 'THESHIRE', '1.2.3.4', 'ROBERTOS-MBP']);
  assert.deepEqual(pick(1760), ['4779', 'USER_ACTIVITY', 'pgustavo', 'THESHIRE', '71.114.99.41', 'ROBERTOS-MBP']);
  // Lock/unlock name no client; they are logged by the machine the session is on.
  assert.deepEqual(pick(1718), ['4800', 'USER_ACTIVITY', 'pgustavo', 'THESHIRE', '', 'WORKSTATION5']);
  assert.deepEqual(pick(197), ['4801', 'USER_ACTIVITY', 'pgustavo', 'THESHIRE', '', 'WORKSTATION5']);
  assert.deepEqual(pick(1568), ['4647', 'USER_LOGOFF', 'pgustavo', 'THESHIRE', '', '']);
  // 4776 without a Workstation field (lines 185, 1631, 1668) cannot be tied to any machine.
  for (const n of [185, 1631, 1668]) {
    assert.equal(
      parseJsonLine(lines[n] ?? '').skipped,
      'event 4776 (NTLM validation) names neither client address nor workstation',
    );
  }
  // UMFD-2 (Font Driver Host) logging off is not a person.
  assert.equal(parseJsonLine(lines[1603] ?? '').skipped, 'event 4634 (logoff) is for umfd-2, not a person');
});

test('Winlogbeat 6: 4768 for a person and for a computer account', () => {
  const lines = ndjsonLines(WLB6);
  const person = onlyEvent(parseJsonLine(lines[94] ?? ''));
  assert.deepEqual(
    [person.kind, person.user, person.domain, person.ip, person.reporter],
    ['USER_ACTIVITY', 'pgustavo', 'SHIRE', '172.18.39.106', 'hfdc01.shire.com'],
  );
  assert.equal(person.eventTimeMs, Date.UTC(2019, 4, 18, 20, 43, 35, 550));
  const host = onlyEvent(parseJsonLine(lines[82] ?? ''));
  assert.deepEqual(
    [host.kind, host.user, host.workstation, host.ip],
    ['HOST_SEEN', 'wecserver', 'WECSERVER', '172.18.39.102'],
  );
  assert.equal(
    parseJsonLine(lines[13] ?? '').skipped,
    'event 4770 (Kerberos ticket renewal) has no usable client address (::1)',
  );
});

test('OTRF flat: a TimeCreated without zone is read as UTC', () => {
  // Line 209: "TimeCreated":"2020-10-18 02:17:06.119", no @timestamp.
  const record = jsonToWindowsRecord(JSON.parse(ndjsonLines(FLAT)[209] ?? '') as unknown);
  assert.ok(typeof record !== 'string');
  assert.equal(record.timeMs, Date.UTC(2020, 9, 18, 2, 17, 6, 119));
  assert.equal(record.computer, 'WORKSTATION5');
});

test('Azure SecurityEvent rows: integer LogonType, Computer, TimeGenerated', () => {
  const lines = ndjsonLines(AZURE);
  const e = onlyEvent(parseJsonLine(lines[1] ?? ''));
  assert.deepEqual(
    [e.kind, e.user, e.domain, e.ip, e.logonType, e.reporter],
    ['USER_LOGON', 'wardog', 'SIMULANDLABS.COM', '192.168.2.5', 3, 'dc01.simulandlabs.com'],
  );
  assert.equal(e.eventTimeMs, Date.UTC(2021, 7, 2, 13, 6, 38, 330)); // "2021-08-02T13:06:38.33Z"
  // Line 6: cjones from the link-local address of ADFS01.
  assert.equal(onlyEvent(parseJsonLine(lines[6] ?? '')).ip, 'fe80::1d35:28c0:59d6:6862');
  // Line 24: cjones at DC01 with IpAddress "-".
  assert.equal(parseJsonLine(lines[24] ?? '').skipped, 'event 4624 (logon) has no usable client address (-)');
});

test('Winlogbeat 7/8 golden files: the values printed in them', () => {
  const one = (file: string): RecordResult => {
    const [r, ...rest] = parseGolden(`beats_collection_security-windows2012_${file}.evtx.golden.json`);
    assert.equal(rest.length, 0);
    assert.ok(r);
    return r;
  };
  // The DC's own Kerberos traffic comes from ::1.
  assert.equal(one('4768').skipped, 'event 4768 (Kerberos TGT) has no usable client address (::1)');
  assert.equal(one('4769').skipped, 'event 4769 (Kerberos service ticket) has no usable client address (::1)');
  assert.equal(one('4770').skipped, 'event 4770 (Kerberos ticket renewal) has no usable client address (::1)');
  assert.equal(one('4771').skipped, 'event 4771 (Kerberos pre-authentication failed) is counted, not mapped');
  const ntlm = onlyEvent(one('4776'));
  assert.deepEqual(
    [ntlm.kind, ntlm.user, ntlm.domain, ntlm.ip, ntlm.workstation, ntlm.reporter],
    ['USER_ACTIVITY', 'at_adm', '', '', 'EQP01777', 'dc_test2k12.test.saas'],
  );
  assert.equal(ntlm.eventTimeMs, Date.UTC(2020, 3, 1, 8, 45, 42, 187)); // 2020-04-01T08:45:42.1873153Z
  const rdp = onlyEvent(one('4778'));
  assert.deepEqual(
    [rdp.kind, rdp.user, rdp.domain, rdp.ip, rdp.workstation],
    ['USER_ACTIVITY', 'at_adm', 'TEST', '10.100.150.9', 'EQP01777'],
  );
  assert.equal(onlyEvent(one('4779')).ip, '10.100.150.17');
  const logoffs = eventsOf(parseGolden('beats_collection_security-windows2016-logoff.evtx.golden.json'));
  assert.deepEqual(
    logoffs.map((e) => [e.kind, e.user, e.domain, e.ip, e.logonType]),
    [
      ['USER_LOGOFF', 'audittest', 'WIN-41OB2LO92CR', '', 3],
      ['USER_LOGOFF', 'administrator', 'WIN-41OB2LO92CR', '', 3],
    ],
  );
});

test('chunks that cut UTF-8 characters (the ’ in 4648 messages) do not change any record', () => {
  const buf = fs.readFileSync(winPath('otrf', FLAT));
  assert.ok(buf.includes(Buffer.from('’', 'utf8')));
  const whole = parseNdjsonBuffer(buf, buf.length);
  for (const size of [7, 4096 + 1]) {
    const chunked = parseNdjsonBuffer(buf, size);
    assert.equal(chunked.consumed, buf.length);
    assert.deepEqual(chunked.records, whole.records);
  }
});

function parseNdjsonBuffer(buf: Buffer, chunk: number): { records: string[]; consumed: number } {
  const splitter = windowsJsonFormat.createSplitter();
  const records: string[] = [];
  for (let i = 0; i < buf.length; i += chunk) records.push(...splitter.push(buf.subarray(i, i + chunk)));
  records.push(...splitter.end());
  return { records, consumed: splitter.consumed };
}

test('malformed and foreign lines are reported, never thrown', () => {
  const line = ndjsonLines(NXLOG)[156] ?? '';
  assert.match(parseJsonLine(line.slice(0, line.length / 2)).skipped ?? '', /^malformed JSON: /);
  // Samba audit lines are JSON with an eventId, but nested and not Windows-shaped.
  const samba = fs.readFileSync(winPath('..', 'samba_auth_audit', 'samba_auth_json_singleline.jsonl'), 'utf8');
  const sambaLines = samba.split('\n').filter((l) => l.trim() !== '');
  assert.equal(sambaLines.length, 2);
  for (const l of sambaLines)
    assert.equal(parseJsonLine(l).skipped, 'not a Windows event: no winlog, event_id or EventID');
});
