#include "sensor/detect/bounded_text.h"

#include <cstdio>
#include <functional>

namespace bw::detect {

std::string_view Utf8Prefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

std::string BoundedName(std::string_view name) {
  if (name.size() <= kMaxNameBytes) return std::string(name);
  char hash[24];
  std::snprintf(hash, sizeof(hash), "...#%016llx",
                static_cast<unsigned long long>(std::hash<std::string_view>{}(name)));
  std::string out(Utf8Prefix(name, kLongNamePrefixBytes));
  out += hash;
  return out;
}

std::string Bounded(std::string_view text, size_t max) {
  return std::string(Utf8Prefix(text, max));
}

}  // namespace bw::detect
