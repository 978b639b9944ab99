import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  SERVICE_NAMES,
  checkHealth,
  describeDataDirSource,
  errorMessage,
  readJsonConfig,
  readOnlyForServices,
} from '@fsso/common';
import { resolveAgentConfig, type AgentConfig } from './config';
import { execRunner } from './readers/windows-eventlog/source';
import { certificateCheck, portCheck } from './doctor-checks';

export type Verdict = 'OK' | 'WARN' | 'FAIL';

export interface Check {
  check: string;
  verdict: Verdict;
  detail: string;
}

/**
 * What an operator asks before trusting an agent: is the config valid, can each source be read,
 * can the spool be written, will the collectors accept the certificate (role, domains, pair,
 * expiry), are the syslog ports free, does each collector answer its health check.
 */
export async function runDoctor(configPath: string, baseDir: string): Promise<Check[]> {
  const checks: Check[] = [];
  let cfg: AgentConfig;
  try {
    cfg = resolveAgentConfig(readJsonConfig(configPath), baseDir);
    checks.push({
      check: 'config',
      verdict: 'OK',
      detail: `${configPath}: agent ${cfg.agentId}, ${cfg.sources.length} source(s), ${cfg.collectors.length} collector(s)`,
    });
  } catch (err) {
    checks.push({ check: 'config', verdict: 'FAIL', detail: errorMessage(err) });
    return checks;
  }
  for (const s of cfg.sources) {
    if (s.kind === 'file') checks.push(sourceCheck(s.name, s.path, s.follow));
    else if (s.kind === 'windows-eventlog') checks.push(await eventLogCheck(s.name));
    else {
      checks.push({
        check: `source ${s.name}`,
        verdict: 'OK',
        detail: `syslog on ${[s.udp && `udp ${s.udp}`, s.tcp && `tcp ${s.tcp}`, s.tls && `tls ${s.tls.listen}`].filter(Boolean).join(', ')} from ${s.allowFrom.join(', ')}, ${s.profiles.length} profile(s)`,
      });
      const f = `sources[${s.name}]`;
      if (s.udp) checks.push(await portCheck(`port ${s.name} udp`, 'udp', s.udp, `${f}.udp`));
      if (s.tcp) checks.push(await portCheck(`port ${s.name} tcp`, 'tcp', s.tcp, `${f}.tcp`));
      if (s.tls) checks.push(await portCheck(`port ${s.name} tls`, 'tcp', s.tls.listen, `${f}.tls.listen`));
    }
  }
  // One check per certificate file: most configs share one top-level tls block.
  const certs = new Map<string, string | undefined>();
  for (const c of cfg.collectors) if (c.certFile) certs.set(c.certFile, c.keyFile);
  for (const [cert, key] of certs)
    checks.push({
      ...certificateCheck(cert, key, cfg.domains),
      ...(certs.size > 1 ? { check: `certificate ${cert}` } : {}),
    });
  checks.push(spoolCheck(cfg));
  const results = await Promise.all(
    cfg.collectors.map(async (c): Promise<Check> => {
      const h = await checkHealth(c.address, c.credentials, SERVICE_NAMES.agent);
      return h.ok
        ? {
            check: `collector ${c.name}`,
            verdict: c.insecure ? 'WARN' : 'OK',
            detail: `${c.address} is SERVING the agent service${c.insecure ? ' (plaintext: insecure is set)' : ''}`,
          }
        : {
            check: `collector ${c.name}`,
            verdict: 'FAIL',
            detail: `${c.address}: ${h.reason}; is the collector running and reachable, and are the TLS files right?`,
          };
    }),
  );
  return [...checks, ...results];
}

/** The live Security log: wevtutil must exist and the account must be allowed to read it. */
async function eventLogCheck(name: string): Promise<Check> {
  const check = `source ${name}`;
  if (process.platform !== 'win32')
    return {
      check,
      verdict: 'FAIL',
      detail: 'windows-eventlog needs Windows (wevtutil); on a Samba DC use the samba-audit format',
    };
  try {
    await execRunner('wevtutil', ['qe', 'Security', '/c:1', '/f:xml']);
    return { check, verdict: 'OK', detail: 'the Security log is readable' };
  } catch (err) {
    return {
      check,
      verdict: 'FAIL',
      detail: `${errorMessage(err)}; run the agent as an account in "Event Log Readers" or as LocalSystem`,
    };
  }
}

function sourceCheck(name: string, path: string, follow: boolean): Check {
  const check = `source ${name}`;
  if (path === '-') return { check, verdict: 'OK', detail: 'standard input' };
  if (!existsSync(path)) {
    return follow
      ? { check, verdict: 'WARN', detail: `${path} does not exist yet; the agent waits for it` }
      : { check, verdict: 'FAIL', detail: `${path} does not exist; fix sources[].path` };
  }
  try {
    accessSync(path, constants.R_OK);
    return { check, verdict: 'OK', detail: `${path} is readable` };
  } catch (err) {
    return {
      check,
      verdict: 'FAIL',
      detail: `${path} is not readable (${errorMessage(err)}); run the agent as a user that may read it`,
    };
  }
}

/** The spool folder: writable, and writable for an installed service too (ProtectSystem=full). */
function spoolCheck(cfg: AgentConfig): Check {
  const dir = dirname(cfg.spool);
  const from = cfg.dataDirFrom === 'spool' ? 'spool in the config' : describeDataDirSource(cfg.dataDirFrom);
  const c = writable('spool', dir);
  if (c.verdict !== 'OK') return c;
  const readOnly = process.platform === 'linux' ? readOnlyForServices(dir) : undefined;
  if (readOnly !== undefined) {
    return {
      check: 'spool',
      verdict: 'WARN',
      detail: `${dir} (${from}) is writable here, but not for an installed service (ProtectSystem=full makes ${readOnly} read-only); the installed service uses /var/lib/fsso-dc-agent: check that with --data-dir /var/lib/fsso-dc-agent, and remove dataDir/spool from the config if set`,
    };
  }
  return { ...c, detail: `${c.detail} (${from})` };
}

function writable(check: string, dir: string): Check {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  try {
    accessSync(d, constants.W_OK);
    return { check, verdict: 'OK', detail: `${dir} is writable` };
  } catch {
    return { check, verdict: 'FAIL', detail: `${dir} is not writable; change dataDir/spool or the folder's owner` };
  }
}
