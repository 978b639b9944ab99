import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { AuthScheme } from './config';

/** ntlm_auth's helper protocol per scheme (Samba's names; squid speaks the same lines). */
export const HELPER_PROTOCOL: Record<AuthScheme, string> = {
  ntlm: 'squid-2.5-ntlmssp',
  negotiate: 'gss-spnego',
};

/** What one helper line means for the exchange. */
export type HelperReply =
  | { kind: 'continue'; token: Buffer }
  | { kind: 'done'; token: Buffer; account: string }
  | { kind: 'failed'; reason: string }
  | { kind: 'broken'; reason: string };

/**
 * Reads one reply line of either protocol:
 *   TT <token>                  a challenge (NTLM type 2, or an SPNEGO continuation)
 *   AF <account>                NTLM: success ("CORP\alice")
 *   AF <token|*> <account>      gss-spnego: success, with the last token for the client
 *   NA [<token|*>] <reason>     wrong credentials
 *   BH <reason>                 the helper could not work (no winbindd, a bad message)
 */
export function parseHelperReply(scheme: AuthScheme, line: string): HelperReply {
  const [code = '', ...rest] = line.trim().split(' ');
  const tokenOf = (s: string | undefined): Buffer =>
    s === undefined || s === '*' ? Buffer.alloc(0) : Buffer.from(s, 'base64');
  switch (code) {
    case 'TT':
      return { kind: 'continue', token: tokenOf(rest[0]) };
    case 'AF':
      if (scheme === 'negotiate' && rest.length >= 2)
        return { kind: 'done', token: tokenOf(rest[0]), account: rest.slice(1).join(' ') };
      return { kind: 'done', token: Buffer.alloc(0), account: rest.join(' ') };
    case 'NA': {
      const words = scheme === 'negotiate' && rest.length >= 2 ? rest.slice(1) : rest;
      return { kind: 'failed', reason: words.join(' ') || 'the domain refused the credentials' };
    }
    case 'BH':
      return { kind: 'broken', reason: rest.join(' ') || 'the helper gave up' };
    default:
      return { kind: 'broken', reason: `unexpected helper reply ${JSON.stringify(line.slice(0, 40))}` };
  }
}

/** "CORP\alice", "alice@CORP.EXAMPLE.TEST" (Kerberos principal) or "alice" as user and domain. */
export function splitAccount(account: string): { user: string; domain: string } {
  const slash = account.indexOf('\\');
  if (slash >= 0)
    return { user: account.slice(slash + 1).toLowerCase(), domain: account.slice(0, slash).toUpperCase() };
  const at = account.lastIndexOf('@');
  if (at >= 0) return { user: account.slice(0, at).toLowerCase(), domain: account.slice(at + 1).toUpperCase() };
  return { user: account.toLowerCase(), domain: '' };
}

/**
 * One ntlm_auth process. Its protocol is stateful (the challenge it issued lives in the process
 * until the answer), so a helper serves one exchange at a time; the pool leases it out.
 */
export class Helper {
  private readonly child: ChildProcessWithoutNullStreams;
  private waiting: { resolve: (line: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
  private dead = false;
  readonly startedMs = Date.now();
  /** stderr lines, newest last (bounded): why it died, for the log. */
  readonly stderr: string[] = [];

  constructor(
    argv: readonly string[],
    readonly scheme: AuthScheme,
    onExit: (h: Helper, why: string) => void,
  ) {
    const [cmd = 'ntlm_auth', ...args] = argv;
    this.child = spawn(cmd, [...args, `--helper-protocol=${HELPER_PROTOCOL[scheme]}`], { stdio: 'pipe' });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (w) {
        clearTimeout(w.timer);
        w.resolve(line);
      }
    });
    createInterface({ input: this.child.stderr }).on('line', (line) => {
      this.stderr.push(line.slice(0, 300));
      if (this.stderr.length > 5) this.stderr.shift();
    });
    const gone = (why: string): void => {
      if (this.dead) return;
      this.dead = true;
      this.waiting?.reject(new Error(`helper ${why}`));
      if (this.waiting) clearTimeout(this.waiting.timer);
      this.waiting = undefined;
      onExit(this, why);
    };
    this.child.on('error', (err) => gone(`could not run ${cmd}: ${err.message}`));
    this.child.on('exit', (code, sig) => gone(sig ? `killed by ${sig}` : `exited with code ${code}`));
    this.child.stdin.on('error', () => undefined); // an EPIPE shows as the exit above
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Sends one line and resolves with the reply line; rejects if the helper dies or is too slow. */
  ask(line: string, timeoutMs: number): Promise<string> {
    if (this.dead) return Promise.reject(new Error('helper is not running'));
    if (this.waiting) return Promise.reject(new Error('helper is busy'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`helper gave no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = { resolve, reject, timer };
      this.child.stdin.write(`${line}\n`);
    });
  }

  kill(): void {
    if (!this.dead) this.child.kill('SIGKILL');
  }
}
