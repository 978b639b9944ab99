import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sambaAuditFormat, parseSambaTime } from '../src/samba';

/**
 * The `samba-audit` rules that the recorded files do not exercise on their own. Each input starts
 * from a real line of lab/samba-4.17-ad-dc-mixed.jsonl (carol's LDAP simple bind, line 46) with
 * one field changed, so only that field's rule is under test.
 */
const CAROL = {
  timestamp: '2026-11-22T10:10:12.453668+0000',
  type: 'Authentication',
  Authentication: {
    version: { major: 1, minor: 2 },
    eventId: 4624,
    logonId: '0',
    logonType: 8,
    status: 'NT_STATUS_OK',
    localAddress: 'ipv4:198.18.0.1:389',
    remoteAddress: 'ipv4:198.18.0.13:56000',
    serviceDescription: 'LDAP',
    authDescription: 'simple bind',
    clientDomain: 'CORP',
    clientAccount: 'CORP\\carol',
    workstation: 'DC1',
    becameAccount: 'carol',
    becameDomain: 'CORP',
    becameSid: 'S-1-5-21-200927388-745672358-3635264124-1105',
    mappedAccount: 'carol',
    mappedDomain: 'CORP',
    passwordType: 'Plaintext',
    duration: 1276714,
  },
};

function carolWith(changes: Record<string, unknown>, top: Record<string, unknown> = {}): string {
  return '  ' + JSON.stringify({ ...CAROL, ...top, Authentication: { ...CAROL.Authentication, ...changes } });
}

const parseOne = (line: string) => sambaAuditFormat.createParser()(line);

test('the format is named samba-audit and splits lines', () => {
  assert.equal(sambaAuditFormat.name, 'samba-audit');
  const s = sambaAuditFormat.createSplitter();
  assert.deepEqual(s.push(Buffer.from(`${carolWith({})}\n  {"timestamp"`)), [carolWith({})]);
  assert.deepEqual(s.end(), ['  {"timestamp"']);
});

test('timestamps with a numeric offset and microseconds', () => {
  assert.equal(parseSambaTime('2021-12-03T19:44:45.497062-0600'), Date.UTC(2021, 11, 4, 1, 44, 45, 497));
  assert.equal(parseSambaTime('2020-04-08T10:30:19.566098+0300'), Date.UTC(2020, 3, 8, 7, 30, 19, 566));
  assert.equal(parseSambaTime('2026-11-22T10:10:12+00:00'), Date.UTC(2026, 10, 22, 10, 10, 12));
  assert.ok(Number.isNaN(parseSambaTime('Fri, 03 Dec 2021 19:44:45')));
  assert.match(parseOne(carolWith({}, { timestamp: 'yesterday' })).skipped ?? '', /no usable timestamp/);
});

test('identity: became*, then mapped*, then clientAccount as UPN or DN', () => {
  assert.equal(parseOne(carolWith({})).events[0]?.user, 'carol');
  const mapped = parseOne(
    carolWith({ becameAccount: null, becameDomain: null, mappedAccount: 'Carol', mappedDomain: 'corp' }),
  ).events[0];
  assert.deepEqual([mapped?.user, mapped?.domain], ['carol', 'CORP']);
  const upn = parseOne(
    carolWith({ becameAccount: null, mappedAccount: null, clientAccount: 'carol@CORP.EXAMPLE.TEST' }),
  ).events[0];
  assert.deepEqual([upn?.user, upn?.domain], ['carol', 'CORP.EXAMPLE.TEST']);
  // The 2022 mailing-list bind used a DN as clientAccount (`CN=user,CN=Users,DC=xxx,DC=yyy,DC=de`).
  const dn = parseOne(
    carolWith({
      becameAccount: null,
      mappedAccount: null,
      clientAccount: 'CN=Carol Lab\\, Jr,CN=Users,DC=corp,DC=example,DC=test',
    }),
  ).events[0];
  assert.deepEqual([dn?.user, dn?.domain], ['carol lab, jr', 'CORP']);
  assert.match(
    parseOne(carolWith({ becameAccount: '', mappedAccount: '', clientAccount: '' })).skipped ?? '',
    /names no account/,
  );
});

test('defaultDomain fills a missing domain only', () => {
  const parse = sambaAuditFormat.createParser({ defaultDomain: 'corp' });
  const e = parse(carolWith({ becameDomain: null, mappedDomain: null, clientDomain: null, becameAccount: 'carol' }))
    ?.events[0];
  assert.equal(e?.domain, 'CORP');
});

test('noise: no client address, well-known accounts', () => {
  for (const addr of ['unix:', 'ipv6::::0', 'ipv4:127.0.0.1:445', 'ipv6:::1:445', null]) {
    assert.match(
      parseOne(carolWith({ remoteAddress: addr })).skipped ?? '',
      /has no usable client address/,
      String(addr),
    );
  }
  for (const [account, domain] of [
    ['SYSTEM', 'NT AUTHORITY'],
    ['ANONYMOUS LOGON', 'NT AUTHORITY'],
    ['LOCAL SERVICE', 'NT AUTHORITY'],
  ]) {
    assert.match(parseOne(carolWith({ becameAccount: account, becameDomain: domain })).skipped ?? '', /not a person/);
  }
});

test('workstation: kept for NTLM, dropped for LDAP simple binds (Samba writes its own name there)', () => {
  assert.equal(parseOne(carolWith({})).events[0]?.workstation, '');
  assert.equal(parseOne(carolWith({ authDescription: 'simple bind/TLS' })).events[0]?.workstation, '');
  const ntlm = parseOne(
    carolWith({ serviceDescription: 'SMB2', authDescription: 'NTLMSSP', workstation: 'wks-carol', logonType: 3 }),
  ).events[0];
  assert.deepEqual([ntlm?.workstation, ntlm?.logonType], ['WKS-CAROL', 3]);
});

test('duplicates: same account, address, service and status within 2 s; not across addresses or after 2 s', () => {
  const parse = sambaAuditFormat.createParser();
  const krb = { serviceDescription: 'Kerberos KDC', authDescription: 'ENC-TS Pre-authentication', logonType: 3 };
  assert.equal(parse(carolWith(krb)).events.length, 1);
  assert.equal(
    parse(carolWith({ ...krb, remoteAddress: 'ipv4:198.18.0.13:40000' })).skipped,
    'duplicate of the previous record (kinit UDP retry)',
  );
  assert.equal(parse(carolWith({ ...krb, remoteAddress: 'ipv4:198.18.0.14:40000' })).events.length, 1);
  assert.equal(parse(carolWith(krb)).skipped, 'duplicate of the previous record (kinit UDP retry)');
  assert.equal(parse(carolWith(krb, { timestamp: '2026-11-22T10:10:14.600000+0000' })).events.length, 1);
  // Another service is another logon: the LDAP bind at the same moment still counts.
  assert.equal(parse(carolWith({})).events.length, 1);
});

test('Authorization records: ticket or session use at the DC', () => {
  const line = JSON.stringify({
    timestamp: '2026-11-22T10:09:25.222000+0000',
    type: 'Authorization',
    Authorization: {
      remoteAddress: 'ipv4:198.18.0.11:53648',
      serviceDescription: 'SMB2',
      authType: 'krb5',
      domain: 'CORP',
      account: 'alice',
      logonServer: 'DC1',
    },
  });
  const e = parseOne(line).events[0];
  assert.deepEqual(
    [e?.kind, e?.user, e?.domain, e?.ip, e?.reporter, e?.sourceEventId],
    ['USER_ACTIVITY', 'alice', 'CORP', '198.18.0.11', 'dc1', 'authz'],
  );
  const machine = parseOne(line.replace('"alice"', '"WS02$"')).events[0];
  assert.deepEqual([machine?.kind, machine?.user, machine?.workstation], ['HOST_SEEN', 'ws02', 'WS02']);
});

test('anything else is skipped with a reason, never thrown', () => {
  const parse = sambaAuditFormat.createParser();
  for (const junk of [
    'hello',
    '{"timestamp": "x"',
    '[1,2]',
    '{"no":"type"}',
    '{"type": 5}',
    'null',
    '{"type":"Authentication"}',
    '{"type":"Authentication","Authentication":[]}',
  ]) {
    const r = parse(junk);
    assert.deepEqual(r.events, [], junk);
    assert.ok(r.skipped, junk);
  }
  assert.match(parse('hello').skipped ?? '', /^not a Samba audit record: /);
  assert.match(parse('{"no":"type"}').skipped ?? '', /^not a Samba audit record: JSON without a "type" field/);
  assert.equal(
    parse('{"timestamp":"2026-11-22T10:09:25+0000","type":"passwordChange","passwordChange":{}}').skipped,
    'Samba passwordChange record is not logon evidence',
  );
});
