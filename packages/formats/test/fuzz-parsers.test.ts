import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { formatNames } from '../src/registry';
import { garbage, jsonConfusion, tokenSoup } from './fuzz/arbitraries';
import { FC, assertSound, corpus, feed, formatOf, problemOf } from './fuzz/corpus';

// Hostile and broken input must change nothing: whatever bytes a source holds, every format's
// splitter and parser return (never throw) and every event they emit is well-formed. Runs are
// seeded and bounded, so a failure replays exactly and the file stays fast.

const JSON_FORMATS = new Set(['windows-json', 'samba-audit', 'events']);

for (const name of formatNames()) {
  test(`${name}: arbitrary text, bytes and token soup never throw and give well-formed events`, () => {
    const f = formatOf(name);
    const c = corpus(name);
    const sources = [garbage, tokenSoup(c.records)];
    if (JSON_FORMATS.has(name))
      sources.push(
        jsonConfusion(c.records),
        fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8')),
      );
    fc.assert(
      fc.property(fc.oneof(...sources), (input) => {
        // Through the splitter, as a follower reads a file, and straight into the parser, as the
        // syslog listener and the Windows event log reader hand over one record at a time.
        assertSound(
          name,
          problemOf(() => feed(f, input), input.length),
          input,
        );
        const text = input.toString('utf8');
        assertSound(
          name,
          problemOf(() => f.createParser()(text), text.length),
          input,
        );
      }),
      FC,
    );
  });
}

/**
 * Long runs of one character: a backtracking regex or a rescanning splitter shows itself as time
 * growing with the square (or worse) of the run. Each run is timed at 20 000 and 200 000
 * characters: linear code takes ~10x longer for 10x the input, quadratic code ~100x.
 */
const PATTERNS: readonly (readonly [string, (n: number) => string])[] = [
  ['spaces', (n) => ' '.repeat(n) + 'x'],
  ['tabs then text', (n) => '\t'.repeat(n) + 'a = b'],
  ['digits', (n) => '1'.repeat(n)],
  ['dotted', (n) => '1.'.repeat(n / 2)],
  ['colons', (n) => ':'.repeat(n) + 'x'],
  ['commas', (n) => ','.repeat(n)],
  ['quotes', (n) => '"'.repeat(n)],
  ['backslashes', (n) => '\\'.repeat(n) + '"'],
  ['angle brackets', (n) => '<'.repeat(n)],
  ['open tags', (n) => '<Event '.repeat(n / 7)],
  ['nested JSON', (n) => '{"a":'.repeat(n / 5)],
  ['nested arrays', (n) => '['.repeat(n)],
  ['key=value', (n) => 'user=a '.repeat(n / 7)],
  ['syslog headers', (n) => 'Jan  1 00:00:00 '.repeat(n / 16)],
  ['CSV rows', (n) => '10,01/01/20,00:00:00,'.repeat(n / 21)],
  ['lease openers', (n) => 'lease 10.0.0.1 { '.repeat(n / 17)],
  ['ipv6 groups', (n) => 'ffff:'.repeat(n / 5)],
  ['Samba prefixes', (n) => 'ipv4:'.repeat(n / 5)],
  ['carriage returns', (n) => '\r'.repeat(n) + 'x'],
  ['NULs', (n) => '\0'.repeat(n) + 'x'],
  ['blank lines in a block', (n) => `lease 10.0.0.1 {${'\n'.repeat(n)}  starts 4 2017/10/05 15:22:29;\n}`],
  ['unterminated statement', (n) => `lease 10.0.0.1 {\n  binding state${' '.repeat(n)}}`],
];

/** Milliseconds to split and parse `text` (throws and malformed events fail the test). */
function timed(name: string, text: string): number {
  const f = formatOf(name);
  const input = Buffer.from(text, 'utf8');
  const started = process.hrtime.bigint();
  assertSound(
    name,
    problemOf(() => feed(f, input), input.length),
    input,
  );
  assertSound(
    name,
    problemOf(() => f.createParser()(text), text.length),
    input,
  );
  return Number(process.hrtime.bigint() - started) / 1e6;
}

for (const name of formatNames()) {
  test(`${name}: long runs of one character are split and parsed in linear time`, () => {
    // A pattern over the bound is measured again, up to three times: a core taken by another
    // process inflates one measurement, while super-linear code is slow every time.
    const verdict = (label: string, make: (n: number) => string): string | undefined => {
      const small = timed(name, make(20_000));
      // Past 100 ms at 20 000 characters the large run would take many seconds: slow already.
      const large = small > 100 ? Infinity : timed(name, make(200_000));
      if (large <= Math.max(1000, 25 * small)) return undefined;
      return `${label}: ${Math.round(small)} ms at 20 000, ${large === Infinity ? 'not tried' : `${Math.round(large)} ms`} at 200 000`;
    };
    const slow: string[] = [];
    for (const [label, make] of PATTERNS) {
      let v = verdict(label, make);
      for (let i = 0; i < 2 && v !== undefined; i++) v = verdict(label, make);
      if (v !== undefined) slow.push(v);
    }
    assert.deepEqual(slow, [], `${name} is super-linear`);
  });
}
