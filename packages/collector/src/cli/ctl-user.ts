import {
  UsageError,
  call,
  formatAge,
  formatTime,
  identityJson,
  identityName,
  parseDuration,
  printable,
  renderTable,
  type AdminServiceClient,
  type PruneAgentsResponse__Output,
  type UserResponse__Output,
  type HistoryItem__Output,
} from '@fsso/common';

type Values = Record<string, string | boolean | undefined>;
type Out = (s: string) => boolean;

/** `fssoctl user NAME [--hours N]`: the user's addresses now, and where they were recently. Exit 3 if nowhere. */
export async function userCommand(
  client: AdminServiceClient,
  address: string,
  name: string | undefined,
  values: Values,
  json: boolean,
  out: Out,
): Promise<number> {
  if (!name)
    throw new UsageError(
      "user needs a user name, e.g. 'fssoctl user dave', 'fssoctl user CORP\\\\dave' or 'fssoctl user dave@corp.example'",
    );
  const hoursText = typeof values['hours'] === 'string' ? values['hours'] : '24';
  const hours = Number(hoursText);
  if (!Number.isFinite(hours) || hours <= 0)
    throw new UsageError(`--hours ${JSON.stringify(hoursText)} is not a number of hours; write it like --hours 24`);
  const sinceMs = Date.now() - hours * 3_600_000;
  const domain = (values['domain'] as unknown as string[] | undefined)?.[0] ?? '';
  const r = await call<UserResponse__Output>(address, (o, cb) =>
    client.getUser({ user: name, domain, sinceMs }, o, cb),
  );
  if (json) {
    out(
      JSON.stringify({
        user: name,
        since: new Date(sinceMs).toISOString(),
        current: r.current.map(identityJson),
        history: r.history.map(historyJson),
      }),
    );
    return r.current.length || r.history.length ? 0 : 3;
  }
  if (r.current.length === 0) out(printable(`${name} is at no address now`));
  else {
    out(printable(`${name} now, at ${r.current.length} address${r.current.length > 1 ? 'es' : ''}:`));
    out(
      renderTable(
        ['IP', 'ACCOUNT', 'WORKSTATION', 'LAST SEEN', 'SOURCE'],
        r.current.map((i) => [
          i.ip,
          identityName(i),
          i.workstation || '-',
          `${formatTime(i.lastSeenMs)} (${formatAge(i.lastSeenMs)})`,
          i.source,
        ]),
      ).replace(/^/gm, '  '),
    );
  }
  if (r.history.length === 0) out(`no history in the last ${hours} h`);
  else {
    out(`where ${printable(name)} was in the last ${hours} h (newest first):`);
    out(
      renderTable(
        ['IP', 'FROM', 'TO', 'WORKSTATION', 'ENDED BY'],
        r.history.map((h) => [
          h.ip,
          formatTime(h.fromMs),
          h.toMs ? formatTime(h.toMs) : 'now',
          h.workstation || '-',
          h.endedBy || '-',
        ]),
      ).replace(/^/gm, '  '),
    );
  }
  return r.current.length || r.history.length ? 0 : 3;
}

/** `fssoctl agents --prune [--older-than D] [--dry-run]`. */
export async function pruneAgents(
  client: AdminServiceClient,
  address: string,
  values: Values,
  json: boolean,
  out: Out,
): Promise<number> {
  const olderThanMs = typeof values['older-than'] === 'string' ? parseDurationFlag(values['older-than']) : 0;
  const dryRun = values['dry-run'] === true;
  const r = await call<PruneAgentsResponse__Output>(address, (o, cb) =>
    client.pruneAgents({ olderThanMs, dryRun }, o, cb),
  );
  const age = humanDuration(r.olderThanMs);
  if (json) out(JSON.stringify({ removed: r.removed, olderThanMs: r.olderThanMs, dryRun }));
  else if (r.removed.length === 0) out(`no agent has been gone for ${age}`);
  else
    out(
      printable(
        `${dryRun ? 'would remove' : 'removed'} ${r.removed.length} agent${r.removed.length > 1 ? 's' : ''} gone for ${age}: ${r.removed.join(', ')}`,
      ),
    );
  return 0;
}

function parseDurationFlag(text: string): number {
  try {
    return parseDuration(text, '--older-than');
  } catch {
    throw new UsageError(`--older-than ${JSON.stringify(text)} is not a duration; write it like 7d, 12h or 90m`);
  }
}

/** "30 days", "12 hours", "90 minutes". */
function humanDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, name] of units)
    if (ms >= size && ms % size === 0) return `${ms / size} ${name}${ms / size === 1 ? '' : 's'}`;
  return `${ms} ms`;
}

function historyJson(h: HistoryItem__Output): Record<string, unknown> {
  return {
    ip: h.ip,
    user: h.user,
    domain: h.domain,
    workstation: h.workstation,
    from: new Date(h.fromMs).toISOString(),
    to: h.toMs ? new Date(h.toMs).toISOString() : null,
    endedBy: h.endedBy || null,
  };
}
