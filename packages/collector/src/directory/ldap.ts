import ldap from 'ldapjs';
import { FssoError, errorMessage } from '@fsso/common';
import type { DirectoryConfig } from './config';

/** The in-chain matching rule: AD (and Samba AD) expand nested membership server-side. */
const IN_CHAIN = '1.2.840.113556.1.4.1941';

/** RFC 4515 escaping of a value inside a filter (DNs contain commas, and may contain parentheses). */
export function escapeFilterValue(v: string): string {
  return v.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The directory could not be asked (down, refused the bind, timed out). */
export class DirectoryUnavailableError extends FssoError {
  constructor(message: string) {
    super('FSSO_LDAP_UNAVAILABLE', message);
  }
}

/** A group as the directory names it: `DOMAIN\\sAMAccountName` (how rules and logs write it) and its DN. */
export interface DirectoryGroup {
  name: string;
  dn: string;
}

interface Found {
  dn: string;
  attrs: Record<string, string[]>;
}

/**
 * Asks one domain's directory for a user's groups, nested ones included, in two searches: the
 * user's DN by sAMAccountName, then every group whose member chain contains that DN.
 */
export class LdapDirectory {
  constructor(readonly cfg: DirectoryConfig) {}

  /**
   * The user's groups as `DOMAIN\group` names with their DNs, sorted by name; [] if the user does
   * not exist. The DN travels along so a DN rule matches that one group, not every group of the
   * same CN (issue 9, item 8).
   */
  async groupsOf(user: string): Promise<DirectoryGroup[]> {
    const client = await this.connect();
    try {
      const users = await search(
        client,
        this.cfg.baseDn,
        `(&(objectClass=user)(sAMAccountName=${escapeFilterValue(user)}))`,
        ['sAMAccountName'],
      );
      const dn = users[0]?.dn;
      if (!dn) return [];
      const groups = await search(
        client,
        this.cfg.baseDn,
        `(&(objectClass=group)(member:${IN_CHAIN}:=${escapeFilterValue(dn)}))`,
        ['sAMAccountName', 'cn'],
      );
      return groups
        .map((g) => ({
          name: `${this.cfg.domain}\\${g.attrs['sAMAccountName']?.[0] ?? g.attrs['cn']?.[0] ?? g.dn}`,
          dn: g.dn,
        }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } finally {
      client.unbind(() => client.destroy());
    }
  }

  private async connect(): Promise<ldap.Client> {
    const errors: string[] = [];
    for (const url of this.cfg.urls) {
      try {
        return await this.connectOne(url);
      } catch (err) {
        errors.push(`${url}: ${errorMessage(err)}`);
      }
    }
    throw new DirectoryUnavailableError(`cannot reach the ${this.cfg.domain} directory (${errors.join('; ')})`);
  }

  /** The DC's certificate is checked against the CA file and its name (tlsServerName when connecting by address). */
  private tlsOptions(): { ca?: Buffer[]; servername?: string } | undefined {
    if (!this.cfg.ca && !this.cfg.tlsServerName) return undefined;
    return {
      ...(this.cfg.ca ? { ca: [this.cfg.ca] } : {}),
      ...(this.cfg.tlsServerName ? { servername: this.cfg.tlsServerName } : {}),
    };
  }

  private connectOne(url: string): Promise<ldap.Client> {
    // Config validation refuses this already; checked again here so no other path to a
    // DirectoryConfig can send the password over plaintext.
    if (/^ldap:\/\//i.test(url) && !this.cfg.startTls && !this.cfg.insecure) {
      return Promise.reject(
        new Error(
          'plain ldap:// without StartTLS would send the bind password in clear; use ldaps://, startTls: true, or insecure: true for a lab',
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const tlsOptions = this.tlsOptions();
      const client = ldap.createClient({
        url,
        tlsOptions,
        timeout: this.cfg.timeoutMs,
        connectTimeout: this.cfg.timeoutMs,
        reconnect: false,
      });
      let settled = false;
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        client.destroy();
        reject(err instanceof Error ? err : new Error(String(err)));
      };
      client.on('error', fail);
      client.on('connectError', fail);
      client.on('connectTimeout', () => fail(new Error(`no connection within ${this.cfg.timeoutMs} ms`)));
      client.on('connect', () => {
        const bind = (): void =>
          client.bind(this.cfg.bindDn, this.cfg.password, (err) => {
            // Never put the password (or the bind request) in the message.
            if (err) return fail(new Error(`bind as ${this.cfg.bindDn} refused: ${err.name}`));
            settled = true;
            resolve(client);
          });
        if (this.cfg.startTls) client.starttls(this.tlsOptions() ?? {}, [], (err) => (err ? fail(err) : bind()));
        else bind();
      });
    });
  }
}

function search(client: ldap.Client, base: string, filter: string, attributes: string[]): Promise<Found[]> {
  return new Promise((resolve, reject) => {
    client.search(base, { scope: 'sub', filter, attributes }, (err, res) => {
      if (err) return reject(err);
      const out: Found[] = [];
      res.on('searchEntry', (entry) => {
        const attrs: Record<string, string[]> = {};
        for (const a of entry.pojo.attributes) attrs[a.type] = a.values;
        out.push({ dn: entry.pojo.objectName, attrs });
      });
      // AD answers subtree searches from the domain root with continuation references to the
      // DNS zones and configuration partitions; they hold no users, so they are not followed.
      res.on('searchReference', () => undefined);
      res.on('error', reject);
      res.on('end', () => resolve(out));
    });
  });
}
