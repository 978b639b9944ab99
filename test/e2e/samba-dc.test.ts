import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { AgentEvent, SourceFormat } from '@fsso/formats';
import { getFormat } from '@fsso/formats';
import { pickClientIps, sambaAvailable, startSambaDc, type SambaDc } from '../support/samba';
import { run, runOk } from '../support/samba/exec';

/**
 * A real Samba AD DC: real Kerberos, NTLM and LDAP logons from two client network namespaces,
 * read back from Samba's JSON audit log through the agent's `samba-audit` format; and the DC's
 * LDAP, as the collector will use it, from the root namespace.
 */
test('Samba AD DC: logons from client addresses and LDAP group lookups', { timeout: 300_000 }, async (t) => {
  const available = sambaAvailable();
  if (!available.ok) {
    t.skip(`Samba AD DC not installed: ${available.reason}; install the Debian packages listed in .ci/run`);
    return;
  }
  const ips = await pickClientIps(2);
  const [ipA, ipB] = ips as [string, string];
  const dc = await startSambaDc({ clientIps: ips });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await dc.stop();
  });
  t.diagnostic(
    `template ${dc.timings.templateCached ? 'cached' : `provisioned in ${dc.timings.provisionMs} ms`}; DC started in ${dc.timings.startMs} ms`,
  );
  t.diagnostic(
    `DC ${dc.dcIp} (clients see ${dc.gateway}), clients ${ips.join(' ')}, namespaces ${dc.namespaces.join(' ')}, bridge ${dc.tag}-br`,
  );

  await t.test('logons appear in the audit log as those users at those addresses', async () => {
    await dc.logon('alice', ipA, 'krb5');
    await dc.logon('bob', ipB, 'ntlm', 'WKS-BOB');
    await dc.logon('carol', ipA, 'ldap');
    await dc.logon(`${dc.computer}$`, ipB, 'krb5');

    const want = [
      `HOST_SEEN ws01 ${ipB}`,
      `USER_ACTIVITY bob ${ipB}`, // the SMB session bob opened (Authorization)
      `USER_ACTIVITY carol ${ipA}`, // the LDAP session carol opened (Authorization)
      `USER_LOGON alice ${ipA}`,
      `USER_LOGON bob ${ipB}`,
      `USER_LOGON carol ${ipA}`,
    ];
    const lines = await dc.waitForAudit((l) => want.every((w) => keys(parse(l)).has(w)));
    const events = parse(lines);
    const atClients = events.filter((e) => ips.includes(e.ip));
    assert.deepEqual([...keys(atClients)].sort(), want);
    // Nobody else, and none of these people, anywhere else (the DC's own traffic is loopback/unix:).
    assert.deepEqual(
      events.filter((e) => e.kind !== 'HOST_SEEN' && !ips.includes(e.ip)),
      [],
    );

    const logon = (user: string): AgentEvent => {
      const e = atClients.find((x) => x.kind === 'USER_LOGON' && x.user === user);
      assert.ok(e, `no USER_LOGON for ${user}`);
      return e;
    };
    assert.deepEqual(pick(logon('alice')), ['alice', 'CORP', ipA, '', 3, '4624']);
    assert.deepEqual(pick(logon('bob')), ['bob', 'CORP', ipB, 'WKS-BOB', 3, '4624']);
    assert.deepEqual(pick(logon('carol')), ['carol', 'CORP', ipA, '', 8, '4624']);
    const host = atClients.find((e) => e.kind === 'HOST_SEEN');
    assert.deepEqual([host?.user, host?.workstation, host?.ip], ['ws01', 'WS01', ipB]);
  });

  await t.test('LDAP from the root namespace: bind as the bind DN, nested groups by the in-chain rule', async () => {
    const ldap = (filter: string, ...attrs: string[]): Promise<string> =>
      runOk('ldapsearch', [
        '-x',
        '-LLL',
        '-o',
        'ldif-wrap=no',
        '-o',
        'nettimeout=5',
        '-H',
        dc.ldapUrl,
        '-D',
        dc.bindDn,
        '-w',
        dc.bindPassword,
        '-b',
        dc.baseDn,
        filter,
        ...attrs,
      ]);
    const aliceDn = `CN=alice,CN=Users,${dc.baseDn}`;
    assert.match(await ldap('(sAMAccountName=alice)', 'dn'), new RegExp(`^dn: ${aliceDn}$`, 'mi'));
    const groups = (out: string): string[] => [...out.matchAll(/^cn: (.+)$/gm)].map((m) => m[1] ?? '').sort();
    // alice -> Engineering -> VPN-Users -> AllStaff: only the transitive rule finds all three.
    assert.deepEqual(groups(await ldap(`(member:1.2.840.113556.1.4.1941:=${aliceDn})`, 'cn')), [
      'AllStaff',
      'Engineering',
      'VPN-Users',
    ]);
    assert.deepEqual(groups(await ldap(`(member=${aliceDn})`, 'cn')), ['Engineering']);
    // A wrong password is refused (49 = invalidCredentials): the bind above really authenticated.
    const bad = await run('ldapsearch', [
      '-x',
      '-H',
      dc.ldapUrl,
      '-D',
      dc.bindDn,
      '-w',
      'wrong',
      '-b',
      dc.baseDn,
      '-s',
      'base',
      'dn',
    ]);
    assert.equal(bad.code, 49, bad.stderr);
  });

  await t.test('stop removes the processes, namespaces, bridge, address and directory', async () => {
    stopped = true;
    await dc.stop();
    await assertGone(dc);
  });
});

function parse(lines: string[]): AgentEvent[] {
  const format = getFormat('samba-audit') as SourceFormat;
  const parseLine = format.createParser();
  return lines.flatMap((l) => parseLine(l).events);
}

function keys(events: AgentEvent[]): Set<string> {
  return new Set(events.map((e) => `${e.kind} ${e.user} ${e.ip}`));
}

function pick(e: AgentEvent): unknown[] {
  return [e.user, e.domain, e.ip, e.workstation, e.logonType, e.sourceEventId];
}

async function assertGone(dc: SambaDc): Promise<void> {
  const netns = await runOk('ip', ['netns', 'list']);
  for (const ns of dc.namespaces) assert.ok(!netns.includes(ns), `netns ${ns} still exists:\n${netns}`);
  assert.doesNotMatch(
    await runOk('ip', ['-o', 'link', 'show']),
    new RegExp(`\\b${dc.tag}-`),
    `interfaces named ${dc.tag}-* remain`,
  );
  assert.doesNotMatch(
    await runOk('ip', ['-4', '-o', 'addr', 'show', 'dev', 'lo']),
    new RegExp(` ${dc.dcIp.replace(/\./g, '\\.')}/`),
  );
  const status = existsSync(`/proc/${dc.pid}/status`) ? readFileSync(`/proc/${dc.pid}/status`, 'utf8') : '';
  assert.ok(status === '' || /^State:\s*Z/m.test(status), `samba ${dc.pid} still running`);
  assert.ok(!existsSync(dc.dir), `${dc.dir} still exists`);
}
