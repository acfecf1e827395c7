// The machine format of the inventory: one JSON document, rows written as they come.
#include <nlohmann/json.hpp>
#include <ostream>

#include "sensor/report/inventory_format.h"
#include "sensor/report/report_format.h"

namespace bw::report {

namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

class InventoryJsonFormatter : public InventoryFormatter {
 public:
  explicit InventoryJsonFormatter(std::ostream& out) : out_(out) {}

  void Begin(const InventoryMeta& m) override {
    Json r;
    r["generated_at"] = TimeText(m.generated_at);
    r["sources"] = m.sources;
    r["since"] = m.since ? Json(TimeText(*m.since)) : Json(nullptr);
    r["until"] = m.until ? Json(TimeText(*m.until)) : Json(nullptr);
    r["bucket_pattern"] = m.bucket_pattern.empty() ? Json(nullptr) : Json(m.bucket_pattern);
    out_ << "{\"inventory\":" << Dump(r) << ",\"buckets\":[";
  }

  void Row(const InventoryRow& row) override {
    Json j;
    j["provider"] = row.provider;
    j["account"] = row.account;
    j["bucket"] = row.bucket;
    j["first_success"] = TimeText(row.first_success);
    j["last_success"] = TimeText(row.last_success);
    j["anonymous_successes"] = row.anonymous_successes;
    j["operations"] = row.operations;
    j["operations_other"] = row.operations_other;
    j["clients"] = row.clients;
    j["clients_lower_bound"] = row.clients_lower_bound;
    j["objects"] = row.objects;
    j["objects_lower_bound"] = row.objects_lower_bound;
    j["object_reads"] = row.object_reads;
    j["object_bytes"] = row.object_bytes;
    j["sensors"] = row.sensors;
    j["sensors_truncated"] = row.sensors_truncated;
    j["unattributed"] = row.unattributed;
    out_ << (first_ ? "" : ",") << Dump(j) << "\n";
    first_ = false;
  }

  void End(const InventoryMeta& m) override {
    Json s;
    s["lines"] = m.lines;
    s["bad_lines"] = m.bad_lines;
    s["oversized_lines"] = m.oversized_lines;
    s["outside_period"] = m.outside_period;
    s["other_buckets"] = m.other_buckets;
    if (m.counters) {
      s["entries"] = m.counters->entries;
      s["anonymous_successes"] = m.counters->anonymous_successes;
      s["no_bucket"] = m.counters->no_bucket;
      s["past_bucket_limit"] = m.counters->past_bucket_limit;
      s["distinct_budget_spent"] = m.counters->distinct_budget_spent;
    }
    if (m.limits) {
      s["limits"] = {{"max_buckets", m.limits->max_buckets},
                     {"max_operations", m.limits->max_operations},
                     {"max_sensors", m.limits->max_sensors},
                     {"max_clients_per_bucket", m.limits->max_clients_per_bucket},
                     {"max_objects_per_bucket", m.limits->max_objects_per_bucket},
                     {"max_distinct_total", m.limits->max_distinct_total}};
    }
    out_ << "],\"input\":" << Dump(s) << "}\n";
    out_.flush();
  }

 private:
  std::ostream& out_;
  bool first_ = true;
};

}  // namespace

std::unique_ptr<InventoryFormatter> MakeInventoryJsonFormatter(std::ostream& out) {
  return std::make_unique<InventoryJsonFormatter>(out);
}

}  // namespace bw::report
