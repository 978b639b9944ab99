import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';

/** The repository root (this file compiles to test/dist/support/paths.js). */
export const ROOT = resolve(__dirname, '../../..');

export const BIN = {
  collector: join(ROOT, 'packages/collector/bin/fsso-collector.js'),
  ctl: join(ROOT, 'packages/collector/bin/fssoctl.js'),
  agent: join(ROOT, 'packages/dc-agent/bin/fsso-dc-agent.js'),
  fw: join(ROOT, 'packages/firewall-client/bin/fsso-fw.js'),
} as const;

/** Real recorded events shipped beside the repository (../shared/data), or FSSO_SHARED_DATA. */
export function sharedData(...parts: string[]): string {
  const base = process.env['FSSO_SHARED_DATA'] ?? resolve(ROOT, '../shared/data');
  const p = join(base, ...parts);
  if (!existsSync(p))
    throw new Error(`recorded test data not found at ${p}; set FSSO_SHARED_DATA to the shared/data folder`);
  return p;
}

/** The sample of real Windows events the demo replays (bundled with the agent). */
export const DEMO_SAMPLE = join(ROOT, 'packages/dc-agent/samples/windows-security-sample.xml');
