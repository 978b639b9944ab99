import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlankLineSplitter } from '@fsso/formats';
import { SyslogFrameDecoder } from '../src/readers/syslog/framing';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

test('octet-counted and LF-terminated frames, mixed on one stream, split anywhere', () => {
  const stream = b('11 <13>hello A<13>line two\r\n5 multi11 <13>a\nb c d<13>last\n');
  const whole = new SyslogFrameDecoder(100).push(stream);
  assert.deepEqual(whole, { messages: ['<13>hello A', '<13>line two', 'multi', '<13>a\nb c d', '<13>last'] });
  // Byte by byte: the same messages, each exactly once.
  const d = new SyslogFrameDecoder(100);
  const got: string[] = [];
  for (const byte of stream) got.push(...d.push(Buffer.from([byte])).messages);
  assert.deepEqual(got, whole.messages);
});

test('a line starting with digits that are not a length is LF-framed (header-less PAN-OS CSV)', () => {
  const out = new SyslogFrameDecoder(100).push(b('1,2021/03/24 11:00:49,0131,USERID,login\n931201168,x\n'));
  assert.deepEqual(out.messages, ['1,2021/03/24 11:00:49,0131,USERID,login', '931201168,x']);
});

test('oversized frames and binary data end the stream', () => {
  assert.deepEqual(new SyslogFrameDecoder(10).push(b('<13>ok\n11 <13>too long')), {
    messages: ['<13>ok'],
    error: 'oversized',
  });
  // An octet count is refused as soon as it is read, before the body is buffered.
  assert.equal(new SyslogFrameDecoder(10).push(b('99999999 ')).error, 'oversized');
  // LF framing: more than the cap without a newline.
  const d = new SyslogFrameDecoder(10);
  assert.deepEqual(d.push(b('<13>abcdef')), { messages: [] });
  assert.equal(d.push(b('ghijk')).error, 'oversized');
  assert.equal(new SyslogFrameDecoder(10).push(b('<13>0123456789\n')).error, 'oversized');
  // A TLS ClientHello sent to the plaintext port.
  assert.equal(
    new SyslogFrameDecoder(100).push(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x0a])).error,
    'garbage',
  );
});

test('BlankLineSplitter: paragraphs, CRLF, leading and repeated blank lines, position', () => {
  const text =
    '\n\nTue Jun  9 00:03:48 2015\r\n\tUser-Name = "a"\r\n\r\n\n  \nTue Jun  9 00:08:19 2015\n\tUser-Name = "b"\n';
  const s = new BlankLineSplitter();
  const first = s.push(b(text));
  assert.deepEqual(first, ['Tue Jun  9 00:03:48 2015\r\n\tUser-Name = "a"']);
  // The first record and every blank line up to the second are consumed; the second is pending.
  assert.equal(s.consumed, text.indexOf('Tue Jun  9 00:08'));
  assert.deepEqual(s.end(), ['Tue Jun  9 00:08:19 2015\n\tUser-Name = "b"']);
  assert.equal(s.consumed, Buffer.byteLength(text));
});
