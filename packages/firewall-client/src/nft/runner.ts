import { spawn } from 'node:child_process';

/** The outcome of one `nft -f -`: expected failures are values (a refused script), not exceptions. */
export type NftResult = { ok: true; durationMs: number } | { ok: false; durationMs: number; error: string };

/** Applies one nft script as one transaction. */
export type NftRunner = (script: string) => Promise<NftResult>;

/** Runs `command... -f -` with the script on standard input; nft applies a file all or nothing. */
export function nftRunner(command: readonly string[]): NftRunner {
  const [bin = 'nft', ...args] = command;
  return (script) =>
    new Promise((resolve) => {
      const started = process.hrtime.bigint();
      const ms = (): number => Number(process.hrtime.bigint() - started) / 1e6;
      const child = spawn(bin, [...args, '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        if (stderr.length < 4000) stderr += d.toString();
      });
      child.on('error', (e) =>
        resolve({
          ok: false,
          durationMs: ms(),
          error: `cannot run ${bin}: ${e.message}; install nftables or set nft.command`,
        }),
      );
      child.on('close', (code) =>
        resolve(
          code === 0
            ? { ok: true, durationMs: ms() }
            : { ok: false, durationMs: ms(), error: stderr.trim() || `${bin} exited with ${code}` },
        ),
      );
      // A failed spawn closes stdin under us; its error is reported by 'error' above.
      child.stdin.on('error', () => undefined);
      child.stdin.end(script);
    });
}
