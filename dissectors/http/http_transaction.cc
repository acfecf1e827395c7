#include "dissectors/http/http_transaction.h"

#include "dissectors/common/ascii.h"

namespace bw::http {

const std::string* FindHeader(const std::vector<Header>& headers, std::string_view name) {
  for (const Header& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return &h.value;
  }
  return nullptr;
}

}  // namespace bw::http
