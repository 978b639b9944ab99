// Runs every compiled test file with node's test runner: package unit tests, then the end-to-end
// tests in test/. (Node 20's runner takes no globs, so the files are listed here.)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dirs = ['packages/common/dist/test', 'packages/formats/dist/test', 'packages/collector/dist/test', 'packages/dc-agent/dist/test', 'packages/firewall-client/dist/test', 'test/dist/e2e'];
const only = process.argv.slice(2);

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}

const files = dirs.flatMap((d) => walk(join(root, d))).filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('run-tests: no compiled test files found; run `npm run build` first');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
