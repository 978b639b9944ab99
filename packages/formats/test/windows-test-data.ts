// Shared by the windows-*.test.ts files: where the recorded data lives and how to feed it through
// the formats exactly as the file follower would.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AgentEvent, RecordResult } from '../src/model';
import type { ParseOptions } from '../src/format';
import { windowsJsonFormat, windowsXmlFormat } from '../src/windows';

/** dist/test/x.test.js -> /work/shared/data; FSSO_SHARED_DATA when the checkout lives elsewhere. */
function findDataDir(): string {
  const computed = path.resolve(__dirname, '../../../../../shared/data');
  for (const dir of [computed, process.env['FSSO_SHARED_DATA'] ?? '']) {
    if (dir !== '' && fs.existsSync(path.join(dir, 'windows_security'))) return dir;
  }
  throw new Error(`recorded data not found at ${computed}; set FSSO_SHARED_DATA`);
}

export const WIN = path.join(findDataDir(), 'windows_security');

export function winPath(...parts: string[]): string {
  return path.join(WIN, ...parts);
}

export function listFiles(dir: string, ext: string): string[] {
  return fs
    .readdirSync(winPath(dir))
    .filter((f) => f.endsWith(ext))
    .sort();
}

/** Splits a buffer with the windows-xml splitter, pushing it in the given chunk sizes. */
export function splitXml(buf: Buffer, chunk = buf.length): { records: string[]; consumed: number } {
  const splitter = windowsXmlFormat.createSplitter();
  const records: string[] = [];
  for (let i = 0; i < buf.length; i += chunk) records.push(...splitter.push(buf.subarray(i, i + chunk)));
  records.push(...splitter.end());
  return { records, consumed: splitter.consumed };
}

export function parseXmlText(text: string | Buffer, options?: ParseOptions): RecordResult[] {
  const parse = windowsXmlFormat.createParser(options);
  return splitXml(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8')).records.map(parse);
}

export function parseXmlFile(dir: string, file: string, options?: ParseOptions): RecordResult[] {
  return parseXmlText(fs.readFileSync(winPath(dir, file)), options);
}

/** The lines of an NDJSON file, 1-based like `sed -n Np` (index 0 is unused). */
export function ndjsonLines(file: string): string[] {
  const text = fs.readFileSync(winPath('otrf', file), 'utf8');
  return ['', ...text.split('\n').filter((l) => l.trim() !== '')];
}

export function parseJsonLine(line: string, options?: ParseOptions): RecordResult {
  return windowsJsonFormat.createParser(options)(line);
}

/** A Winlogbeat golden file is a JSON array; each element is fed as one line, as Winlogbeat ships it. */
export function parseGolden(file: string): RecordResult[] {
  const parse = windowsJsonFormat.createParser();
  const elements = JSON.parse(fs.readFileSync(winPath('winlogbeat_golden', file), 'utf8')) as unknown[];
  return elements.map((el) => parse(JSON.stringify(el)));
}

export function eventsOf(results: RecordResult[]): AgentEvent[] {
  return results.flatMap((r) => r.events);
}

export function malformedOf(results: RecordResult[]): string[] {
  return results.map((r) => r.skipped ?? '').filter((s) => s.includes('malformed'));
}

export function count(events: AgentEvent[], kind: string, eventId?: string): number {
  return events.filter((e) => e.kind === kind && (eventId === undefined || e.sourceEventId === eventId)).length;
}

/** The only result of a record that must have produced exactly one event. */
export function onlyEvent(result: RecordResult | undefined): AgentEvent {
  if (result === undefined || result.events.length !== 1) {
    throw new Error(`expected one event, got ${JSON.stringify(result)}`);
  }
  return result.events[0] as AgentEvent;
}
