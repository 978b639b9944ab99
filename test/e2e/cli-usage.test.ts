import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from '../support/paths';
import { runCommand } from '../support/processes';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const TOOLS = [
  ['fssoctl', BIN.ctl],
  ['fsso-fw', BIN.fw],
  ['fsso-dc-agent', BIN.agent],
  ['fsso-collector', BIN.collector],
] as const;

test('--version everywhere', async () => {
  for (const [name, bin] of TOOLS) {
    for (const flag of ['--version', '-V']) {
      const r = await runCommand(bin, [flag]);
      assert.equal(r.code, 0, `${name} ${flag}: ${r.stderr}`);
      assert.equal(r.stdout, `${name} ${VERSION}\n`);
    }
  }
});

test("COMMAND --help and help COMMAND give that command's usage with an example", async () => {
  const cases: [string, string[], RegExp][] = [
    [
      BIN.ctl,
      ['who', '--help'],
      /^Usage: fssoctl who IP \[--at TIME\] \[--json\]\n[\s\S]*Examples?:\n {2}fssoctl who 10\.1\.2\.3/,
    ],
    [BIN.ctl, ['help', 'user'], /^Usage: fssoctl user NAME[\s\S]*fssoctl user 'CORP\\dave'/],
    [
      BIN.ctl,
      ['pki', 'issue', '--help'],
      /^Usage: fssoctl pki issue --role[\s\S]*Examples:\n {2}fssoctl pki issue --dir pki --role agent/,
    ],
    [BIN.ctl, ['tls', 'check', '-h'], /^Usage: fssoctl tls check HOST:PORT[\s\S]*FSSO_CA\/FSSO_CERT\/FSSO_KEY/],
    [
      BIN.fw,
      ['watch', '--help'],
      /^Usage: fsso-fw watch \[--json\][\s\S]*back: live again[\s\S]*Examples:\n {2}fsso-fw watch/,
    ],
    [
      BIN.agent,
      ['parse', '--help'],
      /^Usage: fsso-dc-agent parse[\s\S]*--config[\s\S]*Examples:\n {2}fsso-dc-agent parse --format windows-xml/,
    ],
    [
      BIN.collector,
      ['serve', '--help'],
      /^Usage: fsso-collector serve --config FILE[\s\S]*--log-level[\s\S]*Examples:\n {2}fsso-collector serve/,
    ],
  ];
  for (const [bin, args, re] of cases) {
    const r = await runCommand(bin, args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, re, args.join(' '));
  }
});

test('unknown flags and commands say "did you mean"; extra arguments are errors (exit 2, one line, no stack)', async () => {
  const cases: [string, string[], RegExp][] = [
    [BIN.ctl, ['stats', '--jsn'], /^fssoctl: unknown option --jsn; did you mean --json\? \(see 'fssoctl --help'\)\n$/],
    [BIN.ctl, ['logons', '--netwrk', '10.0.0.0/8'], /did you mean --network\?/],
    [BIN.ctl, ['lgons'], /^fssoctl: unknown command 'lgons'; did you mean 'fssoctl logons'\?/],
    [BIN.ctl, ['pki', 'isue'], /unknown command 'isue'; did you mean 'fssoctl pki issue'\?/],
    [
      BIN.ctl,
      ['who', '10.1.2.3', '10.1.2.4'],
      /^fssoctl: unexpected argument '10\.1\.2\.4'; usage: fssoctl who IP \[--at TIME\] \[--json\] \(see 'fssoctl who --help'\)\n$/,
    ],
    [BIN.ctl, ['stats', 'now'], /unexpected argument 'now'/],
    [BIN.fw, ['tabel'], /did you mean 'fsso-fw table'\?/],
    [BIN.fw, ['lookup', '10.1.2.3', '--jason'], /did you mean --json\?/],
    [BIN.agent, ['stauts'], /did you mean 'fsso-dc-agent status'\?/],
    [BIN.agent, ['run', '--config', 'x.json', 'extra'], /unexpected argument 'extra'/],
    [BIN.collector, ['serve', '--confg', 'x.json'], /did you mean --config\?/],
  ];
  for (const [bin, args, re] of cases) {
    const r = await runCommand(bin, args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('--json on pki init and issue prints the files and the certificate summary', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'fsso-pki-json-'));
  try {
    const init = await runCommand(BIN.ctl, ['pki', 'init', '--dir', dir, '--json']);
    assert.equal(init.code, 0, init.stderr);
    assert.equal((JSON.parse(init.stdout) as { cert: string }).cert, join(dir, 'ca.pem'));
    const issue = await runCommand(BIN.ctl, [
      'pki',
      'issue',
      '--dir',
      dir,
      '--role',
      'agent',
      '--name',
      'dc9',
      '--domain',
      'CORP',
      '--json',
    ]);
    assert.equal(issue.code, 0, issue.stderr);
    const j = JSON.parse(issue.stdout) as { role: string; certificate: { roles: string[]; domains: string[] } };
    assert.deepEqual([j.role, j.certificate.roles, j.certificate.domains], ['agent', ['agent'], ['CORP']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
