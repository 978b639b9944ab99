import { hostname } from 'node:os';
import { PLAINTEXT_WARNING, VERSION, errorMessage, warnIfReadableByOthers, type Logger } from '@fsso/common';
import type { AgentConfig, SourceConfig } from './config';
import { Spool } from './spool/spool';
import { CollectorLink } from './delivery/collector-link';
import { HostAddresses, Shaper, countSelfTraffic, getFormat, type AgentEvent } from '@fsso/formats';
import { FileSource, type EventSink, type SourceStats } from './readers/file-source';
import { WindowsEventLogSource } from './readers/windows-eventlog/source';
import { SyslogSource } from './readers/syslog-source';

/** What every source does: read until stopped (or until its input ends), counting as it goes. */
interface Source {
  run(): Promise<void>;
  stop(): void;
  readonly stats: SourceStats;
}

export type AgentState = 'STARTING' | 'RUNNING' | 'DRAINING' | 'STOPPED';

const PROGRESS_MS = 10_000;

/** The DC agent daemon: sources → durable spool → one stream per collector. */
export class DcAgent {
  private stateValue: AgentState = 'STARTING';
  private spool: Spool | undefined;
  private links: CollectorLink[] = [];
  private sources: Source[] = [];
  private sourceRuns: Promise<void>[] = [];
  private progressTimer: NodeJS.Timeout | undefined;
  private readonly shaper: Shaper;
  /** Live only: on the DC, its interface addresses are the server's own (see self-traffic.ts in @fsso/formats). */
  private readonly hostAddresses = new HostAddresses();
  /** Sources that ended with an error (a file that cannot be read). */
  readonly failedSources: string[] = [];

  constructor(
    private readonly cfg: AgentConfig,
    private readonly log: Logger,
  ) {
    this.shaper = new Shaper(cfg.filters);
  }

  get state(): AgentState {
    return this.stateValue;
  }

  /** What the metrics read at scrape time (nothing before start). */
  view(): {
    spool: Spool | undefined;
    links: readonly CollectorLink[];
    sources: readonly { readonly stats: SourceStats }[];
    shaper: Shaper;
  } {
    return {
      spool: this.spool?.isOpen === false ? undefined : this.spool,
      links: this.links,
      sources: this.sources,
      shaper: this.shaper,
    };
  }

  start(): void {
    const cfg = this.cfg;
    const spool = new Spool(cfg.spool, cfg.spoolLimits);
    this.spool = spool;
    if (cfg.collectors.some((c) => c.insecure)) this.log.warn(PLAINTEXT_WARNING);
    warnIfReadableByOthers(
      cfg.collectors.map((c) => c.keyFile),
      this.log,
    );
    const names = cfg.collectors.map((c) => c.name);
    const hello = { agentId: cfg.agentId, domains: cfg.domains, hostname: hostname(), version: VERSION };
    this.links = cfg.collectors.map(
      (c) =>
        new CollectorLink({
          target: c,
          spool,
          hello,
          allCollectors: names,
          opts: { batchSize: cfg.batchSize, maxInFlight: cfg.maxInFlight, ackTimeoutMs: cfg.ackTimeoutMs },
          log: this.log,
        }),
    );
    for (const l of this.links) l.start();
    for (const sc of cfg.sources) {
      const sink: EventSink = (events, position) =>
        this.accept(events, position === undefined ? undefined : { source: sc.name, value: position });
      const src = this.createSource(sc, sink, spool.position(sc.name));
      this.sources.push(src);
      this.sourceRuns.push(
        src.run().then(
          () => void this.log.info('source finished', { source: sc.name, ...src.stats }),
          (err: unknown) => {
            this.failedSources.push(sc.name);
            this.log.error('source failed', { source: sc.name, error: errorMessage(err) });
          },
        ),
      );
    }
    // Not unref'd: a daemon runs until it is stopped, even in a moment when no stream or file is open.
    this.progressTimer = setInterval(() => this.logProgress(), PROGRESS_MS);
    this.stateValue = 'RUNNING';
    this.log.info('agent started', {
      agentId: cfg.agentId,
      spool: cfg.spool,
      spoolFrom: cfg.dataDirFrom,
      spoolId: spool.spoolId,
      head: spool.head,
      collectors: names,
      sources: cfg.sources.map((s) => s.name),
      selfTraffic: cfg.selfTraffic === 'keep' ? 'keep' : { drop: this.hostAddresses.list() },
    });
  }

  private createSource(sc: SourceConfig, sink: EventSink, saved: string | undefined): Source {
    // A syslog listener hears other hosts' logs, whose own addresses are not this host's.
    if (sc.kind === 'syslog-listener') return new SyslogSource(sc, sink, this.log);
    const parse = sc.parse.selfTraffic === 'keep' ? sc.parse : { ...sc.parse, ownAddresses: this.hostAddresses };
    if (sc.kind === 'windows-eventlog') return new WindowsEventLogSource({ ...sc, parse }, sink, saved, this.log);
    const format = getFormat(sc.format);
    if (!format) throw new Error(`format ${sc.format} vanished after validation`);
    return new FileSource({ ...sc, parse }, format, sink, saved, this.log);
  }

  /** Filters, coalesces and spools a source's events; false when the spool is full and blocking. */
  private accept(raw: AgentEvent[], position: { source: string; value: string } | undefined): boolean {
    const spool = this.spool;
    if (!spool) return false;
    const events = this.shaper.shape(raw);
    const r = spool.append(events, position);
    if (r.dropped)
      this.log.warn('spool full: oldest events dropped', { dropped: r.dropped, droppedTotal: spool.overflow.dropped });
    if (r.accepted && events.length) for (const l of this.links) l.notify();
    return r.accepted;
  }

  private logProgress(): void {
    const spool = this.spool;
    if (!spool) return;
    this.log.info('progress', {
      read: this.sources.reduce((n, s) => n + s.stats.records, 0),
      spooled: spool.head,
      spoolBytes: spool.sizeBytes,
      ...this.shaper.stats,
      selfTraffic: this.sources.reduce((n, s) => n + countSelfTraffic(s.stats.skipped), 0),
      ...spool.overflow,
      collectors: Object.fromEntries(
        this.links.map((l) => [
          l.name,
          {
            state: l.state,
            acked: spool.cursor(l.name),
            rejected: l.status.rejected,
            ...(l.state === 'STREAMING' ? {} : { lastError: l.status.lastError }),
          },
        ]),
      ),
    });
  }

  /** Events the collectors refused since start, per collector (acknowledged, so never resent). */
  get rejected(): Record<string, number> {
    return Object.fromEntries(this.links.filter((l) => l.rejectedThisRun > 0).map((l) => [l.name, l.rejectedThisRun]));
  }

  /** Resolves once every source has ended and every collector acknowledged everything. */
  async delivered(): Promise<void> {
    await Promise.all(this.sourceRuns);
    await Promise.all(
      this.links.map(
        (l) =>
          new Promise<void>((resolve) => {
            if (l.caughtUp) return resolve();
            const check = (): void => {
              if (l.caughtUp) {
                l.off('acked', check);
                resolve();
              }
            };
            l.on('acked', check);
          }),
      ),
    );
  }

  /** The one shutdown path: stop reading, close the streams, close the spool. */
  async stop(): Promise<void> {
    if (this.stateValue === 'STOPPED') return;
    this.stateValue = 'DRAINING';
    if (this.progressTimer) clearInterval(this.progressTimer);
    for (const s of this.sources) s.stop();
    await Promise.race([Promise.all(this.sourceRuns), new Promise((r) => setTimeout(r, 2000).unref())]);
    for (const l of this.links) l.stop();
    this.logProgress();
    this.spool?.close();
    this.stateValue = 'STOPPED';
    this.log.info('agent stopped');
  }
}
