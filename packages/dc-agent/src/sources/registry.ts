import type { SourceFormat } from './format';
import { windowsXmlFormat, windowsJsonFormat } from './windows';
import { eventsJsonlFormat } from './events-jsonl';
import { sambaAuditFormat } from './samba';
import { freeradiusDetailFormat, syslogFormat } from './syslog';

/** Every format `sources[].format` and `parse --format` accept. */
const FORMATS: readonly SourceFormat[] = [windowsXmlFormat, windowsJsonFormat, sambaAuditFormat, syslogFormat(), freeradiusDetailFormat, eventsJsonlFormat];

export function getFormat(name: string): SourceFormat | undefined {
  return FORMATS.find((f) => f.name === name);
}

export function formatNames(): string[] {
  return FORMATS.map((f) => f.name);
}

export function describeFormats(): string {
  return FORMATS.map((f) => `  ${f.name.padEnd(14)} ${f.description}`).join('\n');
}
