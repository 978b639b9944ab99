import { test } from 'node:test';
import assert from 'node:assert/strict';
import { didYouMean, parseCommandLine, UsageError } from '../src/cli/run';
import { findCommandHelp, renderCommandHelp } from '../src/cli/help';
import { logLevelOverride } from '../src/log/logger';
import { isLoopbackHost, validateMetricsOptions } from '../src/metrics/endpoint';
import { ConfigError } from '../src/errors';
import { formatTime, zoneOf } from '../src/cli/table';

test('didYouMean finds typos, swaps and prefixes, and nothing for unrelated words', () => {
  const flags = ['json', 'network', 'limit', 'collector', 'older-than'];
  assert.equal(didYouMean('jsn', flags), 'json');
  assert.equal(didYouMean('jsno', flags), 'json');
  assert.equal(didYouMean('netwrok', flags), 'network');
  assert.equal(didYouMean('older', flags), 'older-than');
  assert.equal(didYouMean('colector', flags), 'collector');
  assert.equal(didYouMean('banana', flags), undefined);
});

test('parseCommandLine: an unknown flag is a usage error with the guess; --version and --help are always known', () => {
  assert.throws(
    () => parseCommandLine('tool', ['--jsn'], { json: { type: 'boolean' } }),
    (e: unknown) =>
      e instanceof UsageError && /^unknown option --jsn; did you mean --json\? \(see 'tool --help'\)$/.test(e.message),
  );
  assert.equal(parseCommandLine('tool', ['-V'], {}).values['version'], true);
  assert.equal(parseCommandLine('tool', ['-h'], {}).values['help'], true);
});

test('findCommandHelp takes the longest command prefix; the help shows usage and examples', () => {
  const specs = {
    pki: { usage: 'pki', about: 'a', examples: ['x'], args: 1 },
    'pki show': { usage: 'pki show FILE', about: 'Shows it.', examples: ['tool pki show a.pem'], args: 3 },
  };
  assert.equal(findCommandHelp(specs, ['pki', 'show', 'a.pem'])?.name, 'pki show');
  assert.equal(findCommandHelp(specs, ['pki'])?.name, 'pki');
  assert.equal(findCommandHelp(specs, ['nope']), undefined);
  assert.equal(
    renderCommandHelp('tool', specs['pki show']),
    'Usage: tool pki show FILE\n\nShows it.\n\nExample:\n  tool pki show a.pem\n',
  );
});

test('--log-level beats FSSO_LOG_LEVEL; a bad value names its source', () => {
  assert.equal(logLevelOverride('debug', { FSSO_LOG_LEVEL: 'warn' }), 'debug');
  assert.equal(logLevelOverride(undefined, { FSSO_LOG_LEVEL: 'warn' }), 'warn');
  assert.equal(logLevelOverride(undefined, {}), undefined);
  assert.throws(
    () => logLevelOverride('loud', {}),
    (e: unknown) => e instanceof ConfigError && e.field === '--log-level',
  );
  assert.throws(() => logLevelOverride(undefined, { FSSO_LOG_LEVEL: 'x' }), /FSSO_LOG_LEVEL: "x" is not a level/);
});

test('metrics config: off when absent, loopback default, wrong types named', () => {
  assert.equal(validateMetricsOptions(undefined, '127.0.0.1:9464'), undefined);
  assert.deepEqual(validateMetricsOptions({}, '127.0.0.1:9464'), { listen: '127.0.0.1:9464' });
  assert.deepEqual(validateMetricsOptions({ listen: '[::1]:9000' }, '127.0.0.1:9464'), { listen: '[::1]:9000' });
  assert.throws(
    () => validateMetricsOptions(true, '127.0.0.1:9464'),
    /metrics: expected an object like \{"listen": "127\.0\.0\.1:9464"\}/,
  );
  assert.throws(() => validateMetricsOptions({ port: 1 }, '127.0.0.1:9464'), /metrics\.port: unknown setting/);
  assert.throws(
    () => validateMetricsOptions({ listen: 9464 }, '127.0.0.1:9464'),
    /metrics\.listen: 9464 is not an address/,
  );
  assert.ok(
    isLoopbackHost('127.0.0.1') &&
      isLoopbackHost('[::1]') &&
      isLoopbackHost('localhost') &&
      isLoopbackHost('127.3.2.1'),
  );
  assert.ok(!isLoopbackHost('0.0.0.0') && !isLoopbackHost('10.0.0.5'));
});

test('times carry their zone', () => {
  const t = Date.UTC(2026, 10, 23, 9, 14, 0);
  assert.match(formatTime(t), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (UTC|[+-]\d\d:\d\d)$/);
  assert.equal(formatTime(0), '');
  assert.match(zoneOf(new Date(t)), /^(UTC|[+-]\d\d:\d\d)$/);
});
