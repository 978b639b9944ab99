import { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import {
  Backoff, FssoError, PeerError, connectionFailureReason, loadFsso, normaliseIp, type Identity__Output, type IdentityServiceClient, type SyncMessage__Output,
} from '@fsso/common';

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
}

/** A change as the replica applied it. */
export interface ReplicaChange {
  revision: number;
  op: 'UPSERT' | 'DELETE';
  ip: string;
  /** The new identity (UPSERT) or the one removed (DELETE, when the replica had it). */
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
  private table = new Map<string, Identity__Output>();
  private building: Map<string, Identity__Output> | undefined;
  private tableIdValue = '';
  private revisionValue = 0;
  private stateValue: ReplicaState = 'STOPPED';
  private readyValue = false;
  private client: IdentityServiceClient | undefined;
  private call: grpc.ClientReadableStream<SyncMessage__Output> | undefined;
  /**
   * A firewall is blind while its replica is down, so retries stay frequent: at most 2 s apart (the
   * shared default grows to 15 s, which with grpc-js's own reconnect backoff added up to 21 s
   * between a restarted collector answering and the replica being live again).
   */
  private readonly backoff = new Backoff(250, 2000);
  private retryTimer: NodeJS.Timeout | undefined;
  /** When the stream was lost (0 while live), for the 'reconnected' event. */
  private lostAtMs = 0;

  constructor(private readonly opts: ReplicaOptions) {
    super();
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

  /** Who is at `ip`, from memory; `undefined` if nobody is known (or the address is not valid). */
  lookup(ip: string): Identity__Output | undefined {
    const key = normaliseIp(ip);
    return key === null ? undefined : this.table.get(key);
  }

  entries(): Identity__Output[] {
    return [...this.table.values()];
  }

  start(): void {
    if (this.client) return;
    const { proto } = loadFsso();
    this.client = new proto.fsso.v1.IdentityService(this.opts.address, this.opts.credentials, {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      // grpc-js backs off reconnecting the channel on its own (1 s growing to 120 s); our loop above
      // it already paces retries, so the channel must not add minutes of its own.
      'grpc.initial_reconnect_backoff_ms': 250,
      'grpc.max_reconnect_backoff_ms': 1000,
    }) as IdentityServiceClient;
    this.connect();
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
          reject(new FssoError('FSSO_PERMISSION_DENIED', `the collector at ${this.opts.address} refused the table: ${why}; use a firewall (or admin) certificate ('fssoctl pki issue --role firewall')`));
        }
      };
      const timer = setTimeout(() => {
        this.off('ready', onReady);
        this.off('disconnected', onDisc);
        // A PeerError: the CLI prints it as a sentence with its code, not as a crash with a stack.
        reject(new PeerError(`no table from the collector at ${this.opts.address} within ${timeoutMs} ms (${connectionFailureReason(lastReason)})`));
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
    this.setState('STOPPED');
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const c = this.call;
    this.call = undefined;
    c?.cancel();
    this.client?.close();
    this.client = undefined;
  }

  private setState(s: ReplicaState): void {
    if (s !== this.stateValue) {
      this.stateValue = s;
      this.emit('state', s);
    }
  }

  private connect(): void {
    if (!this.client) return;
    this.setState('CONNECTING');
    const call = this.client.sync({ fromRevision: this.revisionValue, tableId: this.tableIdValue, clientName: this.opts.clientName ?? 'fsso-fw' });
    this.call = call;
    call.on('data', (m: SyncMessage__Output) => {
      if (call === this.call) this.onMessage(m);
    });
    const lost = (why: string, code?: number): void => {
      if (call !== this.call) return;
      this.call = undefined;
      this.building = undefined;
      if (this.stateValue === 'STOPPED') return;
      this.setState('BACKOFF');
      if (this.readyValue && this.lostAtMs === 0) this.lostAtMs = Date.now();
      this.emit('disconnected', why, code);
      this.retryTimer = setTimeout(() => this.connect(), this.backoff.next());
    };
    call.on('error', (err: grpc.ServiceError) => lost(err.details || err.message, err.code));
    call.on('end', () => lost('stream ended by the collector'));
  }

  private onMessage(m: SyncMessage__Output): void {
    if (m.snapshotBegin) {
      this.setState('SYNCING');
      this.building = new Map();
      this.tableIdValue = m.snapshotBegin.tableId;
    } else if (m.snapshotChunk && this.building) {
      for (const e of m.snapshotChunk.entries) this.building.set(e.ip, e);
    } else if (m.snapshotEnd && this.building) {
      this.table = this.building;
      this.building = undefined;
      this.revisionValue = m.snapshotEnd.revision;
      this.emit('snapshot', this.table.size);
      this.goLive();
    } else if (m.resume) {
      this.goLive();
    } else if (m.change) {
      const c = m.change;
      if (c.revision <= this.revisionValue) return;
      const before = this.table.get(c.ip);
      if (c.op === 'UPSERT' && c.identity) this.table.set(c.ip, c.identity);
      else if (c.op === 'DELETE') this.table.delete(c.ip);
      this.revisionValue = c.revision;
      this.emit('change', { revision: c.revision, op: c.op === 'DELETE' ? 'DELETE' : 'UPSERT', ip: c.ip, identity: c.op === 'DELETE' ? before : (c.identity ?? undefined), reason: c.reason } satisfies ReplicaChange);
    }
  }

  private goLive(): void {
    this.backoff.reset();
    this.setState('LIVE');
    if (this.lostAtMs) {
      const downMs = Date.now() - this.lostAtMs;
      this.lostAtMs = 0;
      this.emit('reconnected', { downMs, revision: this.revisionValue, entries: this.table.size } satisfies ReconnectInfo);
    }
    if (!this.readyValue) {
      this.readyValue = true;
      this.emit('ready');
    }
  }
}
