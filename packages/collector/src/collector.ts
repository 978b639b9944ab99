import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import {
  MetricsEndpoint,
  PLAINTEXT_WARNING,
  SERVICE_NAMES,
  normaliseThumbprint,
  warnIfReadableByOthers,
  addHealthAndReflection,
  serverCredentials,
  systemClock,
  type Clock,
  type Logger,
} from '@fsso/common';
import type { CollectorConfig } from './config';
import { openDatabase, readMeta, type Db } from './store/database';
import { IdentityTable } from './store/identity-table';
import { TableWriter } from './store/table-writer';
import { AgentStore } from './store/agent-store';
import { EventLog } from './store/event-log';
import { Ingestor } from './ingest/ingestor';
import { IdentityEngine } from './identity/engine';
import { WorkstationStore } from './store/workstations';
import { GroupService } from './directory/group-service';
import { plaintextDirectories } from './directory/config';
import { OnDemandResolver } from './identity/on-demand';
import { Verifier } from './identity/verifier';
import { applyGroups } from './directory/apply-groups';
import { ChangeHub } from './sync/hub';
import { AgentRegistry } from './agents/registry';
import { ConnectionCallers } from './services/guard';
import { StreamCounter } from './services/limits';
import { streamQuota } from './services/stream-quota';
import { SyncBudget } from './services/sync-sender';
import { ConnectionGate } from './server/connection-gate';
import { addServices, createGrpcServer } from './server/services';
import { CollectorMetrics } from './metrics/collector-metrics';
import { StorageHealth } from './store/storage-health';
import { EvidenceWriter } from './store/evidence-writer';
import { TableLoader } from './store/table-load';
import { ProxyAuth } from './ntlm';

export type CollectorState = 'STARTING' | 'RUNNING' | 'DRAINING' | 'STOPPED';

/** Grace for open calls when stopping; after it, streams are cut. */
const DRAIN_MS = 3000;

/**
 * The collector daemon: one gRPC server (agent, identity and admin services, health,
 * reflection) in front of one SQLite file.
 */
export class Collector {
  private stateValue: CollectorState = 'STARTING';
  private server: grpc.Server | undefined;
  private db: Db | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private boundPort = 0;
  private stopping: Promise<void> | undefined;
  readonly hub = new ChangeHub();
  readonly registry = new AgentRegistry();
  /** Calls refused for lack of the right role. */
  readonly denied = { count: 0 };
  /** How often each limit refused something. */
  readonly limitHits: Record<string, number> = {};

  constructor(
    private readonly config: CollectorConfig,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  get state(): CollectorState {
    return this.stateValue;
  }

  /** The port actually bound (useful with "host:0"). */
  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const cfg = this.config;
    const db = openDatabase(cfg.database, cfg.durability);
    this.db = db;
    // The rows load a page at a time after the first: Lookup is served meanwhile (store/table-load.ts).
    const table = new IdentityTable(db, { deferLoad: true });
    this.table = table;
    const load = new TableLoader(table, this.log, () => this.stopping !== undefined);
    load.first();
    // Every write of the table commits and publishes through this one path.
    // Loaded whole at start (one row per machine); the rules read it from memory.
    const workstations = new WorkstationStore(db);
    const writer = new TableWriter({ db, table, hub: this.hub, workstations });
    const agents = new AgentStore(db);
    const events = new EventLog(db);
    const groups = new GroupService(
      db,
      cfg.directories,
      cfg.groups,
      this.clock,
      this.log,
      (user, domain, names, stale, dns) => {
        writer.changes(() =>
          applyGroups(table, user, domain, names, stale, this.clock.now(), cfg.identity.domains, dns),
        );
      },
      {
        concurrency: cfg.limits.ldapConcurrency,
        queue: cfg.limits.ldapQueue,
        negativeTtlMs: cfg.limits.negativeCacheTtlMs,
        limitHits: this.limitHits,
      },
      cfg.identity.domains,
      // Cached groups are loaded for users with a live entry; the others at their next logon.
      (user, domain) => table.ofUser(user).some((e) => cfg.identity.domains.same(e.domain, domain)),
    );
    this.groups = groups;
    const engine = new IdentityEngine(table, workstations, cfg.identity, groups, this.log);
    this.verifier = new Verifier(
      cfg.verify,
      table,
      (ip) =>
        writer.commit(
          () => table.delete(ip, 'verification-failed', this.clock.now()),
          (c) => (c ? [c] : []),
        ),
      this.log,
    );
    const onDemand = cfg.onDemand.networks.length
      ? new OnDemandResolver(cfg.onDemand, workstations, cfg.identity, groups, this.clock, this.log, {
          concurrency: cfg.limits.onDemandConcurrency,
          negativeTtlMs: cfg.limits.negativeCacheTtlMs,
          limitHits: this.limitHits,
        })
      : undefined;
    const ingestor = new Ingestor({
      table,
      agents,
      events,
      clock: this.clock,
      engine,
      deadEntryTimeoutMs: cfg.deadEntryTimeoutMs,
      log: this.log,
      writer,
      agentNetworks: cfg.agentNetworks,
    });
    const collectorId = readMeta(db, 'table_id') ?? randomUUID();
    const startedMs = this.clock.now();

    const server = createGrpcServer(cfg.limits, this.limitHits, this.log);
    const streams = new StreamCounter(cfg.limits);
    const quota = streamQuota(streams, this.limitHits, this.log);
    const callers = new ConnectionCallers();
    const proxyAuth = cfg.ntlm.enabled
      ? new ProxyAuth(
          cfg.ntlm,
          {
            writer,
            engine,
            table,
            names: cfg.identity.domains,
            clock: this.clock,
            directoryEnabled: groups.enabled,
            groupWaitMs: cfg.ntlm.groupWaitMs,
          },
          this.log,
          quota,
        )
      : undefined;
    this.proxyAuth = proxyAuth;
    // Health and reflection name only what is served: ProxyAuthService only with ntlm.enabled.
    this.served = Object.values(SERVICE_NAMES).filter((n) => n !== SERVICE_NAMES.proxyAuth || proxyAuth);
    addServices(
      server,
      {
        agent: {
          agents,
          ingestor,
          storage: new StorageHealth(cfg.database, this.log),
          registry: this.registry,
          clock: this.clock,
          collectorId,
          domains: cfg.identity.domains,
          log: this.log,
          limits: cfg.limits,
          quota,
          limitHits: this.limitHits,
          denied: this.denied,
        },
        identity: {
          table,
          hub: this.hub,
          onDemand,
          log: this.log,
          quota,
          limitHits: this.limitHits,
          budget: new SyncBudget(cfg.limits.maxSyncBufferBytes, cfg.limits.maxSyncBufferTotalBytes),
          load,
        },
        admin: {
          table,
          agents,
          ingestor,
          hub: this.hub,
          registry: this.registry,
          clock: this.clock,
          collectorId,
          database: cfg.database,
          startedMs,
          state: () => this.stateValue,
          denied: this.denied,
          limitHits: this.limitHits,
          streams,
          names: cfg.identity.domains,
          agentRetentionMs: cfg.agentRetentionMs,
          ntlm: proxyAuth ? () => proxyAuth.counters : undefined,
        },
        proxyAuth,
      },
      {
        connections: callers,
        insecure: cfg.insecure === true,
        pins: (cfg.tls?.pins ?? []).map(normaliseThumbprint),
        log: this.log,
        denied: this.denied,
      },
      load,
    );
    proxyAuth?.start();
    this.health = addHealthAndReflection(server, this.served, (call) => quota.acquire(call, 'watch'), 'NOT_SERVING');
    if (cfg.metrics) {
      const metrics = new CollectorMetrics({
        state: () => this.stateValue,
        entries: () => table.all(),
        revision: () => table.revision,
        syncSubscribers: () => this.hub.size,
        changesPublished: () => this.hub.published,
        agentsConnected: () => this.registry.size,
        openStreams: () => streams.size,
        ingest: () => ingestor.counters,
        authority: () => engine.counters,
        ldap: () => groups.counters,
        limitHits: () => this.limitHits,
        denied: () => this.denied.count,
        proxyAuth: proxyAuth ? () => proxyAuth.counters : undefined,
      });
      ingestor.onOutcomes = metrics.onOutcomes;
      groups.onLookup = metrics.onLookup;
      this.metrics = new MetricsEndpoint(metrics.registry, cfg.metrics, this.log);
      await this.metrics.start();
    }
    this.server = server;

    if (cfg.insecure) this.log.warn(PLAINTEXT_WARNING);
    for (const domain of plaintextDirectories(cfg.directories))
      this.log.warn(
        'directory insecure: true: the LDAP bind password crosses the network in clear; use ldaps:// or startTls outside a lab',
        { domain },
      );
    warnIfReadableByOthers([cfg.tls?.key, ...cfg.directories.map((d) => d.passwordFile)], this.log);
    // Our own listener in front of grpc-js: handshake deadline and caps before authentication.
    this.gate = new ConnectionGate(
      server,
      serverCredentials(cfg, 'tls', 5000, this.log),
      cfg.limits,
      !cfg.insecure,
      this.log,
      this.limitHits,
      callers,
    );
    this.boundPort = await this.gate.listen(cfg.listen);
    const deferred = !load.done();
    if (deferred) {
      this.health.setStatus(SERVICE_NAMES.identity, 'SERVING');
      this.logListening(table, true);
      await load.rest();
    }
    groups.start();
    this.verifier.start();
    this.sweepTimer = setInterval(() => this.sweep(ingestor, table, events, agents), cfg.sweepIntervalMs);
    this.sweepTimer.unref();
    this.sweep(ingestor, table, events, agents);
    this.stateValue = 'RUNNING';
    for (const s of ['', ...this.served]) this.health.setStatus(s, 'SERVING');
    if (!deferred) this.logListening(table, false);
  }

  /** With `loading`, only Lookup is answered until "identity table loaded". */
  private logListening(table: IdentityTable, loading: boolean): void {
    const cfg = this.config;
    const host = cfg.listen.replace(/:\d+$/, '');
    this.log.info('collector listening', {
      address: `${host}:${this.boundPort}`,
      port: this.boundPort,
      database: cfg.database,
      ...(loading ? { loading: true } : { logons: table.count() }),
      revision: table.revision,
      tls: !cfg.insecure,
    });
  }

  private gate: ConnectionGate | undefined;
  private metrics: MetricsEndpoint | undefined;
  private health: ReturnType<typeof addHealthAndReflection> | undefined;
  private groups: GroupService | undefined;
  private table: IdentityTable | undefined;
  private verifier: Verifier | undefined;
  private evidence: EvidenceWriter | undefined;
  private proxyAuth: ProxyAuth | undefined;
  private served: string[] = [];

  private sweep(ingestor: Ingestor, table: IdentityTable, events: EventLog, agents: AgentStore): void {
    try {
      const changes = ingestor.expire();
      if (changes.length) this.log.info('entries expired', { count: changes.length });
      table.pruneChanges(this.config.syncHistory);
      if (this.db) {
        this.evidence ??= new EvidenceWriter(this.db, table, () => this.stateValue === 'RUNNING', this.log);
        this.evidence.run();
      }
      events.prune(this.clock.now() - this.config.eventRetentionMs);
      table.history.prune(this.clock.now() - this.config.historyRetentionMs);
      const gone = agents.prune(
        this.clock.now() - this.config.agentRetentionMs,
        (id) => this.registry.get(id) !== undefined,
      );
      if (gone.length)
        this.log.info('agents removed after agentRetention without contact', {
          agents: gone.slice(0, 20),
          count: gone.length,
          retentionMs: this.config.agentRetentionMs,
        });
    } catch (err) {
      this.log.error('sweep failed', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  /**
   * The one shutdown path: stop taking calls, let open ones finish for a moment, cut the rest,
   * then checkpoint and close SQLite. Safe to call twice.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.stateValue = 'DRAINING';
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.groups?.stop();
    this.verifier?.stop();
    this.proxyAuth?.stop();
    for (const s of ['', ...this.served]) this.health?.setStatus(s, 'NOT_SERVING');
    this.registry.closeAll('collector shutting down');
    this.hub.shutdown();
    const server = this.server;
    this.gate?.close();
    if (server) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          this.gate?.destroyAll();
          resolve();
        }, DRAIN_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    }
    if (this.db?.open) {
      const t = this.table;
      try {
        if (t) this.db.transaction(() => t.persistEvidence())();
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch (err) {
        // A full disk must not keep us from closing: the WAL holds every committed batch.
        this.log.warn('could not checkpoint the database while stopping; the next start recovers from its WAL', {
          error: err instanceof Error ? err.message : String(err),
        });
      }
      this.db.close();
    }
    await this.metrics?.stop();
    this.stateValue = 'STOPPED';
    this.log.info('collector stopped');
  }
}
