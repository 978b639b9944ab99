/**
 * The "Event XML" samples on Microsoft's auditing pages were copied from Internet Explorer's XML
 * view and then passed through markdown: lines start with `- ` collapse markers and `_`, `#` and
 * `\` are backslash-escaped (`RDP-Tcp\#6`, `C:\\Windows`). This turns such a sample into the XML
 * Windows wrote. Tests use it to check the mapping against Microsoft's documented values; the
 * parser never does, because real input does not look like this.
 */
export function cleanMsDocsXml(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/^(\s*)- (?=<)/, '$1').trimEnd())
    .join('\n')
    .replace(/\\([\\`*_{}[\]()#+\-.!])/g, '$1');
}
