import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AgentEvent, RecordResult } from '../src/model';
import { sambaAuditFormat } from '../src/samba';

/**
 * The `samba-audit` format on audit lines real Samba servers wrote: the project's own Samba 4.17
 * lab recordings and lines users posted publicly (see shared/data/README.md, section 2 and the
 * `samba_auth_audit/lab` section). Every expected value below was read from those files.
 */

// This file runs as packages/dc-agent/dist/test/samba-audit.test.js; shared/data sits beside the repository.
const DATA = process.env['FSSO_SHARED_DATA'] ?? resolve(__dirname, '../../../../../shared/data');
const AUDIT = join(DATA, 'samba_auth_audit');

function lines(file: string): string[] {
  const p = join(AUDIT, file);
  assert.ok(existsSync(p), `recorded data not found at ${p}; set FSSO_SHARED_DATA to the shared/data folder`);
  return readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

/** Every line of a file through one parser (one stream), results by 1-based line number. */
function parseFile(file: string): RecordResult[] {
  const parse = sambaAuditFormat.createParser();
  return lines(file).map((l) => parse(l));
}

function eventAt(results: RecordResult[], line: number): AgentEvent {
  const r = results[line - 1];
  assert.ok(r, `no line ${line}`);
  assert.equal(r.skipped, undefined, `line ${line} was skipped: ${r.skipped ?? ''}`);
  assert.equal(r.events.length, 1, `line ${line} should give one event`);
  return r.events[0] as AgentEvent;
}

function skippedAt(results: RecordResult[], line: number): string {
  const r = results[line - 1];
  assert.ok(r, `no line ${line}`);
  assert.deepEqual(r.events, [], `line ${line} should give no event`);
  assert.ok(r.skipped, `line ${line} should say why it was skipped`);
  return r.skipped;
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) =>
    statSync(join(dir, f)).isDirectory() ? allFiles(join(dir, f)).map((g) => join(f, g)) : [f],
  );
}

test('every recorded line parses without throwing and either maps or says why not', () => {
  const files = allFiles(AUDIT);
  assert.ok(files.length >= 9, `expected the recorded Samba files, found ${files.join(', ')}`);
  for (const file of files) {
    for (const [i, r] of parseFile(file).entries()) {
      assert.ok(r.events.length > 0 || (r.skipped ?? '') !== '', `${file}:${i + 1} gave neither events nor a reason`);
      for (const e of r.events) assert.equal(e.source, 'samba-audit');
    }
  }
});

test('lab recording: Kerberos, NTLM and LDAP logons from client addresses (Samba 4.17)', () => {
  const r = parseFile('lab/samba-4.17-ad-dc-mixed.jsonl');
  assert.equal(r.length, 105);

  // Line 1: alice's AS-REQ from 198.18.0.11 (kinit); timestamp 2026-11-22T10:08:36.624...+0000.
  assert.deepEqual(eventAt(r, 1), {
    kind: 'USER_LOGON',
    user: 'alice',
    domain: 'CORP',
    ip: '198.18.0.11',
    workstation: '',
    mac: '',
    eventTimeMs: Date.parse('2026-11-22T10:08:36.624Z'),
    source: 'samba-audit',
    sourceEventId: '4624',
    logonType: 3,
    reporter: '',
  });
  // Line 2 is the same AS-REQ again 11 ms later (UDP reply too big, kinit retried over TCP).
  assert.equal(skippedAt(r, 2), 'duplicate of the previous record (kinit UDP retry)');
  assert.equal(skippedAt(r, 13), 'duplicate of the previous record (kinit UDP retry)');

  // Line 15: bob over SMB2/NTLMSSP from 198.18.0.12 as workstation WKS-BOB01.
  const bob = eventAt(r, 15);
  assert.deepEqual(
    [bob.kind, bob.user, bob.domain, bob.ip, bob.workstation, bob.logonType],
    ['USER_LOGON', 'bob', 'CORP', '198.18.0.12', 'WKS-BOB01', 3],
  );

  // Line 14: alice's Kerberos ticket used at the DC's SMB server: Authorization, no Authentication.
  const use = eventAt(r, 14);
  assert.deepEqual(
    [use.kind, use.user, use.ip, use.sourceEventId, use.reporter, use.logonType],
    ['USER_ACTIVITY', 'alice', '198.18.0.11', 'authz', 'dc1', 3],
  );

  // Line 46: carol's LDAP simple bind as CORP\carol from 198.18.0.13, logon type 8. Samba writes
  // its own name (DC1) as "workstation" for simple binds; that is not the client's name.
  const carol = eventAt(r, 46);
  assert.deepEqual(
    [carol.kind, carol.user, carol.domain, carol.ip, carol.workstation, carol.logonType],
    ['USER_LOGON', 'carol', 'CORP', '198.18.0.13', '', 8],
  );

  // Failures: wrong passwords (SMB2, Kerberos, LDAP) and an unknown user are counted, not mapped.
  assert.equal(skippedAt(r, 17), 'Samba Authentication (SMB2) failed with status NT_STATUS_WRONG_PASSWORD');
  assert.equal(skippedAt(r, 18), 'Samba Authentication (Kerberos KDC) failed with status NT_STATUS_WRONG_PASSWORD');
  assert.equal(skippedAt(r, 19), 'Samba Authentication (Kerberos KDC) failed with status NT_STATUS_NO_SUCH_USER');
  assert.equal(skippedAt(r, 25), 'Samba Authentication (LDAP) failed with status NT_STATUS_WRONG_PASSWORD');

  // Samba's own noise: anonymous LDAP, the DC's machine account over loopback, SYSTEM RPC pipes,
  // ntlm_auth via winbind (remote address "unix:").
  assert.match(skippedAt(r, 3), /anonymous logon, not a person/);
  assert.match(skippedAt(r, 5), /for dc1\$ has no usable client address \(ipv4:127\.0\.0\.1:56527\)/);
  assert.match(skippedAt(r, 54), /system, not a person/);
  assert.match(skippedAt(r, 62), /for alice has no usable client address \(unix:\)/);

  // Overall: only people at the client addresses; nothing from loopback, unix: or ipv6::::0.
  const events = r.flatMap((x) => x.events);
  const seen = new Set(events.map((e) => `${e.kind} ${e.user} ${e.ip}`));
  assert.deepEqual([...seen].sort(), [
    'USER_ACTIVITY administrator 198.18.0.12',
    'USER_ACTIVITY alice 198.18.0.11',
    'USER_ACTIVITY bob 198.18.0.12',
    'USER_ACTIVITY carol 198.18.0.13',
    'USER_LOGON administrator 198.18.0.12',
    'USER_LOGON alice 198.18.0.11',
    'USER_LOGON bob 198.18.0.12',
    'USER_LOGON carol 198.18.0.13',
  ]);
  for (const e of events) assert.match(e.ip, /^198\.18\.0\.1[123]$/);
});

test('kinit retries collapse within one stream; three AS-REQs within 0.6 s give one logon', () => {
  const r = parseFile('lab/samba-4.17-ad-dc-mixed.jsonl');
  assert.equal(eventAt(r, 27).user, 'alice');
  assert.equal(skippedAt(r, 28), 'duplicate of the previous record (kinit UDP retry)');
  assert.equal(skippedAt(r, 29), 'duplicate of the previous record (kinit UDP retry)');
  // A new stream has no memory of the first: the same line 2 maps on its own.
  const second = lines('lab/samba-4.17-ad-dc-mixed.jsonl')[1] ?? '';
  assert.equal(sambaAuditFormat.createParser()(second).events[0]?.user, 'alice');
});

test('machine accounts: HOST_SEEN from a real address, skipped when only on the DC itself', () => {
  // distinct-client-ips line 2: the DC's own account DC1$ over DCE/RPC from its bridge address to
  // that same address: self-traffic, skipped by default (self-traffic.test.ts); kept, it is HOST_SEEN.
  const d = parseFile('lab/samba-4.17-distinct-client-ips.jsonl');
  assert.match(skippedAt(d, 2), /^self-traffic: /);
  const host = sambaAuditFormat.createParser({ selfTraffic: 'keep' })(
    lines('lab/samba-4.17-distinct-client-ips.jsonl')[1] ?? '',
  ).events[0];
  assert.deepEqual(
    [host?.kind, host?.user, host?.domain, host?.ip, host?.workstation],
    ['HOST_SEEN', 'dc1', 'CORP', '10.199.0.1', 'DC1'],
  );
  const carol = eventAt(d, 28);
  assert.deepEqual(
    [carol.kind, carol.user, carol.ip, carol.workstation],
    ['USER_LOGON', 'carol', '10.199.0.11', 'WS1'],
  );
  const bob = eventAt(d, 32);
  assert.deepEqual([bob.kind, bob.user, bob.ip, bob.workstation], ['USER_LOGON', 'bob', '10.199.1.12', 'WS2']);
  assert.equal(eventAt(d, 27).kind, 'USER_ACTIVITY'); // alice's ticket at SMB2

  // machine-account file: WS01$ was recorded from 127.0.0.1 (client on the DC host), which names no
  // client, so every WS01$ line is skipped and says which account it was.
  const m = parseFile('lab/samba-4.17-machine-account.jsonl');
  for (const line of [1, 2, 3, 4])
    assert.match(skippedAt(m, line), /for ws01\$ has no usable client address \(ipv4:127\.0\.0\.1:\d+\)/);
  assert.deepEqual(
    m.flatMap((x) => x.events),
    [],
  );

  // The same recorded lines with only the client address moved off loopback (the DC's local
  // address stays, else it would be self-traffic): WS01$ is HOST_SEEN, the workstation is the
  // account's host name (not the "VM" the SMB client sent).
  const parse = sambaAuditFormat.createParser();
  const moved = lines('lab/samba-4.17-machine-account.jsonl').map((l) =>
    l.replace(/"remoteAddress": "ipv4:127\.0\.0\.1:(\d+)"/g, '"remoteAddress": "ipv4:198.18.0.21:$1"'),
  );
  const kerberos = parse(moved[0] ?? '').events[0];
  assert.deepEqual(
    [kerberos?.kind, kerberos?.user, kerberos?.ip, kerberos?.workstation],
    ['HOST_SEEN', 'ws01', '198.18.0.21', 'WS01'],
  );
  assert.equal(parse(moved[1] ?? '').skipped, 'duplicate of the previous record (kinit UDP retry)');
  const smb = parse(moved[2] ?? '').events[0];
  assert.deepEqual([smb?.kind, smb?.user, smb?.workstation, smb?.logonType], ['HOST_SEEN', 'ws01', 'WS01', 3]);
  const authz = parse(moved[3] ?? '').events[0];
  assert.deepEqual([authz?.kind, authz?.user, authz?.reporter], ['HOST_SEEN', 'ws01', 'dc1']);
});

test('lines users posted: Samba 4.7 (format 1.0) success and a 1.2 failure', () => {
  const r = parseFile('samba_auth_json_singleline.jsonl');
  // becameDomain NLTP-OFFICE wins over the clientDomain/mappedDomain NLTP-OFFICE.COM the client typed;
  // format 1.0 has no eventId or logonType.
  assert.deepEqual(eventAt(r, 1), {
    kind: 'USER_LOGON',
    user: 'administrator',
    domain: 'NLTP-OFFICE',
    ip: '192.168.0.18',
    workstation: 'PAC6053-VM',
    mac: '',
    eventTimeMs: Date.parse('2020-04-08T07:30:19.566Z'),
    source: 'samba-audit',
    sourceEventId: 'auth',
    logonType: 3,
    reporter: '',
  });
  assert.equal(skippedAt(r, 2), 'Samba Authentication (SMB2) failed with status NT_STATUS_LOGON_FAILURE');

  // log.samba at level 3 carries the same object after "JSON Authentication: "; the rest is prose.
  const log = parseFile('forum_2020-04-08_samba476_ubuntu1804_log.samba.txt');
  assert.deepEqual(
    log.flatMap((x) => x.events).map((e) => [e.user, e.ip]),
    [['administrator', '192.168.0.18']],
  );
  assert.match(skippedAt(log, 1), /^not a Samba audit record: not JSON/);
});
