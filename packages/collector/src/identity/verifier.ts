import { Resolver } from 'node:dns/promises';
import { Socket } from 'node:net';
import { errorMessage, networkContains, type Logger, type Network } from '@fsso/common';
import type { IdentityTable } from '../store/identity-table';
import type { Entry, TableChange } from './entry';

/** `identity.verify`: checks of existing entries, off unless networks are listed. */
export interface VerifySettings {
  networks: Network[];
  intervalMs: number;
  /** Failed rounds in a row after which the entry is removed. */
  failures: number;
  /** TCP ports probed; a refused connection still proves the host is up. Empty: no TCP check. */
  tcpPorts: number[];
  timeoutMs: number;
  dnsServers: string[];
}

/**
 * Active verification: an entry whose address no longer resolves to its workstation's name, or
 * whose host does not answer at all, fails a round; after `failures` rounds in a row it is removed.
 * Removing on doubt serves "never the wrong user": a stale entry hands one user's rights to another.
 */
export class Verifier {
  private readonly dns = new Resolver({ timeout: 1000, tries: 1 });
  private readonly failed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly s: VerifySettings,
    private readonly table: IdentityTable,
    private readonly remove: (ip: string) => TableChange | undefined,
    private readonly log: Logger,
  ) {
    if (s.dnsServers.length) this.dns.setServers(s.dnsServers);
  }

  start(): void {
    if (!this.s.networks.length) return;
    this.timer = setInterval(() => void this.round(), this.s.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass over the entries in the verified networks. */
  async round(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const due = [...this.table.all()].filter(
        (e) => !e.shared && this.s.networks.some((n) => networkContains(n, e.ip)),
      );
      for (const e of due) {
        const why = await this.check(e);
        if (!why) {
          this.failed.delete(e.ip);
          continue;
        }
        const n = (this.failed.get(e.ip) ?? 0) + 1;
        this.failed.set(e.ip, n);
        this.log.info('entry failed verification', {
          ip: e.ip,
          user: e.user,
          reason: why,
          failures: n,
          of: this.s.failures,
        });
        if (n >= this.s.failures && this.table.get(e.ip)?.user === e.user) {
          this.failed.delete(e.ip);
          this.remove(e.ip);
        }
      }
    } catch (err) {
      this.log.warn('verification round failed', { error: errorMessage(err) });
    } finally {
      this.running = false;
    }
  }

  private async check(e: Entry): Promise<string | undefined> {
    if (e.workstation) {
      const names = await this.dns.reverse(e.ip).catch(() => [] as string[]);
      const short = names.map((h) => (h.split('.')[0] ?? h).toUpperCase());
      if (names.length && !short.includes(e.workstation))
        return `reverse DNS names ${names.join(', ')}, not ${e.workstation}`;
    }
    if (this.s.tcpPorts.length) {
      const up = await Promise.all(this.s.tcpPorts.map((p) => this.answers(e.ip, p)));
      if (!up.some(Boolean)) return `no answer on TCP ${this.s.tcpPorts.join(', ')}`;
    }
    return undefined;
  }

  private answers(ip: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const s = new Socket();
      const done = (up: boolean): void => {
        s.destroy();
        resolve(up);
      };
      s.setTimeout(this.s.timeoutMs, () => done(false));
      s.once('connect', () => done(true));
      // Refused means a host answered; unreachable or a timeout means nobody is there.
      s.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED'));
      s.connect(port, ip);
    });
  }
}
