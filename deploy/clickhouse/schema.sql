-- The central ledger: one row per storage request, from every sensor (the ClickHouse ledger sink
-- or `bucketwatch ledger-import`). Written for ClickHouse 18.16 (Debian 12) and later.
--
-- Row format: the sink sends `INSERT INTO bucketwatch.ledger (date, ...) FORMAT TabSeparated`,
-- naming every column (sensor/clickhouse/ledger_row.h); an older sensor's queued batches arrive as
-- JSONEachRow with every column present (18.16 applies no DEFAULT to omitted fields).
-- A row is the ledger line flattened: the same values, no new ones.
--
-- Idempotence: a batch is sent again after a timeout or a restart (at-least-once), so the same
-- row may arrive twice. ReplacingMergeTree keeps one row per sorting key, and the sorting key ends
-- in line_sha256, so duplicates collapse when parts merge; queries that must be exact read with
-- FINAL (the report and `correlate` do).
--
-- Retention: 18.16 has no table TTL. Partitions are days; drop the old ones on a schedule, e.g.
--   ALTER TABLE bucketwatch.ledger DROP PARTITION '2026-01-01'
-- (`deploy/clickhouse/README.md` has a cron line that keeps 400 days).

CREATE DATABASE IF NOT EXISTS bucketwatch;

CREATE TABLE IF NOT EXISTS bucketwatch.ledger (
    date                     Date,              -- UTC day of `time`: the partition
    time                     DateTime('UTC'),   -- @timestamp, whole seconds
    ts_ns                    UInt64,            -- @timestamp, ns since the epoch (no DateTime64 in 18.16)
    duration_ns              UInt64,            -- event.duration
    observer_name            String,            -- observer.name: sensor.name of the sensor that saw it
    observer_hostname        String,            -- observer.hostname
    source_ip                String,            -- source.ip (the client)
    source_port              UInt16,
    destination_ip           String,            -- destination.ip (the server)
    destination_port         UInt16,
    community_id             String,            -- network.community_id
    http_method              String,
    http_request_bytes       UInt64,
    http_status              UInt16,            -- http.response.status_code, 0: no response seen
    http_response_bytes      UInt64,            -- the response message on the wire
    http_response_body_bytes UInt64,            -- the object bytes it carried
    has_body_bytes           UInt8,             -- 0: from a ledger older than http.response.body.bytes
    url_domain               String,
    url_path                 String,
    url_query                String,            -- credentials already REDACTED by the sensor
    user_agent               String,
    tls_decrypted            UInt8,
    tls_version              String,            -- "1.2", "1.3" when decrypted
    tls_cipher               String,
    tls_server_name          String,            -- tls.client.server_name
    provider                 String,            -- s3, s3_compatible, azure_blob, gcs
    account                  String,
    bucket                   String,
    object_key               String,            -- storage.key
    operation                String,
    auth_class               String,            -- anonymous, signed, presigned, bearer, unknown
    auth_scheme              String,
    access_key_id            String,            -- never a secret or a signature
    outcome                  String,            -- success, denied, not_found, error, no_response
    error_code               String,
    range_request            UInt8,             -- storage.range
    list_keys                Int64,             -- storage.list.keys, -1: not a listing
    list_truncated           UInt8,
    sample_keys              Array(String),     -- storage.list.sample_keys
    missing_bytes            UInt8,             -- storage.missing_bytes
    line_sha256              FixedString(64)    -- hex SHA-256 of the ledger line without its chain field
) ENGINE = ReplacingMergeTree()
PARTITION BY date
ORDER BY (provider, account, bucket, ts_ns, line_sha256);
