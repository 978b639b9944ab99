import * as grpc from '@grpc/grpc-js';
import { InvalidInputError, NotFoundError, normaliseIp, type IdentityServiceHandlers, type Logger, type SyncMessage, type SyncRequest__Output } from '@fsso/common';
import type { IdentityTable } from '../store/identity-table';
import type { ChangeHub } from '../sync/hub';
import type { Entry } from '../identity/entry';
import { toChange, toIdentity } from './convert';
import { endWithStatus, toServiceError } from './status';
import type { OnDemandResolver } from '../identity/on-demand';
import type { StreamCounter } from './limits';

const SNAPSHOT_CHUNK = 500;
/** A firewall that stops reading must not make the collector buffer without bound. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;

export function parseRequestIp(raw: string): string {
  const ip = normaliseIp(raw);
  if (ip === null) throw new InvalidInputError(`${JSON.stringify(raw)} is not a client IP address; give an IPv4 or IPv6 address such as 10.1.2.3`);
  return ip;
}

/** Lookup and Sync: what firewalls call. */
export function identityService(table: IdentityTable, hub: ChangeHub, log: Logger, streams: StreamCounter, limitHits: Record<string, number>, onDemand?: OnDemandResolver): IdentityServiceHandlers {
  return {
    Lookup: (call, callback) => {
      let ip: string;
      try {
        ip = parseRequestIp(call.request.ip);
      } catch (err) {
        return callback(toServiceError(err));
      }
      const e = table.get(ip);
      if (e) return callback(null, toIdentity(e));
      if (!onDemand?.covers(ip)) return callback(toServiceError(new NotFoundError(`no user is known at ${ip}`)));
      // Tell the firewall how long the answer may take, before it starts waiting.
      const md = new grpc.Metadata();
      md.set('fsso-on-demand-timeout-ms', String(onDemand.s.timeoutMs));
      call.sendMetadata(md);
      void onDemand.resolve(ip).then((r) => {
        if ('entry' in r) callback(null, { ...toIdentity(r.entry), inferred: true });
        else callback(toServiceError(new NotFoundError(`no user is known at ${ip} (${r.why})`)));
      });
    },

    Sync: (call: grpc.ServerWritableStream<SyncRequest__Output, SyncMessage>) => {
      const req = call.request;
      const peer = req.clientName.slice(0, 128) || call.getPeer();
      const release = streams.acquire();
      if (!release) {
        limitHits['maxStreams'] = (limitHits['maxStreams'] ?? 0) + 1;
        endWithStatus(call, grpc.status.RESOURCE_EXHAUSTED, 'too many open streams (limits.maxStreams); retry later');
        return;
      }
      for (const e of ['close', 'cancelled', 'finish', 'error']) call.once(e, release);
      const send = (m: SyncMessage): void => {
        if (call.writableLength > MAX_BUFFERED_BYTES) {
          log.warn('sync client too slow; closing its stream so it resumes', { client: peer });
          endWithStatus(call, grpc.status.RESOURCE_EXHAUSTED, 'client too slow; reconnect with your last revision');
          return;
        }
        call.write(m);
      };
      // Reading the table and subscribing happen in one synchronous stretch, and commits are
      // synchronous too, so no change can fall between the snapshot (or catch-up) and the feed.
      const resumeFrom = req.tableId === table.tableId && req.fromRevision > 0 ? table.changesSince(req.fromRevision) : undefined;
      if (resumeFrom) {
        send({ resume: { tableId: table.tableId, fromRevision: req.fromRevision } });
        for (const c of resumeFrom) send({ change: toChange(c) });
        log.info('sync resumed', { client: peer, from: req.fromRevision, changes: resumeFrom.length });
      } else {
        sendSnapshot(table, send);
        log.info('sync snapshot sent', { client: peer, revision: table.revision });
      }
      const unsubscribe = hub.subscribe((changes) => {
        for (const c of changes) send({ change: toChange(c) });
      }, () => call.end());
      const beat = setInterval(() => send({ heartbeat: { revision: table.revision } }), HEARTBEAT_MS);
      const close = (): void => {
        clearInterval(beat);
        unsubscribe();
      };
      call.on('cancelled', close);
      call.on('close', close);
      call.on('error', close);
    },
  };
}

function sendSnapshot(table: IdentityTable, send: (m: SyncMessage) => void): void {
  const revision = table.revision;
  send({ snapshotBegin: { tableId: table.tableId, revision, total: table.count() } });
  let chunk: Entry[] = [];
  for (const e of table.all()) {
    chunk.push(e);
    if (chunk.length === SNAPSHOT_CHUNK) {
      send({ snapshotChunk: { entries: chunk.map(toIdentity) } });
      chunk = [];
    }
  }
  if (chunk.length) send({ snapshotChunk: { entries: chunk.map(toIdentity) } });
  send({ snapshotEnd: { revision } });
}
