import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { windowsXmlFormat } from '../src/windows';
import {
  count,
  eventsOf,
  listFiles,
  malformedOf,
  onlyEvent,
  parseXmlFile,
  parseXmlText,
  splitXml,
  winPath,
} from './windows-test-data';

const LIBEVTX = 'xml_rendered_libevtx';
const KERBRUTE =
  'EVTX-to-MITRE-Attack__TA0006-Credential_Access_T1110.xxx-Brut_force_ID4768-4771-Kerberos_user_enumeration__Kerbrute_.xml';
const KERBEROAST =
  'EVTX-to-MITRE-Attack__TA0006-Credential_Access_T1558-Steal_or_Forge_Kerberos_Tickets_ID4769-Kerberoast_ticket_with_low_encryption.xml';
const MISC_4769 = '4769_v2_server2025_fields_unknown_repo.xml';

test('every libevtx and misc XML file splits into its <Event> records and parses with no malformed record', () => {
  for (const [dir, files] of [
    [LIBEVTX, listFiles(LIBEVTX, '.xml')],
    ['misc', listFiles('misc', '.xml')],
  ] as const) {
    assert.ok(files.length > 0, dir);
    for (const file of files) {
      const buf = fs.readFileSync(winPath(dir, file));
      // Independent count: the records are the `<Event xmlns=` openings in the file.
      const expected = buf.toString('utf8').match(/<Event xmlns=/g)?.length ?? 0;
      const { records, consumed } = splitXml(buf);
      assert.equal(records.length, expected, file);
      assert.equal(consumed, buf.length, file);
      const results = parseXmlFile(dir, file);
      assert.deepEqual(malformedOf(results), [], file);
      for (const r of results) assert.ok(r.events.length > 0 || r.skipped, file);
    }
  }
});

test('files with 4624s from real client addresses give USER_LOGON events', () => {
  // A 4624 a person could be mapped from: a named, non-service, non-machine account and an address
  // that is not '-' or loopback. Read straight from the text, independently of the parser.
  const service = /^(SYSTEM|LOCAL SERVICE|NETWORK SERVICE|ANONYMOUS LOGON|DWM-\d+|UMFD-\d+|-)$/i;
  let checked = 0;
  for (const file of listFiles(LIBEVTX, '.xml')) {
    const text = fs.readFileSync(winPath(LIBEVTX, file), 'utf8');
    const personal = (text.match(/<Event xmlns=[\s\S]*?<\/Event>/g) ?? []).filter((ev) => {
      const user = /Name="TargetUserName">([^<]*)</.exec(ev)?.[1] ?? '-';
      const ip = /Name="IpAddress">([^<]*)</.exec(ev)?.[1] ?? '-';
      return ev.includes('<EventID>4624<') && !service.test(user) && !user.endsWith('$') && !/^(-|::1|127\.)/.test(ip);
    });
    const logons = count(eventsOf(parseXmlFile(LIBEVTX, file)), 'USER_LOGON');
    assert.equal(logons, personal.length, file);
    if (personal.length > 0) checked++;
  }
  assert.equal(checked, 28); // files with such a 4624 (python over the same XML)
});

test('USER_LOGON counts for named files (counted with grep/python over the XML)', () => {
  const expected: Array<[string, number]> = [
    ['EVTX-to-MITRE-Attack__EVTX_full_APT_attack_steps_ID5145-4624-DonPAPI_full_extraction.xml', 14],
    [
      'EVTX-to-MITRE-Attack__TA0002-Execution_T1047-Windows_Management_Instrumentation_ID4688-5145-WMIexec_execution_via_SMB.xml',
      15,
    ],
    [
      'EVTX-to-MITRE-Attack__TA0006-Credential_Access_T1558-Steal_or_Forge_Kerberos_Tickets_ID4624-Success_login_with_Golden_ticket.xml',
      10,
    ],
    [
      'EVTX-ATTACK-SAMPLES__Privilege_Escalation_samaccount_spoofing_CVE-2021-42287_CVE-2021-42278_DC_securitylogs.xml',
      4,
    ],
    // Workstation logs: 583 4624s, all SYSTEM/services or from '-', 127.0.0.1 or ::1.
    ['omerbenamram-evtx_samples_security.xml', 0],
    ['EVTX-ATTACK-SAMPLES__Command_and_Control_DE_RDP_Tunneling_4624.xml', 0],
  ];
  for (const [file, n] of expected) assert.equal(count(eventsOf(parseXmlFile(LIBEVTX, file)), 'USER_LOGON'), n, file);
});

test('4768 TGTs in the Kerbrute capture: 5 successes mapped with the ::ffff: prefix stripped, 15 failures skipped', () => {
  const results = parseXmlFile(LIBEVTX, KERBRUTE);
  const events = eventsOf(results);
  assert.deepEqual(
    events.map((e) => [e.kind, e.user, e.domain, e.ip]),
    ['admmig', 'admin-test', 'hack1', 'hacker2', 'dsrm'].map((u) => ['USER_ACTIVITY', u, 'OFFSEC.LAN', '10.23.123.11']),
  );
  const first = events[0];
  assert.ok(first);
  assert.equal(first.reporter, 'rootdc1.offsec.lan');
  assert.equal(first.sourceEventId, '4768');
  // SystemTime="2021-12-03T12:06:03.847266800Z": 9 fractional digits, truncated to ms.
  assert.equal(first.eventTimeMs, Date.UTC(2021, 11, 3, 12, 6, 3, 847));
  const skipped = results.map((r) => r.skipped ?? '');
  assert.equal(skipped.filter((s) => s === 'event 4768 (Kerberos TGT) failed with status 0x00000012').length, 15);
  assert.equal(
    skipped.filter((s) => s.startsWith('event 4771 (Kerberos pre-authentication failed) is counted')).length,
    22,
  );
});

test('plain and IPv4-mapped addresses from one client give one key (pwd-spray capture)', () => {
  const events = eventsOf(parseXmlFile(LIBEVTX, 'EVTX-ATTACK-SAMPLES__Credential_Access_kerberos_pwd_spray_4771.xml'));
  // The DC logged user "normal" once as 172.16.66.1 and once as ::ffff:172.16.66.1.
  assert.deepEqual(
    events.map((e) => [e.user, e.domain, e.ip, e.reporter]),
    [
      ['normal', 'THREEBEESCO.COM', '172.16.66.1', '01566s-win16-ir.threebeesco.com'],
      ['normal', 'THREEBEESCO.COM', '172.16.66.1', '01566s-win16-ir.threebeesco.com'],
    ],
  );
});

test('4769s in the Kerberoast capture: machine accounts become HOST_SEEN, ::1 and failures are skipped', () => {
  const results = parseXmlFile(LIBEVTX, KERBEROAST);
  const events = eventsOf(results);
  const hosts = events.filter((e) => e.kind === 'HOST_SEEN');
  assert.equal(hosts.length, 6); // WEC01$@OFFSEC.LAN from ::ffff:10.23.42.22, six times
  for (const h of hosts)
    assert.deepEqual([h.user, h.domain, h.workstation, h.ip], ['wec01', 'OFFSEC.LAN', 'WEC01', '10.23.42.22']);
  const users = events.filter((e) => e.kind === 'USER_ACTIVITY');
  assert.deepEqual(
    users.map((e) => [e.user, e.domain, e.ip]),
    [['admmig', 'OFFSEC.LAN', '10.23.23.9']],
  );
  const skipped = results.map((r) => r.skipped).filter((s) => s !== undefined);
  assert.deepEqual(skipped, [
    'event 4769 (Kerberos service ticket) failed with status 0x00000025',
    'event 4769 (Kerberos service ticket) has no usable client address (::1)',
    'event 4769 (Kerberos service ticket) has no usable client address (::1)',
  ]);
});

test('4624: logons over an RDP tunnel come from 127.0.0.1 and are skipped', () => {
  const results = parseXmlFile(LIBEVTX, 'EVTX-ATTACK-SAMPLES__Command_and_Control_DE_RDP_Tunneling_4624.xml');
  const reasons = results.map((r) => r.skipped ?? '');
  // IEUser logged on 3 times (type 2 twice, type 10 once) from 127.0.0.1; '-' for SYSTEM's service logons.
  assert.equal(reasons.filter((s) => s === 'event 4624 (logon) has no usable client address (127.0.0.1)').length, 3);
  assert.equal(reasons.filter((s) => s === 'event 4624 (logon) has no usable client address (-)').length, 1);
  assert.equal(eventsOf(results).length, 0);
});

test('4624: a person from a real address is USER_LOGON, a computer account is HOST_SEEN with its IPv6 address', () => {
  const spoof = eventsOf(
    parseXmlFile(
      LIBEVTX,
      'EVTX-ATTACK-SAMPLES__Privilege_Escalation_samaccount_spoofing_CVE-2021-42287_CVE-2021-42278_DC_securitylogs.xml',
    ),
  );
  const logons = spoof.filter((e) => e.kind === 'USER_LOGON');
  assert.equal(logons.length, 4);
  for (const e of logons) assert.deepEqual([e.user, e.ip, e.logonType], ['lgrove', '172.16.66.19', 3]);
  assert.deepEqual(logons.map((e) => e.workstation).sort(), ['', '04246W-WIN10', '04246W-WIN10', '04246W-WIN10']);

  const disc = eventsOf(
    parseXmlFile(LIBEVTX, 'EVTX-ATTACK-SAMPLES__Discovery_dicovery_4661_net_group_domain_admins_target.xml'),
  );
  const hosts = disc.filter((e) => e.kind === 'HOST_SEEN');
  assert.equal(hosts.length, 2);
  for (const h of hosts) {
    assert.deepEqual(
      [h.user, h.workstation, h.ip],
      ['win-77ltaphiq1r', 'WIN-77LTAPHIQ1R', 'fe80::79bf:8ee2:433c:2567'],
    );
  }
  assert.deepEqual(
    disc.filter((e) => e.kind === 'USER_LOGON').map((e) => [e.user, e.ip]),
    [['user01', '10.0.2.17']],
  );
});

test('4778/4779 RDP reconnect and disconnect are activity at the client address, not logoff', () => {
  const events = eventsOf(
    parseXmlFile(
      LIBEVTX,
      'EVTX-to-MITRE-Attack__TA0008-Lateral_Movement_T1021.001-Remote_Desktop_Protocol_ID4688_4778_4779_RDP_hijack_direct.xml',
    ),
  );
  assert.deepEqual(
    events.map((e) => [e.sourceEventId, e.kind, e.user, e.domain, e.ip, e.workstation, e.reporter]),
    [
      ['4779', 'USER_ACTIVITY', 'admmig', 'OFFSEC', '10.23.23.9', 'JUMP01', 'fs01.offsec.lan'],
      ['4778', 'USER_ACTIVITY', 'admmarsid', 'OFFSEC', '10.23.23.9', 'JUMP01', 'fs01.offsec.lan'],
    ],
  );
});

test('single-quoted Get-WinEvent ToXml() record (4769 v2, 7-digit time, multi-line Data)', () => {
  const [only, ...rest] = parseXmlFile('misc', MISC_4769);
  assert.equal(rest.length, 0);
  const e = onlyEvent(only);
  assert.deepEqual(
    [e.kind, e.user, e.domain, e.ip, e.reporter],
    ['USER_ACTIVITY', 'jsmith', 'CORP.CONTOSO.COM', '10.0.0.10', 'dc01.corp.contoso.com'],
  );
  // SystemTime='2026-01-28T13:19:22.1760027Z'
  assert.equal(e.eventTimeMs, Date.UTC(2026, 0, 28, 13, 19, 22, 176));
});

/** The end offsets of every `</Event>` in a buffer. */
function recordEnds(buf: Buffer): number[] {
  const ends: number[] = [];
  for (let i = buf.indexOf('</Event>'); i >= 0; i = buf.indexOf('</Event>', i + 1)) ends.push(i + '</Event>'.length);
  return ends;
}

test('entities and empty <Data></Data> elements (derived from real records)', () => {
  const real = fs.readFileSync(winPath('misc', MISC_4769), 'utf8');
  const e = onlyEvent(parseXmlText(real.replace('jsmith@corp', 'j&amp;&#x73;mith@corp'))[0]);
  assert.equal(e.user, 'j&smith');
  // 4776 with an empty Workstation element, written both ways Windows writes empty values.
  const ntlm = fs.readFileSync(
    winPath(LIBEVTX, 'EVTX-ATTACK-SAMPLES__Defense_Evasion_DE_suspicious_remote_eventlog_svc_access_5145.xml'),
    'utf8',
  );
  const selfClosing = parseXmlText(ntlm).map((r) => r.skipped ?? '');
  const openClose = parseXmlText(ntlm.replace(/<Data Name="Workstation"\/>/g, '<Data Name="Workstation"></Data>')).map(
    (r) => r.skipped ?? '',
  );
  assert.deepEqual(openClose, selfClosing);
  assert.equal(
    selfClosing.filter((s) => s === 'event 4776 (NTLM validation) names neither client address nor workstation').length,
    2,
  );
});

test('malformed input is reported, never thrown', () => {
  // The Microsoft docs copy has IE's "- " collapse markers. The one before <Event> stands outside
  // any element and is reported; those inside are just (ignored) text, so the record still maps.
  const raw = fs.readFileSync(winPath('msdocs_event_xml', 'event-4768.xml'), 'utf8');
  const results = parseXmlText(raw);
  assert.equal(results.length, 2);
  assert.deepEqual(results[0]?.events, []);
  assert.match(results[0]?.skipped ?? '', /^malformed XML: /);
  assert.deepEqual([onlyEvent(results[1]).user, onlyEvent(results[1]).ip], ['dadmin', '10.0.0.12']);
  // A file cut off mid-record: the complete record still maps, the rest is reported at end().
  const real = fs.readFileSync(winPath(LIBEVTX, KERBEROAST));
  const cut = real.subarray(0, recordEnds(real)[1]! + 300);
  const { records, consumed } = splitXml(cut);
  assert.equal(records.length, 3);
  assert.equal(consumed, cut.length);
  const parsed = records.map(windowsXmlFormat.createParser());
  assert.match(parsed[2]?.skipped ?? '', /^malformed XML: /);
  assert.equal(onlyEvent(parsed[1]).user, 'admmig');
});
