import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, optionalString, parseAddress, rejectUnknownKeys } from '@fsso/common';
import type { SyslogTlsOptions } from './listener';

/**
 * A syslog listener's `tls` block: {"listen": "0.0.0.0:6514", "ca", "cert", "key"}. The files are
 * read now, so a wrong path stops the start with the field's name, not the first sender.
 */
export function validateSyslogTls(raw: unknown, baseDir: string, field: string): SyslogTlsOptions | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(
      `${field}: expected {"listen": "0.0.0.0:6514", "ca": FILE, "cert": FILE, "key": FILE}`,
      field,
    );
  }
  const o = raw as Record<string, unknown>;
  rejectUnknownKeys(o, ['listen', 'ca', 'cert', 'key'], field);
  const read = (k: 'ca' | 'cert' | 'key', what: string): Buffer => {
    const v = optionalString(o, k, `${field}.`);
    if (!v) throw new ConfigError(`${field}.${k}: missing; give the PEM file of ${what}`, `${field}.${k}`);
    try {
      return readFileSync(resolve(baseDir, v));
    } catch (err: unknown) {
      throw new ConfigError(
        `${field}.${k}: cannot read ${v} (${err instanceof Error ? err.message : String(err)}); give the PEM file of ${what}`,
        `${field}.${k}`,
      );
    }
  };
  return {
    listen: parseAddress(o['listen'] ?? '0.0.0.0:6514', `${field}.listen`),
    ca: read('ca', "the CA that signs the senders' client certificates"),
    cert: read('cert', "this listener's certificate"),
    key: read('key', "this listener's private key"),
  };
}
