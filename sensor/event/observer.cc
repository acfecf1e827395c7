#include "sensor/event/observer.h"

#include <unistd.h>

#include <array>

namespace bw::event {
namespace {

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

bool ValidObserverName(std::string_view name) {
  if (name.empty() || name.size() > kMaxObserverBytes) return false;
  for (char c : name) {
    if (!NameChar(c)) return false;
  }
  return true;
}

Observer ResolveObserver(std::string_view configured) {
  Observer o;
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) == 0) {
    for (size_t i = 0; i < host.size() && host[i] != '\0' && o.hostname.size() < kMaxObserverBytes;
         ++i) {
      o.hostname.push_back(NameChar(host[i]) ? host[i] : '_');
    }
  }
  if (o.hostname.empty()) o.hostname = "unknown";
  o.name = configured.empty() ? o.hostname : std::string(configured);
  return o;
}

}  // namespace bw::event
