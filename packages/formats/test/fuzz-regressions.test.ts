import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSyslogMessage } from '../src/syslog';
import { feed, formatOf, shapeProblem } from './fuzz/corpus';

// The smallest inputs with which the fuzz-*.test.ts properties broke a format, kept as plain
// tests: each names what went wrong, so a regression reads as that bug and not as a fast-check
// counterexample. The "linear time" tests compare the code with itself on 8 times the input (no
// wall-clock limit): linear code takes about 8 times as long, the old code 64 to 512 times.
// A bug still open would be a todo test, and the property that found it would skip exactly that case.

/** Milliseconds `fn` takes. Linear code handles each input below in about a millisecond. */
function ms(fn: () => unknown): number {
  const started = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * How much longer `run(8)` takes than `run(1)`, best of 5 each (so a GC pause or a busy core does
 * not decide): about 8 for linear work, 64 for quadratic, 512 for cubic. A ratio over the linear
 * bound is measured again, up to five times, and the lowest kept: a core taken by another process
 * for one measurement inflates one ratio, while quadratic code is slow every time.
 */
function growth(run: (scale: number) => unknown): number {
  run(1);
  const best = (scale: number): number => Math.min(...Array.from({ length: 5 }, () => ms(() => run(scale))));
  let lowest = Infinity;
  for (let i = 0; i < 5 && lowest >= LINEAR; i++) lowest = Math.min(lowest, best(8) / Math.max(best(1), 0.05));
  return lowest;
}

/** Well above linear (8) and its noise, well below quadratic (64). */
const LINEAR = 24;

const split = (name: string, text: string): string[] => feed(formatOf(name), Buffer.from(text, 'utf8')).records;

test('events: a JSON line that is not an object is skipped, not thrown on', () => {
  // Was: o['kind'] of null, a TypeError that stopped a follower's source for good.
  const parse = formatOf('events').createParser();
  for (const line of ['null', '[]', '1', '"USER_LOGON"', 'true']) {
    assert.doesNotThrow(() => parse(line), line);
    assert.deepEqual(parse(line).events, [], line);
  }
});

test('events: an ip or logonType that is not well-formed is not passed on', () => {
  // Was: copied through as given, so the agent shipped 'not-an-ip' and logonType NaN.
  const parse = formatOf('events').createParser();
  for (const line of [
    '{"kind":"USER_LOGON","eventTimeMs":1700000000000,"user":"alice","ip":"not-an-ip"}',
    '{"kind":"USER_LOGON","eventTimeMs":1700000000000,"user":"alice","ip":"::FFFF:10.0.0.1"}',
    '{"kind":"USER_LOGON","eventTimeMs":1700000000000,"user":"alice","ip":"10.0.0.1","logonType":"x"}',
  ]) {
    for (const e of parse(line).events) assert.equal(shapeProblem(e, line.length), undefined, line);
  }
});

test('dhcp-isc-leases: a statement without `;` is read in linear time', () => {
  // Was: /^\s*NAME\s+(.*?)\s*;/m backtracking cubically over the spaces (1200: ~1 s, 4000: ~20 s).
  const g = growth((k) =>
    formatOf('dhcp-isc-leases').createParser()(`lease 10.0.0.1 {\n  binding state${' '.repeat(1200 * k)}}`),
  );
  assert.ok(g < LINEAR, `8 times the input took ${g.toFixed(1)} times as long`);
});

test('dhcp-isc-leases: blank lines inside a lease block are read in linear time', () => {
  // Was: the same regex retried `^\s*` at every blank line (15 000 lines: ~0.4 s, 40 000: ~2.6 s).
  const g = growth((k) =>
    formatOf('dhcp-isc-leases').createParser()(
      `lease 10.0.0.1 {${'\n'.repeat(15_000 * k)}  starts 4 2017/10/05 15:22:29;\n}`,
    ),
  );
  assert.ok(g < LINEAR, `8 times the input took ${g.toFixed(1)} times as long`);
});

test('dhcp-isc-leases: a torn statement does not swallow the leases after it', () => {
  // Was: after an unclosed `{` or `"` every later statement joined one record (up to 1 MiB).
  const lease = (ip: string, mac: string): string =>
    `lease ${ip} {\n  starts 4 2019/01/03 10:00:00;\n  ends 4 2030/01/03 12:00:00;\n  binding state active;\n  hardware ethernet ${mac};\n}\n`;
  const good = lease('192.0.2.11', '00:11:22:33:44:66');
  for (const torn of [
    'lease 192.0.2.99 {\n  starts 4 2019/01/03 10:0\n',
    'lease 192.0.2.98 {\n  client-hostname "ws\n',
  ]) {
    const text = lease('192.0.2.10', '00:11:22:33:44:55') + torn + good;
    const ips = feed(formatOf('dhcp-isc-leases'), Buffer.from(text, 'utf8')).results.flatMap((r) =>
      r.events.map((e) => e.ip),
    );
    assert.deepEqual(ips, ['192.0.2.10', '192.0.2.11'], JSON.stringify(torn));
  }
});

test('dhcp-isc-leases: a statement torn before its `{` or `;` does not swallow the next lease', () => {
  // Was: the splitter resynced at a top-level keyword only inside an open `{` or string; text left
  // open at depth 0 (`lease 192.0.2.99` torn before ` {`, a stray byte) took the next lease with it.
  const lease = (ip: string, mac: string): string =>
    `lease ${ip} {\n  starts 4 2019/01/03 10:00:00;\n  ends 4 2030/01/03 12:00:00;\n  binding state active;\n  hardware ethernet ${mac};\n}\n`;
  for (const torn of ['lease 192.0.2.99\n', 'authoring-byte-order little-endian\n', '$\n']) {
    const text = lease('192.0.2.10', '00:11:22:33:44:55') + torn + lease('192.0.2.11', '00:11:22:33:44:66');
    const ips = feed(formatOf('dhcp-isc-leases'), Buffer.from(text, 'utf8')).results.flatMap((r) =>
      r.events.map((e) => e.ip),
    );
    assert.deepEqual(ips, ['192.0.2.10', '192.0.2.11'], JSON.stringify(torn));
  }
});

test('syslog: a run of CR, LF or NUL inside a message is parsed in linear time', () => {
  // Was: raw.replace(/[\r\n\0]+$/, '') quadratic in a run not at the end: one 8 KiB UDP datagram
  // (CR and LF pass the listener's binary check) cost ~95 ms, about 3000 times a normal one.
  const g = growth((k) => parseSyslogMessage('\r'.repeat(16_000 * k) + '<13>Jan  1 00:00:00 host prog: x'));
  assert.ok(g < LINEAR, `8 times the input took ${g.toFixed(1)} times as long`);
});

test('freeradius-detail: whitespace at the end of a file is trimmed in linear time', () => {
  // Was: BlankLineSplitter.end() trimming with /\s+$/, quadratic (200 000 spaces: ~50 s).
  const g = growth((k) => split('freeradius-detail', ' '.repeat(20_000 * k) + 'x'));
  assert.ok(g < LINEAR, `8 times the input took ${g.toFixed(1)} times as long`);
});

test('windows-xml: many unclosed <Event openers are split in linear time', () => {
  // Was: a scan of the whole rest of the buffer for `</Event` per opener (1 MiB region: ~90 s).
  const g = growth((k) => split('windows-xml', '<Event '.repeat(2_500 * k)));
  assert.ok(g < LINEAR, `8 times the input took ${g.toFixed(1)} times as long`);
});
