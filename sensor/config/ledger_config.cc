#include "sensor/config/ledger_config.h"

#include "sensor/config/yaml_reader.h"

namespace bw::config {

namespace {
constexpr uint64_t kMinRotateBytes = 1ull << 20;  // 1 MiB: smaller files only add overhead
constexpr uint64_t kMaxRotateBytes = 1ull << 40;  // 1 TiB
constexpr uint64_t kMinRotateSeconds = 60;
constexpr uint64_t kMaxRotateSeconds = 366ull * 86400;

void ReadClickHouse(const YAML::Node& node, const std::string& path, ClickHouseSinkConfig& out) {
  yaml::MapReader r(node, path);
  r.String("url", out.url);
  if (!out.url.empty() && out.url.rfind("clickhouse://", 0) != 0 &&
      out.url.rfind("clickhouses://", 0) != 0) {
    yaml::Fail(r.ChildPath("url"),
               "expected clickhouse://host[:port][/database] or "
               "clickhouses://..., got \"" +
                   out.url + "\"");
  }
  r.String("table", out.table);
  const bool table_ok =
      !out.table.empty() && out.table.size() <= 128 && out.table.front() != '.' &&
      out.table.back() != '.' &&
      out.table.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") == std::string::npos;
  if (!table_ok) yaml::Fail(r.ChildPath("table"), "expected NAME or DB.NAME ([A-Za-z0-9_])");
  r.String("password_file", out.password_file);
  r.String("password_env", out.password_env);
  r.String("ca_file", out.ca_file);
  r.Uint("batch_rows", out.batch_rows, 1, 1000000);
  r.Uint("batch_max_bytes", out.batch_max_bytes, 4096, 256ull << 20);
  r.Uint("batch_interval_ms", out.batch_interval_ms, 10, 600000);
  r.String("queue_dir", out.queue_dir);
  if (!out.url.empty() && out.queue_dir.empty()) {
    yaml::Fail(r.ChildPath("queue_dir"), "required when url is set");
  }
  r.Uint("queue_max_bytes", out.queue_max_bytes, 4096, 1ull << 40);
  r.Uint("timeout_ms", out.timeout_ms, 100, 600000);
  r.Uint("initial_backoff_ms", out.initial_backoff_ms, 10, 600000);
  r.Uint("max_backoff_ms", out.max_backoff_ms, 10, 3600000);
  if (out.max_backoff_ms < out.initial_backoff_ms) {
    yaml::Fail(r.ChildPath("max_backoff_ms"), "must not be below initial_backoff_ms");
  }
  r.Uint("drain_timeout_ms", out.drain_timeout_ms, 0, 600000);
}

void DumpClickHouse(YAML::Emitter& e, const ClickHouseSinkConfig& c) {
  e << YAML::Key << "url" << YAML::Value << YAML::DoubleQuoted << c.url;
  e << YAML::Key << "table" << YAML::Value << c.table;
  e << YAML::Key << "password_file" << YAML::Value << YAML::DoubleQuoted << c.password_file;
  e << YAML::Key << "password_env" << YAML::Value << YAML::DoubleQuoted << c.password_env;
  e << YAML::Key << "ca_file" << YAML::Value << YAML::DoubleQuoted << c.ca_file;
  e << YAML::Key << "batch_rows" << YAML::Value << c.batch_rows;
  e << YAML::Key << "batch_max_bytes" << YAML::Value << c.batch_max_bytes;
  e << YAML::Key << "batch_interval_ms" << YAML::Value << c.batch_interval_ms;
  e << YAML::Key << "queue_dir" << YAML::Value << c.queue_dir;
  e << YAML::Key << "queue_max_bytes" << YAML::Value << c.queue_max_bytes;
  e << YAML::Key << "timeout_ms" << YAML::Value << c.timeout_ms;
  e << YAML::Key << "initial_backoff_ms" << YAML::Value << c.initial_backoff_ms;
  e << YAML::Key << "max_backoff_ms" << YAML::Value << c.max_backoff_ms;
  e << YAML::Key << "drain_timeout_ms" << YAML::Value << c.drain_timeout_ms;
}
}  // namespace

void ReadLedgerConfig(const YAML::Node& node, const std::string& path, LedgerConfig& out) {
  yaml::MapReader r(node, path);
  r.Uint("rotate_bytes", out.rotate_bytes, kMinRotateBytes, kMaxRotateBytes);
  r.Seconds("rotate_seconds", out.rotate_interval, kMinRotateSeconds, kMaxRotateSeconds);
  r.Choice("compression", out.compression, {"gzip", "none"});
  r.Bool("hash_chain", out.hash_chain);
  // Absent or empty: no sink, defaults kept (a reader over no mapping would blank every string).
  if (YAML::Node ch = r.Child("clickhouse"); ch && !ch.IsNull()) {
    ReadClickHouse(ch, r.ChildPath("clickhouse"), out.clickhouse);
  }
}

void DumpLedgerConfig(YAML::Emitter& e, const LedgerConfig& c) {
  e << YAML::Key << "rotate_bytes" << YAML::Value << c.rotate_bytes;
  e << YAML::Key << "rotate_seconds" << YAML::Value
    << static_cast<uint64_t>(c.rotate_interval / kNsPerSecond);
  e << YAML::Key << "compression" << YAML::Value << c.compression;
  e << YAML::Key << "hash_chain" << YAML::Value << c.hash_chain;
  e << YAML::Key << "clickhouse" << YAML::Value << YAML::BeginMap;
  DumpClickHouse(e, c.clickhouse);
  e << YAML::EndMap;
}

}  // namespace bw::config
