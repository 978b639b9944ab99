import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The FreeRADIUS daemon's name on Debian (package freeradius). */
export const FREERADIUS = '/usr/sbin/freeradius';

/** Why the RADIUS tests cannot run here, or false. */
export function freeradiusUnavailable(): string | false {
  if (!existsSync(FREERADIUS)) return 'freeradius is not installed (apt-get install freeradius; .ci/run does)';
  return spawnSync(FREERADIUS, ['-v'], { stdio: 'ignore' }).status === 0 ? false : 'freeradius -v fails';
}

/** One accounting record of the detail file, its attributes as FreeRADIUS printed them. */
export interface DetailRecord {
  [attribute: string]: string;
}

/** A free UDP port on 127.0.0.1 (bound, read back, released). */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * A real FreeRADIUS as an accounting receiver, a stand-in for the FortiGate: a private config
 * under `dir` (nothing of /etc/freeradius is read), listening on 127.0.0.1 at a free port, one
 * client (127.0.0.1 with `secret`), the `detail` module writing every accounting request.
 */
export class FreeRadius {
  private child: ChildProcess | undefined;
  readonly log: string[] = [];
  port = 0;

  constructor(
    private readonly dir: string,
    private readonly secret: string,
  ) {}

  get detailFile(): string {
    return join(this.dir, 'acct', 'detail');
  }

  async start(): Promise<void> {
    this.port = await freeUdpPort();
    const d = this.dir;
    for (const sub of ['raddb', 'acct', 'log', 'run']) mkdirSync(join(d, sub), { recursive: true });
    writeFileSync(join(d, 'raddb', 'dictionary'), '');
    writeFileSync(
      join(d, 'raddb', 'radiusd.conf'),
      `prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = ${d}
sbindir = /usr/sbin
raddbdir = ${d}/raddb
confdir = \${raddbdir}
logdir = ${d}/log
radacctdir = ${d}/acct
run_dir = ${d}/run
db_dir = ${d}
libdir = /usr/lib/freeradius
pidfile = \${run_dir}/radiusd.pid
name = freeradius
max_request_time = 30
cleanup_delay = 5
max_requests = 65536
hostname_lookups = no
log {
  destination = stdout
  auth = no
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = no
}
thread pool {
  start_servers = 2
  max_servers = 4
  min_spare_servers = 1
  max_spare_servers = 2
  max_requests_per_server = 0
}
client loopback {
  ipaddr = 127.0.0.1
  secret = "${this.secret}"
  require_message_authenticator = no
}
modules {
  detail {
    filename = \${radacctdir}/detail
    escape_filenames = no
    permissions = 0600
    header = "%t"
    locking = no
  }
}
server fsso {
  listen {
    type = acct
    ipaddr = 127.0.0.1
    port = ${this.port}
  }
  accounting {
    detail
  }
}
`,
    );
    // -f: foreground, -l stdout: log lines to us (dropped packets with a bad authenticator are logged).
    const child = spawn(FREERADIUS, ['-f', '-l', 'stdout', '-d', join(d, 'raddb')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const onData = (b: Buffer): void => void this.log.push(...b.toString().split('\n').filter(Boolean));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    for (let i = 0; i < 200 && !this.log.some((l) => l.includes('Ready to process requests')); i++) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!this.log.some((l) => l.includes('Ready to process requests')))
      throw new Error(`freeradius did not start: ${this.log.slice(-20).join('\n')}`);
  }

  /** Every record of the detail file so far (a record is a time line, then tab-indented attributes). */
  records(): DetailRecord[] {
    if (!existsSync(this.detailFile)) return [];
    const out: DetailRecord[] = [];
    for (const block of readFileSync(this.detailFile, 'utf8').split(/\n\s*\n/)) {
      const rec: DetailRecord = {};
      for (const line of block.split('\n')) {
        const m = /^\t([A-Za-z0-9-]+) = (.*)$/.exec(line);
        if (m?.[1]) rec[m[1]] = unquote(m[2] ?? '');
      }
      if (Object.keys(rec).length > 0) out.push(rec);
    }
    return out;
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
}

/** `"CORP\\alice"` as FreeRADIUS prints it → `CORP\alice`; `0x6731` (octets) → the text. */
function unquote(v: string): string {
  if (v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\\\/g, '\\').replace(/\\"/g, '"');
  if (/^0x[0-9a-f]+$/i.test(v)) return Buffer.from(v.slice(2), 'hex').toString('utf8');
  return v;
}
