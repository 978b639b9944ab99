import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentHello__Output, Event__Output } from '@fsso/common';
import { MAX_SEQ, batchSeqProblem, helloSeqProblem, maxSeq } from '../src/services/sequence';

const ev = (seq: number): Event__Output => ({
  seq,
  kind: 'USER_LOGON',
  user: 'u',
  domain: 'CORP',
  ip: '198.18.0.1',
  workstation: '',
  mac: '',
  eventTimeMs: 0,
  source: 't',
  sourceEventId: '4624',
  logonType: 3,
  reporter: '',
});
const hello = (o: Partial<AgentHello__Output>): AgentHello__Output => ({
  agentId: 'dc1',
  domains: [],
  hostname: 'dc1',
  version: 't',
  lastAckedSeq: 0,
  spoolId: 's',
  headSeq: 0,
  ...o,
});

test('what a real agent sends passes: seqs up to the head it reports, gaps from a dropping spool within a batch', () => {
  assert.equal(batchSeqProblem([ev(1), ev(2), ev(3)], 3, 0, 10_000), undefined);
  assert.equal(batchSeqProblem([ev(101), ev(5000)], 9000, 100, 10_000), undefined, 'a gap after drop-oldest');
  assert.equal(batchSeqProblem([], 0, 0, 10_000), undefined, 'an empty batch');
  assert.equal(batchSeqProblem([ev(MAX_SEQ)], MAX_SEQ, MAX_SEQ - 1, 10_000), undefined, 'the largest seq taken');
  assert.equal(helloSeqProblem(hello({ headSeq: 42, lastAckedSeq: 40 })), undefined);
});

test('seqs that would silence an agent are refused: 2^53-1, past the reported head, a jump past the known head', () => {
  assert.match(
    batchSeqProblem([ev(2 ** 53 - 1)], 2 ** 53 - 2, 0, 10_000) ?? '',
    /event seq 9007199254740991 is not a sequence number/,
  );
  assert.match(
    batchSeqProblem([ev(5)], 2 ** 53 - 1, 0, 10_000) ?? '',
    /headSeq 9007199254740991 is not a sequence number/,
  );
  assert.match(batchSeqProblem([ev(7)], 6, 0, 10_000) ?? '', /event seq 7 is beyond the head 6 the batch reports/);
  assert.match(
    batchSeqProblem([ev(10_101)], 2 ** 40, 100, 10_000) ?? '',
    /event seq 10101 jumps more than limits\.maxBatchEvents \(10000\) past seq 100/,
  );
  assert.equal(
    batchSeqProblem([ev(10_100)], 2 ** 40, 100, 10_000),
    undefined,
    'exactly maxBatchEvents past is still a possible batch',
  );
});

test('seqs that cannot move the mark are left to the per-event check', () => {
  // 0, negatives and values past 2^53 are rejected event by event by the ingestor and never move the mark.
  assert.equal(batchSeqProblem([ev(0), ev(-3), ev(2 ** 64), ev(1.5), ev(4)], 4, 0, 10_000), undefined);
  assert.equal(maxSeq([ev(0), ev(2 ** 64), ev(4)]), 4);
});

test('a hello must name its spool and report sane sequence numbers', () => {
  assert.match(helloSeqProblem(hello({ spoolId: '' })) ?? '', /spoolId is empty/);
  assert.match(helloSeqProblem(hello({ spoolId: 'x'.repeat(129) })) ?? '', /longer than 128/);
  assert.match(
    helloSeqProblem(hello({ headSeq: 2 ** 53 - 1 })) ?? '',
    /headSeq 9007199254740991 is not a sequence number/,
  );
  assert.match(helloSeqProblem(hello({ lastAckedSeq: -1 })) ?? '', /lastAckedSeq -1 is not a sequence number/);
});
