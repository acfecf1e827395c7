#include "sensor/report/report_command.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "sensor/clickhouse/password_file.h"
#include "sensor/report/chain_verifier.h"
#include "sensor/report/clickhouse_inventory.h"
#include "sensor/report/clickhouse_source.h"
#include "sensor/report/exposure.h"
#include "sensor/report/inventory.h"
#include "sensor/report/inventory_format.h"
#include "sensor/report/ledger_entry.h"
#include "sensor/report/ledger_reader.h"
#include "sensor/report/report_format.h"

namespace bw::report {

namespace {

TimestampNs WallNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A one-line progress indicator on stderr, only when stderr is a terminal.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled && ::isatty(STDERR_FILENO)) {}
  ~Progress() { Done(); }

  void File(size_t index, size_t count, const std::string& path) {
    index_ = index;
    count_ = count;
    path_ = path;
  }
  // Cheap enough to call per line: looks at the clock every 64Ki lines.
  void Tick(uint64_t lines, const LedgerReader& reader) {
    if (!enabled_ || (lines & 0xffff) != 0) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    std::fprintf(stderr, "\r\033[Kreport: file %zu/%zu %s %3.0f%%  %llu lines", index_ + 1, count_,
                 path_.c_str(), reader.Fraction() * 100.0, static_cast<unsigned long long>(lines));
    shown_ = true;
  }
  void Done() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
  size_t index_ = 0, count_ = 0;
  std::string path_;
  std::chrono::steady_clock::time_point last_{};
};

bool BucketMatches(const std::string& pattern, const LedgerEntry& e) {
  if (pattern.empty()) return true;
  std::string account_bucket = e.account.empty() ? e.bucket : e.account + "/" + e.bucket;
  std::string full = BucketKey(e.provider, e.account, e.bucket);
  return ::fnmatch(pattern.c_str(), e.bucket.c_str(), 0) == 0 ||
         ::fnmatch(pattern.c_str(), account_bucket.c_str(), 0) == 0 ||
         ::fnmatch(pattern.c_str(), full.c_str(), 0) == 0;
}

// Opens --output (mode 0640: the report names what leaked) or stdout.
class Output {
 public:
  bool Open(const std::string& path, std::string& error) {
    if (path.empty() || path == "-") return true;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
      error = "cannot write " + path + ": " + std::strerror(errno);
      return false;
    }
    ::close(fd);
    file_.open(path, std::ios::out | std::ios::trunc | std::ios::binary);
    if (!file_) {
      error = "cannot write " + path;
      return false;
    }
    return true;
  }
  std::ostream& stream() { return file_.is_open() ? static_cast<std::ostream&>(file_) : std::cout; }
  bool Close() {
    stream().flush();
    bool ok = static_cast<bool>(stream());
    if (file_.is_open()) file_.close();
    return ok && !file_.fail();
  }

 private:
  std::ofstream file_;
};

// What Scan read, and what its filters left out.
struct ScanCounts {
  uint64_t lines = 0;
  uint64_t bad_lines = 0;
  uint64_t oversized_lines = 0;
  uint64_t outside_period = 0;
  uint64_t other_buckets = 0;
  bool read_failed = false;
};

// Reads `ordered` ledgers and hands every entry inside the period and matching the bucket pattern
// to `on_entry`; stops early when it returns false (then Scan returns false too).
template <typename OnEntry>
bool Scan(const std::vector<std::string>& ordered, std::optional<TimestampNs> since,
          std::optional<TimestampNs> until, const std::string& bucket_pattern, bool progress,
          ScanCounts& counts, OnEntry on_entry) {
  Progress bar(progress);
  LedgerEntry entry;
  std::string error;
  for (size_t i = 0; i < ordered.size(); ++i) {
    LedgerReader reader;
    if (!reader.Open(ordered[i], error)) {
      std::fprintf(stderr, "bucketwatch report: %s\n", error.c_str());
      counts.read_failed = true;
      continue;
    }
    bar.File(i, ordered.size(), ordered[i]);
    std::string_view line;
    while (reader.Next(line)) {
      ++counts.lines;
      bar.Tick(counts.lines, reader);
      if (!ParseLedgerEntry(line, entry)) {
        ++counts.bad_lines;
        continue;
      }
      if ((since && entry.ts < *since) || (until && entry.ts >= *until)) {
        ++counts.outside_period;
        continue;
      }
      if (!BucketMatches(bucket_pattern, entry)) {
        ++counts.other_buckets;
        continue;
      }
      if (!on_entry(entry)) return false;
    }
    counts.oversized_lines += reader.oversized_lines();
    if (!reader.error().empty()) {
      std::fprintf(stderr, "bucketwatch report: %s\n", reader.error().c_str());
      counts.read_failed = true;
    }
  }
  return true;
}

// --inventory: one row per bucket that answered an anonymous request (inventory.h).
int Inventory(const std::vector<std::string>& ledgers, InventoryMeta meta,
              const InventoryLimits& limits, const std::string& format, const std::string& output,
              bool progress) {
  Output out;
  std::string error;
  if (!out.Open(output, error)) {
    std::fprintf(stderr, "bucketwatch report: %s\n", error.c_str());
    return 1;
  }
  auto formatter = MakeInventoryFormatter(format, out.stream());
  InventoryBuilder builder(limits);
  ScanCounts counts;
  meta.sources = OrderLedgerPaths(ledgers);
  Scan(meta.sources, meta.since, meta.until, meta.bucket_pattern, progress, counts,
       [&](const LedgerEntry& e) {
         builder.Add(e);
         return true;
       });
  meta.generated_at = WallNow();
  meta.lines = counts.lines;
  meta.bad_lines = counts.bad_lines;
  meta.oversized_lines = counts.oversized_lines;
  meta.outside_period = counts.outside_period;
  meta.other_buckets = counts.other_buckets;
  meta.counters = &builder.counters();
  meta.limits = &builder.limits();
  formatter->Begin(meta);
  for (const InventoryRow& row : builder.Rows()) formatter->Row(row);
  formatter->End(meta);
  if (!out.Close()) {
    std::fprintf(stderr, "bucketwatch report: cannot write %s\n", output.c_str());
    return 1;
  }
  if (counts.bad_lines) {
    std::fprintf(stderr, "bucketwatch report: %llu lines were not ledger records\n",
                 static_cast<unsigned long long>(counts.bad_lines));
  }
  return counts.read_failed ? 1 : 0;
}

// --inventory --source: the same rows from SQL aggregates (clickhouse_inventory.h).
int ClickHouseInventory(ClickHouseInventoryOptions options, InventoryMeta meta,
                        const std::string& password_file, const std::string& format,
                        const std::string& output) {
  std::string error;
  if (!clickhouse::CommandPassword(password_file, options.source.password, error)) {
    std::fprintf(stderr, "bucketwatch report: %s\n", error.c_str());
    return 2;
  }
  Output out;
  if (!out.Open(output, error)) {
    std::fprintf(stderr, "bucketwatch report: %s\n", error.c_str());
    return 1;
  }
  auto formatter = MakeInventoryFormatter(format, out.stream());
  meta.generated_at = WallNow();
  int rc = RunClickHouseInventory(options, meta, *formatter, error);
  if (rc != 0) std::fprintf(stderr, "bucketwatch report: %s\n", error.c_str());
  if (!out.Close()) {
    std::fprintf(stderr, "bucketwatch report: cannot write %s\n", output.c_str());
    return 1;
  }
  return rc;
}

int Verify(const std::vector<std::string>& ledgers, const std::string& output, bool progress) {
  Output out;
  std::string error;
  if (!out.Open(output, error)) {
    std::fprintf(stderr, "bucketwatch report: %s\n", error.c_str());
    return 1;
  }
  ChainVerifier verifier;
  Progress bar(progress);
  bool read_failed = false;
  std::vector<std::string> ordered = OrderLedgerPaths(ledgers);
  for (size_t i = 0; i < ordered.size(); ++i) {
    LedgerReader reader;
    if (!reader.Open(ordered[i], error)) {
      std::fprintf(stderr, "bucketwatch report: %s\n", error.c_str());
      read_failed = true;
      continue;
    }
    bar.File(i, ordered.size(), ordered[i]);
    verifier.BeginFile(ordered[i]);
    std::string_view line;
    uint64_t skipped = 0;
    while (reader.Next(line)) {
      while (skipped < reader.oversized_lines()) {
        verifier.SkippedLine();
        ++skipped;
      }
      verifier.Line(line);
      bar.Tick(verifier.lines(), reader);
    }
    while (skipped < reader.oversized_lines()) {
      verifier.SkippedLine();
      ++skipped;
    }
    if (!reader.error().empty()) {
      std::fprintf(stderr, "bucketwatch report: %s\n", reader.error().c_str());
      read_failed = true;
    }
  }
  bar.Done();
  std::ostream& o = out.stream();
  o << "files: " << verifier.files() << ", lines: " << verifier.lines() << "\n";
  for (const auto& f : verifier.findings()) {
    o << "BROKEN " << f.file << ":" << f.line << ": " << f.message << "\n";
  }
  if (verifier.findings_total() > verifier.findings().size()) {
    o << "(" << verifier.findings_total() - verifier.findings().size() << " more findings)\n";
  }
  if (verifier.lines() > 0 && !verifier.starts_at_genesis()) {
    o << "note: the first line chains to an earlier line that was not given "
         "(an older rotated "
         "file); lines before it are not covered\n";
  }
  if (verifier.ok() && !read_failed) {
    o << "chain intact; head sha256 " << verifier.head()
      << " (record it elsewhere: the newest line is protected once a successor "
         "exists)\n";
  } else if (verifier.lines() == 0) {
    o << "no lines to verify\n";
  } else {
    o << "chain BROKEN or incomplete\n";
  }
  bool wrote = out.Close();
  return verifier.ok() && !read_failed && wrote ? 0 : 1;
}

}  // namespace

int RunReportCommand(int argc, char** argv) {
  CLI::App app{"Exposure report from bucketwatch ledgers", "bucketwatch report"};
  std::vector<std::string> ledgers;
  std::string since_text, until_text, bucket_pattern, format = "text", output = "-";
  bool verify = false, no_progress = false, inventory = false;
  InventoryLimits inventory_limits;
  ExposureLimits limits;
  if (const char* tmp = std::getenv("TMPDIR"); tmp && *tmp) limits.temp_dir = tmp;
  size_t html_rows = 2000;
  auto* ledger_opt =
      app.add_option("--ledger", ledgers, "Ledger file (plain or .gz); repeat for several")
          ->check(CLI::ExistingFile);
  chsql::Source source;
  std::string password_file;
  size_t query_timeout_s = 600;
  auto* source_opt =
      app.add_option("--source", source.url,
                     "Report from the central ledger: clickhouse://[user@]host[:port][/db] "
                     "(password in $BUCKETWATCH_CLICKHOUSE_PASSWORD or --password-file)")
          ->excludes(ledger_opt);
  app.add_option("--table", source.table,
                 "Ledger table, in the URL's database unless given as DB.TABLE (default ledger)")
      ->needs(source_opt);
  app.add_option("--password-file", password_file, "ClickHouse password: first line of this file")
      ->check(CLI::ExistingFile)
      ->needs(source_opt);
  app.add_option("--query-timeout", query_timeout_s, "Seconds each ClickHouse query may take")
      ->check(CLI::Range(size_t{1}, size_t{86400}))
      ->needs(source_opt);
  app.add_option("--since", since_text, "Only requests at or after T (RFC 3339, date or epoch s)");
  app.add_option("--until", until_text, "Only requests before T");
  app.add_option("--bucket", bucket_pattern,
                 "Only buckets matching this glob (bucket, account/bucket or "
                 "provider/account/bucket)");
  app.add_option("--format", format, "Output format")
      ->check(CLI::IsMember({"text", "json", "csv", "html"}));
  app.add_option("--output", output, "Write the report here ('-' = stdout)");
  app.add_flag("--verify", verify, "Verify the ledgers' hash chain instead of reporting");
  app.add_flag("--inventory", inventory,
               "Exposure inventory instead of the report: one row per bucket that answered an "
               "anonymous request (text, json or csv)");
  app.add_flag("--no-progress", no_progress, "No progress line on a terminal");
  app.add_option("--objects-in-memory", limits.objects_in_memory,
                 "Objects aggregated in RAM before spilling to a temporary file")
      ->check(CLI::Range(size_t{1}, size_t{100000000}));
  app.add_option("--max-buckets", limits.max_buckets, "Buckets tracked (more are counted)")
      ->check(CLI::Range(size_t{1}, size_t{10000000}));
  app.add_option("--temp-dir", limits.temp_dir, "Directory for spilled object runs")
      ->check(CLI::ExistingDirectory);
  app.add_option("--html-object-rows", html_rows, "Objects listed per bucket in HTML")
      ->check(CLI::Range(size_t{1}, size_t{1000000}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (ledgers.empty() == source.url.empty()) {
    std::fprintf(stderr, "bucketwatch report: give --ledger FILE... or --source URL\n");
    return 2;
  }
  if (verify && !source.url.empty()) {
    std::fprintf(stderr, "bucketwatch report: --verify needs the ledger files\n");
    return 2;
  }
  if (verify) return Verify(ledgers, output, !no_progress);

  ReportMeta meta;
  if (!since_text.empty()) {
    meta.since = ParseTime(since_text);
    if (!meta.since) {
      std::fprintf(stderr, "bucketwatch report: --since: cannot parse '%s'\n", since_text.c_str());
      return 2;
    }
  }
  if (!until_text.empty()) {
    meta.until = ParseTime(until_text);
    if (!meta.until) {
      std::fprintf(stderr, "bucketwatch report: --until: cannot parse '%s'\n", until_text.c_str());
      return 2;
    }
  }
  source.since = meta.since;
  source.until = meta.until;
  source.bucket_pattern = bucket_pattern;
  source.timeout = std::chrono::seconds(query_timeout_s);
  if (inventory) {
    if (format == "html") {
      std::fprintf(stderr, "bucketwatch report: --inventory: --format is text, json or csv\n");
      return 2;
    }
    if (app.count("--max-buckets")) inventory_limits.max_buckets = limits.max_buckets;
    InventoryMeta inventory_meta;
    inventory_meta.since = meta.since;
    inventory_meta.until = meta.until;
    inventory_meta.bucket_pattern = bucket_pattern;
    if (source.url.empty()) {
      return Inventory(ledgers, inventory_meta, inventory_limits, format, output, !no_progress);
    }
    return ClickHouseInventory({source, inventory_limits}, inventory_meta, password_file, format,
                               output);
  }
  Output out;
  std::string error;
  if (!out.Open(output, error)) {
    std::fprintf(stderr, "bucketwatch report: %s\n", error.c_str());
    return 1;
  }
  auto formatter = MakeFormatter(format, out.stream());
  if (!source.url.empty()) {
    ClickHouseReportOptions ch{source, limits};
    if (!clickhouse::CommandPassword(password_file, ch.source.password, error)) {
      std::fprintf(stderr, "bucketwatch report: %s\n", error.c_str());
      return 2;
    }
    meta.bucket_pattern = bucket_pattern;
    meta.generated_at = WallNow();
    meta.html_object_rows = html_rows;
    int rc = RunClickHouseReport(ch, meta, *formatter, error);
    if (rc != 0) std::fprintf(stderr, "bucketwatch report: %s\n", error.c_str());
    if (!out.Close()) {
      std::fprintf(stderr, "bucketwatch report: cannot write %s\n", output.c_str());
      return 1;
    }
    return rc;
  }

  ExposureAggregator agg(limits);
  ExposureCounters filtered;
  ScanCounts counts;
  meta.ledgers = OrderLedgerPaths(ledgers);
  if (!Scan(meta.ledgers, meta.since, meta.until, bucket_pattern, !no_progress, counts,
            [&](const LedgerEntry& e) { return agg.Add(e); })) {
    std::fprintf(stderr, "bucketwatch report: %s\n", agg.error().c_str());
    return 1;
  }
  bool failed = counts.read_failed;
  meta.lines = counts.lines;
  meta.bad_lines = counts.bad_lines;
  meta.oversized_lines = counts.oversized_lines;
  filtered.filtered_time = counts.outside_period;
  filtered.filtered_bucket = counts.other_buckets;
  if (!agg.Finish()) {
    std::fprintf(stderr, "bucketwatch report: %s\n", agg.error().c_str());
    return 1;
  }
  ExposureCounters counters = agg.counters();
  counters.filtered_time = filtered.filtered_time;
  counters.filtered_bucket = filtered.filtered_bucket;
  meta.generated_at = WallNow();
  meta.bucket_pattern = bucket_pattern;
  meta.counters = &counters;
  meta.limits = &agg.limits();
  meta.object_spills = agg.objects().spills();
  meta.html_object_rows = html_rows;

  formatter->Begin(meta);
  ObjectRow row;
  bool have_row = agg.objects().Next(row);
  for (const auto& [id, bucket] : agg.buckets()) {
    bool listed = bucket.anonymous.requests > 0;
    if (!listed) ++meta.authenticated_only_buckets;
    // Object rows are in bucket order too; rows of an unlisted bucket cannot
    // exist (every row is an anonymous read), but skip defensively rather than
    // misattribute them.
    ObjectTotals totals;
    if (listed) formatter->BeginBucket(bucket);
    while (have_row && row.bucket_id <= id) {
      if (row.bucket_id == id && listed) {
        formatter->Object(bucket, row);
        ++totals.objects;
        totals.reads += row.reads;
        totals.bytes += row.bytes;
        if (row.full_reads == 0) ++totals.range_only_objects;
      }
      have_row = agg.objects().Next(row);
    }
    if (listed) formatter->EndBucket(bucket, totals);
  }
  if (!agg.objects().error().empty()) {
    std::fprintf(stderr, "bucketwatch report: %s\n", agg.objects().error().c_str());
    failed = true;
  }
  formatter->End(meta);
  if (!out.Close()) {
    std::fprintf(stderr, "bucketwatch report: cannot write %s\n", output.c_str());
    return 1;
  }
  if (meta.bad_lines) {
    std::fprintf(stderr, "bucketwatch report: %llu lines were not ledger records\n",
                 static_cast<unsigned long long>(meta.bad_lines));
  }
  if (output != "-" && !output.empty()) {
    std::fprintf(stderr, "bucketwatch report: wrote %s\n", output.c_str());
  }
  return failed ? 1 : 0;
}

}  // namespace bw::report
