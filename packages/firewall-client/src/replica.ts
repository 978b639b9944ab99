import { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import {
  PermissionDeniedError,
  ConfigError,
  PeerError,
  ReconnectingStream,
  connectionFailureReason,
  loadFsso,
  normaliseIp,
  type Change__Output,
  type Identity__Output,
  type IdentityServiceClient,
  type StreamLoss,
  type StreamState,
  type SyncMessage__Output,
} from '@fsso/common';
import { putColumns, putIdentity } from './replica-records';
import { Dictionary, ReplicaTable } from './replica-table';
import type { IdentityView } from './identity-view';
import type { CompiledPolicy, PolicyDecision } from './policy';

/** The collector sends a heartbeat on every Sync stream this often. */
export const SYNC_HEARTBEAT_MS = 15_000;

/** The HTTP/2 flow-control window of the replica's connection and stream, in bytes. */
const FLOW_CONTROL_WINDOW = 8 * 1024 * 1024;

/** Distinct strings and group sets a table's dictionary holds before the next snapshot starts a new one. */
const MAX_DICTIONARY = 200_000;

/** gRPC status codes (grpc-js is imported for types only here). */
const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;

export interface ReplicaOptions {
  /** Collector address, "host:port". */
  address: string;
  /**
   * Build them with `channelCredentials({ tls: { ca, cert, key } })` from @fsso/common: it accepts
   * only a collector (serverAuth EKU and the collector role), as `fsso-fw` does. Raw
   * `grpc.credentials.createSsl` would take any certificate from the CA, a firewall's included.
   */
  credentials: grpc.ChannelCredentials;
  /** Names this firewall in the collector's logs. */
  clientName?: string;
  /**
   * With no message at all (changes or heartbeats) for this long, the collector is taken as frozen
   * and the stream is reopened. A stopped or hung collector process keeps its socket open, so
   * without this the replica would stay LIVE on a table that no longer changes. Keep it above the
   * collector's heartbeat interval (15 s): below it, an idle but healthy collector is taken as
   * frozen and the stream is reopened every `silenceTimeoutMs`.
   * @default 45_000 (three missed heartbeats)
   */
  silenceTimeoutMs?: number;
}

/** A change as the replica applied it. */
export interface ReplicaChange {
  revision: number;
  op: 'UPSERT' | 'DELETE';
  ip: string;
  /**
   * The new identity (UPSERT) or the one removed (DELETE, when the replica had it): a plain
   * copy, not a view, so a listener may keep it across an await.
   */
  identity: Identity__Output | undefined;
  reason: string;
}

/** What 'reconnected' tells: how long the replica was not live, and what it holds now. */
export interface ReconnectInfo {
  downMs: number;
  revision: number;
  entries: number;
}

export type ReplicaState = 'CONNECTING' | 'SYNCING' | 'LIVE' | 'BACKOFF' | 'STOPPED';

/**
 * A local copy of the collector's IP → identity table, kept current by `IdentityService.Sync`.
 * Lookups are answered from memory. After a disconnect it reconnects with the table id and
 * revision it holds and receives only what changed; a fresh snapshot replaces the table in one
 * step when it is complete, so lookups never see a half-loaded table.
 *
 * Events: 'ready' (first complete table), 'change' (ReplicaChange), 'snapshot' (table replaced),
 * 'reconnected' (ReconnectInfo: live again after a lost stream),
 * 'state' (ReplicaState), 'error' is never emitted: connection problems are retried and reported
 * through 'disconnected' (reason).
 */
export class IdentityReplica extends EventEmitter {
  private table = new ReplicaTable(new Dictionary());
  private building: ReplicaTable | undefined;
  private buildingTableId = '';
  private tableIdValue = '';
  private revisionValue = 0;
  private stateValue: ReplicaState = 'STOPPED';
  private readyValue = false;
  private readonly stream: ReconnectingStream<
    IdentityServiceClient,
    grpc.ClientReadableStream<SyncMessage__Output>,
    SyncMessage__Output
  >;
  /** When the stream was lost (0 while live), for the 'reconnected' event. */
  private lostAtMs = 0;

  constructor(private readonly opts: ReplicaOptions) {
    super();
    const silenceMs = opts.silenceTimeoutMs ?? 3 * SYNC_HEARTBEAT_MS;
    if (typeof silenceMs !== 'number' || !Number.isFinite(silenceMs) || silenceMs <= 0) {
      throw new ConfigError(
        `silenceTimeoutMs must be a positive number of milliseconds (default ${3 * SYNC_HEARTBEAT_MS}), not ${JSON.stringify(silenceMs)}`,
        'silenceTimeoutMs',
      );
    }
    this.stream = new ReconnectingStream({
      address: opts.address,
      credentials: opts.credentials,
      makeClient: (address, credentials, options) =>
        new (loadFsso().proto.fsso.v1.IdentityService)(address, credentials, options) as IdentityServiceClient,
      channelOptions: {
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
        // HTTP/2's default 64 KiB window lets the collector send 64 KiB per round trip: a busy
        // firewall process (or collector) stretches the round trip, and a 20 k changes/s feed or
        // a 1 M-entry snapshot then falls seconds behind. The collector bounds what it sends ahead
        // (1 MiB per stream), so a larger window costs no memory here beyond that.
        'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW,
      },
      // A firewall is blind while its replica is down, so retries stay frequent: at most 2 s apart
      // (the agent's 15 s cap would leave a restarted collector unused for that long).
      backoff: { initialMs: 250, maxMs: 2000 },
      watchdog: {
        timeoutMs: silenceMs,
        reason: (ms) => `no message from the collector in ${ms} ms (heartbeats missed: is it frozen?)`,
      },
      open: (client) => {
        this.building = undefined;
        return client.sync({
          fromRevision: this.revisionValue,
          tableId: this.tableIdValue,
          clientName: opts.clientName ?? 'fsso-fw',
          acceptBatches: true,
          acceptColumns: true,
        });
      },
      onMessage: (m, call) => this.onMessage(m, call),
      onLost: (loss) => this.onLost(loss),
      onState: (s) => this.onStreamState(s),
    });
  }

  get state(): ReplicaState {
    return this.stateValue;
  }
  get revision(): number {
    return this.revisionValue;
  }
  get tableId(): string {
    return this.tableIdValue;
  }
  get ready(): boolean {
    return this.readyValue;
  }
  get size(): number {
    return this.table.size;
  }

  /**
   * Who is at `ip`, from memory; `undefined` if nobody is known (or the address is not valid).
   * A view on the table's entry (IdentityView): read it before the next turn of the event loop,
   * or call `toObject()` to keep a copy; read after the entry changed, it throws
   * StaleIdentityError rather than answer for whoever is there now. To decide on an address,
   * `decide` needs no object at all.
   */
  lookup(ip: string): IdentityView | undefined {
    // The table's keys are normalised addresses, so a hit needs no normalising: most look-ups
    // (a firewall passes the address as it parsed it) end here.
    const hit = this.table.slotOf(ip);
    if (hit !== undefined) return this.table.view(ip, hit);
    const key = normaliseIp(ip);
    return key === null || key === ip ? undefined : this.lookupKey(key);
  }

  /** As `lookup`, for an address already normalised (the table's keys, as 'change' events carry them). */
  lookupKey(key: string): IdentityView | undefined {
    const s = this.table.slotOf(key);
    return s === undefined ? undefined : this.table.view(key, s);
  }

  /** `policy.decide(this.lookup(ip))`, read from the table's slot (cached per entry): no object is built. */
  decide(policy: CompiledPolicy, ip: string): PolicyDecision {
    const hit = this.table.slotOf(ip);
    if (hit !== undefined) return policy.decideAt(this.table, ip, hit);
    const key = normaliseIp(ip);
    return key === null || key === ip ? policy.decide(undefined) : this.decideKey(policy, key);
  }

  /** As `decide`, for an address already normalised. */
  decideKey(policy: CompiledPolicy, key: string): PolicyDecision {
    const s = this.table.slotOf(key);
    return s === undefined ? policy.decide(undefined) : policy.decideAt(this.table, key, s);
  }

  /** Every entry, as views (see `lookup`), in the order the table holds them. */
  entries(): IdentityView[] {
    const out: IdentityView[] = [];
    for (const [ip, s] of this.table.slotList()) out.push(this.table.view(ip, s));
    return out;
  }

  start(): void {
    this.stream.start();
  }

  /** Resolves when the replica holds a complete table; rejects after `timeoutMs`. */
  whenReady(timeoutMs = 10_000): Promise<void> {
    if (this.readyValue) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let lastReason = 'no answer yet';
      const onDisc = (why: string, code?: number): void => {
        lastReason = why;
        // A refusal of our certificate's role does not pass by retrying: say so now, not after the timeout.
        if (code === PERMISSION_DENIED || code === UNAUTHENTICATED) {
          clearTimeout(timer);
          this.off('ready', onReady);
          this.off('disconnected', onDisc);
          reject(
            new PermissionDeniedError(
              `the collector at ${this.opts.address} refused the table: ${why}; use a firewall (or admin) certificate ('fssoctl pki issue --role firewall')`,
              this.opts.address,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        this.off('ready', onReady);
        this.off('disconnected', onDisc);
        // A PeerError: the CLI prints it as a sentence with its code, not as a crash with a stack.
        reject(
          new PeerError(
            `no table from the collector at ${this.opts.address} within ${timeoutMs} ms (${connectionFailureReason(lastReason)})`,
          ),
        );
      }, timeoutMs);
      const onReady = (): void => {
        clearTimeout(timer);
        this.off('disconnected', onDisc);
        resolve();
      };
      this.once('ready', onReady);
      this.on('disconnected', onDisc);
    });
  }

  stop(): void {
    this.stream.stop();
    this.building = undefined;
  }

  private setState(s: ReplicaState): void {
    if (s !== this.stateValue) {
      this.stateValue = s;
      this.emit('state', s);
    }
  }

  /** SYNCING and LIVE are told by the messages; the stream's other states are the replica's. */
  private onStreamState(s: StreamState): void {
    if (s !== 'STREAMING') this.setState(s);
  }

  private onLost(loss: StreamLoss): void {
    this.building = undefined;
    if (this.readyValue && this.lostAtMs === 0) this.lostAtMs = Date.now();
    this.emit('disconnected', loss.details, loss.code);
  }

  private onMessage(m: SyncMessage__Output, call: { cancel(): void }): void {
    if (m.snapshotBegin) {
      this.setState('SYNCING');
      // Made to the snapshot's size at once: the columns are not copied as it grows.
      // The dictionary only grows while changes add values: a new table past a bound starts
      // its own (the old one goes with the old table).
      const dict = this.table.dict.size > MAX_DICTIONARY ? new Dictionary() : this.table.dict;
      this.building = new ReplicaTable(dict, m.snapshotBegin.total);
      // Taken on at the end only: a stream cut before it would otherwise reconnect naming the new
      // table's id with the old table's revision, and be resumed onto a table it does not hold.
      this.buildingTableId = m.snapshotBegin.tableId;
    } else if (m.snapshotChunk && this.building) {
      for (const e of m.snapshotChunk.entries) putIdentity(this.building, e);
    } else if (m.snapshotColumns && this.building) {
      if (!putColumns(this.building, m.snapshotColumns)) {
        // Misaligned columns could pair an address with another entry's user: the old table
        // stays, and the stream is cut, so the replica reconnects for a fresh snapshot.
        this.building = undefined;
        call.cancel();
      }
    } else if (m.snapshotEnd && this.building) {
      // Views on the old table's entries read as stale from now on: an entry there may differ here.
      this.table.retire();
      this.table = this.building;
      this.building = undefined;
      this.tableIdValue = this.buildingTableId;
      this.revisionValue = m.snapshotEnd.revision;
      this.emit('snapshot', this.table.size);
      this.goLive();
    } else if (m.resume) {
      this.goLive();
    } else if (m.change) {
      this.apply(m.change);
    } else if (m.changeBatch) {
      // One committed batch (or several coalesced), in revision order: applied as single changes.
      for (const c of m.changeBatch.changes) this.apply(c);
    }
  }

  private apply(c: Change__Output): void {
    if (c.revision <= this.revisionValue) return;
    const before = c.op === 'DELETE' ? this.table.get(c.ip) : undefined;
    let stored: Identity__Output | undefined;
    if (c.op === 'UPSERT' && c.identity) {
      putIdentity(this.table, c.identity);
      stored = this.table.get(c.ip);
    } else if (c.op === 'DELETE') this.table.delete(c.ip);
    this.revisionValue = c.revision;
    this.emit('change', {
      revision: c.revision,
      op: c.op === 'DELETE' ? 'DELETE' : 'UPSERT',
      ip: c.ip,
      identity: c.op === 'DELETE' ? before : stored,
      reason: c.reason,
    } satisfies ReplicaChange);
  }

  private goLive(): void {
    this.stream.healthy();
    this.setState('LIVE');
    if (this.lostAtMs) {
      const downMs = Date.now() - this.lostAtMs;
      this.lostAtMs = 0;
      this.emit('reconnected', {
        downMs,
        revision: this.revisionValue,
        entries: this.table.size,
      } satisfies ReconnectInfo);
    }
    if (!this.readyValue) {
      this.readyValue = true;
      this.emit('ready');
    }
  }
}
