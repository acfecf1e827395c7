#pragma once
// The durable ledger's settings: when the active file is rotated, whether
// rotated files are compressed, and whether every line carries the SHA-256 of
// the line before it. Every limit is finite and range-checked; there is no "0 =
// never rotate".

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

#include "dissectors/common/timestamp.h"

namespace bw::config {

// The ClickHouse ledger sink (issue 20): every ledger line also goes, as a row, to the central
// ledger table, batched, through an on-disk queue (at-least-once). Off while `url` is empty. The
// password is never in the configuration text: it is read from `password_file` or the
// environment variable `password_env` when the sink starts.
struct ClickHouseSinkConfig {
  // clickhouse://[user@]host[:port][/database] (HTTP) or clickhouses://... (HTTPS).
  std::string url;
  std::string table = "ledger";  // in the URL's database, or "db.table"
  std::string password_file;     // first line: the password
  std::string password_env;      // name of an environment variable holding it
  std::string ca_file;           // clickhouses://: CA bundle; empty: the system's
  // A batch is sent at this many rows, this many bytes, or this long after its first row.
  uint64_t batch_rows = 10000;
  uint64_t batch_max_bytes = 16ull << 20;
  uint64_t batch_interval_ms = 1000;
  // Batches are written here (fsync'd) before they are sent and removed after a 2xx; a restart
  // sends what is left. At queue_max_bytes new rows are dropped and counted.
  std::string queue_dir = "/var/lib/bucketwatch/clickhouse";
  uint64_t queue_max_bytes = 1ull << 30;
  // Each INSERT (connect, request, reply) must end in time; failures retry with backoff from
  // initial_backoff_ms doubling to max_backoff_ms.
  uint64_t timeout_ms = 10000;
  uint64_t initial_backoff_ms = 500;
  uint64_t max_backoff_ms = 30000;
  // At the end of a run the queue gets this long to drain; the rest stays for the next start.
  uint64_t drain_timeout_ms = 5000;
};

struct LedgerConfig {
  // Rotate before a line would take the active file past this size.
  uint64_t rotate_bytes = 1ull << 30;  // 1 GiB
  // Rotate when the active file has been open this long (wall clock).
  TimestampNs rotate_interval = 86400 * kNsPerSecond;  // one day
  // "gzip" compresses rotated files in the background; "none" leaves them as
  // written.
  std::string compression = "gzip";
  // Each line gets "log": {"prev_sha256": "<hex>"}; `bucketwatch report
  // --verify` checks it.
  bool hash_chain = true;
  ClickHouseSinkConfig clickhouse;
};

// Reads the `ledger` mapping at `path` strictly (unknown keys and out-of-range
// values throw yaml::ConfigError with the key path). Keys absent from `node`
// keep `out`'s values.
void ReadLedgerConfig(const YAML::Node& node, const std::string& path, LedgerConfig& out);

// Writes the section's keys (not the `ledger:` key itself) into an open YAML
// map.
void DumpLedgerConfig(YAML::Emitter& emitter, const LedgerConfig& config);

}  // namespace bw::config
