-- vmtrace trace.db schema, version 1.  docs/schema.md explains every table
-- with example queries.  Every decoded fact carries the sequence number
-- (seq) of the event it came from; seq orders everything.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT
) WITHOUT ROWID;

-- One row per device (register window) seen in the trace.
CREATE TABLE devices (
  device              INTEGER PRIMARY KEY,   -- small id used by the other tables
  base                INTEGER NOT NULL UNIQUE,
  name                TEXT NOT NULL,         -- 'virtio-blk@0x10000000'
  device_id           INTEGER,               -- DeviceID as read (NULL: never read)
  type                TEXT,                  -- spec device type name ('block')
  version             INTEGER,               -- 1 legacy, 2 modern
  vendor_id           INTEGER,
  status              INTEGER,               -- Status as last written
  features_offered    INTEGER,               -- both DeviceFeatures words as read
  features_accepted   INTEGER,               -- DriverFeatures as written
  features_negotiated INTEGER,               -- accepted at FEATURES_OK (legacy: DRIVER_OK)
  first_seq           INTEGER,
  last_seq            INTEGER,
  events              INTEGER NOT NULL DEFAULT 0,
  config              BLOB                   -- config space bytes as last read or written
);

-- Every event, in order.  MMIO accesses carry device/offset/width/dir/value;
-- other types use value as described in docs/schema.md.
CREATE TABLE events (
  seq     INTEGER PRIMARY KEY,
  ts_ns   INTEGER NOT NULL,
  type    TEXT NOT NULL,      -- mmio, mem, irq, marker, lost, device, violation, queue
  device  INTEGER,            -- devices.device, NULL if none
  offset  INTEGER,            -- register offset (mmio)
  reg     TEXT,               -- register name (mmio)
  dir     TEXT,               -- 'R' or 'W' (mmio)
  width   INTEGER,
  value   INTEGER,            -- queue: the step (1 pop .. 5 blk-write, 6 scsi-cmd, 7 scsi-xfer, 8 scsi-lba; device_steps.step)
  vcpu    INTEGER,
  addr    INTEGER,            -- guest-physical address (mem); queue index (queue)
  len     INTEGER,            -- payload bytes (mem, marker)
  text    TEXT                -- marker text, violation message from the source
);

-- Guest memory payloads (driver stores, device stores, snapshots).
CREATE TABLE memory (
  seq    INTEGER PRIMARY KEY REFERENCES events(seq),
  gpa    INTEGER NOT NULL,
  kind   TEXT NOT NULL,       -- driver-write, device-write, snapshot
  exact  INTEGER NOT NULL,    -- 0: best-effort snapshot that raced the guest
  data   BLOB NOT NULL
);

-- Register state over time: one row per change of a register's value.
-- The value of (device, reg, queue) at seq S is the row with the largest
-- seq <= S.  queue is -1 for registers that are not per queue.
CREATE TABLE reg_changes (
  device INTEGER NOT NULL,
  reg    TEXT NOT NULL,
  queue  INTEGER NOT NULL,
  seq    INTEGER NOT NULL,
  value  INTEGER NOT NULL
);

-- Device status transitions.
CREATE TABLE status_changes (
  seq     INTEGER PRIMARY KEY,
  device  INTEGER NOT NULL,
  old     INTEGER NOT NULL,
  new     INTEGER NOT NULL,
  kind    TEXT NOT NULL,      -- set, reset, needs-reset, failed, refused
  names   TEXT NOT NULL       -- 'ACKNOWLEDGE|DRIVER'
);

-- Feature negotiation steps: offered words read, accepted words written,
-- the negotiated set when the driver committed it.
CREATE TABLE features (
  seq     INTEGER NOT NULL,
  device  INTEGER NOT NULL,
  kind    TEXT NOT NULL,      -- offered, accepted, negotiated
  word    INTEGER,            -- 0 or 1 (NULL for negotiated)
  value   INTEGER NOT NULL,   -- 32-bit word, or the 64-bit set
  names   TEXT NOT NULL
);

-- Queue set-up, one row per queue generation: a device reset, a queue
-- reset or a new set-up after QueueReady 0 starts a new generation.
CREATE TABLE queues (
  device      INTEGER NOT NULL,
  queue       INTEGER NOT NULL,
  generation  INTEGER NOT NULL,
  seq_setup   INTEGER NOT NULL,    -- first set-up access of this generation
  seq_ready   INTEGER,             -- QueueReady 1 / QueuePFN written
  seq_end     INTEGER,             -- reset, QueueReady 0 or QueuePFN 0
  size        INTEGER,
  num_max     INTEGER,
  desc_addr   INTEGER,
  driver_addr INTEGER,
  device_addr INTEGER,
  legacy_pfn  INTEGER,
  page_size   INTEGER,
  align       INTEGER,
  end_reason  TEXT,
  PRIMARY KEY (device, queue, generation)
) WITHOUT ROWID;

-- Descriptor chains the driver made available, decoded from memory.
CREATE TABLE chains (
  chain       INTEGER PRIMARY KEY,
  device      INTEGER NOT NULL,
  queue       INTEGER NOT NULL,
  generation  INTEGER NOT NULL,
  avail_idx   INTEGER NOT NULL,    -- position in the available ring
  head        INTEGER NOT NULL,
  seq_avail   INTEGER NOT NULL,    -- event that made it visible (notify or memory store)
  n_desc      INTEGER NOT NULL,
  indirect    INTEGER NOT NULL,
  readable    INTEGER NOT NULL,    -- bytes the device may read
  writable    INTEGER NOT NULL,    -- bytes the device may write
  memory      TEXT NOT NULL        -- exact, best-effort, partial, missing, torn
);

CREATE TABLE descriptors (
  chain     INTEGER NOT NULL,
  pos       INTEGER NOT NULL,      -- position in the chain
  idx       INTEGER NOT NULL,      -- descriptor index in its table
  addr      INTEGER NOT NULL,
  len       INTEGER NOT NULL,
  flags     INTEGER NOT NULL,
  next      INTEGER NOT NULL,
  in_indirect INTEGER NOT NULL,
  PRIMARY KEY (chain, pos)
) WITHOUT ROWID;

-- Used ring entries the device published.
CREATE TABLE used (
  seq         INTEGER NOT NULL,
  device      INTEGER NOT NULL,
  queue       INTEGER NOT NULL,
  generation  INTEGER NOT NULL,
  used_idx    INTEGER NOT NULL,
  id          INTEGER NOT NULL,
  len         INTEGER NOT NULL,
  chain       INTEGER               -- chains.chain completed, NULL if unknown
);

-- Requests decoded from chains, per device type, with latency.
CREATE TABLE requests (
  request     INTEGER PRIMARY KEY,
  device      INTEGER NOT NULL,
  queue       INTEGER NOT NULL,
  chain       INTEGER,
  kind        TEXT NOT NULL,       -- blk, net-tx, net-rx, console-tx, console-rx, rng
  op          TEXT,                -- blk: in, out, flush, get-id, ...
  sector      INTEGER,             -- blk
  length      INTEGER,             -- data bytes
  status      INTEGER,             -- blk status byte; NULL if not seen
  digest      TEXT,                -- FNV-1a 64 of the data, hex
  seq_notify  INTEGER,             -- QueueNotify that announced it
  seq_used    INTEGER,             -- used ring entry that completed it
  seq_irq     INTEGER,             -- interrupt that followed
  ts_notify   INTEGER,
  ts_used     INTEGER,
  ts_irq      INTEGER,
  data        BLOB                 -- payload (capped; net frame, console bytes)
);

CREATE TABLE net_frames (
  request     INTEGER PRIMARY KEY REFERENCES requests(request),
  hdr_flags   INTEGER, gso_type INTEGER, hdr_len INTEGER, gso_size INTEGER,
  csum_start  INTEGER, csum_offset INTEGER, num_buffers INTEGER,
  frame_len   INTEGER NOT NULL,
  ethertype   INTEGER,
  dst_mac     TEXT,
  src_mac     TEXT
);

-- Interrupts: line raised (source irq events), InterruptStatus reads, ACKs.
CREATE TABLE interrupts (
  seq     INTEGER NOT NULL,
  device  INTEGER NOT NULL,
  kind    TEXT NOT NULL,    -- raised, status-read, ack, config-change
  value   INTEGER NOT NULL
);

-- One row per broken rule.
CREATE TABLE violations (
  seq       INTEGER NOT NULL,
  device    INTEGER,
  rule      TEXT NOT NULL,    -- stable key, e.g. 'status-order'
  section   TEXT NOT NULL,    -- spec section the rule comes from
  severity  TEXT NOT NULL,    -- error, warning, info
  actor     TEXT NOT NULL,    -- driver, device
  message   TEXT NOT NULL
);

-- Findings in best-effort memory (snapshots that raced a running guest):
-- what would have been a violation had the bytes been exact.
CREATE TABLE anomalies (
  seq      INTEGER NOT NULL,
  device   INTEGER,
  queue    INTEGER,
  rule     TEXT NOT NULL,    -- the rule the bytes seemed to break
  message  TEXT NOT NULL
);

-- What the device itself reported doing with a queue (events of type
-- 'queue', from QEMU's virtio trace events), checked against the ring
-- copies.  One row per such event; columns a step does not have are NULL.
CREATE TABLE device_steps (
  seq      INTEGER PRIMARY KEY REFERENCES events(seq),
  device   INTEGER,             -- devices.device, NULL if the report named no known device
  queue    INTEGER NOT NULL,    -- queue index as reported
  step     TEXT NOT NULL,       -- pop, fill, flush, blk-read, blk-write, scsi-cmd, scsi-xfer, scsi-lba
  token    INTEGER,             -- the device's handle on one element (links its pop, blk/scsi steps and fill); NULL for flush
  in_num   INTEGER,             -- pop: device-writable buffers the device mapped
  out_num  INTEGER,             -- pop: device-readable buffers
  len      INTEGER,             -- fill: bytes the device wrote
  used_pos INTEGER,             -- fill: position after the used idx
  count    INTEGER,             -- flush: entries published
  sector   INTEGER,             -- blk-read, blk-write: first sector (512 bytes); scsi-cmd: the CDB's
                                -- opcode; scsi-xfer: transfer length (bytes); scsi-lba: the LBA
  sectors  INTEGER,             -- blk-read, blk-write: sectors; scsi-cmd: the LUN; scsi-xfer: direction
                                -- (0 none, 1 from the device, 2 to it); scsi-lba: 0
  chain    INTEGER,             -- chains.chain the element was matched with, NULL if none
  verdict  TEXT                 -- pop, blk-*, scsi-*: agrees, torn, no-copy; NULL if not checked
);

-- Events the source dropped.
CREATE TABLE lost (
  seq    INTEGER PRIMARY KEY,
  count  INTEGER NOT NULL
);

CREATE VIEW device_summary AS
  SELECT d.device, printf('0x%x', d.base) AS base, d.name, d.type, d.version,
         d.status, printf('0x%x', d.features_negotiated) AS negotiated, d.events,
         (SELECT count(*) FROM requests r WHERE r.device = d.device) AS requests,
         (SELECT count(*) FROM violations v WHERE v.device = d.device) AS violations
  FROM devices d;

CREATE VIEW request_latency AS
  SELECT r.request, d.name AS device, r.queue, r.kind, r.op, r.sector, r.length, r.status,
         r.seq_notify, r.seq_used, r.seq_irq,
         r.ts_used - r.ts_notify AS notify_to_used_ns,
         r.ts_irq - r.ts_used AS used_to_irq_ns
  FROM requests r JOIN devices d USING (device);

CREATE VIEW violations_in_order AS
  SELECT v.seq, d.name AS device, v.severity, v.rule, v.message, v.section
  FROM violations v LEFT JOIN devices d USING (device)
  ORDER BY v.seq;

-- @indexes: created when decoding ends (one sort instead of a b-tree update per row).
-- events_device leaves out the rows without a device (guest-memory events,
-- most of a trace); a query with "device = ?" still uses it.
CREATE INDEX events_device ON events(device, seq) WHERE device IS NOT NULL;
CREATE INDEX reg_changes_at ON reg_changes(device, reg, queue, seq);
CREATE INDEX chains_queue ON chains(device, queue, generation, avail_idx);
CREATE INDEX requests_device ON requests(device, request);
CREATE INDEX interrupts_seq ON interrupts(seq);
CREATE INDEX used_chain ON used(chain);
CREATE INDEX violations_seq ON violations(seq);
CREATE INDEX anomalies_seq ON anomalies(seq);
-- The slowest and the largest requests (the inspector's sorted request
-- list: ORDER BY ... DESC LIMIT) without reading every row; the WHERE
-- keeps a row whose columns are not integers (a hostile file) out.
CREATE INDEX requests_latency ON requests(ts_used - ts_notify)
  WHERE typeof(ts_used) = 'integer' AND typeof(ts_notify) = 'integer';
CREATE INDEX requests_length ON requests(length) WHERE typeof(length) = 'integer';
-- A device's state at a seq (tracedb/tdb_state.c) by lookups bounded by
-- its registers, not its history: the latest feature word of each kind,
-- and the config accesses without the device's other events (a query
-- names the same three terms to use the partial index).
CREATE INDEX features_at ON features(device, kind, word, seq);
CREATE INDEX events_config ON events(device, seq) WHERE type = 'mmio' AND offset >= 256 AND offset < 512;
-- Requests notified in a seq range (the buffers a window of events names).
CREATE INDEX requests_notify ON requests(seq_notify);
-- What an event belongs to (tracedb tdb_event_links: the detail pane and
-- every "who set this?" of the inspector): the chains it made available,
-- the used entries it published, the requests it completed or
-- interrupted, each one lookup.
CREATE INDEX chains_avail ON chains(seq_avail);
CREATE INDEX used_seq ON used(seq);
CREATE INDEX requests_chain ON requests(chain);
CREATE INDEX requests_used ON requests(seq_used);
CREATE INDEX requests_irq ON requests(seq_irq);
-- Each queue's generation in force at a seq (the state pane): one seek per
-- queue, however many times the device was reset.
CREATE INDEX queues_at ON queues(device, queue, seq_setup);
-- The chains a queue generation made available last before a seq (the
-- buffers still in flight there: a part of a trace names memory as the
-- whole trace does).
CREATE INDEX chains_inflight ON chains(device, queue, generation, seq_avail);
