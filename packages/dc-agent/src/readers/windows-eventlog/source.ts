import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, type Logger } from '@fsso/common';
import { windowsXmlFormat, type AgentEvent, type ParseOptions } from '@fsso/formats';
import type { EventSink, SourceStats } from '../file-source';
import { recordIdOf, wevtutilArgs, SECURITY_EVENT_IDS } from './query';

/** Runs a command and returns its standard output. Injected so tests need no Windows. */
export type CommandRunner = (command: string, args: string[]) => Promise<string>;

export const execRunner: CommandRunner = (command, args) =>
  new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 256 * 1024 * 1024, windowsHide: true }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });

export interface EventLogSourceConfig {
  name: string;
  pollMs: number;
  backfillMs: number;
  batch: number;
  parse: ParseOptions;
}

/**
 * Follows the live Security log on a Windows DC by polling `wevtutil qe` from a bookmark (the
 * last EventRecordID read), saved with the events in the spool. The XML is parsed by the same
 * code as `windows-xml`.
 */
export class WindowsEventLogSource {
  readonly stats: SourceStats = { records: 0, events: 0, skipped: {} };
  private stopped = false;
  private bookmark: number | undefined;

  constructor(
    private readonly cfg: EventLogSourceConfig,
    private readonly sink: EventSink,
    savedPosition: string | undefined,
    private readonly log: Logger,
    private readonly runner: CommandRunner = execRunner,
  ) {
    this.bookmark = savedPosition ? (JSON.parse(savedPosition) as { recordId: number }).recordId : undefined;
  }

  get position(): number | undefined {
    return this.bookmark;
  }

  stop(): void {
    this.stopped = true;
  }

  async run(): Promise<void> {
    while (!this.stopped) {
      let full = false;
      try {
        full = await this.pollOnce();
      } catch (err) {
        this.log.warn('reading the Security log failed; retrying', { source: this.cfg.name, error: errorMessage(err) });
      }
      if (!full && !this.stopped) await sleep(this.cfg.pollMs);
    }
  }

  /** One wevtutil call; true when it returned a full batch (more are waiting). */
  async pollOnce(): Promise<boolean> {
    const args = wevtutilArgs(this.bookmark, {
      batch: this.cfg.batch,
      backfillMs: this.cfg.backfillMs,
      eventIds: SECURITY_EVENT_IDS,
    });
    const out = await this.runner('wevtutil', args);
    const splitter = windowsXmlFormat.createSplitter();
    const parse = windowsXmlFormat.createParser(this.cfg.parse);
    const records = [...splitter.push(Buffer.from(out, 'utf8')), ...splitter.end()];
    const events: AgentEvent[] = [];
    let last = this.bookmark;
    let count = 0;
    for (const r of records) {
      const id = recordIdOf(r);
      if (id === undefined) continue;
      count++;
      this.stats.records++;
      // The log may be cleared and record ids start over; never go backwards past a newer bookmark.
      if (last !== undefined && id <= last) continue;
      last = id;
      const res = parse(r);
      if (res.skipped) this.stats.skipped[res.skipped] = (this.stats.skipped[res.skipped] ?? 0) + 1;
      events.push(...res.events);
    }
    if (last !== this.bookmark && last !== undefined) {
      const position = JSON.stringify({ recordId: last });
      while (!this.sink(events, position) && !this.stopped) await sleep(this.cfg.pollMs);
      this.stats.events += events.length;
      this.bookmark = last;
    }
    return count >= this.cfg.batch;
  }
}
