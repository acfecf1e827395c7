#include "dissectors/http/http_transaction.h"

namespace bw::http {

const std::string* FindHeader(const std::vector<Header>& headers, std::string_view name) {
  for (const Header& h : headers) {
    if (h.name.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) {
      char a = h.name[i], b = name[i];
      if (a >= 'A' && a <= 'Z') a = static_cast<char>(a | 0x20);
      if (b >= 'A' && b <= 'Z') b = static_cast<char>(b | 0x20);
      same = a == b;
    }
    if (same) return &h.value;
  }
  return nullptr;
}

}  // namespace bw::http
