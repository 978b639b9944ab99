import { UsageError, createLogger, errorMessage } from '@fsso/common';
import { clientConfig, makeClient } from '../cli/client-commands';
import { AuthClient } from './auth-session';
import { validateProxyConfig } from './config';
import { ProxyGate } from './gate';
import { ProxyServer } from './server';

type Values = Record<string, string | boolean | undefined>;

/**
 * `fsso-fw proxy --config FILE`: an explicit web proxy that lets known addresses through by the
 * policy, and authenticates unknown ones with NTLM/Negotiate through the collector (which records
 * them, so their next connections pass without a challenge). Runs until SIGTERM/SIGINT.
 */
export async function proxyCommand(values: Values, timeoutMs: number): Promise<number> {
  if (typeof values['config'] !== 'string' || values['config'] === '')
    throw new UsageError('proxy needs --config FILE (a JSON file with "collectors", "tls", "policy" and "proxy")');
  const cfg = clientConfig(values);
  if (!cfg.policy)
    throw new UsageError(
      'proxy needs a policy: "policy" in the --config file (or --policy FILE); it decides who passes',
    );
  const proxy = validateProxyConfig(cfg.extra['proxy']);
  const log = createLogger('fsso-fw proxy', cfg.log);
  const client = makeClient(cfg, 'proxy', log);
  const policy = cfg.policy;
  // Exchanges go to the collector the table comes from (the first one before any is live).
  const auth = new AuthClient(() => {
    const c = cfg.collectors.find((x) => x.name === client.collector) ?? cfg.collectors[0];
    if (!c) throw new UsageError('proxy needs a collector');
    return c;
  });
  const gate = new ProxyGate({ cfg: proxy, policy, lookup: (ip) => client.lookupKey(ip), auth, log });
  const server = new ProxyServer(proxy, gate, log);
  client.start();
  try {
    await client.whenReady(timeoutMs);
  } catch (err) {
    // Unknown addresses can still authenticate; known ones wait for the table.
    log.warn('no table from a collector yet; every address is challenged until it arrives', {
      error: errorMessage(err),
    });
  }
  let port: number;
  try {
    port = await server.listen();
  } catch (err) {
    client.stop();
    throw new UsageError(`proxy.listen ${proxy.listen}: cannot listen (${errorMessage(err)}); pick a free address`);
  }
  log.info('proxy listening', { address: proxy.listen, port, schemes: proxy.schemes, collector: client.collector });
  return new Promise((resolve) => {
    const stop = (): void => {
      void server.close().then(() => {
        auth.close();
        client.stop();
        log.info('proxy stopped', { ...gate.counters });
        resolve(0);
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
