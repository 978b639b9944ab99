import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { formatNames } from '../src/registry';
import { corpus } from './fuzz/corpus';
import { mutate, mutations } from './fuzz/arbitraries';

// The fuzz fixtures' own checks: the corpus is real and the mutations are total.

test('every registered format has real records, some of which produce events', () => {
  for (const name of formatNames()) {
    const c = corpus(name);
    assert.ok(c.records.length >= 3, `${name}: ${c.records.length} records`);
    assert.ok(c.good.length >= 2, `${name}: ${c.good.length} records with events`);
  }
});

test('mutations apply to any record and always give bytes', () => {
  fc.assert(
    fc.property(fc.string(), mutations, (s, ms) => Buffer.isBuffer(mutate(s, ms))),
    { seed: 20261123, numRuns: 200 },
  );
  assert.equal(mutate('{"a":"b"}', [{ op: 'dupField', n: 0 }]).toString(), '{"a":"b","a":"b"}');
  assert.equal(
    mutate('<Data Name="U">bob</Data>', [{ op: 'hugeValue', n: 1, size: 300 }]).toString(),
    `<Data Name="U">${'x'.repeat(300)}</Data>`,
  );
});
