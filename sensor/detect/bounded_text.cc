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

std::string_view BoundedName(std::string_view name, BoundedNameBuffer& scratch) {
  if (name.size() <= kMaxNameBytes) return name;
  std::string_view prefix = Utf8Prefix(name, kLongNamePrefixBytes);
  size_t n = prefix.copy(scratch.data(), prefix.size());
  // "...#", 16 hex digits and snprintf's NUL fit the 21 bytes past the longest prefix.
  n += static_cast<size_t>(
      std::snprintf(scratch.data() + n, scratch.size() - n, "...#%016llx",
                    static_cast<unsigned long long>(std::hash<std::string_view>{}(name))));
  return std::string_view(scratch.data(), n);
}

std::string BoundedName(std::string_view name) {
  BoundedNameBuffer scratch;
  return std::string(BoundedName(name, scratch));
}

std::string Bounded(std::string_view text, size_t max) {
  return std::string(Utf8Prefix(text, max));
}

void AssignAsNew(std::string& out, std::string_view text) {
  // A short string never leaves the inline buffer, and moving one in keeps `out`'s buffer;
  // a long one arrives in a buffer of exactly its length.
  if (text.size() <= 15 || out.capacity() == text.size()) {
    out.assign(text);
  } else {
    out = std::string(text);
  }
}

}  // namespace bw::detect
