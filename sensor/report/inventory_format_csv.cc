// The spreadsheet format of the inventory: one row per bucket (RFC 4180, cells that would run as
// formulas quoted, csv_cell.h). Operations are "name=count" separated by spaces, sensors by
// spaces with "unknown" for lines without observer.name.
#include <ostream>

#include "sensor/report/csv_cell.h"
#include "sensor/report/inventory_format.h"
#include "sensor/report/report_format.h"

namespace bw::report {

namespace {

const char* Bool(bool b) { return b ? "true" : "false"; }

class InventoryCsvFormatter : public InventoryFormatter {
 public:
  explicit InventoryCsvFormatter(std::ostream& out) : out_(out) {}

  void Begin(const InventoryMeta&) override {
    out_ << "provider,account,bucket,first_success,last_success,anonymous_successes,operations,"
            "clients,clients_lower_bound,objects,objects_lower_bound,object_reads,object_bytes,"
            "sensors\r\n";
  }

  void Row(const InventoryRow& r) override {
    std::string ops;
    for (const auto& [name, n] : r.operations) {
      ops += (ops.empty() ? "" : " ") + name + "=" + std::to_string(n);
    }
    if (r.operations_other)
      ops += (ops.empty() ? "" : " ") + std::string("other=") + std::to_string(r.operations_other);
    std::string sensors;
    for (const auto& s : r.sensors) sensors += (sensors.empty() ? "" : " ") + s;
    if (r.sensors_truncated) sensors += " ...";
    if (r.unattributed) sensors += (sensors.empty() ? "" : " ") + std::string("unknown");
    out_ << CsvCell(r.provider) << ',' << CsvCell(r.account) << ',' << CsvCell(r.bucket) << ','
         << TimeText(r.first_success) << ',' << TimeText(r.last_success) << ','
         << r.anonymous_successes << ',' << CsvCell(ops) << ',' << r.clients << ','
         << Bool(r.clients_lower_bound) << ',' << r.objects << ',' << Bool(r.objects_lower_bound)
         << ',' << r.object_reads << ',' << r.object_bytes << ',' << CsvCell(sensors) << "\r\n";
  }

  void End(const InventoryMeta&) override { out_.flush(); }

 private:
  std::ostream& out_;
};

}  // namespace

std::unique_ptr<InventoryFormatter> MakeInventoryCsvFormatter(std::ostream& out) {
  return std::make_unique<InventoryCsvFormatter>(out);
}

}  // namespace bw::report
