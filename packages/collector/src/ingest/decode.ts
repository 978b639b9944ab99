import type * as grpc from '@grpc/grpc-js';
import { EVENT_KINDS, type AgentMessage__Output, type Event__Output } from '@fsso/common';

/**
 * AgentService.Report's request decoder: an agent's `batch` read straight into the objects the
 * ingestor takes. proto-loader decodes each event into a protobufjs message and then copies it
 * into a plain object field by field (`toObject`, with a type check per field and the enum name
 * looked up), 1.5 µs per event, a tenth of the collector's ingest time (bench/README.md, "ingest,
 * fourth round"). The wire format is unchanged; the objects are the ones proto-loader gives with
 * PROTO_LOADER_OPTIONS (longs as numbers, enums as names, defaults, the `body` oneof), and a
 * test (test/decode.test.ts) compares the two on the same bytes. Anything but a lone batch (a
 * hello, an empty message, bytes this reader does not follow) goes to proto-loader's decoder, so
 * errors and rare shapes stay exactly as they were.
 */
export function withBatchDecoder<S extends grpc.ServiceDefinition>(service: S): S {
  const report = service['Report'];
  if (!report) return service;
  const slow = report.requestDeserialize as (b: Buffer) => AgentMessage__Output;
  const requestDeserialize = (buf: Buffer): AgentMessage__Output => {
    try {
      return decodeBatchMessage(buf) ?? slow(buf);
    } catch {
      return slow(buf);
    }
  };
  return { ...service, Report: { ...report, requestDeserialize } };
}

/** EventKind by number, as proto-loader names them (enums: String); an unknown number stays a number. */
const KINDS = ['EVENT_KIND_UNSPECIFIED', ...EVENT_KINDS] as const;

/** The read position, and per string field the previous event's value and where its bytes were. */
interface Reader {
  buf: Buffer;
  pos: number;
  prev: { start: number; len: number; value: string }[];
}

class Unsupported extends Error {}

/** An AgentMessage holding only `batch` (field 2), or undefined for any other message. */
export function decodeBatchMessage(buf: Buffer): AgentMessage__Output | undefined {
  const r: Reader = { buf, pos: 0, prev: [] };
  let batch: { events: Event__Output[]; headSeq: number } | undefined;
  while (r.pos < buf.length) {
    const tag = uint32(r);
    // A hello (or both fields, or a field this version does not know): proto-loader decides.
    if (tag !== 0x12) return undefined;
    const len = uint32(r);
    // A second batch field replaces the first, as protobufjs does.
    batch = eventBatch(r, end(r, len));
  }
  return batch ? { batch, body: 'batch' } : undefined;
}

function end(r: Reader, len: number): number {
  const e = r.pos + len;
  if (e > r.buf.length) throw new Unsupported('truncated');
  return e;
}

function eventBatch(r: Reader, stop: number): { events: Event__Output[]; headSeq: number } {
  const events: Event__Output[] = [];
  let headSeq = 0;
  while (r.pos < stop) {
    const tag = uint32(r);
    if (tag === 0x0a) events.push(event(r, end(r, uint32(r))));
    else if (tag === 0x10) headSeq = varint64(r, false);
    else skip(r, tag, 2);
  }
  if (r.pos !== stop) throw new Unsupported('overrun');
  return { events, headSeq };
}

function event(r: Reader, stop: number): Event__Output {
  // Every field named in one literal (proto-loader's order): one hidden class for all events.
  const e: Event__Output = {
    seq: 0,
    kind: 'EVENT_KIND_UNSPECIFIED',
    user: '',
    domain: '',
    ip: '',
    workstation: '',
    mac: '',
    eventTimeMs: 0,
    source: '',
    sourceEventId: '',
    logonType: 0,
    reporter: '',
  };
  while (r.pos < stop) {
    const tag = uint32(r);
    switch (tag) {
      case 0x08:
        e.seq = varint64(r, false);
        break;
      case 0x10: {
        const k = int32(r);
        e.kind = (KINDS[k] ?? k) as Event__Output['kind'];
        break;
      }
      case 0x1a:
        e.user = string(r, 3);
        break;
      case 0x22:
        e.domain = string(r, 4);
        break;
      case 0x2a:
        e.ip = string(r, 5);
        break;
      case 0x32:
        e.workstation = string(r, 6);
        break;
      case 0x3a:
        e.mac = string(r, 7);
        break;
      case 0x40:
        e.eventTimeMs = varint64(r, true);
        break;
      case 0x4a:
        e.source = string(r, 9);
        break;
      case 0x52:
        e.sourceEventId = string(r, 10);
        break;
      case 0x58:
        e.logonType = uint32(r);
        break;
      case 0x62:
        e.reporter = string(r, 12);
        break;
      default:
        skip(r, tag, 12);
    }
  }
  if (r.pos !== stop) throw new Unsupported('overrun');
  return e;
}

/** Buffer's own decoder, without toString's argument checks (protobufjs reads strings with it too). */
type Utf8Slicing = Buffer & { utf8Slice(start: number, end: number): string };

/**
 * A string field; the previous event's value of the same field when the bytes are the same. Most
 * fields of a batch repeat (domain, source, event id, reporter), and decoding a short string costs
 * more than comparing its bytes.
 */
function string(r: Reader, field: number): string {
  const len = uint32(r);
  const start = r.pos;
  const { buf } = r;
  r.pos = end(r, len);
  const p = r.prev[field];
  if (p && p.len === len && len <= 64) {
    let i = 0;
    while (i < len && buf[start + i] === buf[p.start + i]) i++;
    if (i === len) {
      p.start = start;
      return p.value;
    }
  }
  const value = (buf as Utf8Slicing).utf8Slice(start, r.pos);
  if (p) {
    p.start = start;
    p.len = len;
    p.value = value;
  } else r.prev[field] = { start, len, value };
  return value;
}

/** A varint as protobufjs's uint32() reads it: the low 32 bits, unsigned. */
function uint32(r: Reader): number {
  let b = byte(r);
  if (b < 0x80) return b;
  let v = b & 0x7f;
  for (let shift = 7; shift < 35; shift += 7) {
    b = byte(r);
    v |= (b & 0x7f) << shift;
    if (b < 0x80) return v >>> 0;
  }
  // Past 32 bits (a negative int32 is 10 bytes): protobufjs drops the next five bytes unread.
  r.pos = end(r, 5);
  return v >>> 0;
}

function int32(r: Reader): number {
  return uint32(r) | 0;
}

/** A 64-bit varint as a number, as protobufjs's LongBits.toNumber (longs: Number). */
function varint64(r: Reader, signed: boolean): number {
  let lo = 0;
  let hi = 0;
  let b = 0;
  let i = 0;
  for (; i < 4; i++) {
    b = byte(r);
    lo = (lo | ((b & 0x7f) << (i * 7))) >>> 0;
    if (b < 0x80) return toNumber(lo, hi, signed);
  }
  b = byte(r);
  lo = (lo | ((b & 0x7f) << 28)) >>> 0;
  hi = (hi | ((b & 0x7f) >> 4)) >>> 0;
  if (b < 0x80) return toNumber(lo, hi, signed);
  for (i = 0; i < 5; i++) {
    b = byte(r);
    hi = (hi | ((b & 0x7f) << (i * 7 + 3))) >>> 0;
    if (b < 0x80) return toNumber(lo, hi, signed);
  }
  throw new Unsupported('varint');
}

function toNumber(lo: number, hi: number, signed: boolean): number {
  if (signed && hi >>> 31) {
    const l = (~lo + 1) >>> 0;
    let h = ~hi >>> 0;
    if (!l) h = (h + 1) >>> 0;
    return -(l + h * 4294967296);
  }
  return lo + hi * 4294967296;
}

function byte(r: Reader): number {
  const b = r.buf[r.pos++];
  if (b === undefined) throw new Unsupported('truncated');
  return b;
}

/**
 * Skips a field this version does not know (forward compatibility: a newer agent's extra fields).
 * A known field (number up to `known`) with another wire type is read by protobufjs by its number
 * whatever the type: proto-loader's decoder gives that answer.
 */
function skip(r: Reader, tag: number, known: number): void {
  if (tag >>> 3 <= known) throw new Unsupported('wire type of a known field');
  switch (tag & 7) {
    case 0:
      while (byte(r) >= 0x80);
      return;
    case 1:
      r.pos = end(r, 8);
      return;
    case 2:
      r.pos = end(r, uint32(r));
      return;
    case 5:
      r.pos = end(r, 4);
      return;
    default:
      // Groups (3, 4) and invalid wire types: proto-loader's decoder gives its own answer.
      throw new Unsupported('wire type');
  }
}
