import type { RecordResult } from '../model';
import { LineSplitter, type ParseOptions, type SourceFormat } from '../format';
import { DuplicateFilter } from './duplicates';
import { mapSambaRecord } from './map';
import { readSambaRecord } from './record';

/**
 * `samba-audit`: the JSON file a Samba AD DC writes with
 * `log level = 1 auth_json_audit:4@/var/log/samba/auth.json` (one object per line).
 */
export const sambaAuditFormat: SourceFormat = {
  name: 'samba-audit',
  description: 'Samba AD DC JSON authentication audit (log level = 1 auth_json_audit:4@FILE)',
  createSplitter: () => new LineSplitter(),
  createParser(options: ParseOptions = {}): (record: string) => RecordResult {
    // Per stream: the kinit-retry collapse compares each record with earlier ones of this file.
    const duplicates = new DuplicateFilter();
    return (line: string): RecordResult => {
      const read = readSambaRecord(line);
      if ('problem' in read) return { events: [], skipped: `not a Samba audit record: ${read.problem}` };
      try {
        return mapSambaRecord(read.record, duplicates, options);
      } catch (err: unknown) {
        // A follower must never stop on one odd record; the reason is counted like any skip.
        return {
          events: [],
          skipped: `Samba ${read.record.type} record could not be mapped: ${err instanceof Error ? err.message : String(err)}`,
        };
      }
    };
  },
};

export { mapSambaRecord } from './map';
export { readSambaRecord } from './record';
export { parseSambaTime } from './time';
