// The terminal format of the inventory: one block per bucket, then what the input held.
#include <ostream>

#include "sensor/common/human_bytes.h"
#include "sensor/report/inventory_format.h"
#include "sensor/report/report_format.h"

namespace bw::report {

namespace {

// "3" or "at least 3" past a cap.
std::string Count(uint64_t n, bool lower_bound) {
  return (lower_bound ? "at least " : "") + std::to_string(n);
}

class InventoryTextFormatter : public InventoryFormatter {
 public:
  explicit InventoryTextFormatter(std::ostream& out) : out_(out) {}

  void Begin(const InventoryMeta& m) override {
    out_ << "bucketwatch exposure inventory (generated " << TimeText(m.generated_at) << ")\n";
    out_ << "sources: ";
    for (size_t i = 0; i < m.sources.size(); ++i) out_ << (i ? ", " : "") << m.sources[i];
    out_ << "\n";
    if (m.since || m.until) {
      out_ << "period: " << (m.since ? TimeText(*m.since) : "start") << " .. "
           << (m.until ? TimeText(*m.until) : "end") << "\n";
    }
    if (!m.bucket_pattern.empty()) out_ << "buckets matching: " << m.bucket_pattern << "\n";
  }

  void Row(const InventoryRow& r) override {
    ++rows_;
    out_ << "\n== " << InventoryDisplayName(r) << " ==\n";
    out_ << "  anonymous successes: " << TimeText(r.first_success) << " .. "
         << TimeText(r.last_success) << " (" << r.anonymous_successes << " requests)\n";
    std::string ops;
    for (const auto& [name, n] : r.operations) {
      ops += (ops.empty() ? "" : ", ") + name + " " + std::to_string(n);
    }
    if (r.operations_other) {
      ops += (ops.empty() ? "" : ", ") + std::string("other ") + std::to_string(r.operations_other);
    }
    out_ << "  operations: " << ops << "\n";
    out_ << "  clients: " << Count(r.clients, r.clients_lower_bound) << "\n";
    out_ << "  objects served: " << Count(r.objects, r.objects_lower_bound) << " distinct, "
         << r.object_reads << (r.object_reads == 1 ? " read, " : " reads, ")
         << common::HumanBytes(r.object_bytes) << "\n";
    out_ << "  seen by:";
    for (const auto& s : r.sensors) out_ << " " << s;
    if (r.sensors_truncated) out_ << " ...";
    if (r.unattributed) {
      out_ << " unknown (" << r.unattributed << " requests without observer.name)";
    }
    out_ << "\n";
  }

  void End(const InventoryMeta& m) override {
    out_ << "\n"
         << rows_ << (rows_ == 1 ? " bucket" : " buckets")
         << " answered anonymous requests successfully\n";
    out_ << "input: " << m.lines << " lines";
    if (m.bad_lines) out_ << ", " << m.bad_lines << " not ledger records";
    if (m.oversized_lines) out_ << ", " << m.oversized_lines << " oversized";
    if (m.outside_period) out_ << ", " << m.outside_period << " outside the period";
    if (m.other_buckets) out_ << ", " << m.other_buckets << " of other buckets";
    out_ << "\n";
    if (m.counters && m.limits) {
      const InventoryCounters& c = *m.counters;
      if (c.no_bucket) {
        out_ << "note: " << c.no_bucket
             << " anonymous successes named no account or bucket (not listed)\n";
      }
      if (c.past_bucket_limit) {
        out_ << "note: " << c.past_bucket_limit << " anonymous successes of buckets past the "
             << m.limits->max_buckets << "-bucket limit are not listed\n";
      }
      if (c.distinct_budget_spent) {
        out_ << "note: the distinct-count budget (" << m.limits->max_distinct_total
             << ") ran out; counts marked \"at least\" are lower bounds\n";
      }
    }
    out_.flush();
  }

 private:
  std::ostream& out_;
  uint64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<InventoryFormatter> MakeInventoryTextFormatter(std::ostream& out) {
  return std::make_unique<InventoryTextFormatter>(out);
}

}  // namespace bw::report
