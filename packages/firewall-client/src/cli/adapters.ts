import { UsageError, createLogger } from '@fsso/common';
import type { FirewallClient } from '../client';
import type { FwConfig } from '../config';
import { validateNftConfig } from '../nft/config';
import { SetMembership } from '../nft/membership';
import { nftRunner } from '../nft/runner';
import { cleanupScript } from '../nft/script';
import { NftSync } from '../nft/sync';
import { validateSquidConfig } from '../squid/config';
import { serveSquid } from '../squid/helper';
import { clientConfig, makeClient } from './client-commands';

export const ADAPTER_HELP = `  fsso-fw nft-sync --config FILE [--cleanup]
                                        keep nftables sets (table inet fsso) equal to the
                                        addresses of configured groups/users; --cleanup removes the table
  fsso-fw squid-helper --config FILE    squid external_acl_type helper: %SRC -> OK user=... tag=... / ERR`;

type Values = Record<string, string | boolean | undefined>;

/**
 * The adapters read the same file as every `fsso-fw --config` command (collectors in priority
 * order, TLS, grace, failMode) plus their own section, and run on a FirewallClient: the sets and
 * squid's answers follow the failover like `fsso-fw status` does.
 */
function adapterConfig(values: Values, command: 'nft-sync' | 'squid-helper'): FwConfig {
  const section = command === 'nft-sync' ? 'nft' : 'squid';
  if (typeof values['config'] !== 'string' || values['config'] === '')
    throw new UsageError(
      `${command} needs --config FILE (a JSON file with "collectors", "tls" and "${section}"; see docs/config.md)`,
    );
  return clientConfig(values);
}

/** `fsso-fw nft-sync`: runs until SIGTERM/SIGINT; the sets stay as they are when it stops. */
export async function nftSync(values: Values, timeoutMs: number): Promise<number> {
  const cfg = adapterConfig(values, 'nft-sync');
  if (cfg.extra['nft'] === undefined)
    throw new UsageError(
      'nft-sync needs an "nft" section in the config, e.g. "nft": {"sets": [{"name": "fsso_vpn_users", "groups": ["CORP\\\\VPN-Users"]}]}',
    );
  const nft = validateNftConfig(cfg.extra['nft']);
  const log = createLogger('fsso-fw nft-sync', { ...cfg.log });
  const run = nftRunner(nft.command);
  if (values['cleanup'] === true) {
    const r = await run(cleanupScript(nft));
    if (!r.ok) throw new UsageError(`cannot remove table ${nft.family} ${nft.table}: ${r.error}`);
    log.info('nft table removed', { table: `${nft.family} ${nft.table}` });
    return 0;
  }
  const client = makeClient(cfg, 'nft-sync', log);
  client.start();
  await whenReady(client, timeoutMs);
  const sync = new NftSync(client, nft, new SetMembership(nft.sets, cfg.domains), run, log);
  sync.start();
  const { collector, entries, revision } = client.status();
  log.info('nft-sync running', {
    table: `${nft.family} ${nft.table}`,
    sets: nft.sets.map((s) => s.name),
    collector,
    entries,
    revision,
  });
  return new Promise((resolve) => {
    const stop = (): void => {
      sync.stop();
      client.stop();
      log.info('nft-sync stopped', { ...sync.stats });
      resolve(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** The first table, or the first collector's own reason (address, certificate) as the command's error. */
async function whenReady(client: FirewallClient, timeoutMs: number): Promise<void> {
  try {
    await client.whenReady(timeoutMs);
  } catch (err) {
    client.stop();
    throw err;
  }
}

/**
 * `fsso-fw squid-helper`: squid owns stdin/stdout, so every word of ours goes to stderr (squid's
 * cache.log). Requests wait for the first table (up to the timeout); after that an address
 * nobody is known at gets ERR: squid's http_access then denies, the safe way round.
 */
export async function squidHelper(values: Values, timeoutMs: number): Promise<number> {
  const cfg = adapterConfig(values, 'squid-helper');
  const squid = validateSquidConfig(cfg.extra['squid']);
  const say = (s: string): boolean => process.stderr.write(`fsso-fw squid-helper: ${s}\n`);
  // Only to a log file: stdout is squid's channel.
  const log = cfg.log.file ? createLogger('fsso-fw squid-helper', { ...cfg.log }) : undefined;
  const client = makeClient(cfg, 'squid-helper', log);
  client.on('switch', (s: { from?: string; to: string; reason: string }) =>
    say(`collector switch: ${s.from ?? '-'} -> ${s.to} (${s.reason})`),
  );
  client.on('mode', (m: { from: string; to: string; reason: string }) => {
    if (m.from !== 'STOPPED' && m.to !== 'STARTING' && m.to !== 'STOPPED')
      say(`mode ${m.from} -> ${m.to}: ${m.reason}`);
  });
  process.stdin.pause();
  client.start();
  try {
    await client.whenReady(timeoutMs);
  } catch (err) {
    say(`${err instanceof Error ? err.message : String(err)}; answering ERR until the table arrives`);
  }
  const r = await serveSquid(client, squid, process.stdin, process.stdout);
  client.stop();
  say(`stdin closed after ${r.requests} requests`);
  return 0;
}
