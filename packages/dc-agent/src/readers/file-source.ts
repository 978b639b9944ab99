import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, type Logger } from '@fsso/common';
import type { AgentEvent, ParseOptions, RecordSplitter, SourceFormat } from '@fsso/formats';

/** One configured source: a file (followed or read once) or standard input ('-'). */
export interface FileSourceConfig {
  /** Unique name; the spool keeps this source's read position under it. */
  name: string;
  format: string;
  path: string;
  /** Keep reading as the file grows, across rotation and truncation. */
  follow: boolean;
  /** Stamp events with the time they are read (to replay an old recording as live). */
  stampReadTime: boolean;
  pollMs: number;
  parse: ParseOptions;
}

export interface SourceStats {
  records: number;
  events: number;
  skipped: Record<string, number>;
}

/**
 * Where the events of one chunk go: the spool, with the position after them. Returns false when
 * the spool is full and blocking; the source then waits and offers the same events again.
 */
export type EventSink = (events: AgentEvent[], position: string | undefined) => boolean;

const CHUNK = 1 << 20;

interface Position {
  ino: number;
  offset: number;
}

/**
 * Reads a source through its format into the sink. Positions are byte offsets after the last
 * whole record, tied to the file's inode, so a restart resumes exactly where it stopped and a
 * rotated or truncated file is read again from its start.
 */
export class FileSource {
  readonly stats: SourceStats = { records: 0, events: 0, skipped: {} };
  private stopped = false;

  constructor(
    private readonly cfg: FileSourceConfig,
    private readonly format: SourceFormat,
    private readonly sink: EventSink,
    private readonly savedPosition: string | undefined,
    private readonly log: Logger,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  /** Resolves at end of input (never, while following, until stopped). */
  async run(): Promise<void> {
    if (this.cfg.path === '-') return this.readStdin();
    let pos = this.initialPosition(await stat(this.cfg.path));
    while (!this.stopped) {
      let fh: FileHandle;
      try {
        fh = await open(this.cfg.path, 'r');
      } catch (err) {
        if (!this.cfg.follow) throw err;
        this.log.warn('source not readable; retrying', {
          source: this.cfg.name,
          path: this.cfg.path,
          error: errorMessage(err),
        });
        await sleep(this.cfg.pollMs);
        continue;
      }
      try {
        const ino = (await fh.stat()).ino;
        if (ino !== pos.ino) pos = { ino, offset: 0 };
        pos = await this.drain(fh, pos);
      } finally {
        await fh.close();
      }
      if (!this.cfg.follow) return;
      pos = await this.waitForMore(pos);
    }
  }

  private initialPosition(st: { ino: number; size: number }): Position {
    if (this.savedPosition) {
      const saved = JSON.parse(this.savedPosition) as Position;
      if (saved.ino === st.ino && saved.offset <= st.size) return saved;
      this.log.info('source file was rotated or truncated since the last run; reading it from the start', {
        source: this.cfg.name,
      });
    }
    return { ino: st.ino, offset: 0 };
  }

  /** Reads from `pos` to the current end of the file. */
  private async drain(fh: FileHandle, pos: Position): Promise<Position> {
    const splitter = this.format.createSplitter();
    const parse = this.format.createParser(this.cfg.parse);
    const buf = Buffer.alloc(CHUNK);
    let readAt = pos.offset;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, readAt);
      if (bytesRead === 0) break;
      readAt += bytesRead;
      const records = splitter.push(Buffer.from(buf.subarray(0, bytesRead)));
      await this.emit(records, parse, splitter, pos);
      if (this.stopped) break;
    }
    // A file read once may end without a final newline; a followed file may still be writing it.
    if (!this.cfg.follow) await this.emit(splitter.end(), parse, splitter, pos);
    return { ino: pos.ino, offset: pos.offset + splitter.consumed };
  }

  private async emit(
    records: string[],
    parse: (r: string) => { events: AgentEvent[]; skipped?: string },
    splitter: RecordSplitter,
    base: Position,
  ): Promise<void> {
    const events: AgentEvent[] = [];
    const now = Date.now();
    for (const r of records) {
      this.stats.records++;
      const res = parse(r);
      if (res.skipped) this.stats.skipped[res.skipped] = (this.stats.skipped[res.skipped] ?? 0) + 1;
      for (const e of res.events) events.push(this.cfg.stampReadTime ? { ...e, eventTimeMs: now } : e);
    }
    this.stats.events += events.length;
    if (!records.length) return;
    const position = JSON.stringify({ ino: base.ino, offset: base.offset + splitter.consumed });
    let waited = false;
    while (!this.sink(events, position) && !this.stopped) {
      if (!waited) this.log.warn('spool full: source paused until collectors catch up', { source: this.cfg.name });
      waited = true;
      await sleep(this.cfg.pollMs);
    }
    if (waited) this.log.info('spool has room again: source resumed', { source: this.cfg.name });
  }

  private async waitForMore(pos: Position): Promise<Position> {
    while (!this.stopped) {
      await sleep(this.cfg.pollMs);
      try {
        const st = await stat(this.cfg.path);
        if (st.ino !== pos.ino || st.size < pos.offset) {
          this.log.info('source file rotated or truncated; reading the new one from its start', {
            source: this.cfg.name,
          });
          return { ino: st.ino, offset: 0 };
        }
        if (st.size > pos.offset) return pos;
      } catch {
        // Between a rotation's rename and the new file's creation the path may not exist.
      }
    }
    return pos;
  }

  private async readStdin(): Promise<void> {
    const splitter = this.format.createSplitter();
    const parse = this.format.createParser(this.cfg.parse);
    const base = { ino: 0, offset: 0 };
    for await (const chunk of process.stdin) {
      if (this.stopped) break;
      await this.emit(splitter.push(chunk as Buffer), parse, splitter, base);
    }
    await this.emit(splitter.end(), parse, splitter, base);
  }
}
