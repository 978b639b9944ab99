/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many ran. Never edit a
 * migration that has shipped: add a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

  -- One row per DC agent: where its stream stands. acked_seq is the high-water mark that makes
  -- ingest idempotent: an event with seq <= acked_seq of the same spool is a duplicate.
  CREATE TABLE agents (
    agent_id TEXT PRIMARY KEY,
    spool_id TEXT NOT NULL DEFAULT '',
    acked_seq INTEGER NOT NULL DEFAULT 0,
    head_seq INTEGER NOT NULL DEFAULT 0,
    hostname TEXT NOT NULL DEFAULT '',
    domains TEXT NOT NULL DEFAULT '[]',
    version TEXT NOT NULL DEFAULT '',
    last_event_ms INTEGER NOT NULL DEFAULT 0,
    last_contact_ms INTEGER NOT NULL DEFAULT 0,
    events_accepted INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0
  );

  -- Every event received, for audit and for answering "what did the agents send".
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    agent_id TEXT NOT NULL,
    spool_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    user TEXT NOT NULL,
    domain TEXT NOT NULL,
    ip TEXT NOT NULL,
    workstation TEXT NOT NULL,
    mac TEXT NOT NULL,
    event_time_ms INTEGER NOT NULL,
    source TEXT NOT NULL,
    source_event_id TEXT NOT NULL,
    logon_type INTEGER NOT NULL,
    reporter TEXT NOT NULL,
    received_ms INTEGER NOT NULL
  );

  -- The table firewalls read: who is at each address.
  CREATE TABLE logons (
    ip TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    domain TEXT NOT NULL,
    workstation TEXT NOT NULL,
    groups TEXT NOT NULL DEFAULT '[]',
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    source TEXT NOT NULL,
    revision INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX logons_by_last_seen ON logons (last_seen_ms);
  CREATE INDEX logons_by_user ON logons (user);

  -- Every change of the table, by revision, so Sync can resume a firewall from where it was.
  CREATE TABLE changes (
    revision INTEGER PRIMARY KEY,
    op TEXT NOT NULL,
    ip TEXT NOT NULL,
    entry TEXT,
    reason TEXT NOT NULL,
    at_ms INTEGER NOT NULL
  );
  `,
  `
  -- Identity engine: shared addresses, stale groups, the evidence chain, per-workstation tracking,
  -- and the history of who had each address.
  ALTER TABLE logons ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE logons ADD COLUMN groups_stale INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE logons ADD COLUMN evidence TEXT NOT NULL DEFAULT '[]';
  -- Newest evidence of the user themself (not of their machine) at this address.
  ALTER TABLE logons ADD COLUMN user_seen_ms INTEGER NOT NULL DEFAULT 0;

  CREATE TABLE workstations (
    name TEXT PRIMARY KEY,
    user TEXT NOT NULL DEFAULT '',
    domain TEXT NOT NULL DEFAULT '',
    user_seen_ms INTEGER NOT NULL DEFAULT 0,
    ip TEXT NOT NULL DEFAULT '',
    mac TEXT NOT NULL DEFAULT '',
    ip_seen_ms INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  CREATE INDEX workstations_by_ip ON workstations (ip);

  CREATE TABLE history (
    id INTEGER PRIMARY KEY,
    ip TEXT NOT NULL,
    user TEXT NOT NULL,
    domain TEXT NOT NULL,
    workstation TEXT NOT NULL,
    shared INTEGER NOT NULL DEFAULT 0,
    from_ms INTEGER NOT NULL,
    to_ms INTEGER,
    ended_by TEXT
  );
  CREATE INDEX history_by_ip ON history (ip, from_ms);
  CREATE INDEX history_open ON history (ip) WHERE to_ms IS NULL;

  -- Last known groups per account, so a directory outage never drops anyone's access.
  CREATE TABLE group_cache (
    account TEXT PRIMARY KEY,
    groups TEXT NOT NULL,
    fetched_ms INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  -- The collector reads the table from memory; these indexes only slowed every write down.
  DROP INDEX logons_by_last_seen;
  DROP INDEX logons_by_user;
  `,
  `
  -- Authority (issue 8): an address one domain's agent claims while another domain's user holds it is
  -- "contested"; shared and contested entries keep who claimed them (claims, JSON).
  ALTER TABLE logons ADD COLUMN contested INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE logons ADD COLUMN claims TEXT NOT NULL DEFAULT '[]';

  -- Machines are keyed by domain and name: WKS1 of SALES is not WKS1 of CORP. Old rows take the
  -- domain of their last user, the best guess there is.
  CREATE TABLE machines (
    realm TEXT NOT NULL,
    name TEXT NOT NULL,
    user TEXT NOT NULL DEFAULT '',
    domain TEXT NOT NULL DEFAULT '',
    user_seen_ms INTEGER NOT NULL DEFAULT 0,
    ip TEXT NOT NULL DEFAULT '',
    mac TEXT NOT NULL DEFAULT '',
    ip_seen_ms INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (realm, name)
  ) WITHOUT ROWID;
  INSERT INTO machines (realm, name, user, domain, user_seen_ms, ip, mac, ip_seen_ms)
    SELECT domain, name, user, domain, user_seen_ms, ip, mac, ip_seen_ms FROM workstations;
  DROP TABLE workstations;
  CREATE INDEX machines_by_ip ON machines (ip);
  CREATE INDEX machines_by_name ON machines (name);
  `,
  `
  -- DHCP leases per machine interface (MAC): a docked laptop with Wi-Fi still on holds two addresses,
  -- and both belong to its user while both leases live.
  CREATE TABLE machine_leases (
    realm TEXT NOT NULL,
    name TEXT NOT NULL,
    mac TEXT NOT NULL,
    ip TEXT NOT NULL,
    seen_ms INTEGER NOT NULL,
    PRIMARY KEY (realm, name, mac)
  ) WITHOUT ROWID;
  `,
  `
  -- fssoctl user NAME: where one user was, without reading the whole history.
  CREATE INDEX history_by_user ON history (user, from_ms);
  `,
  `
  -- The event log as one row per batch: an INSERT per event was a B-tree insert per event, the
  -- largest per-event cost of ingest after the table itself (bench/README.md, "ingest"). A batch's
  -- events are a JSON array of rows [seq, kind, user, domain, ip, workstation, mac, event_time_ms,
  -- source, source_event_id, logon_type, reporter]; the view events reads them back with the
  -- columns the table had, so queries of the old table keep working.
  CREATE TABLE event_batches (
    id INTEGER PRIMARY KEY,
    agent_id TEXT NOT NULL,
    spool_id TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    n INTEGER NOT NULL,
    rows TEXT NOT NULL
  );
  INSERT INTO event_batches (agent_id, spool_id, received_ms, n, rows)
    SELECT agent_id, spool_id, received_ms, 1,
      json_array(json_array(seq, kind, user, domain, ip, workstation, mac, event_time_ms, source, source_event_id,
        logon_type, reporter))
    FROM events ORDER BY id;
  DROP TABLE events;
  CREATE VIEW events (batch_id, agent_id, spool_id, seq, kind, user, domain, ip, workstation, mac, event_time_ms, source,
      source_event_id, logon_type, reporter, received_ms) AS
    SELECT b.id, b.agent_id, b.spool_id, e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4,
      e.value ->> 5, e.value ->> 6, e.value ->> 7, e.value ->> 8, e.value ->> 9, e.value ->> 10, e.value ->> 11,
      b.received_ms
    FROM event_batches b, json_each(b.rows) e;
  `,
  `
  -- The change log derived from logons (each row keeps the revision of its last change): only
  -- deletes keep a row in changes, as tombstones. A resume from revision R is the entries with a
  -- newer revision plus the tombstones after R; change_floor is the oldest R that can resume (the
  -- rows before it were pruned), which was MIN(revision) - 1 of the change rows.
  INSERT OR REPLACE INTO meta (key, value) VALUES ('change_floor', CAST(COALESCE(
    (SELECT MIN(revision) - 1 FROM changes),
    (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'revision'),
    0) AS TEXT));
  -- A change row newer than meta (committed by a caller's own transaction) must not be reused.
  UPDATE meta SET value = CAST(MAX(CAST(value AS INTEGER), COALESCE((SELECT MAX(revision) FROM changes), 0)) AS TEXT)
    WHERE key = 'revision';
  DELETE FROM changes WHERE op = 'UPSERT';
  `,
  `
  -- History without a row per new address: the current holding (since when, at which workstation)
  -- is kept in the logons row the upsert writes anyway, and history gets its row, closed, when the
  -- holding ends. An open history row per new address (with three indexes) cost as much as the
  -- logons row itself (bench/README.md, "ingest"). Open rows move into logons; history_open
  -- served only the close of an open row.
  ALTER TABLE logons ADD COLUMN held_from_ms INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE logons ADD COLUMN held_workstation TEXT NOT NULL DEFAULT '';
  UPDATE logons SET held_from_ms = first_seen_ms, held_workstation = workstation;
  UPDATE logons SET held_from_ms = h.from_ms, held_workstation = h.workstation
    FROM (SELECT ip, MAX(from_ms) AS from_ms, workstation FROM history WHERE to_ms IS NULL GROUP BY ip) AS h
    WHERE h.ip = logons.ip;
  DELETE FROM history WHERE to_ms IS NULL AND ip IN (SELECT ip FROM logons);
  DROP INDEX history_open;
  `,
  `
  -- The event log's rows without their repeated values: a batch's events mostly share their kind,
  -- domain, time, source, event id and reporter, and writing them per event was most of the log's
  -- bytes and its JSON work (bench/README.md, "ingest, fourth round"). defaults is one full event
  -- row of the batch; in rows a null (or a missing trailing value) means the defaults' value there.
  -- No event field is ever null, and old batches have no defaults, so they read as before.
  ALTER TABLE event_batches ADD COLUMN defaults TEXT;
  DROP VIEW events;
  CREATE VIEW events (batch_id, agent_id, spool_id, seq, kind, user, domain, ip, workstation, mac, event_time_ms, source,
      source_event_id, logon_type, reporter, received_ms) AS
    SELECT b.id, b.agent_id, b.spool_id, COALESCE(e.value ->> 0, b.defaults ->> 0),
      COALESCE(e.value ->> 1, b.defaults ->> 1), COALESCE(e.value ->> 2, b.defaults ->> 2),
      COALESCE(e.value ->> 3, b.defaults ->> 3), COALESCE(e.value ->> 4, b.defaults ->> 4),
      COALESCE(e.value ->> 5, b.defaults ->> 5), COALESCE(e.value ->> 6, b.defaults ->> 6),
      COALESCE(e.value ->> 7, b.defaults ->> 7), COALESCE(e.value ->> 8, b.defaults ->> 8),
      COALESCE(e.value ->> 9, b.defaults ->> 9), COALESCE(e.value ->> 10, b.defaults ->> 10),
      COALESCE(e.value ->> 11, b.defaults ->> 11), b.received_ms
    FROM event_batches b, json_each(b.rows) e;
  `,
];
