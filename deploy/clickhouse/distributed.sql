-- The central ledger over several shards (deploy/clickhouse/README.md, "Sharding"). Run this file
-- on EVERY node of the cluster `bucketwatch` (config: deploy/clickhouse/cluster.xml), instead of
-- schema.sql. Written for ClickHouse 18.16 and later.
--
--   bucketwatch.ledger_local  the rows a node holds: the columns, engine, partitions and sorting
--                             key of schema.sql's bucketwatch.ledger, unchanged
--   bucketwatch.ledger        a Distributed table over every node's ledger_local
--
-- The Distributed table has the name schema.sql gives the single-node table, so writers
-- (`ledger-import`, the sink) and readers (`report --source`, `correlate`) use the same URL
-- whether there is one node or many; any node can take inserts and queries.
--
-- Sharding key: cityHash64(line_sha256). Deduplication needs every copy of a row on one shard,
-- since FINAL on a Distributed table runs on each shard apart; the row's own hash puts copies
-- together because a copy has the same hash. The other choice that keeps copies together is the
-- bucket, cityHash64(provider, account, bucket): it would put each bucket's GROUP BY on one node,
-- but the report does not need that (its per-bucket aggregates are merged from every shard's
-- partial states on the node that was asked, and its LIMIT n BY bucket lists are cut again
-- there), and storage traffic is skewed: one backup or data-lake bucket often carries most of
-- the rows, and by bucket it would fill one shard and leave the report of that bucket to one
-- node's CPU. By line hash every shard holds an even share of every bucket and every query uses
-- all of them.
--
-- 18.16: inserts into a Distributed table are queued on the receiving node and forwarded in the
-- background; set insert_distributed_sync=1 in the writer's profile to have an INSERT return
-- only when every shard has its rows (tests wait for the shards' counts instead). FINAL given on
-- the Distributed table is passed to every shard's query.

CREATE DATABASE IF NOT EXISTS bucketwatch;

-- Same columns as schema.sql (tests/clickhouse/report_distributed_test.py compares them).
CREATE TABLE IF NOT EXISTS bucketwatch.ledger_local (
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

CREATE TABLE IF NOT EXISTS bucketwatch.ledger AS bucketwatch.ledger_local
ENGINE = Distributed(bucketwatch, bucketwatch, ledger_local, cityHash64(line_sha256));
