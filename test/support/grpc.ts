import type { CollectorHandle } from './processes';
import { loadFsso, type AdminServiceClient, type Stats__Output } from '@fsso/common';

/** A direct AdminService client, for polling the collector faster than a CLI process can. */
export function adminClient(c: CollectorHandle): AdminServiceClient {
  const { proto } = loadFsso();
  return new proto.fsso.v1.AdminService(c.address, c.credentials('admin')) as AdminServiceClient;
}

export function getStats(client: AdminServiceClient): Promise<Stats__Output> {
  return new Promise((resolve, reject) => {
    client.getStats({}, { deadline: Date.now() + 2000 }, (err, res) =>
      err || !res ? reject(err ?? new Error('no stats')) : resolve(res),
    );
  });
}

/** Polls `check` every `everyMs` until it returns true or `timeoutMs` passes. */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
  everyMs = 20,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}
