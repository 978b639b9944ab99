import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@fsso/common';
import { SharedDetector } from '../src/identity/shared';
import { DEFAULT_IDENTITY } from '../src/identity/settings';
import { StreamCounter } from '../src/services/limits';
import { DEFAULT_LIMITS, validateLimits } from '../src/limits-config';
import { resolveCollectorConfig } from '../src/config';

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);
const detector = () =>
  new SharedDetector({
    ...DEFAULT_IDENTITY,
    deadEntryTimeoutMs: 8 * 3600_000,
    sharedThreshold: 3,
    sharedWindowMs: 10 * 60_000,
  });

test('shared detector: three users in the window make an address shared, two do not, the window ends it', () => {
  const d = detector();
  assert.equal(d.note('10.0.0.1', 'alice', T0), false);
  assert.equal(d.note('10.0.0.1', 'alice', T0 + 1), false);
  assert.equal(d.note('10.0.0.1', 'bob', T0 + 2), false);
  assert.equal(d.note('10.0.0.1', 'carol', T0 + 3), true);
  assert.equal(d.note('10.0.0.1', 'alice', T0 + 11 * 60_000), false, 'bob and carol are out of the window');
  d.forget('10.0.0.1');
  assert.equal(d.note('10.0.0.1', 'bob', T0 + 11 * 60_000), false);
});

test('shared detector: 10 000 users at one address keep it shared and at most sharedThreshold users in memory', () => {
  const d = detector();
  const seen: boolean[] = [];
  for (let i = 0; i < 10_000; i++) seen.push(d.note('10.0.5.20', `user${i}`, T0 + i));
  assert.deepEqual(seen.slice(0, 3), [false, false, true]);
  assert.ok(seen.slice(2).every(Boolean));
  const state = (d as unknown as { shared: Map<string, { who: string[] }> }).shared.get('10.0.5.20');
  assert.equal(state?.who.length, 3, 'bounded memory per address');
});

test('shared detector: flooding 200 000 other addresses does not make a terminal server single-user again', () => {
  const d = detector();
  for (const u of ['alice', 'bob', 'carol']) d.note('10.0.5.20', u, T0);
  for (let i = 0; i < 200_000; i++) d.note(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `u${i}`, T0 + 1);
  assert.equal(d.note('10.0.5.20', 'dave', T0 + 2), true);
  assert.ok(d.size.recent <= 200_000);
});

test('stream quotas: per certificate and kind, a total, and a reserve only agents may use', () => {
  const c = new StreamCounter({
    maxStreams: 10,
    reservedAgentStreams: 4,
    streamsPerCertificate: { report: 2, sync: 3, watch: 3, auth: 3 },
  });
  const ok = (g: ReturnType<StreamCounter['acquire']>) => ('release' in g ? g : assert.fail(`refused: ${g.message}`));
  const fw1 = [1, 2, 3].map(() => ok(c.acquire('sync', 'fw1')));
  const refused = c.acquire('sync', 'fw1');
  assert.ok('limit' in refused && refused.limit === 'streamsPerCertificate.sync');
  assert.match('message' in refused ? refused.message : '', /limits\.streamsPerCertificate\.sync is 3/);
  ok(c.acquire('sync', 'fw2'));
  ok(c.acquire('watch', 'fw2'));
  ok(c.acquire('watch', 'fw3'));
  const reserve = c.acquire('sync', 'fw4');
  assert.ok(
    'limit' in reserve && reserve.limit === 'reservedAgentStreams',
    'six non-agent streams take all but the reserve',
  );
  const agents = [
    ok(c.acquire('report', 'dc1')),
    ok(c.acquire('report', 'dc1')),
    ok(c.acquire('report', 'dc2')),
    ok(c.acquire('report', 'dc2')),
  ];
  const full = c.acquire('report', 'dc3');
  assert.ok('limit' in full && full.limit === 'maxStreams');
  fw1[0]?.release();
  fw1[0]?.release();
  assert.equal(c.size, 9, 'releasing twice counts once');
  ok(c.acquire('report', 'dc3'));
  for (const a of agents) a.release();
});

test('limits config: defaults, durations, and errors that name the key and the fix', () => {
  const l = validateLimits(undefined);
  assert.deepEqual(l, DEFAULT_LIMITS);
  assert.equal(
    validateLimits({ handshakeTimeout: '2s', idleTimeout: '1m', negativeCacheTtl: '0s' }).handshakeTimeoutMs,
    2000,
  );
  assert.deepEqual(validateLimits({ streamsPerCertificate: { sync: 2 } }).streamsPerCertificate, {
    report: 4,
    sync: 2,
    watch: 8,
    auth: 256,
  });
  const bad: [unknown, RegExp][] = [
    [{ maxStreams: 'lots' }, /^limits\.maxStreams: expected a whole number/],
    [{ maxStreams: 10, reservedAgentStreams: 10 }, /^limits\.reservedAgentStreams: 10 leaves no stream for firewalls/],
    [{ streamsPerCertificate: { firewall: 2 } }, /^limits\.streamsPerCertificate\.firewall: unknown setting/],
    [{ handshakeTimeout: 'soon' }, /^limits\.handshakeTimeout: "soon" is not a duration/],
    [{ handshakeTimeoutMs: 5 }, /^limits\.handshakeTimeoutMs: unknown setting/],
    [
      { maxSyncBufferBytes: 8 * 1024 * 1024, maxSyncBufferTotalBytes: 1024 * 1024 },
      /^limits\.maxSyncBufferTotalBytes: .* below limits\.maxSyncBufferBytes/,
    ],
    [[1], /^limits: expected an object/],
  ];
  for (const [raw, re] of bad)
    assert.throws(
      () => validateLimits(raw),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
    );
  assert.equal(resolveCollectorConfig({ insecure: true, agentRetention: '2h' }).agentRetentionMs, 7_200_000);
  assert.throws(
    () => resolveCollectorConfig({ insecure: true, agentRetention: 'forever' }),
    /agentRetention: "forever" is not a duration/,
  );
});
