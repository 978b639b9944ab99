import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { normaliseIp } from '@fsso/common';
import { sambaAuditFormat } from '../src/samba';
import {
  HostAddresses,
  SELF_TRAFFIC_HOST,
  SELF_TRAFFIC_LOCAL,
  countSelfTraffic,
  type OwnAddresses,
} from '../src/self-traffic';
import { ndjsonLines, parseJsonLine } from './windows-test-data';

/**
 * Self-traffic (issue 9, item 4): logons whose client address is the server's own map nobody, by
 * default. Inputs are the real recordings in shared/data: the Samba 4.17 lab file where the DC
 * (10.199.0.1) authenticated its own machine account DC1$ over DCE/RPC to its own address, and
 * OTRF's MORDORDC (172.18.38.5) logging its own machine account's network logons.
 */

const DATA = process.env['FSSO_SHARED_DATA'] ?? resolve(__dirname, '../../../../../shared/data');

function sambaLines(file: string): string[] {
  const p = join(DATA, 'samba_auth_audit', file);
  assert.ok(existsSync(p), `recorded data not found at ${p}; set FSSO_SHARED_DATA to the shared/data folder`);
  return readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

const DISTINCT = 'lab/samba-4.17-distinct-client-ips.jsonl';
/** The DC's own addresses, as the agent on that DC would read them from its interfaces. */
const dcInterfaces = (...ips: string[]): OwnAddresses => ({ has: (ip) => ips.includes(ip) });

test('Samba: records with remoteAddress equal to localAddress (the DC to itself) map nobody; clients next to them still map', () => {
  const lines = sambaLines(DISTINCT);
  const parse = sambaAuditFormat.createParser();
  const results = lines.map((l) => parse(l));
  // Lines 2-26: DC1$ over DCE/RPC from ipv4:10.199.0.1 to ipv4:10.199.0.1:49153, as recorded.
  assert.match(lines[1] ?? '', /"localAddress": "ipv4:10\.199\.0\.1:49153", "remoteAddress": "ipv4:10\.199\.0\.1:\d+"/);
  assert.deepEqual(results[1], { events: [], skipped: SELF_TRAFFIC_LOCAL });
  assert.deepEqual(results[2], { events: [], skipped: SELF_TRAFFIC_LOCAL }, 'the Authorization of the same session');
  const skipped: Record<string, number> = {};
  for (const r of results) if (r.skipped) skipped[r.skipped] = (skipped[r.skipped] ?? 0) + 1;
  assert.equal(countSelfTraffic(skipped), 16, 'every DC1$ record on the DC address');
  const events = results.flatMap((r) => r.events);
  assert.deepEqual(
    events.filter((e) => e.ip === '10.199.0.1'),
    [],
    'nothing at the DC address',
  );
  // The clients in the same file: carol's NTLM session (line 28) and bob's LDAP bind (line 35) map as before.
  assert.deepEqual([results[27]?.events[0]?.user, results[27]?.events[0]?.ip], ['carol', '10.199.0.11']);
  assert.deepEqual([results[34]?.events[0]?.user, results[34]?.events[0]?.ip], ['bob', '10.199.1.12']);

  // "keep" restores the old mapping, for an operator who wants it.
  const kept = sambaAuditFormat.createParser({ selfTraffic: 'keep' })(lines[1] ?? '');
  assert.deepEqual(
    kept.events.map((e) => [e.kind, e.user, e.ip]),
    [['HOST_SEEN', 'dc1', '10.199.0.1']],
  );
});

test('Samba: a person binding to LDAP and opening SMB on the DC host itself maps nobody (real records, address edited)', () => {
  const lines = sambaLines(DISTINCT);
  // The recordings hold no person on the DC's own address, so bob's real LDAP simple bind (line 35)
  // and its Authorization (line 36) are used with only remoteAddress moved to the DC's own address.
  const own = (l: string): string =>
    l.replace(/"remoteAddress": "ipv4:10\.199\.1\.12:(\d+)"/, '"remoteAddress": "ipv4:10.199.1.1:$1"');
  const bind = own(lines[34] ?? '');
  assert.match(bind, /"localAddress": "ipv4:10\.199\.1\.1:389", "remoteAddress": "ipv4:10\.199\.1\.1:36220"/);
  const parse = sambaAuditFormat.createParser();
  assert.deepEqual(parse(bind), { events: [], skipped: SELF_TRAFFIC_LOCAL });
  assert.deepEqual(parse(own(lines[35] ?? '')), { events: [], skipped: SELF_TRAFFIC_LOCAL });
  // Unedited, the same bind is bob at his client address.
  assert.deepEqual(
    sambaAuditFormat
      .createParser()(lines[34] ?? '')
      .events.map((e) => [e.user, e.ip]),
    [['bob', '10.199.1.12']],
  );
});

test("Samba KDC records name no local address: only the agent host's interfaces (live) show they are the DC's own", () => {
  const lines = sambaLines(DISTINCT);
  // Line 7: alice's AS-REQ from 10.199.0.11, localAddress null; moved to the DC's own 10.199.0.1.
  const kdc = (lines[6] ?? '').replace('ipv4:10.199.0.11:37174', 'ipv4:10.199.0.1:37174');
  assert.match(
    kdc,
    /"localAddress": null, "remoteAddress": "ipv4:10\.199\.0\.1:37174", "serviceDescription": "Kerberos KDC"/,
  );
  // parse (another host): the record alone cannot tell, so it maps.
  assert.deepEqual(
    sambaAuditFormat
      .createParser()(kdc)
      .events.map((e) => [e.user, e.ip]),
    [['alice', '10.199.0.1']],
  );
  // run on the DC: 10.199.0.1 is one of its interfaces.
  assert.deepEqual(sambaAuditFormat.createParser({ ownAddresses: dcInterfaces('10.199.0.1') })(kdc), {
    events: [],
    skipped: SELF_TRAFFIC_HOST,
  });
  assert.deepEqual(
    sambaAuditFormat.createParser({ ownAddresses: dcInterfaces('10.199.0.1'), selfTraffic: 'keep' })(kdc).events.length,
    1,
  );
});

test("Windows 4624: the DC's own address (from its interfaces) maps nobody; a workstation's logon beside it does", () => {
  const lines = ndjsonLines('otrf_nxlog_logstash.ndjson');
  // Line 1: MORDORDC.mordor.local's own machine account, network logon from 172.18.38.5, the DC's address.
  const own = parseJsonLine(lines[1] ?? '');
  assert.deepEqual(
    own.events.map((e) => [e.kind, e.user, e.ip]),
    [['HOST_SEEN', 'mordordc', '172.18.38.5']],
    'as parse sees it elsewhere',
  );
  const opts = { ownAddresses: dcInterfaces('172.18.38.5') };
  assert.deepEqual(parseJsonLine(lines[1] ?? '', opts), { events: [], skipped: SELF_TRAFFIC_HOST });
  // Line 18: pgustavo from 172.18.39.5 at MORDORDC.theshire.local: a client, mapped.
  assert.deepEqual(
    parseJsonLine(lines[18] ?? '', opts).events.map((e) => [e.user, e.ip]),
    [['pgustavo', '172.18.39.5']],
  );
  assert.equal(parseJsonLine(lines[1] ?? '', { ...opts, selfTraffic: 'keep' }).events.length, 1);
});

test("HostAddresses holds this host's usable interface addresses and re-reads them after 30 s", () => {
  const expected = Object.values(networkInterfaces())
    .flatMap((l) => (l ?? []).map((e) => normaliseIp(e.address)))
    .filter((ip): ip is string => ip !== null);
  const host = new HostAddresses();
  assert.deepEqual(host.list(), [...new Set(expected)].sort());
  for (const ip of expected) assert.ok(host.has(ip), ip);
  assert.equal(host.has('198.19.255.254'), false);

  // An address added later: seen once the 30 s are up (clock injected; the list is os.networkInterfaces()' shape).
  let now = 0;
  let list: ReturnType<typeof networkInterfaces> = {
    lo: [
      {
        address: '127.0.0.1',
        netmask: '255.0.0.0',
        family: 'IPv4',
        mac: '00:00:00:00:00:00',
        internal: true,
        cidr: '127.0.0.1/8',
      },
    ],
  };
  const later = new HostAddresses(
    () => list,
    () => now,
  );
  assert.equal(later.has('198.18.12.1'), false);
  list = {
    ...list,
    br0: [
      {
        address: '198.18.12.1',
        netmask: '255.255.255.0',
        family: 'IPv4',
        mac: '02:00:00:00:00:01',
        internal: false,
        cidr: '198.18.12.1/24',
      },
    ],
  };
  now = 29_000;
  assert.equal(later.has('198.18.12.1'), false, 'within 30 s the old list is used');
  now = 30_000;
  assert.equal(later.has('198.18.12.1'), true);
  assert.deepEqual(later.list(), ['198.18.12.1'], 'loopback is never a client address');
});
