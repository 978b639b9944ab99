import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AgentEvent, RecordResult } from '../src/model';
import type { SourceFormat } from '../src/format';

/** The recorded data beside the repository (compiled tests run from packages/dc-agent/dist/test). */
export const SHARED_DATA = process.env['FSSO_SHARED_DATA'] || resolve(__dirname, '../../../../../shared/data');

/** A recorded file, with an error that says how to point the tests at the data. */
export function readRecorded(...parts: string[]): Buffer {
  const path = join(SHARED_DATA, ...parts);
  assert.ok(existsSync(path), `recorded data not found at ${path}; set FSSO_SHARED_DATA to the shared/data folder`);
  return readFileSync(path);
}

export interface Fed {
  records: string[];
  results: RecordResult[];
  consumed: number;
  size: number;
}

/** A buffer through the format's splitter (whole, or in `chunk`-byte pieces) and one parser, as the agent reads a file. */
export function feedBuffer(format: SourceFormat, buf: Buffer, chunk?: number): Fed {
  const splitter = format.createSplitter();
  const records: string[] = [];
  const step = chunk ?? Math.max(1, buf.length);
  for (let i = 0; i < buf.length; i += step) records.push(...splitter.push(buf.subarray(i, i + step)));
  records.push(...splitter.end());
  const parse = format.createParser();
  return { records, results: records.map((r) => parse(r)), consumed: splitter.consumed, size: buf.length };
}

/** The single event a record must have produced. */
export function onlyEvent(result: RecordResult | undefined): AgentEvent {
  assert.ok(result, 'no such record');
  assert.equal(result.skipped, undefined, `skipped: ${result.skipped ?? ''}`);
  assert.equal(result.events.length, 1);
  return result.events[0] as AgentEvent;
}

export function countKind(results: RecordResult[], kind: string): number {
  return results.flatMap((r) => r.events).filter((e) => e.kind === kind).length;
}
