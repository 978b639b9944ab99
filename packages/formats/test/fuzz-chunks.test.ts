import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { formatNames } from '../src/registry';
import { garbage, mutate, mutations } from './fuzz/arbitraries';
import { FC, assertSound, atFixedNow, corpus, feed, formatOf, problemOf, separator } from './fuzz/corpus';

// A follower reads a file in whatever pieces the file system returns, and a file being written
// may end anywhere. Wherever the chunks are cut, the same records and events must come out, and
// `consumed` (the position saved for a restart) must never run ahead of what was pushed.

for (const name of formatNames()) {
  test(`${name}: any chunking gives the same records, events and consumed as one push`, () => {
    const f = formatOf(name);
    const { records, good } = corpus(name);
    const piece = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...records, ...good).map((r) => Buffer.from(r, 'utf8')) },
      {
        weight: 2,
        arbitrary: fc.tuple(fc.constantFrom(...records, ...good), mutations).map(([r, ms]) => mutate(r, ms)),
      },
      { weight: 1, arbitrary: garbage },
    );
    // Records usually with their separator, sometimes run together, as damaged files have them.
    const stream = fc
      .array(fc.tuple(piece, fc.boolean()), { minLength: 1, maxLength: 6 })
      .map((parts) =>
        Buffer.concat(parts.map(([p, sep]) => Buffer.concat([p, Buffer.from(sep ? separator(name) : '', 'utf8')]))),
      );
    const cuts = fc.array(fc.nat(), { maxLength: 24 });
    fc.assert(
      fc.property(stream, cuts, (input, at) =>
        atFixedNow(() => {
          let whole: ReturnType<typeof feed> | undefined;
          assertSound(
            name,
            problemOf(() => (whole = feed(f, input)), input.length),
            input,
          );
          assert.ok(whole);
          const chunked = feed(f, input, at);
          assert.deepEqual(chunked.records, whole.records, 'records');
          assert.deepEqual(chunked.results, whole.results, 'events and skip reasons');
          assert.equal(chunked.consumed, whole.consumed, 'consumed after end()');
          assert.equal(whole.consumed, input.length, 'end() accounts for every byte');
        }),
      ),
      FC,
    );
  });

  test(`${name}: consumed only grows, never passes what was pushed, and ends on a record`, () => {
    const f = formatOf(name);
    const { good } = corpus(name);
    const input = Buffer.from(good.slice(0, 8).join(separator(name)) + separator(name), 'utf8');
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 512 }), { minLength: 1, maxLength: 40 }), (sizes) => {
        const splitter = f.createSplitter();
        const whole = feed(f, input).records;
        const seen: string[] = [];
        let pushed = 0;
        let last = 0;
        for (let i = 0; pushed < input.length; i++) {
          const size = sizes[i % sizes.length] ?? 1;
          seen.push(...splitter.push(input.subarray(pushed, pushed + size)));
          pushed = Math.min(input.length, pushed + size);
          assert.ok(
            splitter.consumed >= last && splitter.consumed <= pushed,
            `consumed ${splitter.consumed} after ${pushed} bytes (was ${last})`,
          );
          if (splitter.consumed === last) continue;
          last = splitter.consumed;
          // A restart from `consumed` must find the rest of the records, not half of one.
          assert.deepEqual(feed(f, input.subarray(last)).records, whole.slice(seen.length), `restart at ${last}`);
        }
        seen.push(...splitter.end());
        assert.deepEqual(seen, whole);
      }),
      { ...FC, numRuns: 50 },
    );
  });
}
