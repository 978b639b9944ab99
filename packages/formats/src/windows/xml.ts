import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { RecordResult } from '../model';
import type { ParseOptions, SourceFormat } from '../format';
import { mapWindowsRecord } from './map';
import { COUNTED, RULES } from './rules';
import type { WindowsRecord } from './record';
import { parseWindowsTime } from './time';
import { XmlEventSplitter } from './xml-splitter';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Values stay text: "0x0", "00123" or "1e5" must not turn into numbers.
  parseTagValue: false,
  parseAttributeValue: false,
  // Also decodes numeric references (&#x41;), which the XML default leaves alone.
  htmlEntities: true,
  isArray: (name) => name === 'Data',
});

type Node = Record<string, unknown>;

function asNode(v: unknown): Node | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Node) : undefined;
}

/** Element text: a plain string, or `#text` when the element also has attributes. */
function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const node = asNode(v);
  return node === undefined ? '' : textOf(node['#text']);
}

/**
 * One `<Event>` element to a `WindowsRecord`, or the reason it is not one. Only well-formed XML is
 * accepted: the parser alone tolerates unclosed tags, which would hide damaged records.
 */
export function parseEventXml(xml: string): WindowsRecord | string {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return `malformed XML: ${valid.err.msg} (line ${valid.err.line})`;
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch (err: unknown) {
    return `malformed XML: ${err instanceof Error ? err.message : String(err)}`;
  }
  const root = asNode(doc);
  const event = asNode(root?.['Event']) ?? asNode(asNode(root?.['Events'])?.['Event']);
  const system = asNode(event?.['System']);
  if (event === undefined || system === undefined) return 'not a Windows event: no <Event><System>';
  // <EventID Qualifiers='0'>4624</EventID> parses to an object; textOf handles both forms.
  const idText = textOf(system['EventID']).trim();
  if (!/^\d+$/.test(idText)) return `not a Windows event: EventID '${idText}'`;
  const created = asNode(system['TimeCreated']);
  return {
    eventId: Number(idText),
    computer: textOf(system['Computer']).trim(),
    timeMs: parseWindowsTime(textOf(created?.['@_SystemTime'])),
    data: eventData(asNode(event['EventData'])),
  };
}

/** `<Data Name='X'>v</Data>`, `<Data Name='X'/>` and `<Data Name='X'></Data>` by name; unnamed ones dropped. */
function eventData(node: Node | undefined): Record<string, string> {
  const data: Record<string, string> = {};
  const items = node?.['Data'];
  if (!Array.isArray(items)) return data;
  for (const item of items) {
    const name = textOf(asNode(item)?.['@_Name']);
    if (name !== '') data[name] = textOf(item);
  }
  return data;
}

export const windowsXmlFormat: SourceFormat = {
  name: 'windows-xml',
  description: 'Windows Security <Event> XML (wevtutil qe Security /f:xml, Get-WinEvent ToXml())',
  createSplitter: () => new XmlEventSplitter(),
  createParser(options: ParseOptions = {}) {
    return (record: string): RecordResult => {
      // A DC logs far more than logon evidence (4688, 5145, ...): skip those before the costly
      // XML parse, with the same reason mapWindowsRecord would give.
      // A record cut short never parses; saying so without the XML parser keeps a flood of torn
      // records cheap.
      if (!record.includes('</Event'))
        return { events: [], skipped: 'malformed XML: the record has no closing </Event> (cut short)' };
      const id = /<EventID(?:\s[^>]*)?>\s*(\d+)\s*<\/EventID>/.exec(record)?.[1];
      if (id !== undefined && !RULES.has(Number(id)) && !COUNTED.has(Number(id)))
        return { events: [], skipped: `event ${id} is not logon evidence` };
      const parsed = parseEventXml(record);
      return typeof parsed === 'string' ? { events: [], skipped: parsed } : mapWindowsRecord(parsed, options);
    };
  },
};
