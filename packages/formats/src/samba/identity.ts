import { normaliseAccount } from '@fsso/common';
import type { Account } from '@fsso/common';
import { text } from './record';

/**
 * The account an `Authentication` record is about. Samba fills three pairs:
 *   became*  the account the DC actually logged on (authoritative, only set on success);
 *   mapped*  the name after Samba mapped what the client sent (also set on many failures);
 *   client*  what the client typed: `alice`, `alice@CORP.EXAMPLE.TEST`, `CORP\alice`, or for an
 *            LDAP simple bind a DN such as `CN=alice,CN=Users,DC=corp,DC=example,DC=test`.
 * The first pair that names an account wins.
 */
export function authenticationAccount(body: Readonly<Record<string, unknown>>): Account | null {
  const became = text(body, 'becameAccount');
  if (became !== '') return normaliseAccount(became, text(body, 'becameDomain'));
  const mapped = text(body, 'mappedAccount');
  if (mapped !== '') return normaliseAccount(mapped, text(body, 'mappedDomain'));
  return normaliseAccount(commonNameOfDn(text(body, 'clientAccount')), text(body, 'clientDomain'));
}

/** `CN=alice,CN=Users,DC=...` -> `alice` (with `\,` escapes undone); anything else unchanged. */
export function commonNameOfDn(name: string): string {
  const m = /^CN=((?:[^,\\]|\\.)*),(?:[A-Z]+=)/i.exec(name);
  return m ? (m[1] ?? '').replace(/\\(.)/g, '$1') : name;
}

/**
 * Accounts that are the DC itself or nobody, never a person at a client: Samba logs its own
 * DCE/RPC pipes as `NT AUTHORITY\SYSTEM` and unauthenticated LDAP as `ANONYMOUS LOGON`.
 */
export function isServiceIdentity(account: Account): boolean {
  return account.domain === 'NT AUTHORITY' || WELL_KNOWN.has(account.user);
}

const WELL_KNOWN = new Set(['system', 'anonymous logon', 'local service', 'network service', 'guest']);
