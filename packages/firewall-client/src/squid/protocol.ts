import { formatAccount, type Identity__Output } from '@fsso/common';

export interface SquidOptions {
  /** Whether identities resolved on demand (inferred) get OK. @default false */
  inferred: boolean;
}

/**
 * squid's external_acl_type values: "a single token with URL escaping" (squid.conf.documented),
 * so `CORP\\alice` goes out as `CORP%5Calice` and squid logs and matches the decoded name.
 */
function token(s: string): string {
  return encodeURIComponent(s);
}

/**
 * The answer to one `%SRC` lookup: `OK user=DOMAIN\\user tag=group,...` for a single named user,
 * `ERR` for unknown, shared, contested and (unless allowed) inferred addresses: never the wrong user.
 */
export function answer(identity: Identity__Output | undefined, opts: SquidOptions): string {
  if (!identity || identity.user === '' || identity.shared || identity.contested) return 'ERR';
  if (identity.inferred && !opts.inferred) return 'ERR';
  const user = `user=${token(formatAccount(identity.user, identity.domain))}`;
  return identity.groups.length > 0 ? `OK ${user} tag=${token(identity.groups.join(','))}` : `OK ${user}`;
}

/**
 * One request line to its reply line. With `concurrency=N` squid puts a channel id first and
 * wants it back first; without, the line is the format's values alone. The id is numeric and an
 * address never is alone on a line with more after it, so both forms are told apart per line.
 */
export function reply(line: string, lookup: (ip: string) => Identity__Output | undefined, opts: SquidOptions): string {
  const parts = line.trim().split(/\s+/);
  let channel = '';
  if (parts.length >= 2 && /^\d+$/.test(parts[0] ?? '')) channel = `${parts.shift() ?? ''} `;
  const src = decodeURIComponent(parts[0] ?? '');
  if (src === '' || src === '-') return `${channel}ERR message=no%20source%20address`;
  return `${channel}${answer(lookup(src), opts)}`;
}
