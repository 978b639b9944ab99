import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { formatNames } from '../src/registry';
import { garbage, mutate, mutations } from './fuzz/arbitraries';
import {
  FC,
  STATEFUL,
  assertSound,
  atFixedNow,
  corpus,
  feed,
  formatOf,
  problemOf,
  separator,
  type Fed,
} from './fuzz/corpus';

// Real records, damaged the ways files get damaged (flipped and lost bytes, torn writes, fields
// written twice, quotes swapped, NULs, huge values): the parser must neither throw nor emit a
// malformed event, and a damaged record between two good ones must not change their events.

for (const name of formatNames()) {
  test(`${name}: mutated real records never throw and give well-formed events`, () => {
    const f = formatOf(name);
    const { records, good } = corpus(name);
    fc.assert(
      fc.property(fc.constantFrom(...records, ...good), mutations, (record, ms) => {
        const bad = mutate(record, ms);
        // As a follower sees it: the record complete, with what ends it.
        const stream = Buffer.concat([bad, Buffer.from(separator(name))]);
        assertSound(
          name,
          problemOf(() => feed(f, stream), stream.length),
          bad,
        );
        const text = bad.toString('utf8');
        assertSound(
          name,
          problemOf(() => f.createParser()(text), text.length),
          bad,
        );
      }),
      FC,
    );
  });
}

/**
 * dhcpd.leases: the splitter resynchronises at a top-level keyword at the start of a line, so the
 * bad record ends with a line break (dhcpd writes every statement on its own lines).
 */
function closedAtTopLevel(name: string, bad: Buffer): Buffer {
  return name === 'dhcp-isc-leases' ? Buffer.concat([bad, Buffer.from('\n', 'latin1')]) : bad;
}

/** Feeds `input`; a throw or a malformed event fails the property. */
function soundFeed(name: string, input: Buffer): Fed {
  let out: Fed | undefined;
  assertSound(
    name,
    problemOf(() => (out = feed(formatOf(name), input)), input.length),
    input,
  );
  assert.ok(out);
  return out;
}

for (const name of formatNames()) {
  test(`${name}: good records around a bad one come out exactly as without it`, () => {
    const f = formatOf(name);
    const { records, good } = corpus(name);
    const sep = separator(name);
    const pick = fc.nat({ max: good.length - 1 });
    const badRecord = fc.oneof(
      fc.tuple(fc.constantFrom(...records, ...good), mutations).map(([r, ms]) => mutate(r, ms)),
      garbage,
    );
    fc.assert(
      fc.property(pick, pick, badRecord, (a, b, rawBad) =>
        atFixedNow(() => {
          const bad = closedAtTopLevel(name, rawBad);
          const first = good[a] ?? '';
          const last = good[b] ?? '';
          const plain = feed(f, Buffer.from(first + sep + last + sep, 'utf8'));
          const mixed = soundFeed(
            name,
            Buffer.concat([Buffer.from(first + sep, 'utf8'), bad, Buffer.from(sep + last + sep, 'utf8')]),
          );
          // Ended like a record in a file (a bare end of input is fuzz-parsers' part).
          const alone = soundFeed(name, Buffer.concat([bad, Buffer.from(sep, 'utf8')]));
          assert.equal(mixed.records[0], plain.records[0], 'the first good record is split off whole');
          assert.deepEqual(mixed.results[0], plain.results[0], 'the first good record gives the same events');
          assert.equal(mixed.records.at(-1), plain.records.at(-1), 'the last good record is split off whole');
          // A parser with memory may rightly read a still-valid bad record as context (a CSV
          // header, the first of a kinit retry pair): then only a record that is neither counts as bad.
          const context = alone.results.some((r) => r.events.length > 0 || /header/i.test(r.skipped ?? ''));
          if (!STATEFUL.has(name) || !context) {
            assert.deepEqual(mixed.results.at(-1), plain.results.at(-1), 'the last good record gives the same events');
          }
        }),
      ),
      FC,
    );
  });
}
