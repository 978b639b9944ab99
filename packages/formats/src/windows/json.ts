import type { RecordResult } from '../model';
import { LineSplitter } from '../format';
import type { ParseOptions, SourceFormat } from '../format';
import { jsonToWindowsRecord } from './json-shapes';
import { mapWindowsRecord } from './map';

/** One JSON object per line, in any of the shapes `jsonToWindowsRecord` knows. */
export function parseEventJson(line: string, options: ParseOptions = {}): RecordResult {
  let value: unknown;
  try {
    // A UTF-8 BOM survives on the first line of files written by Windows tools.
    value = JSON.parse(line.replace(/^\uFEFF/, ''));
  } catch (err: unknown) {
    return { events: [], skipped: `malformed JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const record = jsonToWindowsRecord(value);
  return typeof record === 'string' ? { events: [], skipped: record } : mapWindowsRecord(record, options);
}

export const windowsJsonFormat: SourceFormat = {
  name: 'windows-json',
  description: 'Windows Security events as JSON lines (Winlogbeat 6/7/8, NXLog, OTRF, Azure SecurityEvent)',
  createSplitter: () => new LineSplitter(),
  createParser(options: ParseOptions = {}) {
    return (record: string): RecordResult => parseEventJson(record, options);
  },
};
