import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { IdentitySource } from '../source';
import { reply, type SquidOptions } from './protocol';

/**
 * Answers squid's requests on `input`, one reply line per request line, from memory. Output is
 * buffered per input chunk (squid sends many lines at once with concurrency) and written in one go.
 * Resolves when squid closes the helper's standard input.
 */
export function serveSquid(
  source: Pick<IdentitySource, 'lookup'>,
  opts: SquidOptions,
  input: Readable,
  output: Writable,
): Promise<{ requests: number }> {
  let requests = 0;
  let batch: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (batch.length === 0) return;
    output.write(`${batch.join('\n')}\n`);
    batch = [];
  };
  const rl = createInterface({ input, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    requests++;
    batch.push(reply(line, (ip) => source.lookup(ip), opts));
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  return new Promise((resolve) =>
    rl.on('close', () => {
      flush();
      resolve({ requests });
    }),
  );
}
