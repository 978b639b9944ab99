import {
  CONNECTION_HELP, identityJson, identityName, CONNECTION_OPTIONS, NotFoundError, UsageError, VERSION, call, formatAge, formatTime, loadFsso,
  parseCommandLine, renderTable, resolveConnection, runCli, type AdminServiceClient, type Identity__Output,
  type ListLogonsResponse__Output, type DeleteLogonResponse__Output, type ListAgentsResponse__Output, type Stats__Output,
} from '@fsso/common';

const HELP = `fssoctl ${VERSION}: inspect and correct the collector's IP -> user table.

Usage:
  fssoctl logons [--user U] [--domain D] [--network CIDR] [--limit N] [--json]
  fssoctl who IP [--json]          who is at IP (exit 3 if nobody)
  fssoctl logoff IP [--json]       force a logoff: remove the entry for IP
  fssoctl agents [--json]          DC agents: connected, last event, acked sequence, backlog
  fssoctl stats [--json]

${CONNECTION_HELP}

Example:
  fssoctl logons --network 10.1.0.0/16 --collector 127.0.0.1:7450 --insecure
`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  json: { type: 'boolean' }, user: { type: 'string' }, domain: { type: 'string' }, network: { type: 'string' },
  limit: { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

export function main(argv: string[]): void {
  runCli('fssoctl', async () => {
    const { values, positionals } = parseCommandLine('fssoctl', argv, OPTIONS);
    const [command, arg] = positionals;
    if (values['help'] || !command) {
      process.stdout.write(HELP);
      return command || values['help'] ? 0 : 2;
    }
    const conn = resolveConnection(values);
    const { proto } = loadFsso();
    const client = new proto.fsso.v1.AdminService(conn.address, conn.credentials) as AdminServiceClient;
    const json = values['json'] === true;
    const out = (s: string): boolean => process.stdout.write(`${s}\n`);
    try {
      switch (command) {
        case 'logons': {
          const limit = values['limit'] === undefined ? Infinity : Number(values['limit']);
          if (!Number.isInteger(limit) && limit !== Infinity) throw new UsageError('--limit takes a whole number');
          const { logons, total } = await listAll(client, conn.address, values, limit);
          if (json) out(JSON.stringify(logons.map(identityJson)));
          else {
            out(renderTable(['IP', 'USER', 'DOMAIN', 'WORKSTATION', 'GROUPS', 'LAST SEEN', 'SOURCE'], logons.map((l) => [
              l.ip, l.user, l.domain, l.workstation, l.groups.join(','), formatAge(l.lastSeenMs), l.source,
            ])));
            out(`${logons.length} of ${total} entries`);
          }
          return 0;
        }
        case 'who':
        case 'logoff': {
          if (!arg) throw new UsageError(`${command} needs an IP address, e.g. 'fssoctl ${command} 10.1.2.3'`);
          try {
            const id = command === 'who'
              ? await call<Identity__Output>(conn.address, (o, cb) => client.getLogon({ ip: arg }, o, cb))
              : (await call<DeleteLogonResponse__Output>(conn.address, (o, cb) => client.deleteLogon({ ip: arg }, o, cb))).removed;
            if (!id) throw new NotFoundError(`no user is known at ${arg}`);
            if (json) out(JSON.stringify(identityJson(id)));
            else if (command === 'who') out(describe(id));
            else out(`removed ${identityName(id)} from ${id.ip}`);
            return 0;
          } catch (err) {
            if (!(err instanceof NotFoundError)) throw err;
            if (json) out(JSON.stringify({ ip: arg, found: false, message: err.message }));
            else process.stderr.write(`fssoctl: ${err.message}\n`);
            return 3;
          }
        }
        case 'agents': {
          const { agents } = await call<ListAgentsResponse__Output>(conn.address, (o, cb) => client.listAgents({}, o, cb));
          if (json) out(JSON.stringify(agents));
          else {
            out(renderTable(['AGENT', 'HOST', 'DOMAINS', 'CONNECTED', 'LAST EVENT', 'ACKED SEQ', 'BACKLOG', 'EVENTS'], agents.map((a) => [
              a.agentId, a.hostname, a.domains.join(','), a.connected ? `yes (${formatAge(a.connectedSinceMs)})` : `no (${formatAge(a.lastContactMs) || 'never'})`,
              formatTime(a.lastEventMs), String(a.ackedSeq), String(a.backlog), String(a.eventsAccepted),
            ])));
          }
          return 0;
        }
        case 'stats': {
          const s = await call<Stats__Output>(conn.address, (o, cb) => client.getStats({}, o, cb));
          if (json) out(JSON.stringify(s));
          else for (const [k, v] of Object.entries(s)) out(`${k.padEnd(16)} ${k.endsWith('Ms') ? formatTime(Number(v)) : String(v)}`);
          return 0;
        }
        default:
          throw new UsageError(`unknown command '${command}'; see 'fssoctl --help'`);
      }
    } finally {
      client.close();
    }
  });
}

async function listAll(client: AdminServiceClient, address: string, values: Record<string, string | boolean | undefined>, limit: number): Promise<{ logons: Identity__Output[]; total: number }> {
  const logons: Identity__Output[] = [];
  let pageToken = '';
  let total = 0;
  do {
    const page: ListLogonsResponse__Output = await call<ListLogonsResponse__Output>(address, (o, cb) => client.listLogons({
      user: str(values['user']), domain: str(values['domain']), network: str(values['network']),
      pageSize: Math.min(1000, limit - logons.length), pageToken,
    }, o, cb));
    logons.push(...page.logons);
    total = page.total;
    pageToken = page.nextPageToken;
  } while (pageToken && logons.length < limit);
  return { logons, total };
}

const str = (v: string | boolean | undefined): string => (typeof v === 'string' ? v : '');

function describe(i: Identity__Output): string {
  return [
    `${i.ip} is ${identityName(i)}`,
    `  workstation  ${i.workstation || '-'}`,
    `  groups       ${i.groups.join(', ') || '-'}`,
    `  first seen   ${formatTime(i.firstSeenMs)}`,
    `  last seen    ${formatTime(i.lastSeenMs)} (${formatAge(i.lastSeenMs)})`,
    `  source       ${i.source}`,
  ].join('\n');
}

