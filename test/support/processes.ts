import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { channelCredentials } from '@fsso/common';
import { testPki } from './pki';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BIN } from './paths';

export interface LogLine {
  message?: string;
  level?: string;
  [k: string]: unknown;
}

/** A child process of ours whose JSON log lines we read. Killed by pid in `stop`/`kill`. */
export class Daemon {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  private readonly waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { message: text };
      }
      this.lines.push(line);
      for (const w of [...this.waiters]) {
        if (w.pred(line)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    });
    createInterface({ input: child.stderr! }).on('line', (t) => this.stderr.push(t));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resolves with the first log line (past or future) that matches. */
  waitFor(pred: (l: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.name}: no matching log line within ${timeoutMs} ms; stderr: ${this.stderr.join('\n')}; last lines: ${JSON.stringify(this.lines.slice(-5))}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(
          new Error(`${this.name} exited (${code}) before the awaited log line; stderr: ${this.stderr.join('\n')}`),
        );
      });
    });
  }

  /** SIGTERM and wait; SIGKILL if it does not exit in time. */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

export function startProcess(name: string, bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Daemon {
  const child = spawn(process.execPath, [bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  return new Daemon(name, child);
}

/** A temp folder removed by `cleanup`. */
export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `fsso-${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export interface CollectorHandle {
  daemon: Daemon;
  port: number;
  address: string;
  configPath: string;
  /** Connection flags for fssoctl (role admin) or fsso-fw (role firewall), with that role's certificate. */
  args(role?: 'admin' | 'firewall'): string[];
  /** gRPC credentials of a client with that role. */
  credentials(role?: 'admin' | 'firewall' | 'agent'): grpc.ChannelCredentials;
}

/**
 * Starts `fsso-collector serve` on 127.0.0.1 (port 0 = any free port) and waits until it listens.
 * Mutual TLS with the test CA, as in production; `insecure: true` in `config` for plaintext.
 */
export async function startCollector(
  dir: string,
  opts: { port?: number; config?: Record<string, unknown>; env?: NodeJS.ProcessEnv } = {},
): Promise<CollectorHandle> {
  const pki = testPki();
  const configPath = join(dir, 'collector.json');
  const tls = { ca: pki.ca, cert: pki.collector.cert, key: pki.collector.key };
  // A plaintext collector gets no tls block: both at once is a config error.
  const security = opts.config?.['insecure'] === true ? {} : { tls };
  writeFileSync(
    configPath,
    JSON.stringify(
      {
        listen: `127.0.0.1:${opts.port ?? 0}`,
        ...security,
        dataDir: 'collector-data',
        log: { format: 'json', level: 'info' },
        ...opts.config,
      },
      null,
      2,
    ),
  );
  const daemon = startProcess('collector', BIN.collector, ['serve', '--config', configPath], opts.env);
  const line = await daemon.waitFor((l) => l.message === 'collector listening');
  const port = Number(line['port']);
  const address = `127.0.0.1:${port}`;
  const insecure = opts.config?.['insecure'] === true;
  return {
    daemon,
    port,
    address,
    configPath,
    args: (role = 'admin') =>
      insecure
        ? ['--collector', address, '--insecure']
        : ['--collector', address, '--ca', pki.ca, '--cert', pki[role].cert, '--key', pki[role].key],
    // The clients' own credentials, so tests also check the collector's certificate as they do.
    credentials: (role = 'admin') =>
      insecure
        ? grpc.credentials.createInsecure()
        : channelCredentials({ tls: { ca: pki.ca, cert: pki[role].cert, key: pki[role].key } }),
  };
}

/**
 * Writes an `fsso-fw` config at `path`: `collectors` in priority order, mutual TLS with the test
 * CA's firewall certificate, and `extra` (policy, nft, push, proxy, …). Returns the path.
 */
export function writeFirewallConfig(path: string, collectors: unknown[], extra: Record<string, unknown> = {}): string {
  const pki = testPki();
  writeFileSync(
    path,
    JSON.stringify({ collectors, tls: { ca: pki.ca, cert: pki.firewall.cert, key: pki.firewall.key }, ...extra }),
  );
  return path;
}

/** Writes an agent config and starts `fsso-dc-agent run` (mutual TLS with the test CA's agent certificate). */
export function startAgent(dir: string, config: Record<string, unknown>, extraArgs: string[] = []): Daemon {
  const pki = testPki();
  const configPath = join(dir, 'agent.json');
  const tls = { ca: pki.ca, cert: pki.agent.cert, key: pki.agent.key };
  writeFileSync(
    configPath,
    JSON.stringify(
      { agentId: 'dc1', tls, dataDir: 'agent-data', log: { format: 'json', level: 'info' }, ...config },
      null,
      2,
    ),
  );
  return startProcess('agent', BIN.agent, ['run', '--config', configPath, ...extraArgs]);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one of our commands to completion. */
export function runCommand(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  input?: string,
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/**
 * `fsso-fw watch --json` against a collector (firewall role), stopped after the test, resolved
 * once its replica holds the table.
 */
export async function startWatch(
  t: { after: (fn: () => unknown) => void },
  collector: CollectorHandle,
): Promise<Daemon> {
  const watch = startProcess('fsso-fw watch', BIN.fw, ['watch', '--json', ...collector.args('firewall')]);
  t.after(() => watch.stop());
  await watch.waitFor((l) => l['event'] === 'ready');
  return watch;
}
