#pragma once
// The exposure report computed in ClickHouse (`bucketwatch report --source clickhouse://...`):
// the same BucketReport structures ExposureAggregator fills, built from GROUP BY queries over
// the central ledger (deploy/clickhouse/schema.sql, or the Distributed table of
// deploy/clickhouse/distributed.sql under the same name), and handed to the same formatters.
//
// Guarantees:
//  - aggregation runs in ClickHouse; what comes back is bounded by the report itself: one row
//    per bucket, per (bucket, operation or auth class), per anonymous client of a bucket (read
//    as a stream, only the capped table is kept), at most the capped number of listing, denied,
//    sample-key, access-key and timeline rows per bucket, and one row per object read
//    anonymously (streamed to the formatter, never held);
//  - every query reads with FINAL, so rows sent twice by an at-least-once sink count once;
//  - the answers equal the local report's on the same ledger while no table hits a cap of
//    ExposureLimits. Past a cap the same rule picks what is kept — first seen first, per bucket
//    and across buckets — with "first seen" meaning the earliest @timestamp (ties by value)
//    where the local report means the first line read; readers of an object past
//    kMaxReaders are the lowest addresses, where the local report keeps the first it met.
//  - the password never appears in a query, an error or the report.

#include <string>

#include "sensor/report/clickhouse_ledger.h"
#include "sensor/report/exposure.h"
#include "sensor/report/report_format.h"

namespace bw::report {

struct ClickHouseReportOptions {
  chsql::Source source;
  ExposureLimits limits;
};

// Runs the report's queries and streams the result to `formatter` (Begin .. End), filling
// `meta` as the local report does (`ledgers` names the source; the source has no bad or
// oversized lines). Returns 0, or 1 with `error` when a query failed (the output may then be
// incomplete), or 2 when the URL is malformed.
int RunClickHouseReport(const ClickHouseReportOptions& options, ReportMeta& meta,
                        ReportFormatter& formatter, std::string& error);

}  // namespace bw::report
