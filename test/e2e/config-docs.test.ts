import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/paths';
import { renderConfigReference } from '../support/config-doc';

test('docs/config.md is the rendering of the config schemas (run `npm run docs:config` after changing one)', () => {
  assert.equal(readFileSync(join(ROOT, 'docs/config.md'), 'utf8'), renderConfigReference());
});
