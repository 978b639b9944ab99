// Writes docs/config.md from the config schemas (run after `npm run build`); `--check` exits 1
// when the file is not up to date instead of writing it.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { renderConfigReference } = require(join(root, 'test/dist/support/config-doc.js'));
const target = join(root, 'docs/config.md');
const text = renderConfigReference();
if (process.argv.includes('--check')) {
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (current !== text) {
    console.error('docs/config.md is out of date; run `npm run docs:config`');
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
