#include "sensor/clickhouse/import/ledger_import_command.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "sensor/clickhouse/clickhouse_client.h"
#include "sensor/clickhouse/ledger_line_parse.h"
#include "sensor/clickhouse/ledger_row.h"
#include "sensor/clickhouse/password_file.h"
#include "sensor/report/ledger_reader.h"

namespace bw::clickhouse {

namespace {

constexpr size_t kMaxBatchBytes = 16 * 1024 * 1024;
constexpr int kInsertAttempts = 4;

bool ValidTableName(const std::string& t) {
  if (t.empty() || t.size() > 128 || t.front() == '.' || t.back() == '.') return false;
  for (char c : t) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

class Importer {
 public:
  Importer(Client& client, std::string table, size_t batch_rows)
      : client_(client), table_(std::move(table)), batch_rows_(batch_rows) {}

  // Adds one row; sends the batch when it is full. False once an insert failed for good.
  bool Add(const ParsedLedgerLine& p) {
    RowSource source;
    source.observer = p.has_observer ? &p.observer : nullptr;
    source.line_sha256 = p.line_sha256;
    source.body_bytes_absent = p.body_bytes_absent;
    AppendLedgerRow(batch_, p.ctx, p.event, source);
    ++batch_count_;
    if (batch_count_ >= batch_rows_ || batch_.size() >= kMaxBatchBytes) return Send();
    return true;
  }

  bool Send() {
    if (batch_count_ == 0) return true;
    auto backoff = std::chrono::milliseconds(500);
    for (int attempt = 1;; ++attempt) {
      Result r = client_.Insert(table_, LedgerInsertClause(), batch_);
      if (r.ok) break;
      error_ = r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error;
      if (attempt == kInsertAttempts) return false;
      std::fprintf(stderr, "bucketwatch ledger-import: insert failed (%s), trying again\n",
                   error_.c_str());
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
    rows_ += batch_count_;
    ++batches_;
    batch_.clear();
    batch_count_ = 0;
    return true;
  }

  uint64_t rows() const { return rows_; }
  uint64_t batches() const { return batches_; }
  const std::string& error() const { return error_; }

 private:
  Client& client_;
  std::string table_;
  size_t batch_rows_;
  std::string batch_;
  size_t batch_count_ = 0;
  uint64_t rows_ = 0;
  uint64_t batches_ = 0;
  std::string error_;
};

}  // namespace

int RunLedgerImportCommand(int argc, char** argv) {
  CLI::App app{"Load bucketwatch ledgers into the central ClickHouse ledger",
               "bucketwatch ledger-import"};
  std::vector<std::string> ledgers;
  std::string to, table = "ledger", password_file, ca_file;
  size_t batch_rows = 10000;
  int timeout_s = 30;
  app.add_option("--ledger", ledgers, "Ledger file (plain or .gz); repeat for several")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--to", to, "clickhouse://[user@]HOST[:PORT][/DB] (clickhouses:// for HTTPS)")
      ->required();
  app.add_option("--table", table, "Table, in the URL's database unless given as DB.TABLE");
  app.add_option("--batch-rows", batch_rows, "Rows per INSERT")
      ->check(CLI::Range(size_t{1}, size_t{1000000}));
  app.add_option(
      "--password-file", password_file,
      "ClickHouse password: first line of this file (else $BUCKETWATCH_CLICKHOUSE_PASSWORD)");
  app.add_option("--ca-file", ca_file, "CA bundle for clickhouses://")->check(CLI::ExistingFile);
  app.add_option("--timeout", timeout_s, "Seconds one INSERT may take")->check(CLI::Range(1, 3600));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  Endpoint endpoint;
  std::string error;
  if (!ParseSourceUrl(to, endpoint, error)) {
    std::fprintf(stderr, "bucketwatch ledger-import: --to: %s\n", error.c_str());
    return 2;
  }
  if (!ValidTableName(table)) {
    std::fprintf(stderr, "bucketwatch ledger-import: --table: expected NAME or DB.NAME\n");
    return 2;
  }
  if (!CommandPassword(password_file, endpoint.password, error)) {
    std::fprintf(stderr, "bucketwatch ledger-import: %s\n", error.c_str());
    return 2;
  }
  endpoint.ca_file = ca_file;
  const std::string target = DisplayName(endpoint);
  Client client(std::move(endpoint), std::chrono::seconds(timeout_s));
  Importer importer(client, table, batch_rows);

  bool failed = false, insert_failed = false;
  uint64_t lines = 0, bad_lines = 0, oversized = 0;
  std::string first_bad;
  ParsedLedgerLine parsed;
  const std::vector<std::string> ordered = report::OrderLedgerPaths(ledgers);
  for (const std::string& path : ordered) {
    report::LedgerReader reader;
    if (!reader.Open(path, error)) {
      std::fprintf(stderr, "bucketwatch ledger-import: %s\n", error.c_str());
      failed = true;
      continue;
    }
    std::string_view line;
    uint64_t line_no = 0;
    while (!insert_failed && reader.Next(line)) {
      ++lines;
      ++line_no;
      if (!ParseLedgerLine(line, parsed, error)) {
        if (bad_lines++ == 0) first_bad = path + ":" + std::to_string(line_no) + ": " + error;
        continue;
      }
      if (!importer.Add(parsed)) insert_failed = true;
    }
    oversized += reader.oversized_lines();
    if (!reader.error().empty()) {
      std::fprintf(stderr, "bucketwatch ledger-import: %s\n", reader.error().c_str());
      failed = true;
    }
    if (insert_failed) break;
  }
  if (!insert_failed && !importer.Send()) insert_failed = true;
  if (insert_failed) {
    std::fprintf(stderr, "bucketwatch ledger-import: insert into %s failed: %s\n", target.c_str(),
                 importer.error().c_str());
  }
  if (bad_lines) {
    std::fprintf(stderr,
                 "bucketwatch ledger-import: %llu lines were not ledger records (first: %s)\n",
                 static_cast<unsigned long long>(bad_lines), first_bad.c_str());
  }
  std::fprintf(
      stderr,
      "bucketwatch ledger-import: %zu files, %llu lines, %llu rows in %llu batches to "
      "%s table %s%s\n",
      ordered.size(), static_cast<unsigned long long>(lines),
      static_cast<unsigned long long>(importer.rows()),
      static_cast<unsigned long long>(importer.batches()), target.c_str(), table.c_str(),
      oversized ? (", " + std::to_string(oversized) + " oversized lines skipped").c_str() : "");
  return failed || insert_failed ? 1 : 0;
}

}  // namespace bw::clickhouse
