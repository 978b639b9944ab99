import { accessSync, constants, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage, readJsonConfig, serverCredentials, summarise, readTrustFile } from '@fsso/common';
import { resolveCollectorConfig, type CollectorConfig } from './config';
import { LdapDirectory } from './directory/ldap';
import { MIGRATIONS } from './store/schema';

export type Verdict = 'OK' | 'WARN' | 'FAIL';

export interface Check {
  check: string;
  verdict: Verdict;
  detail: string;
}

/** A certificate that ends within this is a warning: renew it before clients start failing. */
const EXPIRY_WARNING_MS = 30 * 86_400_000;

/**
 * What an operator asks before (re)starting a collector, without changing anything: the config,
 * the certificates, the database, each LDAP directory, the gRPC port and the metrics listener.
 * Every check runs; the first failure does not hide the others.
 */
export async function runCollectorDoctor(configPath: string, baseDir: string, now = Date.now()): Promise<Check[]> {
  let raw: Record<string, unknown>;
  let cfg: CollectorConfig;
  try {
    raw = readJsonConfig(configPath);
    cfg = resolveCollectorConfig(raw, baseDir);
  } catch (err) {
    return [{ check: 'config', verdict: 'FAIL', detail: errorMessage(err) }];
  }
  const checks: Check[] = [
    {
      check: 'config',
      verdict: 'OK',
      detail: `${configPath}: listen ${cfg.listen}, database ${cfg.database}, ${cfg.directories.length} directory(ies)`,
    },
  ];
  checks.push(certificateCheck(cfg, now));
  checks.push(databaseCheck(cfg.database));
  for (const d of cfg.directories) checks.push(await directoryCheck(new LdapDirectory(d), d.domain));
  checks.push(await bindCheck('port', cfg.listen, 'the gRPC port'));
  const metrics = raw['metrics'];
  const metricsListen =
    typeof metrics === 'object' && metrics !== null ? (metrics as Record<string, unknown>)['listen'] : undefined;
  if (typeof metricsListen === 'string') checks.push(await bindCheck('metrics', metricsListen, 'the metrics listener'));
  return checks;
}

function certificateCheck(cfg: CollectorConfig, now: number): Check {
  const check = 'certificate';
  if (cfg.insecure || !cfg.tls)
    return {
      check,
      verdict: 'WARN',
      detail: 'insecure: true: plaintext gRPC; anyone on the network can read and forge identities',
    };
  try {
    // The same checks as the start: readable, not changeable by others, a certificate, its key, serverAuth.
    serverCredentials(cfg, 'tls');
    const s = summarise(readTrustFile(cfg.tls.cert, 'tls.cert'), now);
    if (!s.roles.includes('collector')) {
      return {
        check,
        verdict: 'FAIL',
        detail: `${cfg.tls.cert} has role ${s.roles.join(', ') || '(none)'}, not collector: clients refuse it; issue one with 'fssoctl pki issue --role collector'`,
      };
    }
    const left = Date.parse(s.notAfter) - now;
    if (left < EXPIRY_WARNING_MS)
      return {
        check,
        verdict: 'WARN',
        detail: `${cfg.tls.cert} expires on ${s.notAfter} (in ${Math.max(0, Math.floor(left / 86_400_000))} days); issue a new one and put it in place (reloaded without restart)`,
      };
    return {
      check,
      verdict: 'OK',
      detail: `${cfg.tls.cert}: role collector, serverAuth, key matches, valid to ${s.notAfter}`,
    };
  } catch (err) {
    return { check, verdict: 'FAIL', detail: errorMessage(err) };
  }
}

/** Opens an existing database read-only (nothing is created or migrated); a missing one needs a writable folder. */
function databaseCheck(path: string): Check {
  const check = 'database';
  if (!existsSync(path)) {
    let d = dirname(path);
    while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
    try {
      accessSync(d, constants.W_OK);
      return { check, verdict: 'OK', detail: `${path} does not exist yet; it will be created (${d} is writable)` };
    } catch {
      return {
        check,
        verdict: 'FAIL',
        detail: `${path} cannot be created: ${d} is not writable by this user; set "dataDir" or fix the folder's owner`,
      };
    }
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length)
      return {
        check,
        verdict: 'FAIL',
        detail: `${path} has schema version ${version}, newer than this collector knows (${MIGRATIONS.length}); run a newer collector`,
      };
    const quick = db.pragma('quick_check', { simple: true });
    if (quick !== 'ok')
      return { check, verdict: 'FAIL', detail: `${path} is damaged (${String(quick)}); restore a backup` };
    accessSync(path, constants.W_OK);
    return {
      check,
      verdict: 'OK',
      detail: `${path}: SQLite, schema ${version} of ${MIGRATIONS.length}, intact, writable`,
    };
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    if (code === 'SQLITE_NOTADB')
      return {
        check,
        verdict: 'FAIL',
        detail: `${path} is not an SQLite database; point "database" at the collector's file`,
      };
    return { check, verdict: 'FAIL', detail: `${path}: ${errorMessage(err)}; check its owner and mode` };
  } finally {
    db?.close();
  }
}

/** Connects and binds with the configured account, then looks up a user nobody has. */
async function directoryCheck(dir: LdapDirectory, domain: string): Promise<Check> {
  const check = `directory ${domain}`;
  try {
    await dir.groupsOf('fsso-doctor-probe');
    return {
      check,
      verdict: 'OK',
      detail: `${dir.cfg.urls.join(', ')}: reachable, bind as ${dir.cfg.bindDn} accepted`,
    };
  } catch (err) {
    return { check, verdict: 'FAIL', detail: `${errorMessage(err)}; check urls, bindDn and the password` };
  }
}

/** Binds the address for a moment: in use (a collector already running?) or not allowed is a failure. */
function bindCheck(check: string, address: string, what: string): Promise<Check> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(i + 1));
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'is already in use (is a collector already running? stop it, or pick another port)'
          : err.code === 'EACCES'
            ? 'may not be bound by this user (ports below 1024 need CAP_NET_BIND_SERVICE)'
            : err.code === 'EADDRNOTAVAIL'
              ? 'is not an address of this machine'
              : `cannot be bound (${err.code ?? errorMessage(err)})`;
      resolve({ check, verdict: 'FAIL', detail: `${address} (${what}) ${why}` });
    });
    srv.listen({ host, port, exclusive: true }, () =>
      srv.close(() => resolve({ check, verdict: 'OK', detail: `${address} (${what}) is free` })),
    );
  });
}
