import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSyslogMessage } from '../src/syslog';
import { parseSyslog } from '../src/dhcp';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0); // 23 Nov 2026 (UTC: BSD times have no zone and are taken as UTC, see syslog/header.ts)

test('RFC 3164 with PRI, host and tag', () => {
  const m = parseSyslogMessage('<38>Nov 22 07:05:01 gw01 sshd[1234]: Accepted password for alice', NOW);
  assert.deepEqual(m, {
    time: Date.UTC(2026, 10, 22, 7, 5, 1),
    host: 'gw01',
    app: 'sshd',
    message: 'Accepted password for alice',
  });
});

test('RFC 3164 without a year: a date more than a day ahead is last year', () => {
  // PAN-OS sample header "Nov 30 16:09:08" read on 23 Nov 2026 is 7 days ahead: 2025.
  assert.equal(parseSyslogMessage('Nov 30 16:09:08 fw x', NOW).time, Date.UTC(2025, 10, 30, 16, 9, 8));
  // Less than a day ahead is clock skew, not last year.
  assert.equal(parseSyslogMessage('Nov 24 06:00:00 fw x', NOW).time, Date.UTC(2026, 10, 24, 6, 0, 0));
  // A December line read in January.
  const jan = Date.UTC(2027, 0, 2);
  assert.equal(parseSyslogMessage('Dec 31 23:59:59 fw x', jan).time, Date.UTC(2026, 11, 31, 23, 59, 59));
  // Single-digit days are space padded.
  assert.equal(parseSyslogMessage('Jun  9 00:03:48 fw x', NOW).time, Date.UTC(2026, 5, 9, 0, 3, 48));
});

test('RFC 3164 variants: no PRI, no host, no tag, year and milliseconds', () => {
  // PAN-OS sample lines: the token after the time is CSV, not a host.
  const pan = parseSyslogMessage('Nov 30 16:09:08 1,2021/03/24 11:00:49,013101001305,USERID,login', NOW);
  assert.deepEqual([pan.host, pan.app, pan.message], ['', '', '1,2021/03/24 11:00:49,013101001305,USERID,login']);
  // Cisco ISE: host, then a tag without colon, which stays in the message.
  const ise = parseSyslogMessage('<182>Apr 27 11:11:47 hijk.xyz.com CISE_RADIUS_Accounting 0000070618 1 0 x', NOW);
  assert.deepEqual([ise.host, ise.app, ise.message], ['hijk.xyz.com', '', 'CISE_RADIUS_Accounting 0000070618 1 0 x']);
  assert.equal(ise.time, Date.UTC(2026, 3, 27, 11, 11, 47));
  // A tag right after the time is not a host.
  const su = parseSyslogMessage('<13>Nov 22 07:05:01 su: session opened', NOW);
  assert.deepEqual([su.host, su.app, su.message], ['', 'su', 'session opened']);
  const year = parseSyslogMessage('<189>Apr 27 2020 11:11:47.250 10.0.0.1 %ASA-6-113004: AAA user ok', NOW);
  assert.equal(year.time, Date.UTC(2020, 3, 27, 11, 11, 47, 250));
  assert.equal(year.host, '10.0.0.1');
  const iso = parseSyslogMessage('<13>2021-03-24T11:00:49+01:00 fw01 app: hello', NOW);
  assert.deepEqual(iso, { time: Date.UTC(2021, 2, 24, 10, 0, 49), host: 'fw01', app: 'app', message: 'hello' });
});

test('RFC 5424 with structured data, escaped brackets and a BOM', () => {
  const line =
    '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="App]lication" x="a\\]b"][two@1 k="v"] \uFEFFAn application event';
  const m = parseSyslogMessage(line, NOW);
  assert.deepEqual(m, {
    time: Date.UTC(2003, 9, 11, 22, 14, 15, 3),
    host: 'mymachine.example.com',
    app: 'evntslog',
    message: 'An application event',
  });
  const nil = parseSyslogMessage('<14>1 - - - - - - just text', NOW);
  assert.deepEqual(nil, { time: NOW, host: '', app: '', message: 'just text' });
  // Palo Alto's log forwarding: CSV after a NILVALUE SD.
  const pan = parseSyslogMessage(
    '<14>1 2021-03-24T11:00:49+01:00 PA-VM - - - - 1,2021/03/24 11:00:49,0131,USERID,login',
    NOW,
  );
  assert.deepEqual([pan.host, pan.message], ['PA-VM', '1,2021/03/24 11:00:49,0131,USERID,login']);
});

test('neither format: the whole line (after a PRI) is the message, timed now', () => {
  const forti = parseSyslogMessage('<189>date=2020-04-23 time=12:32:48 devname="x" action="FSSO-logon"', NOW);
  assert.deepEqual(forti, {
    time: NOW,
    host: '',
    app: '',
    message: 'date=2020-04-23 time=12:32:48 devname="x" action="FSSO-logon"',
  });
  assert.deepEqual(
    parseSyslogMessage('1,2023/05/10 11:17:00,304565467,USERID\r\n', NOW).message,
    '1,2023/05/10 11:17:00,304565467,USERID',
  );
  for (const odd of ['', '<', '<999', 'Xyz 99 99:99:99 host', '<13>1 broken', '\u0000\u0001']) {
    assert.doesNotThrow(() => parseSyslogMessage(odd, NOW), odd);
  }
  assert.equal(parseSyslogMessage('Foo 12 10:00:00 h m', NOW).time, NOW);
});

test('one header parser: the syslog format and the DHCP readers read the same header the same way, in any time zone', () => {
  for (const line of [
    '<30>ene 06 12:48:19 kea kea-dhcp4[617]: x',
    'Jul 11 20:01:28 server dhcpd[902]: DHCPACK on 10.0.0.5',
    '<13>1 2024-05-01T10:00:00.123+02:00 srv dhcpd 902 - - x',
  ]) {
    const m = parseSyslogMessage(line, NOW);
    const d = parseSyslog(line, NOW);
    assert.ok(d, line);
    assert.deepEqual([d.timeMs, d.host, d.message], [m.time, m.host, m.message], line);
  }
  // A BSD time has no zone: UTC, whatever the reading host's zone (TZ is not consulted).
  assert.equal(parseSyslogMessage('Jul 11 20:01:28 server dhcpd[902]: x', NOW).time, Date.UTC(2026, 6, 11, 20, 1, 28));
  // An impossible date: the syslog format falls back to the receive time; DHCP says it cannot read it.
  assert.equal(parseSyslogMessage('Feb 30 10:00:00 host app: x', NOW).time, NOW);
  assert.ok(Number.isNaN(parseSyslog('Feb 30 10:00:00 host app: x', NOW)?.timeMs));
});
