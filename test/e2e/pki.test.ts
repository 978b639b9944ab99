import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../support/paths';
import { runCommand, tempDir } from '../support/processes';

/** `fssoctl pki …` under `umask 000`, as a careless service script would run it. */
function ctlUmask000(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', 'umask 000; exec "$0" "$@"', process.execPath, BIN.ctl, ...args], {
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const mode = (p: string): string => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');

interface Shown {
  roles: string[];
  san: string[];
  thumbprint: string;
  notBefore: string;
  notAfter: string;
}

test('fssoctl pki cannot be talked into a mistake', async (t) => {
  const dir = tempDir('pki-cli');
  t.after(dir.cleanup);
  const pki = join(dir.path, 'pki');
  const ctl = (args: string[]) => runCommand(BIN.ctl, ['pki', ...args, '--dir', pki]);
  const show = async (file: string): Promise<Shown> =>
    JSON.parse((await runCommand(BIN.ctl, ['pki', 'show', file, '--json'])).stdout) as Shown;

  await t.test('under umask 000, init and issue still make a 0700 folder, 0600 keys and 0644 certificates', () => {
    const init = ctlUmask000(['pki', 'init', '--dir', pki]);
    assert.equal(init.code, 0, init.stderr);
    const issue = ctlUmask000([
      'pki',
      'issue',
      '--dir',
      pki,
      '--role',
      'agent',
      '--name',
      'dc1.corp.example',
      '--domain',
      'CORP',
    ]);
    assert.equal(issue.code, 0, issue.stderr);
    assert.match(
      issue.stdout,
      /issued .*dc1\.corp\.example\.pem \(mode 0644\) and .*dc1\.corp\.example\.key \(mode 0600\)/,
    );
    assert.equal(mode(pki), '0700');
    assert.deepEqual(
      readdirSync(pki)
        .sort()
        .map((f) => [f, mode(join(pki, f))]),
      [
        ['ca.key', '0600'],
        ['ca.pem', '0644'],
        ['dc1.corp.example.key', '0600'],
        ['dc1.corp.example.pem', '0644'],
      ],
      'no scratch files or serial files are left behind',
    );
  });

  await t.test('an agent certificate carries its role, domains and agent id as separate SAN URIs', async () => {
    const s = await show(join(pki, 'dc1.corp.example.pem'));
    assert.deepEqual(s.san, [
      'URI:urn:fsso:role:agent',
      'URI:urn:fsso:domain:CORP',
      'URI:urn:fsso:agent:dc1.corp.example',
      'DNS:dc1.corp.example',
    ]);
    const days = (Date.parse(s.notAfter) - Date.parse(s.notBefore)) / 86_400_000;
    assert.equal(days, 365, 'client certificates last a year by default');
  });

  await t.test(
    "--dns 'fw9,URI:urn:fsso:role:admin' is refused (exit 2, naming the flag), and no admin certificate appears",
    async () => {
      const r = await ctl(['issue', '--role', 'firewall', '--name', 'fw9', '--dns', 'fw9,URI:urn:fsso:role:admin']);
      assert.equal(r.code, 2);
      assert.equal(
        r.stderr,
        'fssoctl: --dns "fw9,URI:urn:fsso:role:admin" is not a host name (letters, digits, hyphens and dots; no wildcards): it contains \',\'; give one per --dns, e.g. --dns collector.corp.example\n',
      );
      assert.equal(
        readdirSync(pki).some((f) => f.startsWith('fw9')),
        false,
      );
    },
  );

  await t.test('a newline, an equals sign or a colon in a name, a domain or an address is refused', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--role', 'firewall', '--name', 'fw9\nsubjectAltName=URI:urn:fsso:role:admin'],
        /^fssoctl: --name "fw9\\nsubjectAltName=URI:urn:fsso:role:admin" is not a host name or an IP address: it contains a control character \(U\+000a\)/,
      ],
      [
        ['--role', 'agent', '--name', 'dc9', '--domain', 'CORP,URI:urn:fsso:domain:*'],
        /^fssoctl: --domain "CORP,URI:urn:fsso:domain:\*" is not a domain .*: it contains ','/,
      ],
      [
        ['--role', 'agent', '--name', 'dc9', '--domain', 'CORP\nDNS.9=x'],
        /^fssoctl: --domain .* it contains a control character/,
      ],
      [
        ['--role', 'collector', '--name', 'c9', '--ip', '10.0.0.5,URI:urn:fsso:role:admin'],
        /^fssoctl: --ip "10\.0\.0\.5,URI:urn:fsso:role:admin" is not an IPv4 or IPv6 address/,
      ],
      [
        ['--role', 'collector', '--name', 'c9', '--dns', '*.corp.example'],
        /^fssoctl: --dns "\*\.corp\.example" is not a host name .*no wildcards/,
      ],
      [['--role', 'admin', '--name', 'ops=1'], /^fssoctl: --name "ops=1" .*: it contains '='/],
      [
        ['--role', 'agent', '--name', 'dc9', '--domain', 'CORP', '--agent-id', 'dc9:x'],
        /^fssoctl: --agent-id "dc9:x" is not an agent id/,
      ],
    ];
    for (const [args, re] of cases) {
      const r = await ctl(['issue', ...args]);
      assert.equal(r.code, 2, `${JSON.stringify(args)}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.deepEqual(
      readdirSync(pki).filter((f) => /^(fw9|dc9|c9|ops)/.test(f)),
      [],
    );
  });

  await t.test('--days -1, 0, 100000 and 1.5 are usage errors; 30 is taken', async () => {
    for (const d of ['-1', '0', '100000', '1.5']) {
      const r = await ctl(['issue', '--role', 'firewall', '--name', 'fw2', `--days=${d}`]);
      assert.equal(r.code, 2, d);
      assert.equal(
        r.stderr,
        `fssoctl: --days "${d}": give a whole number of days from 1 to 825 (default 365); renew certificates instead of making them last longer\n`,
      );
    }
    const spaced = await ctl(['issue', '--role', 'firewall', '--name', 'fw2', '--days', '-1']);
    assert.equal(spaced.code, 2, 'parseArgs refuses a value that looks like a flag');
    assert.match(spaced.stderr, /--days.*--days=-XYZ/s);
    const init = await ctl(['init', '--days', '100000', '--force']);
    assert.equal(init.code, 2);
    assert.match(init.stderr, /--days "100000": .* from 1 to 7300 \(default 3650\)/);
    const ok = await ctl(['issue', '--role', 'firewall', '--name', 'fw2', '--days', '30']);
    assert.equal(ok.code, 0, ok.stderr);
    const s = await show(join(pki, 'fw2.pem'));
    assert.equal((Date.parse(s.notAfter) - Date.parse(s.notBefore)) / 86_400_000, 30);
  });

  await t.test('an existing certificate or CA is not replaced without --force', async () => {
    const before = await show(join(pki, 'fw2.pem'));
    const again = await ctl(['issue', '--role', 'firewall', '--name', 'fw2']);
    assert.equal(again.code, 2);
    assert.equal(
      again.stderr,
      `fssoctl: ${join(pki, 'fw2.pem')} exists already; it may be in use, and its key would be lost. Use another --name, or --force to replace it\n`,
    );
    assert.equal((await show(join(pki, 'fw2.pem'))).thumbprint, before.thumbprint, 'untouched');
    const forced = await ctl(['issue', '--role', 'firewall', '--name', 'fw2', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual((await show(join(pki, 'fw2.pem'))).thumbprint, before.thumbprint, 'replaced with --force');
    assert.equal(mode(join(pki, 'fw2.key')), '0600');

    const ca = await show(join(pki, 'ca.pem'));
    const reinit = await ctl(['init']);
    assert.equal(reinit.code, 2);
    assert.match(
      reinit.stderr,
      /ca\.key exists already; a new CA would orphan every certificate the old one signed\. Use another --dir, or --force/,
    );
    assert.equal((await show(join(pki, 'ca.pem'))).thumbprint, ca.thumbprint);
  });

  await t.test('init refuses a folder other users can write', async () => {
    const open = join(dir.path, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const r = await runCommand(BIN.ctl, ['pki', 'init', '--dir', open]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `fssoctl: ${open} can be written by other users (mode 0777), who could swap the CA key; run 'chmod 700 ${open}' or use another --dir\n`,
    );
    assert.deepEqual(readdirSync(open), []);
  });

  await t.test('a certificate may not outlive its CA', async () => {
    const short = join(dir.path, 'short');
    assert.equal((await runCommand(BIN.ctl, ['pki', 'init', '--dir', short, '--days', '10'])).code, 0);
    const r = await runCommand(BIN.ctl, ['pki', 'issue', '--dir', short, '--role', 'admin', '--name', 'ops']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--days 365 would outlive the CA \(valid to .*\); give fewer days, or make a new CA/);
  });
});
