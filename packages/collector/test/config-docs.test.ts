import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseDuration } from '@fsso/common';
import { COLLECTOR_IDENTITY, COLLECTOR_LIMITS, COLLECTOR_TOP } from '../src/config-schema';
import { DEFAULT_LIMITS, validateLimits } from '../src/limits-config';
import { DEFAULT_IDENTITY } from '../src/identity/settings';
import { resolveCollectorConfig } from '../src/config';

/* docs/config.md, the validators and the defaults come from one schema; these tests keep them together. */

test('every key the schema documents is accepted, and a key it does not document is refused', () => {
  const tls = { insecure: true };
  for (const k of COLLECTOR_TOP.keys) {
    if (k.default !== undefined && k.key !== 'insecure')
      assert.doesNotThrow(() => resolveCollectorConfig({ ...tls, [k.key]: k.default }), k.key);
  }
  assert.throws(
    () => resolveCollectorConfig({ ...tls, lisen: '127.0.0.1:1' }),
    (e: unknown) => e instanceof ConfigError && /lisen: unknown setting/.test(e.message),
  );
  for (const k of COLLECTOR_LIMITS.keys) {
    const key = k.key.slice('limits.'.length);
    if (k.default !== undefined) assert.doesNotThrow(() => validateLimits({ [key]: k.default }), k.key);
  }
  // Every limit the validator fills in is documented.
  const documented = COLLECTOR_LIMITS.keys.map((k) => k.key.slice('limits.'.length).replace(/(Timeout|Ttl)$/, '$1Ms'));
  assert.deepEqual([...documented].sort(), Object.keys(DEFAULT_LIMITS).sort());
});

test('the defaults the schema documents are the ones the validators use', () => {
  const cfg = resolveCollectorConfig({ insecure: true }, '/srv/fsso');
  assert.equal(cfg.listen, COLLECTOR_TOP.keys.find((k) => k.key === 'listen')?.default);
  assert.equal(cfg.database, '/srv/fsso/data/collector.db');
  assert.equal(
    cfg.limits.maxBatchEvents,
    COLLECTOR_LIMITS.keys.find((k) => k.key === 'limits.maxBatchEvents')?.default,
  );
  assert.equal(
    cfg.limits.handshakeTimeoutMs,
    parseDuration(COLLECTOR_LIMITS.keys.find((k) => k.key === 'limits.handshakeTimeout')?.default, 'x'),
  );
  const id = (key: string): unknown => COLLECTOR_IDENTITY.keys.find((k) => k.key === `identity.${key}`)?.default;
  assert.equal(DEFAULT_IDENTITY.workstationUserTtlMs, parseDuration(id('workstationUserTtl'), 'x'));
  assert.equal(DEFAULT_IDENTITY.sharedWindowMs, parseDuration(id('sharedWindow'), 'x'));
  assert.equal(DEFAULT_IDENTITY.sharedThreshold, id('sharedThreshold'));
});
