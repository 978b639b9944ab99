import type { Logger } from '@fsso/common';
import type { EventSink, SourceStats } from './file-source';
import type { SyslogProfile } from '@fsso/formats';
import { SyslogListener, type SyslogTlsOptions } from './syslog/listener';

export interface SyslogSourceConfig {
  name: string;
  udp?: string | undefined;
  tcp?: string | undefined;
  tls?: SyslogTlsOptions | undefined;
  /** Sender networks; everything else is dropped (README, "Syslog listener"). */
  allowFrom: string[];
  profiles: SyslogProfile[];
  defaultDomain: string;
}

/**
 * The syslog listener as an agent source. A sender cannot be paused, so when the spool is full
 * and blocking, the events of that message are dropped: counted and logged, never silently.
 */
export class SyslogSource {
  private listener: SyslogListener | undefined;
  private stopResolve: (() => void) | undefined;
  private dropped = 0;

  constructor(
    private readonly cfg: SyslogSourceConfig,
    private readonly sink: EventSink,
    private readonly log: Logger,
  ) {}

  get stats(): SourceStats {
    const s = this.listener?.stats;
    const refused = {
      ...(s?.denied ? { 'dropped: sender not in allowFrom': s.denied } : {}),
      ...(s?.tlsRefused ? { 'refused: TLS handshake': s.tlsRefused } : {}),
    };
    return {
      records: s?.messages ?? 0,
      events: s?.events ?? 0,
      skipped: { ...(s?.skipped ?? {}), ...refused, ...(this.dropped ? { 'dropped: spool full': this.dropped } : {}) },
    };
  }

  async run(): Promise<void> {
    const { udp, tcp, tls, allowFrom, profiles, defaultDomain } = this.cfg;
    this.listener = new SyslogListener(
      { udp, tcp, tls, allowFrom, profiles, defaultDomain },
      (events) => {
        if (!this.sink(events, undefined)) {
          this.dropped += events.length;
          this.log.warn('spool full: syslog events dropped', {
            source: this.cfg.name,
            dropped: events.length,
            droppedTotal: this.dropped,
          });
        }
      },
      this.log,
    );
    const ports = await this.listener.start();
    this.log.info('syslog listening', { source: this.cfg.name, ...ports });
    await new Promise<void>((resolve) => {
      this.stopResolve = resolve;
    });
  }

  stop(): void {
    void this.listener?.stop();
    this.stopResolve?.();
  }
}
