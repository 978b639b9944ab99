import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ldap from 'ldapjs';
import type { Clock, Logger } from '@fsso/common';
import { openDatabase } from '../src/store/database';
import { GroupService, type IsLive } from '../src/directory/group-service';
import { IdentityTable } from '../src/store/identity-table';
import { toIdentity } from '../src/services/convert';
import type { DirectoryConfig } from '../src/directory/config';

/**
 * The group cache's timing rules against a real LDAP server (ldapjs's, on 127.0.0.1:0, speaking
 * the protocol our client speaks to AD) and a clock the test moves: each account is asked again
 * at fetched + ttl; a logon past refreshAge asks at once; a failed first look-up is stale and
 * retried with doubling backoff, also by a collector started over the same database.
 */

const BASE = 'DC=corp,DC=example,DC=test';
const TTL = 60_000;
const REFRESH_AGE = 10_000;
const FIRST_RETRY = 5000;

interface Warning {
  message: string;
  meta: Record<string, unknown>;
}

/** A directory whose members the test edits, and which can be "down" (refuses every bind). */
async function startDirectory(): Promise<{
  port: number;
  members: Map<string, string[]>;
  up: { value: boolean };
  searches: () => number;
  close: () => Promise<void>;
}> {
  const members = new Map<string, string[]>(); // user -> group DNs
  const up = { value: true };
  let searches = 0;
  const server = ldap.createServer();
  server.bind('', (_req: unknown, res: { end: () => void }, next: (e?: unknown) => void) =>
    up.value ? res.end() : next(new ldap.InvalidCredentialsError('directory down (test)')),
  );
  server.search(
    BASE,
    (
      req: { filter: { toString(): string } },
      res: { attributes: string[]; send: (e: unknown, raw: boolean) => void; end: () => void },
    ) => {
      searches++;
      // ldapjs's server compares the requested attribute names case-sensitively with lower-cased ones.
      res.attributes = res.attributes.map((a) => a.toLowerCase());
      const f = req.filter.toString();
      const user = /sAMAccountName=([^)]+)/i.exec(f)?.[1];
      if (/objectClass=user/i.test(f) && user && members.has(user))
        res.send({ dn: `CN=${user},CN=Users,${BASE}`, attributes: { sAMAccountName: user } }, true);
      const member = /member:1\.2\.840\.113556\.1\.4\.1941:=CN=([^,]+),/.exec(f)?.[1];
      for (const dn of member ? (members.get(member) ?? []) : [])
        res.send({ dn, attributes: { sAMAccountName: /^CN=([^,]+)/.exec(dn)?.[1] ?? '' } }, true);
      res.end();
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const srv = server as unknown as { address(): { port: number }; close(): void };
  return { port: srv.address().port, members, up, searches: () => searches, close: () => Promise.resolve(srv.close()) };
}

function setup(port: number, dbPath: string, now: { value: number }, live?: IsLive) {
  const warnings: Warning[] = [];
  const log = {
    debug: () => undefined,
    info: () => undefined,
    error: () => undefined,
    warn: (message: string, meta: Record<string, unknown>) => warnings.push({ message, meta }),
  } as unknown as Logger;
  const dir = {
    domain: 'CORP',
    dnsDomain: 'CORP.EXAMPLE.TEST',
    urls: [`ldap://127.0.0.1:${port}`],
    baseDn: BASE,
    bindDn: `CN=svc,CN=Users,${BASE}`,
    password: 'x',
    passwordFile: undefined,
    startTls: false,
    insecure: true,
    ca: undefined,
    tlsServerName: undefined,
    timeoutMs: 2000,
  } as DirectoryConfig;
  const changes: { user: string; groups: string[]; stale: boolean; dns: string[] }[] = [];
  const db = openDatabase(dbPath, 'normal');
  const g = new GroupService(
    db,
    [dir],
    { ttlMs: TTL, refreshAgeMs: REFRESH_AGE, filter: [] },
    { now: () => now.value } as Clock,
    log,
    (user, _d, groups, stale, dns) => changes.push({ user, groups, stale, dns }),
    { concurrency: 2, queue: 100, negativeTtlMs: FIRST_RETRY, limitHits: {} },
    undefined,
    live,
  );
  return {
    g,
    changes,
    warnings,
    close: () => {
      g.stop();
      db.close();
    },
  };
}

async function settle(g: GroupService): Promise<void> {
  for (let i = 0; i < 300 && (g.pending.running > 0 || g.pending.queued > 0); i++)
    await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(g.pending, { running: 0, queued: 0 }, 'look-ups finished');
}

const ENG = `CN=Engineering,OU=Staff,${BASE}`;
const SALES = `CN=Sales,OU=Staff,${BASE}`;

test('each account is asked again at its own fetched + ttl, so a group change shows within the TTL; DNs come along', async (t) => {
  const d = await startDirectory();
  t.after(d.close);
  const now = { value: Date.UTC(2026, 11, 1, 9) };
  const s = setup(d.port, ':memory:', now);
  t.after(s.close);
  d.members.set('gina', [ENG]);
  s.g.groupsFor('gina', 'CORP');
  await settle(s.g);
  assert.deepEqual(s.changes.at(-1), { user: 'gina', groups: ['CORP\\Engineering'], stale: false, dns: [ENG] });
  const fetched = now.value;
  assert.equal(s.g.nextLookupAt('gina', 'CORP'), fetched + TTL, 'due exactly one TTL after the answer');
  d.members.set('gina', [ENG, SALES]); // the change lands right after the fetch: the worst case
  now.value = fetched + TTL - 1;
  s.g.refreshExpired();
  assert.equal(s.g.pending.queued + s.g.pending.running, 0, 'not before the TTL');
  now.value = fetched + TTL;
  s.g.refreshExpired();
  await settle(s.g);
  assert.deepEqual(
    s.changes.at(-1),
    { user: 'gina', groups: ['CORP\\Engineering', 'CORP\\Sales'], stale: false, dns: [ENG, SALES] },
    'the change shows at fetched + ttl',
  );
  assert.equal(s.g.nextLookupAt('gina', 'CORP'), now.value + TTL);
});

test('a logon of a user whose groups are older than refreshAge asks the directory again in the background', async (t) => {
  const d = await startDirectory();
  t.after(d.close);
  const now = { value: Date.UTC(2026, 11, 1, 9) };
  const s = setup(d.port, ':memory:', now);
  t.after(s.close);
  d.members.set('hugo', [ENG]);
  s.g.groupsFor('hugo', 'CORP');
  await settle(s.g);
  d.members.set('hugo', []); // removed from Engineering
  now.value += REFRESH_AGE;
  assert.deepEqual(
    s.g.groupsFor('hugo', 'CORP').groups,
    ['CORP\\Engineering'],
    'the logon gets the cached groups at once (ingest is not held up)',
  );
  assert.equal(s.g.pending.queued + s.g.pending.running, 0, 'groups exactly refreshAge old: no new look-up');
  now.value += 1;
  s.g.groupsFor('hugo', 'CORP');
  assert.equal(s.g.pending.queued + s.g.pending.running, 1, 'older than refreshAge: a look-up in the background');
  await settle(s.g);
  assert.deepEqual(s.changes.at(-1), { user: 'hugo', groups: [], stale: false, dns: [] }, 'the removal shows');
  assert.equal(s.g.counters.logonRefreshes, 1);
});

test('a failed first look-up marks the groups stale and is retried with doubling backoff, also after a restart', async (t) => {
  const d = await startDirectory();
  t.after(d.close);
  const dir = mkdtempSync(join(tmpdir(), 'fsso-groups-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'collector.db');
  const now = { value: Date.UTC(2026, 11, 1, 9) };
  const s = setup(d.port, dbPath, now);
  d.members.set('frank', [ENG]);
  d.up.value = false;
  assert.deepEqual(
    s.g.groupsFor('frank', 'CORP'),
    { groups: [], groupDns: [], stale: false },
    'nothing known yet; a look-up is queued',
  );
  await settle(s.g);
  assert.deepEqual(
    s.changes.at(-1),
    { user: 'frank', groups: [], stale: true, dns: [] },
    'the failure marks the entries stale: no groups, but not "no groups"',
  );
  assert.equal(s.g.groupsFor('frank', 'CORP').stale, true, 'a new entry of frank is stale too');
  assert.equal(s.warnings.at(-1)?.message, 'group lookup failed; keeping the last known groups, marked stale');
  assert.equal(s.warnings.at(-1)?.meta['retryInMs'], FIRST_RETRY);
  // Backoff: 5 s, 10 s, 20 s, 40 s, then the TTL (60 s).
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    const due = s.g.nextLookupAt('frank', 'CORP') ?? 0;
    delays.push(due - now.value);
    now.value = due;
    s.g.refreshExpired();
    await settle(s.g);
  }
  assert.deepEqual(delays, [5000, 10_000, 20_000, 40_000, 60_000]);
  assert.equal(
    s.changes.filter((c) => c.user === 'frank').length,
    1,
    'staleness is announced once, not at every retry',
  );
  s.close();

  // Restart: a new service over the same database asks for frank at once, and the directory is back.
  d.up.value = true;
  const r = setup(d.port, dbPath, now);
  t.after(r.close);
  assert.equal(r.g.groupsFor('frank', 'CORP').stale, true, 'still stale after the restart');
  r.g.refreshExpired();
  await settle(r.g);
  assert.deepEqual(
    r.changes.at(-1),
    { user: 'frank', groups: ['CORP\\Engineering'], stale: false, dns: [ENG] },
    'groups arrive without a new logon',
  );
  assert.deepEqual(r.g.groupsFor('frank', 'CORP'), { groups: ['CORP\\Engineering'], groupDns: [ENG], stale: false });
});

test("an entry's group DNs are stored with it and come back after a restart; DNs that do not line up are never sent", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsso-groupdns-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'collector.db');
  const db = openDatabase(dbPath, 'normal');
  const table = new IdentityTable(db);
  const base = {
    user: 'ines',
    domain: 'CORP',
    workstation: 'WKS-INES',
    firstSeenMs: 1,
    lastSeenMs: 1,
    userSeenMs: 1,
    source: 'test',
    shared: false,
    groupsStale: false,
    evidence: [],
    contested: false,
    claims: [],
  };
  db.transaction(() => {
    table.upsert(
      { ...base, ip: '198.19.90.1', groups: ['CORP\\Engineering', 'CORP\\Sales'], groupDns: [ENG, SALES] },
      'logon',
      1,
    );
    table.upsert({ ...base, ip: '198.19.90.2', groups: ['CORP\\Engineering'] }, 'logon', 1);
    table.upsert(
      { ...base, ip: '198.19.90.3', groups: ['CORP\\Engineering', 'CORP\\Sales'], groupDns: [ENG] },
      'logon',
      1,
    );
    table.flush();
  })();
  db.close();
  const again = new IdentityTable(openDatabase(dbPath, 'normal'));
  const one = again.get('198.19.90.1');
  assert.deepEqual(
    [one?.groups, one?.groupDns],
    [
      ['CORP\\Engineering', 'CORP\\Sales'],
      [ENG, SALES],
    ],
  );
  assert.deepEqual(toIdentity(one as NonNullable<typeof one>).groupDns, [ENG, SALES], 'sent to firewalls');
  const two = again.get('198.19.90.2');
  assert.deepEqual(
    [two?.groups, toIdentity(two as NonNullable<typeof two>).groupDns],
    [['CORP\\Engineering'], []],
    'no DNs: none sent (matched by name and domain)',
  );
  const three = again.get('198.19.90.3');
  assert.deepEqual(
    toIdentity(three as NonNullable<typeof three>).groupDns,
    [],
    'misaligned DNs are dropped, never paired with the wrong name',
  );
});

test("after a restart only accounts with a live entry are loaded and refreshed; another account's cached groups come back from SQLite at its next logon", async (t) => {
  const d = await startDirectory();
  t.after(d.close);
  const dir = mkdtempSync(join(tmpdir(), 'fsso-groups-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'collector.db');
  const now = { value: Date.UTC(2026, 11, 1, 9) };
  const s = setup(d.port, dbPath, now);
  d.members.set('grace', [ENG]);
  d.members.set('henry', [SALES]);
  s.g.groupsFor('grace', 'CORP');
  s.g.groupsFor('henry', 'CORP');
  await settle(s.g);
  s.close();

  // Restart with only grace logged on, and the directory down: henry's groups can come only from SQLite.
  d.up.value = false;
  const r = setup(d.port, dbPath, now, (user, domain) => user === 'grace' && domain === 'CORP');
  t.after(r.close);
  assert.equal(r.g.nextLookupAt('grace', 'CORP'), now.value + TTL, 'grace (logged on) is loaded, due at fetched + ttl');
  assert.equal(r.g.nextLookupAt('henry', 'CORP'), undefined, 'henry (not logged on) is neither loaded nor asked for');
  assert.deepEqual(
    r.g.groupsFor('henry', 'CORP'),
    { groups: ['CORP\\Sales'], groupDns: [SALES], stale: false },
    'his last known groups at his next logon, read from SQLite',
  );
  assert.equal(r.g.nextLookupAt('henry', 'CORP'), now.value + TTL, 'and from then on refreshed like any other');
  await settle(r.g);
  assert.deepEqual(r.changes, [], 'nothing was asked of the directory: both were fresh');
});
