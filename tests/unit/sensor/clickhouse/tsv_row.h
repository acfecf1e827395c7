#pragma once
// A ledger row (sensor/clickhouse/ledger_row.h) read back the way ClickHouse reads
// TabSeparated: fields split at tabs, backslash escapes undone, Array(String) as ['a','b'],
// integer columns as numbers. Written apart from the formatter so that the tests check it; the
// result is a JSON object keyed by column, the form the row and correlate tests compare.
#include <gtest/gtest.h>

#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "sensor/clickhouse/ledger_row.h"

namespace bw::clickhouse::testing {

// ClickHouse's escape sequences: \b \f \n \r \t \0, and any other byte after a backslash is
// that byte.
inline char Unescaped(char c) {
  switch (c) {
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case '0':
      return '\0';
    default:
      return c;
  }
}

inline std::string UnescapeField(std::string_view f) {
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '\\' && i + 1 < f.size()) {
      out += Unescaped(f[++i]);
    } else {
      out += f[i];
    }
  }
  return out;
}

// ['a','b\'c'] -> ["a", "b'c"]; a malformed array fails the test.
inline nlohmann::json ParseStringArray(std::string_view f) {
  nlohmann::json out = nlohmann::json::array();
  if (f.size() < 2 || f.front() != '[' || f.back() != ']') {
    ADD_FAILURE() << "not an array: " << f;
    return out;
  }
  size_t i = 1;
  while (i < f.size() - 1) {
    if (f[i] != '\'') {
      ADD_FAILURE() << "array element not quoted at " << i << ": " << f;
      return out;
    }
    std::string element;
    for (++i; i < f.size() - 1 && f[i] != '\''; ++i) {
      if (f[i] == '\\' && i + 1 < f.size() - 1) {
        element += Unescaped(f[++i]);
      } else {
        element += f[i];
      }
    }
    out.push_back(element);
    ++i;  // the closing quote
    if (i < f.size() - 1 && f[i] == ',') ++i;
  }
  return out;
}

inline nlohmann::json ParseRow(std::string_view line) {
  static const std::set<std::string_view> kIntegers = {"time",
                                                       "ts_ns",
                                                       "duration_ns",
                                                       "source_port",
                                                       "destination_port",
                                                       "http_request_bytes",
                                                       "http_status",
                                                       "http_response_bytes",
                                                       "http_response_body_bytes",
                                                       "has_body_bytes",
                                                       "tls_decrypted",
                                                       "range_request",
                                                       "list_keys",
                                                       "list_truncated",
                                                       "missing_bytes"};
  nlohmann::json row = nlohmann::json::object();
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  size_t column = 0;
  size_t start = 0;
  for (;;) {
    const size_t tab = line.find('\t', start);
    const std::string_view f =
        line.substr(start, tab == std::string_view::npos ? line.npos : tab - start);
    if (column >= std::size(kLedgerColumns)) {
      ADD_FAILURE() << "more fields than columns: " << line;
      return row;
    }
    const std::string_view name = kLedgerColumns[column++];
    if (name == "sample_keys") {
      row[std::string(name)] = ParseStringArray(f);
    } else if (kIntegers.count(name) != 0) {
      if (name == "list_keys") {
        row[std::string(name)] = std::stoll(std::string(f));
      } else {
        row[std::string(name)] = std::stoull(std::string(f));
      }
    } else {
      row[std::string(name)] = UnescapeField(f);
    }
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  EXPECT_EQ(column, std::size(kLedgerColumns)) << line;
  return row;
}

}  // namespace bw::clickhouse::testing
