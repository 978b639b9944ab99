export { windowsXmlFormat, parseEventXml } from './xml';
export { windowsJsonFormat, parseEventJson } from './json';
export { mapWindowsRecord } from './map';
export { jsonToWindowsRecord } from './json-shapes';
export { XmlEventSplitter } from './xml-splitter';
export { cleanMsDocsXml } from './msdocs';
export { parseWindowsTime } from './time';
export type { WindowsRecord } from './record';
