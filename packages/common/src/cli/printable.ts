/**
 * Characters a terminal acts on instead of showing: C0 controls (ESC starts ANSI sequences, CR
 * and LF forge lines), DEL, C1 controls (0x9b is a one-byte CSI on some terminals), the Unicode
 * line/paragraph separators, and the bidirectional overrides that reorder what is shown.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text from agents and peers (user names, reporters, sources) as a terminal may show it: every
 * control character escaped (`\x1b`, `\n`, `\u202e`), everything else unchanged. For human output
 * only; `--json` output stays exact (JSON escapes C0 itself).
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
