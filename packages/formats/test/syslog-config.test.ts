import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@fsso/common';
import { BUILTIN_PROFILES, epochToMs, readAccount, syslogFormat, validateProfiles } from '../src/syslog';

/** Runs validateProfiles and returns the ConfigError's field and message. */
function configError(raw: unknown, field = 'sources[2].profiles'): { field: string; message: string } {
  try {
    validateProfiles(raw, field);
  } catch (err: unknown) {
    if (err instanceof ConfigError) return { field: err.field, message: err.message };
    throw err;
  }
  assert.fail('expected a ConfigError');
}

const ok = { name: 'x', pattern: '(?<user>\\S+) at (?<ip>\\S+)', kind: 'USER_LOGON' };

test('validateProfiles: the built-ins pass, by object or by name', () => {
  assert.deepEqual(validateProfiles([...BUILTIN_PROFILES], 'p'), [...BUILTIN_PROFILES]);
  assert.deepEqual(
    validateProfiles(['fortigate', ok], 'p').map((p) => p.name),
    ['fortigate', 'x'],
  );
});

test('validateProfiles: every error names its field', () => {
  const bad = configError([ok, { name: 'y', pattern: '(?<user>[a-z+ (?<ip>x)', kind: 'USER_LOGON' }]);
  assert.equal(bad.field, 'sources[2].profiles[1].pattern');
  assert.match(bad.message, /^sources\[2\]\.profiles\[1\]\.pattern: invalid regular expression: .+; /);

  const cases: Array<[unknown, string, RegExp]> = [
    [{}, 'sources[2].profiles', /non-empty list/],
    [[], 'sources[2].profiles', /non-empty list/],
    [['nope'], 'sources[2].profiles[0]', /not a built-in profile; use one of panos-userid, panos-globalprotect/],
    [[42], 'sources[2].profiles[0]', /expected an object/],
    [[{ ...ok, name: '' }], 'sources[2].profiles[0].name', /non-empty string/],
    [[{ ...ok, pattern: '(?<user>\\S+)' }], 'sources[2].profiles[0].pattern', /no named group \(\?<ip>…\)/],
    [[{ ...ok, pattern: '(\\S+) (\\S+)' }], 'sources[2].profiles[0].pattern', /\(\?<user>…\) or \(\?<ip>…\)/],
    [[{ ...ok, match: '[' }], 'sources[2].profiles[0].match', /invalid regular expression/],
    [[{ ...ok, kind: 'LOGON' }], 'sources[2].profiles[0].kind', /not a kind; use one of USER_LOGON/],
    [[{ ...ok, colour: 'red' }], 'sources[2].profiles[0].colour', /unknown setting/],
    [
      [{ ...ok, kindBy: { group: 'status', map: { a: 'USER_LOGON' } } }],
      'sources[2].profiles[0].kindBy.group',
      /not a named group.*user, ip/,
    ],
    [[{ ...ok, kindBy: { group: 'user', map: {} } }], 'sources[2].profiles[0].kindBy.map', /expected an object/],
    [[{ ...ok, kindBy: { group: 'user', map: { a: 'NOPE' } } }], 'sources[2].profiles[0].kindBy.map.a', /not a kind/],
    [[ok, 'panos-userid', { ...ok }], 'sources[2].profiles[2].name', /used by an earlier profile/],
  ];
  for (const [raw, field, message] of cases) {
    const e = configError(raw);
    assert.equal(e.field, field, JSON.stringify(raw));
    assert.match(e.message, message);
    assert.ok(e.message.startsWith(`${field}: `), e.message);
  }
});

test('a custom profile: kindBy, domain and mac groups, HOST_ADDRESS, first match wins', () => {
  const profiles = validateProfiles(
    [
      {
        name: 'wlc',
        // Profiles see the MSG: the tag ("wlc:") is already taken off.
        match: '^(?:assoc|disassoc|roam) ',
        pattern: '(?<action>assoc|disassoc) (?<domain>\\w+)/(?<user>\\S+) mac=(?<mac>\\S+) ip=(?<ip>\\S+)',
        kind: 'USER_ACTIVITY',
        kindBy: { group: 'action', map: { ASSOC: 'USER_LOGON', disassoc: 'USER_LOGOFF' } },
      },
      { name: 'lease', pattern: 'lease (?<ip>\\S+) to (?<user>[\\w-]+)', kind: 'HOST_ADDRESS' },
      { name: 'late', pattern: '(?<user>\\w+)@(?<ip>\\S+)', kind: 'USER_LOGON' },
    ],
    'sources[0].profiles',
  );
  const parse = syslogFormat(profiles).createParser({ defaultDomain: 'corp' });
  const wlc = (msg: string): string => `<14>Nov 22 07:05:01 wlc1 wlc: ${msg}`;
  const assoc = parse(wlc('assoc Corp/Alice mac=AABB.CCDD.EEFF ip=10.1.2.3')).events[0];
  assert.deepEqual(
    [assoc?.kind, assoc?.user, assoc?.domain, assoc?.mac, assoc?.ip, assoc?.reporter, assoc?.sourceEventId],
    ['USER_LOGON', 'alice', 'CORP', 'aa:bb:cc:dd:ee:ff', '10.1.2.3', 'wlc1', 'wlc'],
  );
  assert.equal(parse(wlc('disassoc Corp/Alice mac=- ip=10.1.2.3')).events[0]?.kind, 'USER_LOGOFF');
  // Selected by `match`, so a line its pattern cannot read is reported against it.
  assert.equal(parse(wlc('roam bob@10.1.2.3')).skipped, 'wlc: line does not match the pattern');
  const lease = parse('dhcp: lease 10.9.9.9 to pc-42').events[0];
  assert.deepEqual(
    [lease?.kind, lease?.user, lease?.workstation, lease?.domain],
    ['HOST_ADDRESS', 'pc-42', 'PC-42', 'CORP'],
  );
  assert.deepEqual(
    parse('bob@10.1.2.3').events.map((e) => [e.user, e.domain]),
    [['bob', 'CORP']],
  );
  assert.equal(parse('bob@::1').skipped, 'late: no usable address (::1)');
  assert.equal(parse('nothing here').skipped, 'no profile matches');
});

test('accounts from RADIUS and gateways: machine auth, MAB, placeholders, escaped backslashes', () => {
  assert.deepEqual(readAccount('host/PC01.corp.example.com'), {
    user: 'pc01',
    domain: 'CORP.EXAMPLE.COM',
    machine: true,
  });
  assert.deepEqual(readAccount('CORP\\\\Alice'), { user: 'alice', domain: 'CORP', machine: false });
  assert.equal(readAccount('d4-ca-6d-14-87-3b'), 'user name is a MAC address (d4-ca-6d-14-87-3b)');
  assert.equal(readAccount('d4ca6d14873b'), 'user name is a MAC address (d4ca6d14873b)');
  assert.equal(readAccount('anonymous@corp.example'), 'placeholder user (anonymous)');
  assert.equal(readAccount('N/A'), 'placeholder user (n/a)');
  assert.equal(readAccount(' '), 'no user');
  // 802.1X machine authentication through ISE is the computer, and its Stop is not a logoff.
  const parse = syslogFormat().createParser();
  const line = (status: string): string =>
    `<182>Apr 27 11:11:47 ise CISE_RADIUS_Accounting 1 1 0 x, User-Name=host/PC01.corp.example, Framed-IP-Address=10.0.0.5, Acct-Status-Type=${status}, y=z`;
  const seen = parse(line('Interim-Update')).events[0];
  assert.deepEqual([seen?.kind, seen?.user, seen?.workstation, seen?.ip], ['HOST_SEEN', 'pc01', 'PC01', '10.0.0.5']);
  assert.equal(parse(line('Stop')).skipped, 'cisco-ise-accounting: logoff of computer account pc01$');
});

test('epoch fields in seconds, milliseconds, microseconds and nanoseconds', () => {
  assert.equal(epochToMs('1587231168'), 1587231168000);
  assert.equal(epochToMs('1587231168439'), 1587231168439);
  assert.equal(epochToMs('1587231168439640'), 1587231168439);
  assert.equal(epochToMs('1587231168439640874'), 1587231168439);
  assert.ok(Number.isNaN(epochToMs('12ab')));
  assert.ok(Number.isNaN(epochToMs(undefined)));
});
