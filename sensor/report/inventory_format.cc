#include "sensor/report/inventory_format.h"

namespace bw::report {

std::unique_ptr<InventoryFormatter> MakeInventoryTextFormatter(std::ostream& out);
std::unique_ptr<InventoryFormatter> MakeInventoryJsonFormatter(std::ostream& out);
std::unique_ptr<InventoryFormatter> MakeInventoryCsvFormatter(std::ostream& out);

std::unique_ptr<InventoryFormatter> MakeInventoryFormatter(const std::string& format,
                                                           std::ostream& out) {
  if (format == "text") return MakeInventoryTextFormatter(out);
  if (format == "json") return MakeInventoryJsonFormatter(out);
  if (format == "csv") return MakeInventoryCsvFormatter(out);
  return nullptr;
}

std::string InventoryDisplayName(const InventoryRow& row) {
  std::string name = row.provider + " ";
  if (!row.account.empty()) name += row.account + "/";
  name += row.bucket.empty() ? "(account level)" : row.bucket;
  return name;
}

}  // namespace bw::report
