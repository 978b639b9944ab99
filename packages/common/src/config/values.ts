import { readFileSync } from 'node:fs';
import { ConfigError, errorMessage } from '../errors';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "15m", "8h", "7d", "250ms" or a number of milliseconds. */
export function parseDuration(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(value.trim());
    if (m) return Math.round(Number(m[1]) * (UNITS[m[2] ?? 'ms'] ?? 1));
  }
  throw new ConfigError(
    `${field}: ${JSON.stringify(value)} is not a duration; write it like "90s", "15m", "8h" or "7d"`,
    field,
  );
}

/** Reads a JSON config file; the error names the file and the position of a syntax error. */
export function readJsonConfig(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `config: cannot read ${path} (${errorMessage(err)}); pass an existing file with --config`,
      'config',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config: ${path} is not valid JSON (${errorMessage(err)}); fix the syntax there`, 'config');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config: ${path} must hold a JSON object ({ ... })`, 'config');
  }
  return parsed as Record<string, unknown>;
}

/** Throws on keys the schema does not know, so a typo is not silently ignored. */
export function rejectUnknownKeys(obj: Record<string, unknown>, known: readonly string[], field: string): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) {
      const at = field ? `${field}.${k}` : k;
      throw new ConfigError(`${at}: unknown setting; known ones here are ${known.join(', ')}`, at);
    }
  }
}

export function optionalString(obj: Record<string, unknown>, key: string, field: string): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '')
    throw new ConfigError(`${field}${key}: expected a non-empty string, got ${JSON.stringify(v)}`, `${field}${key}`);
  return v;
}

export function optionalInt(
  obj: Record<string, unknown>,
  key: string,
  field: string,
  min: number,
  max: number,
): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(
      `${field}${key}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`,
      `${field}${key}`,
    );
  }
  return v;
}

export function optionalBool(obj: Record<string, unknown>, key: string, field: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean')
    throw new ConfigError(`${field}${key}: expected true or false, got ${JSON.stringify(v)}`, `${field}${key}`);
  return v;
}

/** "host:port" with a port from 0 to 65535; IPv6 hosts in brackets. */
export function parseAddress(value: unknown, field: string): string {
  if (typeof value === 'string') {
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value.trim());
    if (m && Number(m[2]) <= 65535) return value.trim();
  }
  throw new ConfigError(
    `${field}: ${JSON.stringify(value)} is not an address; write it as "host:port", e.g. "127.0.0.1:7450"`,
    field,
  );
}
