import { pkiCommand, tlsCheck } from './pki';
import { renderStats } from './stats-format';
import { CTL_COMMANDS, CTL_HELP } from './ctl-help';
import { pruneAgents, userCommand } from './ctl-user';
import {
  commonFlags,
  formatAccount,
  identityJson,
  identityName,
  CONNECTION_OPTIONS,
  NotFoundError,
  UsageError,
  call,
  formatAge,
  formatTime,
  loadFsso,
  parseCommandLine,
  printable,
  renderTable,
  resolveConnection,
  runCli,
  type AdminServiceClient,
  type Identity__Output,
  type ListLogonsResponse__Output,
  type Explanation__Output,
  type HistoryResponse__Output,
  type HistoryItem__Output,
  parseDuration,
  type DeleteLogonResponse__Output,
  type ListAgentsResponse__Output,
  type Stats__Output,
} from '@fsso/common';

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  json: { type: 'boolean' },
  user: { type: 'string' },
  network: { type: 'string' },
  limit: { type: 'string' },
  at: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  dir: { type: 'string' },
  role: { type: 'string' },
  name: { type: 'string' },
  domain: { type: 'string', multiple: true },
  ip: { type: 'string', multiple: true },
  dns: { type: 'string', multiple: true },
  days: { type: 'string' },
  force: { type: 'boolean' },
  'agent-id': { type: 'string' },
  hours: { type: 'string' },
  prune: { type: 'boolean' },
  'older-than': { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;

export function main(argv: string[]): void {
  runCli('fssoctl', async () => {
    const { values, positionals } = parseCommandLine('fssoctl', argv, OPTIONS);
    const handled = commonFlags('fssoctl', CTL_HELP, CTL_COMMANDS, values, positionals);
    if (handled !== undefined) return handled;
    const [command, arg] = positionals;
    if (command === 'pki') return pkiCommand(arg, positionals[2], values);
    if (command === 'tls') return tlsCheck(positionals[2], values);
    const conn = resolveConnection(values);
    const { proto } = loadFsso();
    const client = new proto.fsso.v1.AdminService(conn.address, conn.credentials) as AdminServiceClient;
    const json = values['json'] === true;
    const out = (s: string): boolean => process.stdout.write(`${s}\n`);
    try {
      if (command === 'who' && typeof values['at'] === 'string')
        return await whoAt(client, conn.address, arg, values['at'], json, out);
      switch (command) {
        case 'logons': {
          const limit = values['limit'] === undefined ? Infinity : Number(values['limit']);
          if (!Number.isInteger(limit) && limit !== Infinity) throw new UsageError('--limit takes a whole number');
          const { logons, total } = await listAll(client, conn.address, values, limit);
          if (json) out(JSON.stringify(logons.map(identityJson)));
          else {
            out(
              renderTable(
                ['IP', 'USER', 'DOMAIN', 'WORKSTATION', 'GROUPS', 'LAST SEEN', 'SOURCE'],
                logons.map((l) => [
                  l.ip,
                  l.shared ? '(shared)' : l.user,
                  l.domain,
                  l.workstation,
                  l.groups.join(',') + (l.groupsStale ? ' (stale)' : ''),
                  formatAge(l.lastSeenMs),
                  l.source,
                ]),
              ),
            );
            out(`${logons.length} of ${total} entries`);
          }
          return 0;
        }
        case 'explain': {
          if (!arg) throw new UsageError("explain needs an IP address, e.g. 'fssoctl explain 10.1.2.3'");
          const ex = await call<Explanation__Output>(conn.address, (o, cb) =>
            client.explainLogon({ ip: arg }, o, cb),
          ).catch(notFound(json, arg));
          if (!ex) return 3;
          if (json)
            out(
              JSON.stringify({
                identity: ex.identity ? identityJson(ex.identity) : null,
                evidence: ex.evidence,
                claims: ex.claims,
              }),
            );
          else {
            if (ex.identity) out(describe(ex.identity));
            if (ex.claims.length) {
              out(
                ex.identity?.contested
                  ? '  claims (the holder first, then the claimants):'
                  : '  users at this address:',
              );
              out(
                renderTable(
                  ['ACCOUNT', 'REPORTED BY', 'LAST EVIDENCE'],
                  ex.claims.map((c) => [formatAccount(c.user, c.domain), c.reporter, formatTime(c.timeMs)]),
                ).replace(/^/gm, '  '),
              );
            }
            out('  evidence (oldest first):');
            out(
              renderTable(
                ['TIME', 'RULE', 'EVENT', 'SOURCE', 'USER', 'WORKSTATION', 'REPORTER'],
                ex.evidence.map((e) => [
                  formatTime(e.timeMs),
                  e.rule,
                  `${e.kind} ${e.sourceEventId}`,
                  e.source,
                  e.user,
                  e.workstation,
                  e.reporter,
                ]),
              ).replace(/^/gm, '  '),
            );
          }
          return 0;
        }
        case 'who':
        case 'logoff': {
          if (!arg) throw new UsageError(`${command} needs an IP address, e.g. 'fssoctl ${command} 10.1.2.3'`);
          try {
            const id =
              command === 'who'
                ? await call<Identity__Output>(conn.address, (o, cb) => client.getLogon({ ip: arg }, o, cb))
                : (
                    await call<DeleteLogonResponse__Output>(conn.address, (o, cb) =>
                      client.deleteLogon({ ip: arg }, o, cb),
                    )
                  ).removed;
            if (!id) throw new NotFoundError(`no user is known at ${arg}`);
            if (json) out(JSON.stringify(identityJson(id)));
            else if (command === 'who') out(describe(id));
            else out(printable(`removed ${identityName(id)} from ${id.ip}`));
            return 0;
          } catch (err) {
            if (!(err instanceof NotFoundError)) throw err;
            if (json) out(JSON.stringify({ ip: arg, found: false, message: err.message }));
            else process.stderr.write(`fssoctl: ${printable(err.message)}\n`);
            return 3;
          }
        }
        case 'user':
          return await userCommand(client, conn.address, arg, values, json, out);
        case 'agents': {
          if (values['prune']) return await pruneAgents(client, conn.address, values, json, out);
          const { agents } = await call<ListAgentsResponse__Output>(conn.address, (o, cb) =>
            client.listAgents({}, o, cb),
          );
          if (json) out(JSON.stringify(agents));
          else {
            out(
              renderTable(
                ['AGENT', 'HOST', 'DOMAINS', 'CONNECTED', 'LAST EVENT', 'ACKED SEQ', 'BACKLOG', 'EVENTS'],
                agents.map((a) => [
                  a.agentId,
                  a.hostname,
                  a.domains.join(','),
                  a.connected
                    ? `yes (${formatAge(a.connectedSinceMs)})`
                    : `no (${formatAge(a.lastContactMs) || 'never'})`,
                  formatTime(a.lastEventMs),
                  String(a.ackedSeq),
                  String(a.backlog),
                  String(a.eventsAccepted),
                ]),
              ),
            );
          }
          return 0;
        }
        case 'stats': {
          const s = await call<Stats__Output>(conn.address, (o, cb) => client.getStats({}, o, cb));
          if (json) out(JSON.stringify(s));
          else out(renderStats(s));
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

/** `who IP --at TIME`: the holder at a past moment, from the history table. */
async function whoAt(
  client: AdminServiceClient,
  address: string,
  arg: string | undefined,
  when: string,
  json: boolean,
  out: (s: string) => boolean,
): Promise<number> {
  if (!arg) throw new UsageError("who needs an IP address, e.g. 'fssoctl who 10.1.2.3 --at 2026-11-23T09:14'");
  const atMs = parseWhen(when);
  const h = await call<HistoryResponse__Output>(address, (o, cb) => client.getLogonAt({ ip: arg, atMs }, o, cb));
  if (json)
    out(
      JSON.stringify({
        ip: arg,
        at: new Date(atMs).toISOString(),
        holder: h.at ? historyJson(h.at) : null,
        history: h.around.map(historyJson),
      }),
    );
  else {
    out(
      printable(
        h.at
          ? `${arg} at ${formatTime(atMs)}: ${identityName(h.at)}${h.at.workstation ? ` on ${h.at.workstation}` : ''} (from ${formatTime(h.at.fromMs)}${h.at.toMs ? ` to ${formatTime(h.at.toMs)}, ended by ${h.at.endedBy}` : ', still current'})`
          : `${arg} at ${formatTime(atMs)}: nobody known`,
      ),
    );
    if (h.around.length) {
      out('  history:');
      out(
        renderTable(
          ['FROM', 'TO', 'USER', 'WORKSTATION', 'ENDED BY'],
          h.around.map((r) => [
            formatTime(r.fromMs),
            r.toMs ? formatTime(r.toMs) : 'now',
            identityName(r),
            r.workstation,
            r.endedBy,
          ]),
        ).replace(/^/gm, '  '),
      );
    }
  }
  return h.at ? 0 : 3;
}

/** A not-found answer is an exit code (3), not an error. */
function notFound(json: boolean, ip: string): (err: unknown) => undefined {
  return (err) => {
    if (!(err instanceof NotFoundError)) throw err;
    if (json) process.stdout.write(`${JSON.stringify({ ip, found: false, message: err.message })}\n`);
    else process.stderr.write(`fssoctl: ${printable(err.message)}\n`);
    return undefined;
  };
}

/** "2026-11-23T09:14:00Z", "2026-11-23 09:14" (local), "90m ago", "2h ago", or epoch ms. */
export function parseWhen(text: string, now = Date.now()): number {
  const ago = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)\s+ago$/.exec(text.trim());
  if (ago) return now - parseDuration(`${ago[1]}${ago[2]}`, '--at');
  if (/^\d{12,}$/.test(text.trim())) return Number(text.trim());
  const t = Date.parse(text.trim().replace(' ', 'T'));
  if (Number.isNaN(t))
    throw new UsageError(
      `--at ${JSON.stringify(text)} is not a time; write it like 2026-11-23T09:14:00Z, "2026-11-23 09:14" or "2h ago"`,
    );
  return t;
}

function historyJson(h: HistoryItem__Output): Record<string, unknown> {
  return {
    user: h.user,
    domain: h.domain,
    workstation: h.workstation,
    from: new Date(h.fromMs).toISOString(),
    to: h.toMs ? new Date(h.toMs).toISOString() : null,
    endedBy: h.endedBy || null,
  };
}

async function listAll(
  client: AdminServiceClient,
  address: string,
  values: Record<string, string | boolean | undefined>,
  limit: number,
): Promise<{ logons: Identity__Output[]; total: number }> {
  const logons: Identity__Output[] = [];
  let pageToken = '';
  let total = 0;
  do {
    const page: ListLogonsResponse__Output = await call<ListLogonsResponse__Output>(address, (o, cb) =>
      client.listLogons(
        {
          user: str(values['user']),
          domain: (values['domain'] as unknown as string[] | undefined)?.[0] ?? '',
          network: str(values['network']),
          pageSize: Math.min(1000, limit - logons.length),
          pageToken,
        },
        o,
        cb,
      ),
    );
    logons.push(...page.logons);
    total = page.total;
    pageToken = page.nextPageToken;
  } while (pageToken && logons.length < limit);
  return { logons, total };
}

const str = (v: string | boolean | undefined): string => (typeof v === 'string' ? v : '');

function describe(i: Identity__Output): string {
  return [
    i.shared
      ? `${i.ip} is shared (several users: terminal server or NAT); no single user is named`
      : `${i.ip} is ${identityName(i)}`,
    `  workstation  ${i.workstation || '-'}`,
    `  groups       ${i.groups.join(', ') || '-'}${i.groupsStale ? ' (stale: the directory was unreachable)' : ''}`,
    `  first seen   ${formatTime(i.firstSeenMs)}`,
    `  last seen    ${formatTime(i.lastSeenMs)} (${formatAge(i.lastSeenMs)})`,
    `  source       ${i.source}`,
  ]
    .map(printable)
    .join('\n'); // per line: agent text must not add lines of its own
}
