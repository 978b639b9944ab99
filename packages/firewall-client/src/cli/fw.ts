import type { ChannelCredentials } from '@grpc/grpc-js';
import {
  CONNECTION_OPTIONS,
  UsageError,
  commonFlags,
  formatAge,
  parseCommandLine,
  parseDuration,
  printable,
  renderTable,
  resolveConnection,
  runCli,
  identityJson,
  identityName,
  loadFsso,
  call,
  NotFoundError,
  type IdentityServiceClient,
  type Identity__Output,
} from '@fsso/common';
import { IdentityReplica, type ReconnectInfo, type ReplicaChange } from '../replica';
import { decide } from '../decision';
import type { ModeEvent, SwitchEvent } from '../client';
import { clientConfig, decideCommand, makeClient, statusCommand } from './client-commands';
import { nftSync, squidHelper } from './adapters';
import { proxyCommand } from '../proxy/command';
import { COMMANDS, HELP } from './fw-help';
import { pushCommand } from './push';

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  json: { type: 'boolean' },
  ask: { type: 'boolean' },
  timeout: { type: 'string' },
  group: { type: 'string', multiple: true },
  user: { type: 'string', multiple: true },
  config: { type: 'string' },
  policy: { type: 'string' },
  grace: { type: 'string' },
  'fail-mode': { type: 'string' },
  watch: { type: 'boolean' },
  cleanup: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function main(argv: string[]): void {
  runCli('fsso-fw', async () => {
    const { values, positionals } = parseCommandLine('fsso-fw', argv, OPTIONS);
    const handled = commonFlags('fsso-fw', HELP, COMMANDS, values, positionals);
    if (handled !== undefined) return handled;
    const [command = '', arg] = positionals;
    if ((command === 'lookup' || command === 'check' || command === 'decide') && !arg)
      throw new UsageError(`${command} needs an IP address, e.g. 'fsso-fw ${command} 10.1.2.3'`);
    const timeoutMs = parseDuration(values['timeout'] ?? '10s', '--timeout');
    if (command === 'nft-sync') return nftSync(values, timeoutMs);
    if (command === 'squid-helper') return squidHelper(values, timeoutMs);
    if (command === 'push') return pushCommand(values, arg, timeoutMs);
    if (command === 'proxy') return proxyCommand(values, timeoutMs);
    const json = values['json'] === true;
    const useClient =
      command === 'decide' ||
      command === 'status' ||
      typeof values['config'] === 'string' ||
      Boolean(process.env['FSSO_CONFIG']);
    if (useClient && !values['ask']) return withClient(command, arg ?? '', values, timeoutMs, json);
    const conn = resolveConnection(values);
    if (command === 'lookup' && values['ask']) return askCollector(conn, arg ?? '', timeoutMs, json);
    const replica = new IdentityReplica({
      address: conn.address,
      credentials: conn.credentials,
      clientName: `fsso-fw ${command}`,
    });
    replica.start();
    const out = (s: string): boolean => process.stdout.write(`${s}\n`);
    try {
      await replica.whenReady(timeoutMs).catch((err: unknown) => {
        // Without a table `watch` has nothing to watch: stop retrying so the process exits with the error.
        replica.stop();
        throw err;
      });
      switch (command) {
        case 'lookup':
          return printLookup(
            replica.lookup(arg ?? ''),
            arg ?? '',
            json,
            out,
            (id) => `last seen ${formatAge(id.lastSeenMs)}`,
          );
        case 'table':
          return printTable(replica.entries(), json, out, `at revision ${replica.revision}`);
        case 'check': {
          const groups = (values['group'] as unknown as string[] | undefined) ?? [];
          const users = (values['user'] as unknown as string[] | undefined) ?? [];
          if (groups.length === 0 && users.length === 0)
            throw new UsageError('check needs at least one --group or --user to allow');
          const d = decide(replica.lookup(arg ?? ''), { allowGroups: groups, allowUsers: users });
          if (json) out(JSON.stringify({ ip: arg, ...d }));
          else out(`${d.allow ? 'ALLOW' : 'DENY'} ${arg}: ${d.reason}`);
          return d.allow ? 0 : 1;
        }
        default:
          return await watch(replica, json, out);
      }
    } finally {
      if (command !== 'watch') replica.stop();
    }
  });
}

/** The commands on a FirewallClient: several collectors, failover, policies (`--config`). */
async function withClient(
  command: string,
  arg: string,
  values: Record<string, string | boolean | undefined>,
  timeoutMs: number,
  json: boolean,
): Promise<number> {
  const cfg = clientConfig(values);
  if (command === 'decide' && !cfg.policy)
    throw new UsageError('decide needs a policy: --policy FILE, FSSO_POLICY, or "policy" in the --config file');
  if (!['lookup', 'table', 'watch', 'decide', 'status'].includes(command))
    throw new UsageError(`${command} does not take --config; use decide with a policy instead`);
  const client = makeClient(cfg, command);
  const out = (s: string): boolean => process.stdout.write(`${s}\n`);
  client.start();
  try {
    await client.whenReady(timeoutMs);
    switch (command) {
      case 'decide':
        return decideCommand(client, arg, json, out);
      case 'status':
        return await statusCommand(client, json, values['watch'] === true, out);
      case 'lookup':
        return printLookup(client.lookup(arg), arg, json, out, () => `(from ${client.collector ?? '-'})`);
      case 'table':
        return printTable(
          client.entries(),
          json,
          out,
          `at revision ${client.status().revision} from ${client.collector ?? '-'}`,
        );
      default: {
        const s = client.status();
        out(
          json
            ? JSON.stringify({ event: 'ready', entries: s.entries, revision: s.revision, collector: s.collector })
            : `watching: ${s.entries} entries at revision ${s.revision} from ${s.collector ?? '-'}`,
        );
        client.on('change', (c: ReplicaChange) =>
          out(
            json
              ? JSON.stringify({
                  event: 'change',
                  revision: c.revision,
                  op: c.op,
                  ip: c.ip,
                  reason: c.reason,
                  identity: c.identity ? identityJson(c.identity) : null,
                })
              : printable(
                  `${new Date().toISOString()}  r${c.revision}  ${c.op === 'UPSERT' ? '+' : '-'} ${c.ip.padEnd(15)} ${c.identity ? identityName(c.identity) : ''} (${c.reason})`,
                ),
          ),
        );
        client.on('snapshot', (e: { collector: string; entries: number }) =>
          out(
            json
              ? JSON.stringify({ event: 'snapshot', ...e })
              : `table replaced: ${e.entries} entries from ${e.collector}`,
          ),
        );
        client.on('switch', (e: SwitchEvent) =>
          out(json ? JSON.stringify({ event: 'switch', ...e }) : `switched: ${e.from ?? '-'} -> ${e.to} (${e.reason})`),
        );
        client.on('mode', (e: ModeEvent) =>
          out(json ? JSON.stringify({ event: 'mode', ...e }) : `mode: ${e.from} -> ${e.to} (${e.reason})`),
        );
        return await statusCommand(client, json, true, () => undefined);
      }
    }
  } finally {
    client.stop();
  }
}

function watch(replica: IdentityReplica, json: boolean, out: (s: string) => boolean): Promise<number> {
  if (json) out(JSON.stringify({ event: 'ready', entries: replica.size, revision: replica.revision }));
  else out(`watching: ${replica.size} entries at revision ${replica.revision}`);
  replica.on('change', (c: ReplicaChange) => {
    if (json)
      out(
        JSON.stringify({
          event: 'change',
          revision: c.revision,
          op: c.op,
          ip: c.ip,
          reason: c.reason,
          identity: c.identity ? identityJson(c.identity) : null,
        }),
      );
    else
      out(
        printable(
          `${new Date().toISOString()}  r${c.revision}  ${c.op === 'UPSERT' ? '+' : '-'} ${c.ip.padEnd(15)} ${c.identity ? identityName(c.identity) : ''} (${c.reason})`,
        ),
      );
  });
  replica.on('snapshot', (n: number) =>
    out(json ? JSON.stringify({ event: 'snapshot', entries: n }) : `table reloaded: ${n} entries`),
  );
  replica.on('disconnected', (why: string) =>
    process.stderr.write(`fsso-fw: disconnected (${printable(why)}); reconnecting\n`),
  );
  // Saying when it is back matters as much as saying it is gone: the operator otherwise cannot
  // tell a replica that recovered from one still blind.
  replica.on('reconnected', (r: ReconnectInfo) => {
    if (json) out(JSON.stringify({ event: 'reconnected', downMs: r.downMs, revision: r.revision, entries: r.entries }));
    process.stderr.write(
      `fsso-fw: back: live again after ${(r.downMs / 1000).toFixed(1)} s, ${r.entries} entries at revision ${r.revision}\n`,
    );
  });
  return new Promise((resolve) => {
    const stop = (): void => {
      replica.stop();
      resolve(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** `lookup --ask`: the collector's own Lookup, which may resolve an unknown address on demand. */
async function askCollector(
  conn: { address: string; credentials: ChannelCredentials },
  ip: string,
  timeoutMs: number,
  json: boolean,
): Promise<number> {
  const { proto } = loadFsso();
  const client = new proto.fsso.v1.IdentityService(conn.address, conn.credentials) as IdentityServiceClient;
  try {
    const id = await call<Identity__Output>(conn.address, (o, cb) => client.lookup({ ip }, o, cb), timeoutMs);
    if (json) process.stdout.write(`${JSON.stringify(identityJson(id))}\n`);
    else
      process.stdout.write(
        `${printable(`${id.ip}  ${identityName(id)}  groups: ${id.groups.join(', ') || '-'}  workstation: ${id.workstation || '-'}${id.inferred ? `  (inferred: ${id.source})` : ''}`)}\n`,
      );
    return 0;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    if (json) process.stdout.write(`${JSON.stringify({ ip, found: false, message: err.message })}\n`);
    else process.stdout.write(`${printable(`${ip}: ${err.message}`)}\n`);
    return 3;
  } finally {
    client.close();
  }
}

/** `lookup`: one address, as a line (with `tail` after it) or JSON; exit 3 if nobody is there. */
function printLookup(
  id: Identity__Output | undefined,
  ip: string,
  json: boolean,
  out: (s: string) => boolean,
  tail: (id: Identity__Output) => string,
): number {
  if (json) out(JSON.stringify(id ? identityJson(id) : { ip, found: false }));
  else
    out(
      printable(
        id
          ? `${id.ip}  ${identityName(id)}  groups: ${id.groups.join(', ') || '-'}  workstation: ${id.workstation || '-'}  ${tail(id)}`
          : `${ip}: no user known`,
      ),
    );
  return id ? 0 : 3;
}

/** `table`: every entry by address, as a terminal table (and a line saying which revision) or JSON. */
function printTable(entries: Identity__Output[], json: boolean, out: (s: string) => boolean, where: string): number {
  const rows = entries.sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }));
  if (json) out(JSON.stringify(rows.map(identityJson)));
  else {
    out(
      renderTable(
        ['IP', 'USER', 'GROUPS', 'WORKSTATION', 'LAST SEEN'],
        rows.map((i) => [
          i.ip,
          identityName(i),
          i.groups.join(',') || '-',
          i.workstation || '-',
          formatAge(i.lastSeenMs),
        ]),
      ),
    );
    out(`${rows.length} entries ${where}`);
  }
  return 0;
}
