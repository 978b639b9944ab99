import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '@fsso/common';
import { applyHeapPolicy, HEAP_GROWING_ENV, HEAP_GROWING_PERCENT } from '../src/heap-policy';

function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const note = (message: string): void => void lines.push(message);
  const log = { debug: note, info: note, warn: (m: string) => note(`warn: ${m}`), error: note } as unknown as Logger;
  return { log, lines };
}

test('the collector caps its heap growth unless told otherwise; a bad override is warned about and ignored', () => {
  const quiet = capture();
  assert.equal(applyHeapPolicy(quiet.log, {}), HEAP_GROWING_PERCENT);
  assert.deepEqual(quiet.lines, [], 'the default says nothing');

  const own = capture();
  assert.equal(applyHeapPolicy(own.log, { [HEAP_GROWING_ENV]: '0' }), 0, "0 leaves V8's own factor");
  assert.match(own.lines.join('\n'), /V8's own/);

  for (const bad of ['lots', '-5', '12.5', '1000']) {
    const c = capture();
    assert.equal(applyHeapPolicy(c.log, { [HEAP_GROWING_ENV]: bad }), HEAP_GROWING_PERCENT, bad);
    assert.match(c.lines.join('\n'), new RegExp(`warn: ${HEAP_GROWING_ENV} ignored: give a whole percent`), bad);
  }
});
