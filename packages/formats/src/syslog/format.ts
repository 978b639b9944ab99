import type { RecordResult } from '../model';
import { LineSplitter, type ParseOptions, type SourceFormat } from '../format';
import { applyProfiles } from './apply';
import { parseSyslogMessage } from './message';
import { BUILTIN_PROFILES, compileProfiles, type SyslogProfile } from './profiles';

/**
 * `syslog`: a file of syslog lines (what rsyslog or syslog-ng writes, or a capture), read with
 * the given profiles; the first profile that selects a line maps it.
 */
export function syslogFormat(profiles: readonly SyslogProfile[] = BUILTIN_PROFILES): SourceFormat {
  const compiled = compileProfiles(profiles);
  return {
    name: 'syslog',
    description: `syslog lines from VPN gateways, RADIUS servers, firewalls (profiles: ${profiles.map((p) => p.name).join(', ')})`,
    createSplitter: () => new LineSplitter(),
    createParser(options: ParseOptions = {}) {
      return (record: string): RecordResult => applyProfiles(compiled, parseSyslogMessage(record), options);
    },
  };
}
