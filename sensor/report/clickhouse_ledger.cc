#include "sensor/report/clickhouse_ledger.h"

#include <fnmatch.h>

#include <cctype>
#include <charconv>
#include <ctime>

#include "dissectors/storage/operation.h"
#include "sensor/report/exposure.h"

namespace bw::report::chsql {

namespace {

using clickhouse::QuoteString;

std::string DateText(TimestampNs ts) {
  std::time_t secs = static_cast<std::time_t>(ts / kNsPerSecond);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace

std::string ObjectReadSql() {
  using storage::Operation;
  using storage::OperationName;
  std::string get_object(OperationName(Operation::kGetObject));
  std::string get_blob(OperationName(Operation::kGetBlob));
  std::string gcs_get(OperationName(Operation::kGcsObjectsGet));
  return "(http_method = 'GET' AND object_key != '' AND (operation IN (" + QuoteString(get_object) +
         ", " + QuoteString(get_blob) + ") OR (operation = " + QuoteString(gcs_get) +
         " AND (NOT startsWith(url_path, '/storage/v1/') OR position(url_query, 'alt=media') > "
         "0))))";
}

bool BucketMatches(const std::string& pattern, const std::string& provider,
                   const std::string& account, const std::string& bucket) {
  if (pattern.empty()) return true;
  std::string account_bucket = account.empty() ? bucket : account + "/" + bucket;
  std::string full = BucketKey(provider, account, bucket);
  return ::fnmatch(pattern.c_str(), bucket.c_str(), 0) == 0 ||
         ::fnmatch(pattern.c_str(), account_bucket.c_str(), 0) == 0 ||
         ::fnmatch(pattern.c_str(), full.c_str(), 0) == 0;
}

std::string BucketGlobPrefilter(const std::string& glob) {
  if (glob.find_first_of("[\\") != std::string::npos) return "";
  std::string re = "(?s)^";
  for (char c : glob) {
    if (c == '*' || c == '?') {
      re += ".*";  // '?' is one byte to fnmatch, maybe several to RE2: match any number
    } else if (static_cast<unsigned char>(c) < 0x80 &&
               !std::isalnum(static_cast<unsigned char>(c))) {
      re += '\\';
      re += c;
    } else {
      re += c;
    }
  }
  return re + "$";
}

bool SplitRow(std::string_view row, Fields& out) {
  out.clear();
  out.emplace_back();
  for (size_t i = 0; i < row.size(); ++i) {
    char c = row[i];
    if (c == '\t') {
      out.emplace_back();
    } else if (c == '\\') {
      if (++i >= row.size()) return false;
      char e = row[i];
      out.back() += e == 'n'   ? '\n'
                    : e == 't' ? '\t'
                    : e == 'r' ? '\r'
                    : e == 'b' ? '\b'
                    : e == 'f' ? '\f'
                    : e == '0' ? '\0'
                               : e;
    } else {
      out.back() += c;
    }
  }
  return true;
}

uint64_t U64(const std::string& s) {
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

int64_t I64(const std::string& s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

bool ValidTableName(const std::string& table) {
  for (char c : table) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return false;
  }
  return true;
}

LedgerTable::LedgerTable(clickhouse::Client& client, const Source& source)
    : client_(client), since_(source.since), until_(source.until) {
  const std::string& table = source.table;
  const std::optional<TimestampNs>& since = source.since;
  const std::optional<TimestampNs>& until = source.until;
  const std::string& bucket_pattern = source.bucket_pattern;
  table_ = table.find('.') == std::string::npos ? client.endpoint().database + "." + table : table;
  // The period, with the partition key so ClickHouse skips the days outside it.
  if (since) {
    period_ +=
        " AND ts_ns >= " + std::to_string(*since) + " AND date >= '" + DateText(*since) + "'";
  }
  if (until) {
    period_ += " AND ts_ns < " + std::to_string(*until);
    if (*until > 0) period_ += " AND date <= '" + DateText(*until - 1) + "'";
  }
  if (!bucket_pattern.empty()) {
    std::string re = BucketGlobPrefilter(bucket_pattern);
    if (!re.empty()) {
      std::string q = QuoteString(re);
      period_ += " AND (match(bucket, " + q + ") OR match(if(account = '', bucket, concat(" +
                 "account, '/', bucket)), " + q + ") OR match(" + std::string(kId) + ", " + q +
                 "))";
    }
  }
}

std::string LedgerTable::Where(const std::string& array_join) const {
  return " FROM " + table_ + " FINAL" + array_join + " WHERE 1" + period_;
}

bool LedgerTable::Run(const std::string& sql, size_t columns,
                      const std::function<void(const Fields&)>& fn) {
  Fields fields;
  bool bad = false;
  clickhouse::Result r = client_.Query(sql + " FORMAT TabSeparated", [&](std::string_view row) {
    if (!SplitRow(row, fields) || fields.size() != columns) {
      bad = true;
      return false;
    }
    fn(fields);
    return true;
  });
  if (bad) {
    error_ = "unexpected row from ClickHouse (is " + table_ + " the bucketwatch schema?)";
    return false;
  }
  if (!r.ok) {
    error_ = "ClickHouse query failed: " + r.error;
    return false;
  }
  return true;
}

bool LedgerTable::Totals(uint64_t& lines, uint64_t& outside_period) {
  std::string in_period = "1";
  if (since_) in_period += " AND ts_ns >= " + std::to_string(*since_);
  if (until_) in_period += " AND ts_ns < " + std::to_string(*until_);
  return Run("SELECT count(), countIf(NOT (" + in_period + ")) FROM " + table_ + " FINAL", 2,
             [&](const Fields& f) {
               lines = U64(f[0]);
               outside_period = U64(f[1]);
             });
}

int ResolveSource(const Source& source, clickhouse::Endpoint& endpoint, std::string& error) {
  if (!clickhouse::ParseSourceUrl(source.url, endpoint, error)) {
    error = "--source: " + error;
    return 2;
  }
  if (!ValidTableName(source.table)) {
    error = "--table: names are letters, digits, _ and one . between database and table";
    return 2;
  }
  endpoint.password = source.password;
  return 0;
}

}  // namespace bw::report::chsql
