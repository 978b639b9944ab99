/**
 * Prints the top self-time functions of a V8 .cpuprofile (as `node --cpu-prof` writes), with
 * their share of the busy (non-idle) time: the figures bench/README.md quotes.
 *
 * Usage: node test/dist/bench/harness/profile-top.js FILE.cpuprofile [N]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

function main(): void {
  const [file, n] = process.argv.slice(2);
  if (!file) {
    console.error('usage: profile-top FILE.cpuprofile [N]');
    process.exit(2);
  }
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  let busy = 0;
  p.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = p.timeDeltas[i] ?? 0;
    const f = node?.callFrame;
    if (!f || f.functionName === '(idle)' || f.functionName === '(program)') return;
    const url = f.url.replace(/^.*\/(packages|node_modules)\//, '$1/');
    const key = `${f.functionName || '(anonymous)'} ${url}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    busy += dt;
  });
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(n ?? 25));
  console.log(`busy ${(busy / 1e6).toFixed(2)} s`);
  for (const [k, us] of top) console.log(`${((100 * us) / busy).toFixed(1).padStart(5)} %  ${k}`);
}

main();
