import type { Db } from './database';
import type { IdentityTable } from './identity-table';
import type { ChangeHub } from '../sync/hub';
import type { TableChange } from '../identity/entry';
import type { WorkstationStore } from './workstations';

/**
 * The one write path of the identity table: a write runs in one SQLite transaction, and what it
 * committed is published to every Sync stream right after, in the same tick, so no firewall can
 * miss a change nor see one that was rolled back. Services and rules never touch the hub.
 */
export class TableWriter {
  constructor(
    private readonly deps: {
      db: Db;
      table: IdentityTable;
      hub: ChangeHub;
      /**
       * The machine memory the rules write in the same transactions: required, since its changes
       * reach SQLite only through this writer's flush.
       */
      workstations: WorkstationStore;
    },
  ) {}

  /**
   * Runs `write` in a transaction, publishes the changes `changesOf` finds in its result, and
   * returns the result. If `write` (or the commit) throws, nothing is published and the table's
   * memory is reloaded from SQLite and the machines' memory forgets the transaction's changes,
   * so both hold exactly what was committed.
   */
  commit<R>(write: () => R, changesOf: (r: R) => readonly TableChange[]): R {
    let result: R;
    try {
      result = this.deps.db.transaction(() => {
        const r = write();
        // Rows the table collects per transaction (refreshes, the revision) commit with it.
        this.deps.table.flush();
        this.deps.workstations.flush();
        return r;
      })();
    } catch (err) {
      this.deps.table.reloadRevision();
      this.deps.workstations.rollback();
      throw err;
    }
    this.deps.hub.publish(changesOf(result));
    return result;
  }

  /** `commit` for a write whose result is its changes. */
  changes(write: () => TableChange[]): TableChange[] {
    return this.commit(write, (c) => c);
  }
}
