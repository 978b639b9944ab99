import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../support/paths';
import { runCommand, startAgent, startCollector, tempDir, type CollectorHandle } from '../support/processes';
import { testPki } from '../support/pki';

const ago = (s: number): string => new Date(Date.now() - s * 1000).toISOString();
const ev = (kind: string, user: string, ip: string, s: number): string =>
  JSON.stringify({
    kind,
    user,
    domain: 'CORP',
    ip,
    eventTime: ago(s),
    source: 'windows-security',
    sourceEventId: kind === 'USER_LOGOFF' ? '4634' : '4624',
    logonType: 3,
  });

/** A collector that pairs CORP with corp.example, fed by a real agent that has delivered and exited. */
async function fed(t: {
  after: (fn: () => unknown) => void;
}): Promise<{ c: CollectorHandle; ctl: (...a: string[]) => ReturnType<typeof runCommand> }> {
  const dir = tempDir('cli-ctl');
  t.after(dir.cleanup);
  const c = await startCollector(dir.path, { config: { domains: { CORP: 'corp.example' } } });
  t.after(() => c.daemon.stop());
  const events = join(dir.path, 'events.jsonl');
  writeFileSync(
    events,
    [
      ev('USER_LOGON', 'dave', '198.18.9.10', 60),
      ev('USER_LOGON', 'dave', '198.18.9.11', 50),
      ev('USER_LOGON', 'erin', '198.18.9.12', 40),
      ev('USER_LOGOFF', 'dave', '198.18.9.10', 30),
    ].join('\n') + '\n',
  );
  const agent = startAgent(
    dir.path,
    {
      domains: ['CORP'],
      collectors: [{ name: 'main', address: c.address }],
      sources: [{ name: 'ev', format: 'events', path: events }],
    },
    ['--until-delivered'],
  );
  assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
  return { c, ctl: (...a: string[]) => runCommand(BIN.ctl, [...a, ...c.args('admin')]) };
}

test('fssoctl user NAME shows the addresses now and the history, for DOMAIN\\user and user@dns alike', async (t) => {
  const { ctl } = await fed(t);
  for (const name of ['CORP\\dave', 'dave@corp.example', 'dave']) {
    const r = await ctl('user', name, '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as {
      current: { ip: string }[];
      history: { ip: string; to: string | null; endedBy: string | null }[];
    };
    assert.deepEqual(
      j.current.map((i) => i.ip),
      ['198.18.9.11'],
      name,
    );
    const ended = j.history.find((h) => h.ip === '198.18.9.10');
    assert.ok(ended?.to, `the logoff closed dave's row at .10 (${name})`);
    assert.ok(
      j.history.some((h) => h.ip === '198.18.9.11' && h.to === null),
      'the current address is an open row',
    );
  }
  const human = await ctl('user', 'CORP\\dave');
  assert.match(human.stdout, /^CORP\\dave now, at 1 address:$/m);
  assert.match(human.stdout, /where CORP\\dave was in the last 24 h \(newest first\):/);
  assert.match(
    human.stdout,
    /198\.18\.9\.10 .* (UTC|[+-]\d\d:\d\d) .*logoff/,
    'times carry their zone; the row says what ended it',
  );
  const nobody = await ctl('user', 'CORP\\zoe');
  assert.equal(nobody.code, 3);
  assert.match(nobody.stdout, /CORP\\zoe is at no address now/);
});

test('logons --user takes CORP\\dave and dave@corp.example; --domain takes the NetBIOS or the DNS name', async (t) => {
  const { ctl } = await fed(t);
  const ips = async (...a: string[]): Promise<string[]> => {
    const r = await ctl('logons', '--json', ...a);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { ip: string }[]).map((i) => i.ip).sort();
  };
  assert.deepEqual(await ips('--user', 'CORP\\dave'), ['198.18.9.11']);
  assert.deepEqual(await ips('--user', 'dave@corp.example'), ['198.18.9.11']);
  assert.deepEqual(await ips('--user', 'dave@other.example'), [], 'another domain is not CORP');
  assert.deepEqual(await ips('--domain', 'corp.example'), ['198.18.9.11', '198.18.9.12']);
  assert.deepEqual(await ips('--domain', 'CORP'), ['198.18.9.11', '198.18.9.12']);
  const clash = await ctl('logons', '--user', 'SALES\\dave', '--domain', 'CORP');
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /names domain SALES, but the domain filter is CORP; give the domain once/);
});

test('agents --prune lists (--dry-run) and removes agents gone for --older-than; a dry run removes nothing', async (t) => {
  const { ctl } = await fed(t);
  await new Promise((r) => setTimeout(r, 1200)); // the agent's last contact must be older than 1 s
  const dry = await ctl('agents', '--prune', '--older-than', '1s', '--dry-run');
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^would remove 1 agent gone for 1 second: dc1$/m);
  assert.equal(
    (JSON.parse((await ctl('agents', '--json')).stdout) as unknown[]).length,
    1,
    'a dry run removes nothing',
  );
  const none = await ctl('agents', '--prune', '--older-than', '1d');
  assert.match(none.stdout, /^no agent has been gone for 1 day$/m);
  const real = await ctl('agents', '--prune', '--older-than', '1s', '--json');
  assert.deepEqual(JSON.parse(real.stdout), { removed: ['dc1'], olderThanMs: 1000, dryRun: false });
  assert.deepEqual(JSON.parse((await ctl('agents', '--json')).stdout), []);
  const bad = await ctl('agents', '--prune', '--older-than', 'soon');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--older-than "soon" is not a duration; write it like 7d, 12h or 90m/);
});

test('fssoctl stats prints every counter in words, aligned, with limit hits as indented lines', async (t) => {
  const { c, ctl } = await fed(t);
  // A TLS client without a certificate: a refused handshake, counted as a limit hit.
  const refused = await runCommand(BIN.ctl, ['tls', 'check', c.address, '--ca', testPki().ca]);
  assert.equal(refused.code, 1);
  const r = await ctl('stats');
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /\[object Object\]/);
  assert.doesNotMatch(r.stdout, /^\S*[a-z][A-Z]\S*\s/m, 'no camelCase names');
  assert.match(r.stdout, /^state {2,}RUNNING$/m);
  assert.match(r.stdout, /^events accepted {2,}4$/m);
  assert.match(r.stdout, /^started {2,}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (UTC|[+-]\d\d:\d\d) \(\d+s ago\)$/m);
  assert.match(r.stdout, /^limit hits\n {2}handshake failed {2,}\d+$/m);
  // Where the value starts: after the first run of 2+ spaces past the (indented) label.
  const column = (l: string): number => {
    const m = / {2,}/.exec(l.slice(2));
    return m ? m.index + 2 + m[0].length : -1;
  };
  const widths = new Set(
    r.stdout
      .trim()
      .split('\n')
      .filter((l) => / {2,}\S/.test(l.slice(2)))
      .map(column),
  );
  assert.equal(widths.size, 1, `values start in one column:\n${r.stdout}`);
  const j = JSON.parse((await ctl('stats', '--json')).stdout) as { eventsAccepted: number };
  assert.equal(j.eventsAccepted, 4, '--json stays machine-readable');
});

test('tls check uses FSSO_CA/FSSO_CERT/FSSO_KEY, says in words why a handshake fails, and exits by class', async (t) => {
  const dir = tempDir('tls-check');
  t.after(dir.cleanup);
  const c = await startCollector(dir.path);
  t.after(() => c.daemon.stop());
  const pki = testPki();
  const env = { FSSO_CA: pki.ca, FSSO_CERT: pki.admin.cert, FSSO_KEY: pki.admin.key };
  const ok = await runCommand(BIN.ctl, ['tls', 'check', c.address], env);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /verifies against .*ca\.pem \(client certificate presented\)/);
  assert.match(ok.stdout, /the server accepted the session/);

  const noCert = await runCommand(BIN.ctl, ['tls', 'check', c.address, '--json'], { FSSO_CA: pki.ca });
  assert.equal(noCert.code, 1);
  const j = JSON.parse(noCert.stdout) as { verified: boolean; accepted: boolean; problems: string[] };
  assert.equal(j.verified, true);
  assert.equal(j.accepted, false);
  assert.match(
    j.problems.join('\n'),
    /the server asks for a client certificate: pass --cert and --key \(or FSSO_CERT\/FSSO_KEY\)/,
  );
  assert.doesNotMatch(noCert.stdout, /SSL routines|error:0A|rec_layer/, 'no raw OpenSSL dump');

  const nothing = await runCommand(BIN.ctl, ['tls', 'check', '127.0.0.1:1'], env);
  assert.equal(nothing.code, 4);
  assert.match(nothing.stdout, /nothing listens at 127\.0\.0\.1:1: is the collector running/);

  const plain = await startCollector(join(dir.path), { config: { insecure: true, dataDir: 'plain-data' } });
  t.after(() => plain.daemon.stop());
  const tlsToPlain = await runCommand(BIN.ctl, ['tls', 'check', plain.address], env);
  assert.equal(tlsToPlain.code, 4);
  assert.match(tlsToPlain.stdout, /does not speak TLS: it may be a plaintext collector \(started with --insecure\)/);
  assert.doesNotMatch(tlsToPlain.stdout, /SSL routines|error:0A/);
});
