import type { IdentityTable } from '../store/identity-table';
import type { TableChange } from './entry';

/** Dead entries: removes every entry whose newest evidence is older than `deadEntryTimeoutMs`. */
export function expireEntries(table: IdentityTable, now: number, deadEntryTimeoutMs: number): TableChange[] {
  const cutoff = now - deadEntryTimeoutMs;
  const changes: TableChange[] = [];
  for (let page = table.expiredBefore(cutoff); page.length > 0; page = table.expiredBefore(cutoff)) {
    for (const e of page) {
      // History records when the evidence ran out, not when the sweep happened to run.
      const c = table.delete(e.ip, 'expired', now, e.lastSeenMs + deadEntryTimeoutMs);
      if (c) changes.push(c);
    }
  }
  return changes;
}
