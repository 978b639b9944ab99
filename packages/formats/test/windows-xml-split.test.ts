import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { windowsXmlFormat } from '../src/windows';
import { malformedOf, onlyEvent, parseXmlText, splitXml, winPath } from './windows-test-data';

// The windows-xml splitter: a follower saves `consumed` as its position, so it must always end a
// record, whatever the chunk boundaries (a file being written is read in arbitrary pieces).

const LIBEVTX = 'xml_rendered_libevtx';
const MISC_4769 = '4769_v2_server2025_fields_unknown_repo.xml';

/** The end offsets of every `</Event>` in a buffer: where `consumed` may stop. */
function recordEnds(buf: Buffer): number[] {
  const ends: number[] = [];
  for (let i = buf.indexOf('</Event>'); i >= 0; i = buf.indexOf('</Event>', i + 1)) ends.push(i + '</Event>'.length);
  return ends;
}

for (const [dir, file] of [
  [LIBEVTX, 'omerbenamram-evtx_samples_Security_short_selected.xml'],
  ['misc', MISC_4769],
] as const) {
  test(`split into two chunks at every byte position: ${file}`, () => {
    const buf = fs.readFileSync(winPath(dir, file));
    const ends = recordEnds(buf);
    const whole = splitXml(buf).records;
    assert.equal(whole.length, ends.length);
    assert.deepEqual(malformedOf(parseXmlText(buf)), []);
    for (let at = 0; at <= buf.length; at++) {
      const splitter = windowsXmlFormat.createSplitter();
      const first = splitter.push(buf.subarray(0, at));
      assert.equal(
        splitter.consumed,
        ends.filter((e) => e <= at).pop() ?? 0,
        `consumed after first chunk, split at ${at}`,
      );
      const records = [...first, ...splitter.push(buf.subarray(at))];
      assert.equal(splitter.consumed, ends[ends.length - 1], `split at ${at}`);
      records.push(...splitter.end());
      assert.equal(splitter.consumed, buf.length);
      assert.deepEqual(records, whole, `split at ${at}`);
    }
  });
}

test('every record of a 43 KB file survives being fed one byte at a time', () => {
  const buf = fs.readFileSync(winPath(LIBEVTX, 'omerbenamram-evtx_samples_post-Security.xml'));
  const whole = splitXml(buf);
  const bytewise = splitXml(buf, 1);
  assert.deepEqual(bytewise, whole);
  assert.equal(bytewise.records.length, 27);
});

test('UTF-8 multibyte names: consumed counts bytes, not characters (derived record)', () => {
  // The recorded Windows XML is all ASCII; this takes the real misc record and gives the user a
  // non-ASCII name so that chunk cuts land inside multibyte characters.
  const real = fs.readFileSync(winPath('misc', MISC_4769), 'utf8');
  const text = real.replace('jsmith@corp', 'jürgen.größe€@corp');
  const buf = Buffer.from(text + '\n\n' + text, 'utf8');
  const ends = recordEnds(buf);
  const whole = splitXml(buf).records;
  const users = whole.map((r) => onlyEvent(windowsXmlFormat.createParser()(r)).user);
  assert.deepEqual(users, ['jürgen.größe€', 'jürgen.größe€']);
  for (let at = 0; at <= buf.length; at += 1) {
    const splitter = windowsXmlFormat.createSplitter();
    const records = splitter.push(buf.subarray(0, at));
    assert.equal(splitter.consumed, ends.filter((e) => e <= at).pop() ?? 0, `split at ${at}`);
    records.push(...splitter.push(buf.subarray(at)), ...splitter.end());
    assert.deepEqual(records, whole, `split at ${at}`);
  }
});

test('<?xml?> header, <Events> wrapper, CRLF and back-to-back records give the same events', () => {
  const file =
    'EVTX-to-MITRE-Attack__TA0008-Lateral_Movement_T1021.001-Remote_Desktop_Protocol_ID4688_4778_4779_RDP_hijack_direct.xml';
  const real = fs.readFileSync(winPath(LIBEVTX, file), 'utf8');
  const plain = parseXmlText(real);
  // As `wevtutil qe Security /f:xml /e:Events` wraps them, with Windows line ends and no blank lines.
  const records = real
    .split(/\n\s*\n/)
    .map((r) => r.trim())
    .filter((r) => r !== '');
  const wrapped = `\uFEFF<?xml version="1.0" encoding="UTF-8"?>\r\n<Events>${records.join('').replace(/\n/g, '\r\n')}</Events>\r\n`;
  assert.deepEqual(parseXmlText(wrapped), plain);
});
