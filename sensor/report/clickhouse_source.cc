#include "sensor/report/clickhouse_source.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string_view>
#include <vector>

#include "dissectors/storage/operation.h"
#include "sensor/clickhouse/clickhouse_client.h"
#include "sensor/report/clickhouse_ledger.h"

namespace bw::report {

namespace {

using chsql::BucketMatches;
using chsql::Fields;
using chsql::I64;
using chsql::kAnon;
using chsql::kId;
using chsql::kListing;
using chsql::kObjectBytes;
using chsql::kPartial;
using chsql::kSuccess;
using chsql::Ts;
using chsql::U64;
using clickhouse::QuoteString;

// ExposureAggregator's first timeline width; the width doubles until the span fits.
constexpr TimestampNs kFirstBinWidth = kNsPerSecond / 1000;
constexpr unsigned kMaxWidthShift = 44;  // 1 ms << 44 > 2^63 ns: every span fits
// Bucket names listed in one timeline query, to stay well under ClickHouse's max_query_size
// (256 KiB by default).
constexpr size_t kMaxListBytes = 96 * 1024;

void Touch(TimestampNs first, TimestampNs last, TimestampNs& lo, TimestampNs& hi, bool seen) {
  if (!seen || first < lo) lo = first;
  if (!seen || last > hi) hi = last;
}

// The smallest doubling of the first width at which the bucket's span fits the chart: what
// ExposureAggregator::AddTimeline arrives at, whatever order the rows come in.
unsigned WidthShift(TimestampNs first, TimestampNs last, size_t max_bins) {
  for (unsigned k = 0; k < kMaxWidthShift; ++k) {
    TimestampNs w = kFirstBinWidth << k;
    if (static_cast<uint64_t>(last / w - first / w) + 1 <= max_bins) return k;
  }
  return kMaxWidthShift;
}

class Report {
 public:
  Report(const ClickHouseReportOptions& o, clickhouse::Client& client)
      : o_(o), ledger_(client, o.source), object_read_(chsql::ObjectReadSql()) {}

  bool Load(ExposureCounters& counters, uint64_t& lines) {
    return ledger_.Totals(lines, counters.filtered_time) && Buckets(counters) && Names() &&
           Clients() && Rows(/*listings=*/true) && Rows(/*listings=*/false) && SampleKeys() &&
           AccessKeys() && Timeline();
  }

  const std::map<std::string, BucketReport>& buckets() const { return buckets_; }
  const std::string& error() const { return ledger_.error(); }

  // The object table in (bucket id, key) order, as ObjectStore gives it.
  bool Objects(const std::function<void(const ObjectRow&)>& on_row) {
    std::string sql =
        "SELECT " + std::string(kId) +
        " AS id, object_key, min(ts_ns), max(ts_ns), count(), countIf(NOT " +
        std::string(kPartial) + "), countIf(" + std::string(kPartial) + "), sum(" +
        std::string(kObjectBytes) +
        "), arrayStringConcat(arraySlice(arraySort(groupUniqArray(source_ip) AS readers), "
        "1, " +
        std::to_string(kMaxReaders) + "), ' '), length(readers) > " + std::to_string(kMaxReaders) +
        Where() + " AND " + std::string(kAnon) + " AND " + std::string(kSuccess) + " AND " +
        object_read_ + " GROUP BY provider, account, bucket, object_key ORDER BY id, object_key";
    ObjectRow r;
    return Run(sql, 10, [&](const Fields& f) {
      if (!buckets_.count(f[0])) return;
      r.bucket_id = f[0];
      r.key = f[1];
      r.first_read = Ts(f[2]);
      r.last_read = Ts(f[3]);
      r.reads = U64(f[4]);
      r.full_reads = U64(f[5]);
      r.range_reads = U64(f[6]);
      r.bytes = U64(f[7]);
      r.readers.clear();
      std::string_view rs = f[8];
      while (!rs.empty()) {
        size_t sp = rs.find(' ');
        r.readers.emplace_back(rs.substr(0, sp));
        if (sp == std::string_view::npos) break;
        rs.remove_prefix(sp + 1);
      }
      r.readers_truncated = f[9] == "1";
      on_row(r);
    });
  }

 private:
  std::string Where(const std::string& array_join = "") const { return ledger_.Where(array_join); }
  bool Run(const std::string& sql, size_t columns, const std::function<void(const Fields&)>& fn) {
    return ledger_.Run(sql, columns, fn);
  }

  BucketReport* Find(const Fields& f) {
    auto it = buckets_.find(BucketKey(f[0], f[1], f[2]));
    return it == buckets_.end() ? nullptr : &it->second;
  }

  // One row per bucket: the glob, the bucket cap, the counts of ExposureAggregator::Add.
  bool Buckets(ExposureCounters& counters) {
    const std::string a(kAnon), s(kSuccess), l(kListing), ob(kObjectBytes), p(kPartial);
    const std::string as = a + " AND " + s;
    const std::string read = as + " AND " + object_read_;
    const std::string u = "NOT " + a;
    std::string sql =
        "SELECT provider, account, bucket, count(), min(ts_ns) AS first, max(ts_ns)"
        ", countIf(" +
        a + "), countIf(" + as + "), countIf(" + a + " AND outcome = 'denied'), countIf(" + a +
        " AND outcome = 'not_found'), countIf(" + a + " AND outcome = 'error'), minIf(ts_ns, " +
        as + "), maxIf(ts_ns, " + as + "), countIf(" + as + " AND " + l +
        "), sumIf(toUInt64(list_keys), " + as + " AND " + l + "), countIf(" + as + " AND " + l +
        " AND list_truncated != 0), countIf(" + read + "), sumIf(" + ob + ", " + read +
        "), countIf(" + read + " AND " + p + "), countIf(" + u + "), countIf(" + u + " AND " + s +
        "), countIf(" + u + " AND outcome = 'denied'), countIf(" + u +
        " AND outcome = 'not_found'), countIf(" + u + " AND outcome = 'error'), sumIf(" + ob +
        ", " + u + " AND " + s + "), minIf(ts_ns, " + u + "), maxIf(ts_ns, " + u + ")" + Where() +
        " GROUP BY provider, account, bucket ORDER BY first, provider, account, "
        "bucket";
    return Run(sql, 27, [&](const Fields& f) {
      if (!BucketMatches(o_.source.bucket_pattern, f[0], f[1], f[2])) return;
      uint64_t n = U64(f[3]);
      counters.entries += n;
      if (buckets_.size() >= o_.limits.max_buckets) {
        counters.buckets_overflow += n;
        return;
      }
      BucketReport b;
      b.provider = f[0];
      b.account = f[1];
      b.bucket = f[2];
      b.id = BucketKey(b.provider, b.account, b.bucket);
      TimestampNs first = Ts(f[4]), last = Ts(f[5]);
      b.bin_width = kFirstBinWidth << WidthShift(first, last, o_.limits.max_timeline_bins);
      OutcomeCounts& an = b.anonymous;
      an.requests = U64(f[6]);
      an.success = U64(f[7]);
      an.denied = U64(f[8]);
      an.not_found = U64(f[9]);
      an.error = U64(f[10]);
      an.no_response = an.requests - an.success - an.denied - an.not_found - an.error;
      if (an.success) {
        b.exposure_first = Ts(f[11]);
        b.exposure_last = Ts(f[12]);
      }
      b.listing_pages = U64(f[13]);
      b.listed_keys = U64(f[14]);
      b.truncated_pages = U64(f[15]);
      b.object_reads = U64(f[16]);
      b.object_read_bytes = U64(f[17]);
      b.range_reads = U64(f[18]);
      AuthenticatedStats& au = b.authenticated;
      OutcomeCounts& ao = au.outcomes;
      ao.requests = U64(f[19]);
      ao.success = U64(f[20]);
      ao.denied = U64(f[21]);
      ao.not_found = U64(f[22]);
      ao.error = U64(f[23]);
      ao.no_response = ao.requests - ao.success - ao.denied - ao.not_found - ao.error;
      au.bytes = U64(f[24]);
      if (ao.requests) {
        au.first = Ts(f[25]);
        au.last = Ts(f[26]);
      }
      std::string id = b.id;
      buckets_.emplace(std::move(id), std::move(b));
    });
  }

  // Anonymous operations (first seen first, max_operations_per_bucket) and authenticated
  // requests by class, in one pass.
  bool Names() {
    std::string sql = "SELECT provider, account, bucket, " + std::string(kAnon) +
                      " AS anon, if(anon, operation, if(auth_class = '', 'unknown', auth_class))"
                      " AS name, count(), countIf(" +
                      std::string(kSuccess) +
                      "), countIf(outcome = 'denied'), countIf(outcome = 'not_found'), "
                      "countIf(outcome = 'error'), min(ts_ns) AS first" +
                      Where() +
                      " GROUP BY provider, account, bucket, anon, name ORDER BY first, name";
    return Run(sql, 11, [&](const Fields& f) {
      BucketReport* b = Find(f);
      if (!b) return;
      uint64_t n = U64(f[5]);
      if (f[3] != "1") {
        b->authenticated.by_class[f[4]] += n;
        return;
      }
      auto op = b->anon_operations.find(f[4]);
      if (op == b->anon_operations.end() &&
          b->anon_operations.size() < o_.limits.max_operations_per_bucket) {
        op = b->anon_operations.emplace(f[4], OutcomeCounts{}).first;
      }
      if (op == b->anon_operations.end()) {
        b->operations_overflow += n;
        return;
      }
      OutcomeCounts& c = op->second;
      c.requests = n;
      c.success = U64(f[6]);
      c.denied = U64(f[7]);
      c.not_found = U64(f[8]);
      c.error = U64(f[9]);
      c.no_response = c.requests - c.success - c.denied - c.not_found - c.error;
    });
  }

  // Anonymous clients, first seen first: a client gets its own row while its bucket and the
  // report have room (max_clients_per_bucket, max_clients_total); later ones are summed.
  bool Clients() {
    const std::string s(kSuccess);
    std::string sql = "SELECT provider, account, bucket, source_ip, user_agent, count(), countIf(" +
                      s + "), countIf(" + s + " AND " + std::string(kListing) + "), countIf(" + s +
                      " AND " + object_read_ + "), countIf(outcome = 'denied'), sumIf(" +
                      std::string(kObjectBytes) + ", " + s + "), min(ts_ns) AS first, max(ts_ns)" +
                      Where() + " AND " + std::string(kAnon) +
                      " GROUP BY provider, account, bucket, source_ip, user_agent ORDER BY first, "
                      "source_ip, user_agent";
    size_t total = 0;
    return Run(sql, 13, [&](const Fields& f) {
      BucketReport* b = Find(f);
      if (!b) return;
      ClientStats c;
      c.ip = f[3];
      c.user_agent = f[4];
      c.requests = U64(f[5]);
      c.successes = U64(f[6]);
      c.listings = U64(f[7]);
      c.reads = U64(f[8]);
      c.denied = U64(f[9]);
      c.bytes = U64(f[10]);
      c.first = Ts(f[11]);
      c.last = Ts(f[12]);
      if (b->clients.size() < o_.limits.max_clients_per_bucket &&
          total < o_.limits.max_clients_total) {
        ++total;
        b->clients.emplace(c.ip + "\t" + c.user_agent, std::move(c));
        return;
      }
      ClientStats& o = b->other_clients;
      Touch(c.first, c.last, o.first, o.last, o.requests > 0);
      o.requests += c.requests;
      o.successes += c.successes;
      o.listings += c.listings;
      o.reads += c.reads;
      o.denied += c.denied;
      o.bytes += c.bytes;
      b->clients_overflow += c.requests;
    });
  }

  // The first listing pages (or denied attempts) in time order, per bucket and in all.
  bool Rows(bool listings) {
    size_t per_bucket = listings ? o_.limits.max_listing_rows : o_.limits.max_denied_rows;
    size_t cap_total =
        listings ? o_.limits.max_listing_rows_total : o_.limits.max_denied_rows_total;
    std::string sql =
        "SELECT provider, account, bucket, ts_ns, source_ip, user_agent, operation, " +
        std::string(listings ? "url_query, list_keys, list_truncated"
                             : "object_key, http_status, error_code") +
        Where() + " AND " + std::string(kAnon) + " AND " +
        (listings ? std::string(kSuccess) + " AND " + std::string(kListing)
                  : std::string("outcome = 'denied'")) +
        " ORDER BY ts_ns, line_sha256 LIMIT " + std::to_string(per_bucket) +
        " BY provider, account, bucket";
    size_t total = 0;
    bool ok = Run(sql, 10, [&](const Fields& f) {
      BucketReport* b = Find(f);
      if (!b) return;
      size_t have = listings ? b->listings.size() : b->denied_rows.size();
      if (have >= per_bucket || total >= cap_total) return;
      ++total;
      if (listings) {
        b->listings.push_back({Ts(f[3]), f[4], f[5], f[6], f[7], I64(f[8]), f[9] != "0"});
      } else {
        b->denied_rows.push_back(
            {Ts(f[3]), f[4], f[5], f[6], f[7], static_cast<uint16_t>(U64(f[8])), f[9]});
      }
    });
    // What did not get a row is counted, as the local report counts it.
    for (auto& [id, b] : buckets_) {
      if (listings) {
        b.listings_overflow = b.listing_pages - b.listings.size();
      } else {
        b.denied_overflow = b.anonymous.denied - b.denied_rows.size();
      }
    }
    return ok;
  }

  // Key names disclosed by anonymous listings: the first max_sample_keys distinct per bucket
  // (max_sample_keys_total in all); one more per bucket tells whether any were left out.
  bool SampleKeys() {
    size_t per_bucket = o_.limits.max_sample_keys;
    std::string sql = "SELECT provider, account, bucket, sample_key, min(ts_ns) AS first" +
                      Where(" ARRAY JOIN sample_keys AS sample_key") + " AND " +
                      std::string(kAnon) + " AND " + std::string(kSuccess) + " AND " +
                      std::string(kListing) +
                      " GROUP BY provider, account, bucket, sample_key ORDER BY first, sample_key "
                      "LIMIT " +
                      std::to_string(per_bucket + 1) + " BY provider, account, bucket";
    size_t total = 0;
    return Run(sql, 5, [&](const Fields& f) {
      BucketReport* b = Find(f);
      if (!b) return;
      if (b->sample_keys.size() < per_bucket && total < o_.limits.max_sample_keys_total) {
        ++total;
        b->sample_keys.insert(f[3]);
      } else {
        b->sample_keys_truncated = true;
      }
    });
  }

  bool AccessKeys() {
    size_t per_bucket = o_.limits.max_access_keys;
    std::string sql = "SELECT provider, account, bucket, access_key_id, min(ts_ns) AS first" +
                      Where() + " AND NOT " + std::string(kAnon) +
                      " AND access_key_id != '' GROUP BY provider, account, bucket, "
                      "access_key_id ORDER BY first, access_key_id LIMIT " +
                      std::to_string(per_bucket + 1) + " BY provider, account, bucket";
    return Run(sql, 5, [&](const Fields& f) {
      BucketReport* b = Find(f);
      if (!b) return;
      AuthenticatedStats& a = b->authenticated;
      if (a.access_key_ids.size() < per_bucket) {
        a.access_key_ids.insert(f[3]);
      } else {
        a.access_keys_truncated = true;
      }
    });
  }

  // Bins of each bucket's own width (chosen from its first and last request), buckets listed
  // with their width in the query, as many per query as fit.
  bool Timeline() {
    auto it = buckets_.begin();
    while (it != buckets_.end()) {
      std::string names, shifts;
      size_t bytes = 0;
      for (; it != buckets_.end() && bytes < kMaxListBytes; ++it) {
        const BucketReport& b = it->second;
        unsigned shift = 0;
        while ((kFirstBinWidth << shift) < b.bin_width) ++shift;
        std::string q = QuoteString(b.id);
        bytes += q.size() * 2 + 8;
        names += (names.empty() ? "" : ", ") + q;
        shifts += (shifts.empty() ? "" : ", ") + std::to_string(shift);
      }
      std::string a(kAnon), as = std::string(kAnon) + " AND " + std::string(kSuccess);
      std::string sql = "SELECT provider, account, bucket, intDiv(ts_ns, bitShiftLeft(toUInt64(" +
                        std::to_string(kFirstBinWidth) + "), transform(" + std::string(kId) +
                        ", [" + names + "], [" + shifts + "], toUInt8(" +
                        std::to_string(kMaxWidthShift) + ")))) AS bin, countIf(" + a +
                        "), countIf(" + as + "), sumIf(" + std::string(kObjectBytes) + ", " + as +
                        "), countIf(NOT " + a + ")" + Where() + " AND " + std::string(kId) +
                        " IN (" + names + ") GROUP BY provider, account, bucket, bin";
      bool ok = Run(sql, 8, [&](const Fields& f) {
        BucketReport* b = Find(f);
        if (!b) return;
        TimelineBin& bin = b->timeline[I64(f[3])];
        bin.anon_requests = U64(f[4]);
        bin.anon_success = U64(f[5]);
        bin.anon_bytes = U64(f[6]);
        bin.auth_requests = U64(f[7]);
      });
      if (!ok) return false;
    }
    return true;
  }

  const ClickHouseReportOptions& o_;
  chsql::LedgerTable ledger_;
  std::string object_read_;
  std::map<std::string, BucketReport> buckets_;
};

}  // namespace

int RunClickHouseReport(const ClickHouseReportOptions& o, ReportMeta& meta,
                        ReportFormatter& formatter, std::string& error) {
  clickhouse::Endpoint endpoint;
  if (int code = chsql::ResolveSource(o.source, endpoint, error)) return code;
  meta.ledgers = {clickhouse::DisplayName(endpoint)};
  clickhouse::Client client(endpoint, o.source.timeout);
  Report report(o, client);
  ExposureCounters counters;
  if (!report.Load(counters, meta.lines)) {
    error = report.error();
    return 1;
  }
  counters.filtered_bucket = meta.lines - counters.filtered_time - counters.entries;
  meta.counters = &counters;
  meta.limits = &o.limits;

  // Buckets in id order, each followed by its objects as the object query streams them.
  formatter.Begin(meta);
  const auto& buckets = report.buckets();
  auto it = buckets.begin();
  ObjectTotals totals;
  bool open = false;
  auto finish = [&] {  // ends the bucket at `it` and moves to the next
    const BucketReport& b = it->second;
    if (b.anonymous.requests == 0) {
      ++meta.authenticated_only_buckets;
    } else {
      if (!open) formatter.BeginBucket(b);
      formatter.EndBucket(b, totals);
    }
    open = false;
    totals = ObjectTotals{};
    ++it;
  };
  bool ok = report.Objects([&](const ObjectRow& row) {
    while (it != buckets.end() && it->first < row.bucket_id) finish();
    // Rows follow the bucket order and only anonymous reads have one; skip defensively.
    if (it == buckets.end() || it->first != row.bucket_id || it->second.anonymous.requests == 0) {
      return;
    }
    if (!open) formatter.BeginBucket(it->second);
    open = true;
    formatter.Object(it->second, row);
    ++totals.objects;
    totals.reads += row.reads;
    totals.bytes += row.bytes;
    if (row.full_reads == 0) ++totals.range_only_objects;
  });
  while (it != buckets.end()) finish();
  formatter.End(meta);
  if (!ok) {
    error = report.error();
    return 1;
  }
  return 0;
}

}  // namespace bw::report
