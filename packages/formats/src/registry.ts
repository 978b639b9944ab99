import type { SourceFormat } from './format';
import { windowsXmlFormat, windowsJsonFormat } from './windows';
import { eventsJsonlFormat } from './events-jsonl';
import { sambaAuditFormat } from './samba';
import { syslogFormat } from './syslog';
import { freeradiusDetailFormat } from './freeradius';
import { dhcpIscFormat, dhcpIscLeasesFormat, dhcpKeaFormat, dhcpWindowsFormat } from './dhcp';

/** Every format `sources[].format` and `parse --format` accept. */
const FORMATS: readonly SourceFormat[] = [
  windowsXmlFormat,
  windowsJsonFormat,
  sambaAuditFormat,
  dhcpWindowsFormat,
  dhcpIscFormat,
  dhcpIscLeasesFormat,
  dhcpKeaFormat,
  syslogFormat(),
  freeradiusDetailFormat,
  eventsJsonlFormat,
];

export function getFormat(name: string): SourceFormat | undefined {
  return FORMATS.find((f) => f.name === name);
}

export function formatNames(): string[] {
  return FORMATS.map((f) => f.name);
}

export function describeFormats(): string {
  const width = Math.max(...FORMATS.map((f) => f.name.length)) + 2;
  return FORMATS.map((f) => `  ${f.name.padEnd(width)}${f.description}`).join('\n');
}
