import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  MetricsEndpoint,
  UsageError,
  createLogger,
  formatAge,
  printable,
  readJsonConfig,
  warnIfReadableByOthers,
} from '@fsso/common';
import { statusFileOf, validatePushConfig, type PushConfig } from '../push/config';
import { PushService, type PushStatus } from '../push/service';
import { pushRegistry } from '../push/metrics';
import { clientConfig, makeClient } from './client-commands';

export const PUSH_HELP = `  fsso-fw push --config FILE            keep FortiGate (RSSO), PAN-OS, Check Point and webhook
                                        targets equal to the replica ("push" in the config)
  fsso-fw push status --config FILE [--json]
                                        each target: connected, queue, last success, last error`;

type Values = Record<string, string | boolean | undefined>;

/** A status file older than this means the service is not running. */
const STALE_MS = 5000;

function configFile(values: Values): string {
  const file = typeof values['config'] === 'string' ? values['config'] : process.env['FSSO_CONFIG'];
  if (!file) throw new UsageError('push needs --config FILE (a fsso-fw config with a "push" section)');
  return file;
}

function pushConfig(values: Values): PushConfig {
  const file = configFile(values);
  return validatePushConfig(readJsonConfig(file)['push'], dirname(resolve(file)));
}

/** `fsso-fw push [status]`. */
export async function pushCommand(values: Values, sub: string | undefined, timeoutMs: number): Promise<number> {
  if (sub === 'status') return pushStatus(values, values['json'] === true);
  if (sub !== undefined) throw new UsageError(`push ${sub}: unknown; use 'fsso-fw push' or 'fsso-fw push status'`);
  const push = pushConfig(values);
  const cfg = clientConfig(values);
  const log = createLogger('fsso-fw push', cfg.log);
  warnIfReadableByOthers(
    push.targets.map((t) => t.secretFile),
    log,
  );
  const client = makeClient(cfg, 'push', log);
  const service = new PushService(client, push, cfg.domains, log, cfg.clientName);
  const metrics = push.metrics
    ? new MetricsEndpoint(
        pushRegistry(() => service.targets.map((t) => t.status())),
        push.metrics,
        log,
      )
    : undefined;
  // A taken metrics port stops the start with its message, before any target is fed.
  await metrics?.start();
  client.start();
  service.start();
  log.info('push running', {
    targets: push.targets.map((t) => `${t.name} (${t.kind} ${t.address})`),
    statusFile: push.statusFile,
  });
  client.whenReady(timeoutMs).catch((err: unknown) =>
    log.warn('no collector table yet; targets are fed once one arrives', {
      reason: err instanceof Error ? err.message : String(err),
    }),
  );
  return new Promise((done) => {
    const stop = (): void => {
      service.stop();
      client.stop();
      void metrics?.stop();
      log.info('push stopped', {
        targets: service.targets.map((t) => {
          const s = t.status();
          return { name: s.name, held: s.held, queue: s.queue };
        }),
      });
      done(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** Reads the running service's status file: exit 0 when it is running and every target is up, 1 if one is not, 3 if it is not running. */
function pushStatus(values: Values, json: boolean): number {
  const file = configFile(values);
  const statusFile = statusFileOf(readJsonConfig(file)['push'], dirname(resolve(file)));
  let s: PushStatus;
  try {
    s = JSON.parse(readFileSync(statusFile, 'utf8')) as PushStatus;
  } catch {
    const msg = `fsso-fw push is not running: no status file at ${statusFile} (start 'fsso-fw push --config FILE')`;
    if (json) process.stdout.write(`${JSON.stringify({ running: false, message: msg })}\n`);
    else process.stdout.write(`${msg}\n`);
    return 3;
  }
  const running = s.state === 'RUNNING' && Date.now() - s.writtenMs < STALE_MS;
  if (json) {
    process.stdout.write(`${JSON.stringify({ running, ...s })}\n`);
  } else {
    const head = running
      ? `push service pid ${s.pid}, collector ${s.client.collector ?? '-'} (${s.client.mode}), ${s.client.entries} entries`
      : `fsso-fw push is not running (pid ${s.pid}, ${s.state}, status written ${formatAge(s.writtenMs)})`;
    const lines = [head];
    for (const t of s.targets) {
      lines.push(
        `  ${t.name} (${t.kind} ${t.address}): ${t.state}${t.connected ? ', connected' : ''}`,
        `    queue ${t.queue}, in flight ${t.inFlight}, held ${t.held}; last success ${t.lastSuccessMs ? formatAge(t.lastSuccessMs) : 'never'}`,
        `    ${t.counters.requests} requests, ${t.counters.failures} failed, ${t.counters.logins} logons, ${t.counters.logouts} logoffs, ${t.counters.refreshes} refreshes, ${t.counters.resyncs} resyncs, ${t.counters.rejected} refused`,
      );
      if (t.lastError) lines.push(`    last error ${formatAge(t.lastErrorMs)}: ${t.lastError}`);
    }
    process.stdout.write(`${lines.map((l) => printable(l)).join('\n')}\n`);
  }
  if (!running) return 3;
  return s.targets.every((t) => t.state === 'UP') ? 0 : 1;
}
