import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedDetector } from '../src/identity/shared';
import { DEFAULT_IDENTITY } from '../src/identity/settings';

const T = Date.UTC(2026, 11, 1, 9);

test('past 200 000 tracked addresses the least recently seen are forgotten first, one per new address', () => {
  const d = new SharedDetector({ ...DEFAULT_IDENTITY, deadEntryTimeoutMs: 8 * 3_600_000 });
  for (let i = 0; i < 200_000; i++) d.note(`a${i}`, `u${i}`, T);
  d.note('a0', 'u0', T + 1); // seen again: now the most recent
  for (let i = 200_000; i < 201_000; i++) d.note(`a${i}`, `u${i}`, T + 2);
  assert.equal(d.size.recent, 200_000);
  assert.deepEqual(
    d.recentUsers('a0').map((s) => s.who),
    ['u0'],
    'an address seen again is kept',
  );
  assert.deepEqual(d.recentUsers('a1'), [], 'the least recently seen went first');
  assert.deepEqual(d.recentUsers('a1000'), []);
  assert.deepEqual(
    d.recentUsers('a1001').map((s) => s.who),
    ['u1001'],
  );
  // Again after the evictions: the order still holds.
  d.note('a1001', 'u1001', T + 3);
  d.note('a201000', 'u201000', T + 3);
  assert.deepEqual(d.recentUsers('a1002'), []);
  assert.equal(d.recentUsers('a1001').length, 1);
});
