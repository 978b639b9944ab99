import type { ChannelCredentials } from '@grpc/grpc-js';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  UsageError,
  VERSION,
  commonFlags,
  type CommandHelp,
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
import { ADAPTER_HELP, nftSync, squidHelper } from './adapters';

const HELP = `fsso-fw ${VERSION}: the firewall's view of who sits behind each IP address.

Usage:
  fsso-fw lookup IP [--ask] [--json]    who is at IP (exit 3 if nobody); --ask asks the collector
                                        itself, which may resolve an unknown address on demand
  fsso-fw table [--json]                the whole table as this firewall's replica holds it
  fsso-fw watch [--json]                print every change as it arrives (Ctrl-C to stop)
  fsso-fw check IP --group G [--group G2] [--user U] [--json]
                                        allow/deny by group or user (exit 0 allow, 1 deny)
  fsso-fw decide IP [--policy FILE] [--json]
                                        the policy's decision and the rule that made it
                                        (exit 0 allow, 1 deny)
  fsso-fw status [--watch] [--json]     collector in use, state, revision, entries, age, last switch
${ADAPTER_HELP}

Configuration:
  --config FILE        collectors (in priority order), tls, policy, grace, failMode [FSSO_CONFIG];
                       flags and FSSO_* variables override it (nft-sync and squid-helper read
                       their own config: collector, tls, domains, nft / squid)
  --policy FILE        the policy for decide [FSSO_POLICY]
  --grace DURATION     serve the last table this long with every collector down [FSSO_GRACE] (5m)
  --fail-mode MODE     then: closed (nobody known) or keep (the last table) [FSSO_FAIL_MODE]

Options:
  --timeout DURATION   how long to wait for the table (default 10s)

'fsso-fw COMMAND --help' shows one command with examples; --version prints the version.

${CONNECTION_HELP}

Examples:
  export FSSO_COLLECTOR=collector.corp.example:7450 FSSO_CA=pki/ca.pem FSSO_CERT=pki/fw1.pem FSSO_KEY=pki/fw1.key
  fsso-fw lookup 10.1.2.3
  fsso-fw check 10.1.2.3 --group 'CORP\\VPN-Users'
`;

const T = `Options:\n  --timeout DURATION   how long to wait for the table (default 10s)\n\n${CONNECTION_HELP}`;

/** Every command: `fsso-fw COMMAND --help` prints one, with examples. */
const COMMANDS: Record<string, CommandHelp> = {
  lookup: {
    usage: 'lookup IP [--ask] [--json]',
    args: 2,
    more: T,
    about:
      "Who is at IP, from a freshly synced replica (exit 3 if nobody). --ask asks the collector's Lookup instead,\nwhich may resolve an unknown address on demand.",
    examples: ['fsso-fw lookup 10.1.2.3', 'fsso-fw lookup 10.1.2.3 --ask --json'],
  },
  table: {
    usage: 'table [--json]',
    args: 1,
    more: T,
    about: "The whole table as this firewall's replica holds it.",
    examples: ['fsso-fw table', 'fsso-fw table --json | jq length'],
  },
  watch: {
    usage: 'watch [--json]',
    args: 1,
    more: T,
    about:
      'Every change as it arrives, until Ctrl-C. A lost stream is said on stderr ("disconnected ...; reconnecting"),\nand so is its return ("back: live again after 3.2 s ...", or a "reconnected" JSON line with --json).',
    examples: ['fsso-fw watch', 'fsso-fw watch --json | jq -c .'],
  },
  decide: {
    usage: 'decide IP [--policy FILE] [--config FILE] [--json]',
    args: 2,
    more: T,
    about:
      'The policy\'s decision for IP: allow or deny, the rule that matched (index and name) and why (exit 0 allow, 1 deny).\nA policy is {"rules": [{"action": "allow", "groups": ["CORP\\\\VPN-Users"]}, ...], "default": "deny"}; first match wins.',
    examples: ['fsso-fw decide 10.1.2.3 --policy policy.json', 'fsso-fw decide 10.1.2.3 --config fw.json --json'],
  },
  status: {
    usage: 'status [--watch] [--config FILE] [--json]',
    args: 1,
    more: T,
    about:
      'The collector in use, state (LIVE, GRACE, CLOSED, KEEP), revision, entries, age of the table and the last switch.\n--watch prints it again at every switch and mode change until Ctrl-C.',
    examples: ['fsso-fw status --config fw.json', 'fsso-fw status --config fw.json --watch --json'],
  },
  check: {
    usage: 'check IP --group G [--group G2] [--user U] [--json]',
    args: 2,
    more: T,
    about: 'An allow/deny decision by group or user, as a firewall rule makes it (exit 0 allow, 1 deny).',
    examples: ["fsso-fw check 10.1.2.3 --group 'CORP\\VPN-Users'", 'fsso-fw check 10.1.2.3 --user alice --json'],
  },
  'nft-sync': {
    usage: 'nft-sync --config FILE [--cleanup]',
    args: 1,
    more: T,
    about:
      'Keeps nftables sets (in table inet fsso, its own) equal to the addresses whose identity matches each\nconfigured set; each change is one atomic nft transaction. --cleanup removes the table and exits.',
    examples: ['fsso-fw nft-sync --config /etc/fsso/fw.json', 'fsso-fw nft-sync --config /etc/fsso/fw.json --cleanup'],
  },
  'squid-helper': {
    usage: 'squid-helper --config FILE',
    args: 1,
    more: T,
    about:
      "squid's external_acl_type helper (with or without concurrency): each %SRC line gets\nOK user=DOMAIN%5Cuser tag=groups or ERR, from the replica.",
    examples: [
      'external_acl_type fsso ttl=30 negative_ttl=5 children-max=2 concurrency=100 %SRC /usr/bin/fsso-fw squid-helper --config /etc/fsso/fw.json',
    ],
  },
};

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
      await replica.whenReady(timeoutMs);
      switch (command) {
        case 'lookup': {
          const id = replica.lookup(arg ?? '');
          if (json) out(JSON.stringify(id ? identityJson(id) : { ip: arg, found: false }));
          else
            out(
              printable(
                id
                  ? `${id.ip}  ${identityName(id)}  groups: ${id.groups.join(', ') || '-'}  workstation: ${id.workstation || '-'}  last seen ${formatAge(id.lastSeenMs)}`
                  : `${arg}: no user known`,
              ),
            );
          return id ? 0 : 3;
        }
        case 'table': {
          const rows = replica.entries().sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }));
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
            out(`${rows.length} entries at revision ${replica.revision}`);
          }
          return 0;
        }
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
      case 'lookup': {
        const id = client.lookup(arg);
        if (json) out(JSON.stringify(id ? identityJson(id) : { ip: arg, found: false }));
        else
          out(
            printable(
              id
                ? `${id.ip}  ${identityName(id)}  groups: ${id.groups.join(', ') || '-'}  workstation: ${id.workstation || '-'}  (from ${client.collector ?? '-'})`
                : `${arg}: no user known`,
            ),
          );
        return id ? 0 : 3;
      }
      case 'table': {
        const rows = client.entries().sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }));
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
          out(`${rows.length} entries at revision ${client.status().revision} from ${client.collector ?? '-'}`);
        }
        return 0;
      }
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
