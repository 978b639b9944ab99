import { parseSambaTime } from './time';

/**
 * One line of Samba's JSON audit, reduced to what the mapping reads. Samba writes
 * `{"timestamp": ..., "type": "Authentication", "Authentication": {...}}`, one object per line,
 * indented by two spaces in the `auth_json_audit` file; log.samba at level 3 writes the same
 * object after a `JSON Authentication: ` prefix.
 */
export interface SambaRecord {
  /** `Authentication`, `Authorization`, or another audit type (`passwordChange`, `dsdbChange`...). */
  type: string;
  /** Event time in Unix epoch milliseconds; NaN if the timestamp is missing or malformed. */
  timeMs: number;
  /** The object under the key named by `type`; empty when absent. */
  body: Readonly<Record<string, unknown>>;
}

/** A parsed record, or why the line is not one. */
export type ReadResult = { record: SambaRecord } | { problem: string };

const LOG_PREFIX = /^JSON [A-Za-z]+:\s*(?=\{)/;

export function readSambaRecord(line: string): ReadResult {
  const text = line.trim().replace(LOG_PREFIX, '');
  if (!text.startsWith('{')) return { problem: `not JSON (${preview(text)})` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err: unknown) {
    return { problem: `not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  if (!isObject(parsed)) return { problem: 'JSON that is not an object' };
  const type = parsed['type'];
  if (typeof type !== 'string' || type === '') return { problem: 'JSON without a "type" field' };
  const body = parsed[type];
  const ts = parsed['timestamp'];
  return {
    record: {
      type,
      timeMs: typeof ts === 'string' ? parseSambaTime(ts) : NaN,
      body: isObject(body) ? body : {},
    },
  };
}

/** A string field; '' for null, missing or non-string values (Samba writes `null` for "none"). */
export function text(body: Readonly<Record<string, unknown>>, key: string): string {
  const v = body[key];
  return typeof v === 'string' ? v.trim() : '';
}

/** A numeric field, or undefined when absent or not a number (older records lack `logonType`). */
export function num(body: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const v = body[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function preview(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
