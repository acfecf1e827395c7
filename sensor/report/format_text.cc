// The terminal format: one section per bucket with anonymous traffic, aligned
// tables.
#include <ostream>

#include "sensor/common/human_bytes.h"
#include "sensor/report/report_format.h"

namespace bw::report {

namespace {

std::string Quoted(const std::string& s) { return s.empty() ? "-" : "\"" + s + "\""; }

class TextFormatter : public ReportFormatter {
 public:
  explicit TextFormatter(std::ostream& out) : out_(out) {}

  void Begin(const ReportMeta& m) override {
    out_ << "bucketwatch exposure report (generated " << TimeText(m.generated_at) << ")\n";
    out_ << "ledgers: ";
    for (size_t i = 0; i < m.ledgers.size(); ++i) out_ << (i ? ", " : "") << m.ledgers[i];
    out_ << "\n";
    if (m.since || m.until) {
      out_ << "period: " << (m.since ? TimeText(*m.since) : "start") << " .. "
           << (m.until ? TimeText(*m.until) : "end") << "\n";
    }
    if (!m.bucket_pattern.empty()) out_ << "buckets matching: " << m.bucket_pattern << "\n";
  }

  void BeginBucket(const BucketReport& b) override {
    out_ << "\n== " << BucketDisplayName(b) << (b.exposed() ? "  [EXPOSED]" : "  [not exposed]")
         << " ==\n";
    if (b.exposed()) {
      out_ << "exposure window: " << TimeText(b.exposure_first) << " .. "
           << TimeText(b.exposure_last) << "\n";
    }
    const OutcomeCounts& a = b.anonymous;
    out_ << "anonymous requests: " << a.requests << " (success " << a.success << ", denied "
         << a.denied << ", not found " << a.not_found << ", error " << a.error << ", no response "
         << a.no_response << ")\n";
    out_ << "\nanonymous operations:\n";
    for (const auto& [op, c] : b.anon_operations) {
      out_ << "  " << op << ": " << c.requests << " requests, " << c.success << " success, "
           << c.denied << " denied\n";
    }
    if (b.operations_overflow) out_ << "  (other operations: " << b.operations_overflow << ")\n";

    out_ << "\nanonymous clients (address, user agent, requests, listings, "
            "reads, denied, "
            "bytes):\n";
    for (const ClientStats* c : b.SortedClients()) Client(*c);
    if (b.clients_overflow) {
      out_ << "  (" << b.clients_overflow << " requests from clients past the per-bucket limit)\n";
    }

    if (b.listing_pages) {
      out_ << "\nlistings that disclosed key names: " << b.listing_pages << " pages, "
           << b.listed_keys << " keys (" << b.truncated_pages << " pages said more follow)\n";
      for (const auto& l : b.listings) {
        out_ << "  " << TimeText(l.ts) << "  " << l.ip << "  " << l.operation << "  keys " << l.keys
             << (l.truncated ? " (truncated)" : "") << "\n";
      }
      if (b.listings_overflow) out_ << "  (" << b.listings_overflow << " more pages)\n";
      if (!b.sample_keys.empty()) {
        out_ << "  disclosed key names (sample):";
        for (const auto& k : b.sample_keys) out_ << " " << Quoted(k);
        out_ << (b.sample_keys_truncated ? " ..." : "") << "\n";
      }
    }

    if (!b.denied_rows.empty()) {
      out_ << "\ndenied anonymous attempts: " << b.anonymous.denied << "\n";
      for (const auto& d : b.denied_rows) {
        out_ << "  " << TimeText(d.ts) << "  " << d.ip << "  " << d.operation;
        if (!d.key.empty()) out_ << " " << Quoted(d.key);
        out_ << "  " << d.status << " " << (d.error_code.empty() ? "-" : d.error_code) << "\n";
      }
      if (b.denied_overflow) out_ << "  (" << b.denied_overflow << " more)\n";
    }

    const AuthenticatedStats& au = b.authenticated;
    out_ << "\nauthenticated traffic (for contrast): " << au.outcomes.requests << " requests";
    if (au.outcomes.requests) {
      out_ << " (success " << au.outcomes.success << ", denied " << au.outcomes.denied << "), "
           << common::HumanBytes(au.bytes) << ", " << TimeText(au.first) << " .. "
           << TimeText(au.last);
      out_ << "; by class:";
      for (const auto& [cls, n] : au.by_class) out_ << " " << cls << "=" << n;
      if (!au.access_key_ids.empty()) {
        out_ << "; access keys:";
        for (const auto& k : au.access_key_ids) out_ << " " << k;
        if (au.access_keys_truncated) out_ << " ...";
      }
    }
    out_ << "\n";
    header_done_ = false;
  }

  void Object(const BucketReport&, const ObjectRow& r) override {
    if (!header_done_) {
      out_ << "\nobjects read anonymously (key, first read, reads, full/range, "
              "bytes, readers):\n";
      header_done_ = true;
    }
    out_ << "  " << Quoted(r.key) << "  " << TimeText(r.first_read) << "  " << r.reads << "  "
         << (r.range_reads == 0  ? "full"
             : r.full_reads == 0 ? "range"
                                 : "full+range")
         << "  " << r.bytes << "  ";
    for (size_t i = 0; i < r.readers.size(); ++i) out_ << (i ? "," : "") << r.readers[i];
    if (r.readers_truncated) out_ << ",...";
    out_ << "\n";
  }

  void EndBucket(const BucketReport& b, const ObjectTotals& t) override {
    if (b.exposed()) {
      out_ << "\nobjects read anonymously: " << t.objects << " objects, " << t.reads << " reads, "
           << common::HumanBytes(t.bytes) << " (" << t.range_only_objects << " only in part)\n";
    }
    ++buckets_;
    if (b.exposed()) ++exposed_;
    objects_ += t.objects;
    bytes_ += t.bytes;
  }

  void End(const ReportMeta& m) override {
    out_ << "\n== summary ==\n";
    out_ << "buckets with anonymous requests: " << buckets_ << ", exposed: " << exposed_
         << ", objects read anonymously: " << objects_ << " (" << common::HumanBytes(bytes_)
         << ")\n";
    out_ << "buckets with authenticated traffic only: " << m.authenticated_only_buckets << "\n";
    out_ << "ledger lines: " << m.lines << " read, " << m.bad_lines << " not ledger records, "
         << m.oversized_lines << " too long";
    if (m.counters) {
      out_ << ", " << m.counters->filtered_time << " outside the period, "
           << m.counters->filtered_bucket << " other buckets, " << m.counters->buckets_overflow
           << " past the bucket limit";
    }
    out_ << "\n";
    out_.flush();
  }

 private:
  void Client(const ClientStats& c) {
    out_ << "  " << (c.ip.empty() ? "(other clients)" : c.ip) << "  " << Quoted(c.user_agent)
         << "  " << c.requests << "  " << c.listings << "  " << c.reads << "  " << c.denied << "  "
         << c.bytes << "\n";
  }

  std::ostream& out_;
  bool header_done_ = false;
  uint64_t buckets_ = 0, exposed_ = 0, objects_ = 0, bytes_ = 0;
};

}  // namespace

std::unique_ptr<ReportFormatter> MakeTextFormatter(std::ostream& out) {
  return std::make_unique<TextFormatter>(out);
}

}  // namespace bw::report
