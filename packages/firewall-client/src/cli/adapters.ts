import { createLogger, resolveConnection, UsageError, type Connection } from '@fsso/common';
import { IdentityReplica } from '../replica';
import { SetMembership } from '../nft/membership';
import { nftRunner } from '../nft/runner';
import { cleanupScript } from '../nft/script';
import { NftSync } from '../nft/sync';
import { serveSquid } from '../squid/helper';
import { loadAdapterConfig, mergeConnection } from './adapter-config';

export const ADAPTER_HELP = `  fsso-fw nft-sync --config FILE [--cleanup]
                                        keep nftables sets (table inet fsso) equal to the
                                        addresses of configured groups/users; --cleanup removes the table
  fsso-fw squid-helper --config FILE    squid external_acl_type helper: %SRC -> OK user=... tag=... / ERR`;

type Values = Record<string, string | boolean | undefined>;

function configPath(values: Values, command: string): string {
  const p = values['config'];
  if (typeof p !== 'string' || p === '')
    throw new UsageError(
      `${command} needs --config FILE (a JSON file with "${command === 'nft-sync' ? 'nft' : 'squid'}" and the connection)`,
    );
  return p;
}

function replicaFor(conn: Connection, name: string): IdentityReplica {
  const replica = new IdentityReplica({ address: conn.address, credentials: conn.credentials, clientName: name });
  replica.start();
  return replica;
}

/** `fsso-fw nft-sync`: runs until SIGTERM/SIGINT; the sets stay as they are when it stops. */
export async function nftSync(values: Values, timeoutMs: number): Promise<number> {
  const cfg = loadAdapterConfig(configPath(values, 'nft-sync'), 'nft');
  const nft = cfg.nft;
  if (!nft) throw new UsageError('nft-sync needs an "nft" section');
  const log = createLogger('fsso-fw nft-sync', { level: 'info' });
  const run = nftRunner(nft.command);
  if (values['cleanup'] === true) {
    const r = await run(cleanupScript(nft));
    if (!r.ok) throw new UsageError(`cannot remove table ${nft.family} ${nft.table}: ${r.error}`);
    log.info('nft table removed', { table: `${nft.family} ${nft.table}` });
    return 0;
  }
  const replica = replicaFor(resolveConnection(mergeConnection(values, cfg.connection)), 'fsso-fw nft-sync');
  replica.on('disconnected', (why: string) =>
    log.warn('collector stream lost; the sets keep their state, reconnecting', { reason: why }),
  );
  await replica.whenReady(timeoutMs);
  const sync = new NftSync(replica, nft, new SetMembership(nft.sets, cfg.domains), run, log);
  sync.start();
  log.info('nft-sync running', {
    table: `${nft.family} ${nft.table}`,
    sets: nft.sets.map((s) => s.name),
    entries: replica.size,
    revision: replica.revision,
  });
  return new Promise((resolve) => {
    const stop = (): void => {
      sync.stop();
      replica.stop();
      log.info('nft-sync stopped', { ...sync.stats });
      resolve(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/**
 * `fsso-fw squid-helper`: squid owns stdin/stdout, so every word of ours goes to stderr (squid's
 * cache.log). Requests wait for the first table (up to the timeout); after that an address
 * nobody is known at gets ERR: squid's http_access then denies, the safe way round.
 */
export async function squidHelper(values: Values, timeoutMs: number): Promise<number> {
  const cfg = loadAdapterConfig(configPath(values, 'squid-helper'), 'squid');
  const say = (s: string): boolean => process.stderr.write(`fsso-fw squid-helper: ${s}\n`);
  const replica = replicaFor(resolveConnection(mergeConnection(values, cfg.connection)), 'fsso-fw squid-helper');
  replica.on('disconnected', (why: string) =>
    say(`collector stream lost (${why}); answering from the last table, reconnecting`),
  );
  process.stdin.pause();
  try {
    await replica.whenReady(timeoutMs);
  } catch (err) {
    say(`${err instanceof Error ? err.message : String(err)}; answering ERR until the table arrives`);
  }
  const r = await serveSquid(replica, cfg.squid, process.stdin, process.stdout);
  replica.stop();
  say(`stdin closed after ${r.requests} requests`);
  return 0;
}
