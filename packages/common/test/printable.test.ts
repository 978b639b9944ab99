import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printable } from '../src/cli/printable';
import { renderTable } from '../src/cli/table';
import { identityName } from '../src/cli/identity-format';

test('printable: C0, DEL, C1, separators and bidi overrides are escaped; other text is unchanged', () => {
  assert.equal(printable('dc1\x1b[2J\nFAKE\r\t'), 'dc1\\x1b[2J\\nFAKE\\r\\t');
  assert.equal(printable('a\x00b\x7fc\x9bd\x85'), 'a\\x00b\\x7fc\\x9bd\\x85');
  assert.equal(printable('x\u2028y\u202ez\u2066'), 'x\\u2028y\\u202ez\\u2066');
  const plain = 'CORP\\alice Müller 東京 émoji 🙂 [ok] 10.0.0.1';
  assert.equal(printable(plain), plain);
});

test('tables and identity names never carry a raw control character', () => {
  const t = renderTable(['USER', 'REPORTER'], [['bob\u202e', 'dc1\x1b[2J\nforged row']], 200);
  assert.equal(t.split('\n').length, 2, 'a newline inside a cell does not add a row');
  assert.doesNotMatch(t, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
  assert.match(t, /bob\\u202e\s+dc1\\x1b\[2J\\nforged row/);
  // Widths are taken after escaping, so columns still line up.
  const [head = '', row = ''] = t.split('\n');
  assert.equal(head.indexOf('REPORTER'), row.indexOf('dc1'));
  assert.equal(identityName({ domain: 'CORP', user: 'eve\x1b]0;pwned\x07' }), 'CORP\\eve\\x1b]0;pwned\\x07');
});
