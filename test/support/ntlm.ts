import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type * as grpc from '@grpc/grpc-js';
import { channelCredentials, loadFsso, type ProxyAuthReply__Output, type ProxyAuthServiceClient } from '@fsso/common';
import { BIN } from './paths';
import { testPki } from './pki';
import { startProcess, type CollectorHandle, type Daemon } from './processes';
import { run, type RunResult } from './samba/exec';

/** A local origin server the proxy forwards to: answers every request with "hello from origin". */
export async function startOrigin(t: { after: (fn: () => unknown) => void }): Promise<{ url: string; hits: number[] }> {
  const hits: number[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(Date.now());
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' }).end('hello from origin\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hello`, hits };
}

/** `fsso-fw proxy --config FILE` with a proxy certificate for `domains`; resolves once it listens. */
export async function startProxy(
  dir: string,
  collector: CollectorHandle,
  listenHost: string,
  policy: Record<string, unknown>,
  proxy: Record<string, unknown> = {},
): Promise<{ daemon: Daemon; address: string }> {
  const pki = testPki();
  const cert = pki.issue('proxy', 'proxy1', ['CORP']);
  const configPath = join(dir, 'proxy.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      collectors: [collector.address],
      tls: { ca: pki.ca, cert: cert.cert, key: cert.key },
      policy,
      log: { format: 'json', level: 'info' },
      proxy: { listen: `${listenHost}:0`, ...proxy },
    }),
  );
  const daemon = startProcess('fsso-fw proxy', BIN.fw, ['proxy', '--config', configPath]);
  const line = await daemon.waitFor((l) => l.message === 'proxy listening');
  return { daemon, address: `${listenHost}:${String(line['port'])}` };
}

/** A curl command line that prints only the HTTP status (`-w`), through the given proxy arguments, never a proxy from the environment. */
export function curlStatus(args: readonly string[]): string[] {
  return ['curl', '-sS', '--noproxy', '', '--max-time', '20', '-o', '/dev/null', '-w', '%{http_code}', ...args];
}

/** curl from inside a client namespace (so the proxy sees the client's own address); `-w` prints the status. */
export function curlFrom(ns: string, args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return run('ip', ['netns', 'exec', ns, 'env', ...envArgs, ...curlStatus(args)], { timeoutMs: 30_000 });
}

/**
 * The client side of NTLM as a browser plays it, from Samba's own client helper (ntlm_auth
 * --helper-protocol=ntlmssp-client-1): type 1, then the type 3 answering a given challenge.
 */
export class NtlmClient {
  private readonly child;
  private readonly replies: ((line: string) => void)[] = [];

  /** `spnego`: the same wrapped in SPNEGO (gss-spnego-client), as a browser without a Kerberos ticket sends Negotiate. */
  constructor(user: string, domain: string, password: string, spnego = false) {
    this.child = spawn('ntlm_auth', [
      `--helper-protocol=${spnego ? 'gss-spnego-client' : 'ntlmssp-client-1'}`,
      `--username=${user}`,
      `--domain=${domain}`,
      `--password=${password}`,
    ]);
    createInterface({ input: this.child.stdout }).on('line', (l) => this.replies.shift()?.(l));
    this.child.stderr.resume();
  }

  private ask(line: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ntlm_auth client: no answer to ${line.slice(0, 2)}`)), 10_000);
      this.replies.push((l) => {
        clearTimeout(timer);
        resolve(Buffer.from(l.split(' ')[1] ?? '', 'base64'));
      });
      this.child.stdin.write(`${line}\n`);
    });
  }

  type1(): Promise<Buffer> {
    return this.ask('YR');
  }

  type3(challenge: Buffer): Promise<Buffer> {
    return this.ask(`TT ${challenge.toString('base64')}`);
  }

  stop(): void {
    this.child.kill();
  }
}

const clients = new Map<string, ProxyAuthServiceClient>();

/** Closes the channels authStream opened. */
export function closeAuthClients(): void {
  for (const c of clients.values()) c.close();
  clients.clear();
}

/** A raw ProxyAuthService stream with the given certificate: what a (hostile) proxy can send. */
export function authStream(
  collector: CollectorHandle,
  cert: { cert: string; key: string },
): {
  send(msg: {
    begin?: { clientIp: string; scheme: string; token: Buffer };
    token?: Buffer;
  }): Promise<ProxyAuthReply__Output>;
  /** The next reply, asked for or not. */
  next(): Promise<ProxyAuthReply__Output>;
  end(): void;
} {
  // One channel per certificate, as a proxy holds one: many streams, one TLS connection.
  const key = `${collector.address} ${cert.cert}`;
  let client = clients.get(key);
  if (!client) {
    const { proto } = loadFsso();
    const pki = testPki();
    client = new proto.fsso.v1.ProxyAuthService(
      collector.address,
      channelCredentials({ tls: { ca: pki.ca, cert: cert.cert, key: cert.key } }),
    ) as ProxyAuthServiceClient;
    clients.set(key, client);
  }
  const call = client.Authenticate();
  // Replies in order; one that comes unasked (an expired exchange's verdict) waits for next().
  const waiting: { resolve: (r: ProxyAuthReply__Output) => void; reject: (e: Error) => void }[] = [];
  const early: ProxyAuthReply__Output[] = [];
  let failed: Error | undefined;
  call.on('data', (r: ProxyAuthReply__Output) => {
    const w = waiting.shift();
    if (w) w.resolve(r);
    else early.push(r);
  });
  call.on('error', (e: grpc.ServiceError) => {
    failed = e;
    for (const w of waiting.splice(0)) w.reject(e);
  });
  const next = (): Promise<ProxyAuthReply__Output> => {
    const r = early.shift();
    if (r) return Promise.resolve(r);
    if (failed) return Promise.reject(failed);
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };
  return {
    send: (msg) => {
      call.write(msg);
      return next();
    },
    next,
    end: () => call.end(),
  };
}
