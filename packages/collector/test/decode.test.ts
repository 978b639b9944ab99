import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadFsso } from '@fsso/common';
import { withBatchDecoder } from '../src/ingest/decode';

const service = loadFsso().proto.fsso.v1.AgentService.service;
const report = service.Report;
const fast = withBatchDecoder(service).Report.requestDeserialize;
const slow = report.requestDeserialize;
const encode = (m: unknown): Buffer => report.requestSerialize(m as never);

/** The two decoders agree: the same object, or both refuse the bytes. */
function same(buf: Buffer): void {
  let want: unknown;
  try {
    want = slow(buf);
  } catch {
    assert.throws(() => fast(buf));
    return;
  }
  assert.deepEqual(fast(buf), want);
}

// Hand-made protobuf, for fields no .proto of ours has (a newer agent's) and odd encodings.
const varint = (n: bigint): number[] => {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? b | 0x80 : b);
  } while (v);
  return out;
};
const field = (no: number, type: number, body: number[]): number[] =>
  type === 2
    ? [...varint(BigInt((no << 3) | 2)), ...varint(BigInt(body.length)), ...body]
    : [...varint(BigInt((no << 3) | type)), ...body];
const str = (s: string): number[] => [...Buffer.from(s)];

test('a batch decodes to what proto-loader gives: every field, defaults, the body oneof', () => {
  const events = [
    {
      seq: 1,
      kind: 'USER_LOGON',
      user: 'ÉVE',
      domain: 'CORP',
      ip: '198.18.0.1',
      workstation: 'WKS1',
      mac: 'aa:bb:cc:dd:ee:ff',
      eventTimeMs: 1_764_600_000_000,
      source: 'windows-security',
      sourceEventId: '4624',
      logonType: 10,
      reporter: 'dc1',
    },
    { seq: 2 ** 53 - 1, kind: 'HOST_RELEASED', ip: '2001:db8::1', eventTimeMs: -5 },
    {},
  ];
  const buf = encode({ batch: { events, headSeq: 2 ** 40 } });
  assert.equal(fast(buf).body, 'batch');
  same(buf);
  same(encode({ batch: { events: [] } }));
  same(encode({ batch: { events: [], headSeq: 7 } }));
});

test('hellos, empty messages and odd encodings decode as proto-loader decodes them', () => {
  same(encode({ hello: { agentId: 'dc1', domains: ['CORP'], headSeq: 3 } }));
  same(Buffer.alloc(0));
  // An unknown kind stays a number; a negative kind is ten bytes.
  same(Buffer.from(field(2, 2, field(1, 2, [...field(2, 0, varint(99n)), ...field(1, 0, varint(4n))]))));
  same(Buffer.from(field(2, 2, field(1, 2, field(2, 0, varint(-1n))))));
  // seq past 2^53 and a uint32 past 32 bits: truncated the same way.
  same(
    Buffer.from(
      field(2, 2, field(1, 2, [...field(1, 0, varint(2n ** 63n + 5n)), ...field(11, 0, varint(2n ** 40n + 3n))])),
    ),
  );
  // A newer agent's fields (every wire type) are skipped, in the event, the batch and beside it.
  const extra = [
    ...field(20, 0, varint(300n)),
    ...field(21, 1, [1, 2, 3, 4, 5, 6, 7, 8]),
    ...field(22, 2, str('later')),
    ...field(23, 5, [1, 2, 3, 4]),
  ];
  same(Buffer.from(field(2, 2, [...field(1, 2, [...field(3, 2, str('eve')), ...extra]), ...extra])));
  same(Buffer.from([...field(2, 2, field(1, 2, field(3, 2, str('eve')))), ...field(9, 2, str('x'))]));
  // A known field with another wire type, a field sent twice, a batch sent twice.
  same(Buffer.from(field(2, 2, field(1, 2, field(3, 0, varint(5n))))));
  same(Buffer.from(field(2, 2, field(1, 2, [...field(3, 2, str('a')), ...field(3, 2, str('b'))]))));
  same(Buffer.from([...field(2, 2, field(1, 2, field(1, 0, [1]))), ...field(2, 2, field(2, 0, [4]))]));
});

test('damaged bytes are refused or decoded exactly as proto-loader does', () => {
  const good = encode({
    batch: {
      events: Array.from({ length: 5 }, (_, i) => ({
        seq: i + 1,
        kind: 'USER_ACTIVITY',
        user: `u${i}`,
        ip: '198.18.0.1',
      })),
      headSeq: 5,
    },
  });
  // A fixed seed: every run checks the same damaged messages.
  let seed = 42;
  const rand = (n: number): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < 2000; i++) {
    const buf = Buffer.from(good);
    for (let j = 1 + rand(3); j > 0; j--) buf[rand(buf.length)] = rand(256);
    same(i % 3 === 0 ? buf.subarray(0, rand(buf.length)) : buf);
  }
});
