import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { cleanMsDocsXml, mapWindowsRecord, parseEventXml } from '../src/windows';
import type { WindowsRecord } from '../src/windows';
import { isSuccessStatus, wellKnownAccount } from '../src/windows/rules';
import type { AgentEvent, RecordResult } from '../src/model';
import {
  eventsOf,
  listFiles,
  ndjsonLines,
  onlyEvent,
  parseGolden,
  parseJsonLine,
  parseXmlFile,
  winPath,
} from './windows-test-data';

/** A Microsoft docs sample, cleaned into the XML Windows wrote, as a WindowsRecord. */
function msdocs(id: number): WindowsRecord {
  const raw = fs.readFileSync(winPath('msdocs_event_xml', `event-${id}.xml`), 'utf8');
  const record = parseEventXml(cleanMsDocsXml(raw));
  if (typeof record === 'string') throw new Error(`event-${id}.xml: ${record}`);
  return record;
}

function fields(e: AgentEvent): Array<string | number> {
  return [e.kind, e.user, e.domain, e.ip, e.workstation, e.logonType, e.reporter, e.sourceEventId];
}

test('cleanMsDocsXml turns every Microsoft docs sample into well-formed XML', () => {
  const files = listFiles('msdocs_event_xml', '.xml');
  assert.equal(files.length, 13);
  for (const file of files) {
    const record = parseEventXml(cleanMsDocsXml(fs.readFileSync(winPath('msdocs_event_xml', file), 'utf8')));
    assert.ok(typeof record !== 'string', `${file}: ${String(record)}`);
    assert.equal(`event-${record.eventId}.xml`, file);
    for (const v of Object.values(record.data)) assert.ok(!/\\[_#\\]/.test(v), `${file}: ${v}`);
  }
  // Markdown escapes are gone: "RDP-Tcp\#6", "MICROSOFT\_AUTHENTICATION\_PACKAGE\_V1\_0", "C:\\Windows\\".
  assert.equal(msdocs(4778).data['SessionName'], 'RDP-Tcp#6');
  assert.equal(msdocs(4779).data['SessionName'], 'RDP-Tcp#3');
  assert.equal(msdocs(4776).data['PackageName'], 'MICROSOFT_AUTHENTICATION_PACKAGE_V1_0');
  assert.equal(msdocs(4624).data['ProcessName'], 'C:\\Windows\\System32\\svchost.exe');
});

test('Microsoft docs 4624: Administrator at the console from 127.0.0.1 is read and then skipped', () => {
  const r = msdocs(4624);
  assert.deepEqual(
    [r.computer, r.data['TargetUserName'], r.data['TargetDomainName'], r.data['LogonType'], r.data['WorkstationName']],
    ['WIN-GG82ULGC9GO', 'Administrator', 'WIN-GG82ULGC9GO', '2', 'WIN-GG82ULGC9GO'],
  );
  assert.equal(r.timeMs, Date.UTC(2015, 10, 12, 0, 24, 35, 79)); // 2015-11-12T00:24:35.079785200Z
  assert.equal(mapWindowsRecord(r).skipped, 'event 4624 (logon) has no usable client address (127.0.0.1)');
});

test('Microsoft docs 4634: the DWM-1 (Window Manager) logoff is not a person', () => {
  const r = msdocs(4634);
  assert.deepEqual(
    [r.data['TargetUserName'], r.data['TargetDomainName'], r.data['LogonType']],
    ['DWM-1', 'Window Manager', '2'],
  );
  assert.equal(mapWindowsRecord(r).skipped, 'event 4634 (logoff) is for dwm-1, not a person');
});

test('Microsoft docs 4647, 4768, 4769, 4778, 4779, 4800, 4801 map to the values printed in them', () => {
  const rep = 'dc01.contoso.local';
  assert.deepEqual(fields(onlyEvent(mapWindowsRecord(msdocs(4647)))), [
    'USER_LOGOFF',
    'dadmin',
    'CONTOSO',
    '',
    '',
    0,
    rep,
    '4647',
  ]);
  assert.deepEqual(fields(onlyEvent(mapWindowsRecord(msdocs(4768)))), [
    'USER_ACTIVITY',
    'dadmin',
    'CONTOSO.LOCAL',
    '10.0.0.12',
    '',
    0,
    rep,
    '4768',
  ]);
  // TargetUserName "dadmin@CONTOSO.LOCAL": the realm in the name gives the domain.
  assert.deepEqual(fields(onlyEvent(mapWindowsRecord(msdocs(4769)))), [
    'USER_ACTIVITY',
    'dadmin',
    'CONTOSO.LOCAL',
    '10.0.0.12',
    '',
    0,
    rep,
    '4769',
  ]);
  assert.deepEqual(fields(onlyEvent(mapWindowsRecord(msdocs(4778)))), [
    'USER_ACTIVITY',
    'ladmin',
    'CONTOSO',
    '10.0.0.100',
    'WIN81',
    0,
    rep,
    '4778',
  ]);
  assert.deepEqual(fields(onlyEvent(mapWindowsRecord(msdocs(4779)))), [
    'USER_ACTIVITY',
    'ladmin',
    'CONTOSO',
    '10.0.0.100',
    'WIN81',
    0,
    rep,
    '4779',
  ]);
  // Lock/unlock carry no address; the computer that logged them is where the session is.
  assert.deepEqual(fields(onlyEvent(mapWindowsRecord(msdocs(4800)))), [
    'USER_ACTIVITY',
    'dadmin',
    'CONTOSO',
    '',
    'DC01',
    0,
    rep,
    '4800',
  ]);
  assert.deepEqual(fields(onlyEvent(mapWindowsRecord(msdocs(4801)))), [
    'USER_ACTIVITY',
    'dadmin',
    'CONTOSO',
    '',
    'DC01',
    0,
    rep,
    '4801',
  ]);
  // SystemTime="2015-09-09T03:08:39.126890800Z"
  assert.equal(onlyEvent(mapWindowsRecord(msdocs(4647))).eventTimeMs, Date.UTC(2015, 8, 9, 3, 8, 39, 126));
});

test('Microsoft docs 4776 (status 0xc0000234, account locked out) and the failure events are not mapped', () => {
  const ntlm = msdocs(4776);
  assert.deepEqual([ntlm.data['TargetUserName'], ntlm.data['Workstation']], ['dadmin', 'WIN81']);
  assert.equal(mapWindowsRecord(ntlm).skipped, 'event 4776 (NTLM validation) failed with status 0xc0000234');
  assert.equal(mapWindowsRecord(msdocs(4625)).skipped, 'event 4625 (failed logon) is counted, not mapped');
  assert.equal(
    mapWindowsRecord(msdocs(4771)).skipped,
    'event 4771 (Kerberos pre-authentication failed) is counted, not mapped',
  );
  assert.equal(mapWindowsRecord(msdocs(4648)).skipped, 'event 4648 is not logon evidence');
});

test('defaultDomain fills in only where the event names no domain', () => {
  // beats 4776: TargetUserName at_adm, no domain field at all.
  const golden = JSON.parse(
    fs.readFileSync(
      winPath('winlogbeat_golden', 'beats_collection_security-windows2012_4776.evtx.golden.json'),
      'utf8',
    ),
  ) as unknown[];
  const line = JSON.stringify(golden[0]);
  assert.equal(onlyEvent(parseJsonLine(line)).domain, '');
  assert.equal(onlyEvent(parseJsonLine(line, { defaultDomain: 'test' })).domain, 'TEST');
  // msdocs 4768 names CONTOSO.LOCAL itself.
  assert.equal(onlyEvent(mapWindowsRecord(msdocs(4768), { defaultDomain: 'OTHER' })).domain, 'CONTOSO.LOCAL');
});

test('computer accounts: HOST_SEEN when they authenticate, nothing when they log off', () => {
  const lines = ndjsonLines('otrf_nxlog_logstash.ndjson');
  // Line 1: 4624 MORDORDC$ from 172.18.38.5 (E1 in SUMMARY.md).
  const host = onlyEvent(parseJsonLine(lines[1] ?? ''));
  assert.deepEqual(fields(host), [
    'HOST_SEEN',
    'mordordc',
    'MORDOR.LOCAL',
    '172.18.38.5',
    'MORDORDC',
    3,
    'mordordc.mordor.local',
    '4624',
  ]);
  // Line 2: 4634 MORDORDC$ (domain MORDOR) logging off.
  assert.equal(parseJsonLine(lines[2] ?? '').skipped, 'event 4634 (logoff) is for machine account mordordc$');
});

test('account names that are never a person, and Kerberos/NTLM status codes, as they occur in the data', () => {
  for (const name of [
    'SYSTEM',
    'LOCAL SERVICE',
    'NETWORK SERVICE',
    'ANONYMOUS LOGON',
    'DWM-1',
    'UMFD-0',
    'UMFD-2',
    'krbtgt',
  ]) {
    assert.ok(wellKnownAccount(name.toLowerCase()), name);
  }
  for (const name of [
    'admmig',
    'fsir',
    'sshd_server',
    'HealthMailboxf49e2c8',
    'DefaultAccount',
    'dwm',
    'MSOL_2826475d0356',
  ]) {
    assert.ok(!wellKnownAccount(name.toLowerCase()), name);
  }
  for (const ok of ['0x0', '0x00000000', '']) assert.ok(isSuccessStatus(ok), ok);
  for (const bad of ['0x00000012', '0x00000006', '0x1b', '0xc000006a', '0xc0000234'])
    assert.ok(!isSuccessStatus(bad), bad);
});

/** Every record of every Windows file in the corpus, through the format it belongs to. */
function everything(): RecordResult[] {
  const out: RecordResult[] = [];
  for (const dir of ['xml_rendered_libevtx', 'misc'])
    for (const f of listFiles(dir, '.xml')) out.push(...parseXmlFile(dir, f));
  for (const f of listFiles('otrf', '.ndjson'))
    out.push(
      ...ndjsonLines(f)
        .slice(1)
        .map((l) => parseJsonLine(l)),
    );
  for (const f of listFiles('winlogbeat_golden', '.json')) out.push(...parseGolden(f));
  return out;
}

test('every event from the whole corpus keeps the model invariants', () => {
  const results = everything();
  assert.equal(results.length, 1492 + 1 + 28 + 353 + 1806 + 109 + 9);
  const events = eventsOf(results);
  for (const e of events) {
    const where = JSON.stringify(e);
    assert.equal(e.source, 'windows-security');
    assert.equal(e.user, e.user.toLowerCase(), where);
    assert.ok(e.user !== '' && !e.user.endsWith('$'), where);
    assert.equal(e.domain, e.domain.toUpperCase(), where);
    assert.equal(e.workstation, e.workstation.toUpperCase(), where);
    assert.equal(e.reporter, e.reporter.toLowerCase(), where);
    assert.ok(e.reporter !== '', where);
    assert.ok(e.eventTimeMs >= Date.UTC(2015, 0, 1) && e.eventTimeMs < Date.UTC(2027, 0, 1), where);
    // Only logoffs, NTLM validation and lock/unlock may lack an address.
    if (e.ip === '') assert.ok(e.kind === 'USER_LOGOFF' || ['4776', '4800', '4801'].includes(e.sourceEventId), where);
    assert.ok(!e.ip.startsWith('::ffff:') && !e.ip.startsWith('127.') && e.ip !== '::1', where);
    if (e.kind === 'HOST_SEEN') assert.equal(e.workstation, e.user.toUpperCase(), where);
  }
  for (const r of results) assert.ok(r.events.length === 1 || (r.events.length === 0 && r.skipped), JSON.stringify(r));
});
