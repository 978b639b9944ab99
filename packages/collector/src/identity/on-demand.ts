import { Resolver } from 'node:dns/promises';
import { errorMessage, networkContains, type Clock, type Logger, type Network } from '@fsso/common';
import type { Workstation, WorkstationStore } from '../store/workstations';
import type { GroupLookup } from './engine';
import type { Entry } from './entry';
import type { IdentitySettings } from './settings';

/** `identity.onDemand`: resolve an unknown address when a firewall asks. Off unless networks are listed. */
export interface OnDemandSettings {
  networks: Network[];
  /** The longest a Lookup waits for the answer; firewalls should allow at least this. */
  timeoutMs: number;
  /** DNS servers for reverse lookups ("10.0.0.53", "127.0.0.1:5353"); empty: the system's. */
  dnsServers: string[];
}

/**
 * "Unknown address, asked now": when a firewall looks up an address the table does not know, find
 * the machine there (reverse DNS to its name, or the machine last seen at it) and answer with that
 * machine's last user, marked inferred. Nothing is written to the table: an inference is not evidence.
 */
export class OnDemandResolver {
  private readonly dns = new Resolver({ timeout: 1000, tries: 1 });
  readonly counters = { asked: 0, found: 0, timedOut: 0, remembered: 0, refused: 0 };
  /** Addresses that found nothing, and until when that answer is given without asking again. */
  private readonly misses = new Map<string, { why: string; untilMs: number }>();
  /** Resolutions running, by address: a second ask for the same address waits for the first. */
  private readonly running = new Map<string, Promise<{ entry: Entry } | { why: string }>>();

  constructor(
    readonly s: OnDemandSettings,
    private readonly workstations: WorkstationStore,
    private readonly identity: IdentitySettings,
    private readonly groups: GroupLookup,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly limits: { concurrency: number; negativeTtlMs: number; limitHits: Record<string, number> } = {
      concurrency: 16,
      negativeTtlMs: 10_000,
      limitHits: {},
    },
  ) {
    if (s.dnsServers.length) this.dns.setServers(s.dnsServers);
  }

  covers(ip: string): boolean {
    return this.s.networks.some((n) => networkContains(n, ip));
  }

  /**
   * The inferred holder of `ip`, or why there is none; never takes longer than the timeout. A miss
   * is remembered for `negativeTtlMs`, and at most `concurrency` resolutions run at once: a firewall
   * asking for every address of a scan must not turn each ask into DNS queries.
   */
  resolve(ip: string): Promise<{ entry: Entry } | { why: string }> {
    this.counters.asked++;
    const now = this.clock.now();
    const miss = this.misses.get(ip);
    if (miss && miss.untilMs > now) {
      this.counters.remembered++;
      return Promise.resolve({
        why: `${miss.why} (a recent answer; asked again after ${new Date(miss.untilMs).toISOString()})`,
      });
    }
    const same = this.running.get(ip);
    if (same) return same;
    if (this.running.size >= this.limits.concurrency) {
      this.counters.refused++;
      this.limits.limitHits['onDemandConcurrency'] = (this.limits.limitHits['onDemandConcurrency'] ?? 0) + 1;
      return Promise.resolve({
        why: `asked on demand: ${this.running.size} resolutions already running (limits.onDemandConcurrency); ask again shortly`,
      });
    }
    const p = this.resolveNow(ip).then((r) => {
      this.running.delete(ip);
      if ('why' in r && this.limits.negativeTtlMs > 0) {
        this.misses.delete(ip);
        this.misses.set(ip, { why: r.why, untilMs: this.clock.now() + this.limits.negativeTtlMs });
        if (this.misses.size > 100_000) this.misses.delete(this.misses.keys().next().value as string);
      }
      return r;
    });
    this.running.set(ip, p);
    return p;
  }

  private async resolveNow(ip: string): Promise<{ entry: Entry } | { why: string }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<{ why: string }>((resolve) => {
      timer = setTimeout(() => {
        this.counters.timedOut++;
        resolve({ why: `asked on demand: no answer within ${this.s.timeoutMs} ms` });
      }, this.s.timeoutMs);
    });
    try {
      const r = await Promise.race([this.lookup(ip), timeout]);
      if ('entry' in r) this.counters.found++;
      return r;
    } finally {
      clearTimeout(timer);
    }
  }

  private async lookup(ip: string): Promise<{ entry: Entry } | { why: string }> {
    const now = this.clock.now();
    const tried: string[] = [];
    const seen = this.workstations.atAddress(ip);
    if (seen && now - seen.ipSeenMs <= this.identity.deadEntryTimeoutMs) {
      const e = this.fromMachine(seen, ip, now, 'address');
      if (e) return { entry: e };
      tried.push(`${seen.name} was seen at it but has no recent user`);
    }
    try {
      for (const host of await this.dns.reverse(ip)) {
        const e = this.fromMachine(this.machineNamed(host), ip, now, 'reverse-dns');
        if (e) return { entry: e };
        tried.push(`reverse DNS names ${host}, which has no recent user`);
      }
    } catch (err) {
      tried.push(`reverse DNS: ${errorMessage(err)}`);
      this.log.debug('on-demand reverse lookup failed', { ip, error: errorMessage(err) });
    }
    return { why: `asked on demand: ${tried.join('; ') || 'nothing found'}` };
  }

  /**
   * The machine a reverse-DNS name denotes: `wks1.corp.example.test` is WKS1 of the domain that DNS
   * name belongs to (configured `domains`), or WKS1 if only one domain has a machine of that name.
   */
  private machineNamed(host: string): Workstation | undefined {
    const [label = '', ...rest] = host.split('.');
    const name = label.toUpperCase();
    return (
      (rest.length ? this.workstations.get(this.identity.domains.canonical(rest.join('.')), name) : undefined) ??
      this.workstations.only(name)
    );
  }

  private fromMachine(w: Workstation | undefined, ip: string, now: number, how: string): Entry | undefined {
    const name = w?.name ?? '';
    if (!w || !w.user || now - w.userSeenMs > this.identity.workstationUserTtlMs) return undefined;
    const g = this.groups.groupsFor(w.user, w.domain);
    return {
      ip,
      user: w.user,
      domain: w.domain,
      workstation: name,
      groups: g.groups,
      groupDns: g.groupDns,
      groupsStale: g.stale,
      firstSeenMs: w.userSeenMs,
      lastSeenMs: w.userSeenMs,
      userSeenMs: w.userSeenMs,
      source: `on-demand:${how}`,
      revision: 0,
      shared: false,
      contested: false,
      claims: [],
      evidence: [
        {
          kind: 'INFERRED',
          source: how,
          sourceEventId: '',
          reporter: '',
          timeMs: now,
          user: w.user,
          workstation: name,
          rule: `inferred-${how}`,
        },
      ],
    };
  }
}
