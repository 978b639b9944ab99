import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@fsso/common';
import { resolveAgentConfig } from '../src/config';

// The self-traffic rule itself is tested with the formats (packages/formats/test/self-traffic.test.ts);
// here, the agent config option that switches it.

test('config: filters.selfTraffic is "drop" by default, "keep" on request, and anything else names the field and the fix', () => {
  const base = {
    insecure: true,
    collectors: [{ address: '127.0.0.1:7450' }],
    sources: [{ format: 'samba-audit', path: 'audit.json' }],
  };
  const dflt = resolveAgentConfig(base, '/tmp');
  assert.equal(dflt.selfTraffic, 'drop');
  const src = dflt.sources[0];
  assert.ok(src && src.kind === 'file');
  assert.equal(src.parse.selfTraffic, 'drop');
  assert.equal(
    resolveAgentConfig({ ...base, filters: { selfTraffic: 'keep', coalesceWindow: '0s' } }, '/tmp').selfTraffic,
    'keep',
  );
  assert.throws(
    () => resolveAgentConfig({ ...base, filters: { selfTraffic: true } }, '/tmp'),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(
        err.message,
        'filters.selfTraffic: true is not allowed; use "drop" (the default: a logon from the server\'s own address maps nobody) or "keep"',
      );
      return true;
    },
  );
});
