import * as grpc from '@grpc/grpc-js';
import {
  InvalidInputError,
  NotFoundError,
  normaliseIp,
  type IdentityServiceHandlers,
  type Logger,
  type SyncMessage,
  type SyncRequest__Output,
} from '@fsso/common';
import type { TableLoad } from '../server/until-loaded';
import type { IdentityTable } from '../store/identity-table';
import type { ChangeHub } from '../sync/hub';
import type { Entry, TableChange } from '../identity/entry';
import type { Sized } from '../sync/queue';
import { COLUMN_CHUNK, columnsMessage } from '../sync/columns';
import { toIdentity } from './convert';
import { toServiceError } from './status';
import type { OnDemandResolver } from '../identity/on-demand';
import { countHit } from './limits';
import type { StreamQuota } from './stream-quota';
import { changeMessage, SyncSender, type Overflow, type SyncBudget } from './sync-sender';

export interface IdentityDeps {
  /** The table Lookup and Sync read (never write). */
  table: IdentityTable;
  /** Committed changes, for Sync streams to follow. */
  hub: ChangeHub;
  /** Resolves unknown addresses on Lookup, where configured. */
  onDemand?: OnDemandResolver | undefined;
  log: Logger;
  quota: StreamQuota;
  budget: SyncBudget;
  limitHits: Record<string, number>;
  /** The start-up load (Lookup runs during it; resolving on demand waits for it). */
  load?: TableLoad | undefined;
}

const SNAPSHOT_CHUNK = 500;
/** A Sync stream carries a heartbeat this often; replicas take 45 s without any message as a frozen collector. */
const HEARTBEAT_MS = 15_000;
/**
 * For tests only: a shorter heartbeat (10..15000 ms), so a test can freeze a collector and see a
 * replica's watchdog notice within seconds. Not a setting: replicas expect 15 s by default.
 */
export const SYNC_HEARTBEAT_ENV = 'FSSO_TEST_SYNC_HEARTBEAT_MS';

/** The heartbeat interval: 15 s, or the test override (garbage is warned about and ignored). */
export function syncHeartbeatMs(log: Logger, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[SYNC_HEARTBEAT_ENV];
  if (raw === undefined || raw === '') return HEARTBEAT_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 10 || ms > HEARTBEAT_MS) {
    log.warn(`${SYNC_HEARTBEAT_ENV} ignored: give whole milliseconds from 10 to ${HEARTBEAT_MS}, or unset it`, {
      value: raw,
    });
    return HEARTBEAT_MS;
  }
  log.info(`sync heartbeat every ${ms} ms (${SYNC_HEARTBEAT_ENV}, a test setting)`);
  return ms;
}

export function parseRequestIp(raw: string): string {
  const ip = normaliseIp(raw);
  if (ip === null)
    throw new InvalidInputError(
      `${JSON.stringify(raw)} is not a client IP address; give an IPv4 or IPv6 address such as 10.1.2.3`,
    );
  return ip;
}

/** Lookup and Sync: what firewalls call. */
export function identityService(d: IdentityDeps): IdentityServiceHandlers {
  const { table, hub, onDemand } = d;
  const heartbeatMs = syncHeartbeatMs(d.log);
  return {
    Lookup: (call, callback) => {
      let ip: string;
      try {
        ip = parseRequestIp(call.request.ip);
      } catch (err) {
        return callback(toServiceError(err));
      }
      // find: during the start-up load, rows not yet in memory are read from SQLite.
      const e = table.find(ip);
      if (e) return callback(null, toIdentity(e));
      if (!onDemand?.covers(ip)) return callback(toServiceError(new NotFoundError(`no user is known at ${ip}`)));
      // Resolving on demand writes the table: after the load.
      if (!table.loaded && d.load) {
        d.load.settled.then(
          () => lookupOnDemand(ip),
          () => callback({ code: grpc.status.UNAVAILABLE, details: 'the collector could not load its table' }),
        );
        return;
      }
      lookupOnDemand(ip);

      function lookupOnDemand(ip: string): void {
        if (!onDemand) return;
        // Tell the firewall how long the answer may take, before it starts waiting.
        const md = new grpc.Metadata();
        md.set('fsso-on-demand-timeout-ms', String(onDemand.s.timeoutMs));
        call.sendMetadata(md);
        void onDemand.resolve(ip).then((r) => {
          if ('entry' in r) callback(null, { ...toIdentity(r.entry), inferred: true });
          else callback(toServiceError(new NotFoundError(`no user is known at ${ip} (${r.why})`)));
        });
      }
    },

    Sync: (call: grpc.ServerWritableStream<SyncRequest__Output, SyncMessage>) => {
      const req = call.request;
      const peer = req.clientName.slice(0, 128) || call.getPeer();
      if (!d.quota.acquire(call, 'sync')) return;
      const overflow: Overflow = (limit, bytes) => {
        countHit(d.limitHits, limit);
        d.log.warn('sync client not reading; its stream ends so it resumes later', {
          client: peer,
          peer: call.getPeer(),
          limit: `limits.${limit}`,
          bufferedBytes: bytes,
        });
      };
      // Reading the table and subscribing happen in one synchronous stretch, and commits are
      // synchronous too, so no change can fall between the snapshot (or catch-up) and the feed.
      // The snapshot's entries are taken now and encoded later, as the client reads.
      const resumeFrom =
        req.tableId === table.tableId && req.fromRevision > 0 ? table.changesSince(req.fromRevision) : undefined;
      let prefix: Iterator<SyncMessage | Sized>;
      if (resumeFrom) {
        prefix = resumeMessages(table.tableId, req.fromRevision, resumeFrom);
        d.log.info('sync resumed', { client: peer, from: req.fromRevision, changes: resumeFrom.length });
      } else {
        prefix = snapshotMessages(table.tableId, table.revision, [...table.all()], req.acceptColumns);
        d.log.info('sync snapshot sent', { client: peer, revision: table.revision, columns: req.acceptColumns });
      }
      const sender = new SyncSender(call, d.budget, prefix, overflow, req.acceptBatches);
      const unsubscribe = hub.subscribe(
        (changes) => sender.pushChanges(changes),
        () => sender.close(true),
      );
      const beat = setInterval(() => sender.push({ heartbeat: { revision: table.revision } }), heartbeatMs);
      const close = (): void => {
        clearInterval(beat);
        unsubscribe();
        sender.close(false);
      };
      call.on('cancelled', close);
      call.on('close', close);
      call.on('error', close);
    },
  };
}

function* resumeMessages(tableId: string, fromRevision: number, changes: TableChange[]): Iterator<SyncMessage> {
  yield { resume: { tableId, fromRevision } };
  for (const c of changes) yield changeMessage(c).m;
}

/** `columns`: the client set accept_columns, so the entries go out as SnapshotColumns. */
function* snapshotMessages(
  tableId: string,
  revision: number,
  entries: Entry[],
  columns: boolean,
): Iterator<SyncMessage | Sized> {
  yield { snapshotBegin: { tableId, revision, total: entries.length } };
  const chunk = columns ? COLUMN_CHUNK : SNAPSHOT_CHUNK;
  for (let i = 0; i < entries.length; i += chunk) {
    const part = entries.slice(i, i + chunk);
    let bytes = 0;
    for (const e of part) bytes += estimatedSize(e);
    yield { m: columns ? columnsMessage(part) : { snapshotChunk: { entries: part.map(toIdentity) } }, bytes };
  }
  yield { snapshotEnd: { revision } };
}

/**
 * An entry's encoded size, without encoding it (the Sync budget counts bytes; the snapshot is
 * then encoded once, by grpc-js): 2 bytes a character (UTF-8 of Latin scripts takes at most that)
 * plus tags, lengths and numbers. Only what is in flight is counted from it, at most the
 * sender's window, so an estimate off for other scripts cannot let a stream hold much more.
 */
function estimatedSize(e: Entry): number {
  let chars = e.ip.length + e.user.length + e.domain.length + e.workstation.length + e.source.length;
  for (const g of e.groups) chars += g.length + 2;
  if (e.groupDns) for (const dn of e.groupDns) chars += dn.length + 2;
  return 2 * chars + 64;
}
