import type { Logger, ProxyAuthServiceHandlers } from '@fsso/common';
import type { AuthScheme, NtlmConfig } from './config';
import { HelperPool, type PoolCounters } from './pool';
import { UsedAnswers } from './replay';
import { recordLogon, type RecordDeps } from './record';
import { ntlmService, type ExchangeCounters } from './service';
import type { StreamQuota } from '../services/stream-quota';

/** Used answers are remembered this long: far past any exchange, whose challenge dies with it. */
const USED_TTL_MS = 3_600_000;

/** Proxy authentication in the collector: the helper pools, the service, its counters. */
export class ProxyAuth {
  readonly pools = new Map<AuthScheme, HelperPool>();
  private readonly pool: PoolCounters = { helpersStarted: 0, helperRestarts: 0, busy: 0 };
  private readonly exchanges: ExchangeCounters = {
    exchanges: 0,
    succeeded: 0,
    failed: 0,
    replayed: 0,
    expired: 0,
    outOfAuthority: 0,
    helperErrors: 0,
  };
  readonly handlers: ProxyAuthServiceHandlers;

  constructor(cfg: NtlmConfig, record: RecordDeps, log: Logger, quota: StreamQuota) {
    for (const s of cfg.schemes) this.pools.set(s, new HelperPool(s, cfg, log, this.pool));
    this.handlers = ntlmService({
      cfg,
      pools: this.pools,
      used: new UsedAnswers(USED_TTL_MS),
      record: (v) => recordLogon(record, v),
      counters: this.exchanges,
      log,
      now: () => record.clock.now(),
      quota,
    });
  }

  start(): void {
    for (const p of this.pools.values()) p.start();
  }

  stop(): void {
    for (const p of this.pools.values()) p.stop();
  }

  /** For `fssoctl stats` (`ntlm`). */
  get counters(): Record<string, number> {
    return { ...this.exchanges, ...this.pool };
  }
}
