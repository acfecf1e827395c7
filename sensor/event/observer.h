#pragma once
// Which sensor saw it: ECS `observer.name` (sensor.name, the operator's name for this tap) and
// `observer.hostname` (the machine it runs on), carried by every ledger line and alert so a
// fleet's records stay attributable once they are merged (issue 20). Both are printable ASCII
// without spaces or quotes, at most kMaxObserverBytes, so they are safe as metric label values
// and in syslog headers as they stand.

#include <cstddef>
#include <string>
#include <string_view>

namespace bw::event {

inline constexpr size_t kMaxObserverBytes = 63;

struct Observer {
  std::string name;
  std::string hostname;
  bool empty() const { return name.empty() && hostname.empty(); }
};

// Whether `name` may be a sensor.name: 1..kMaxObserverBytes of [A-Za-z0-9._-].
bool ValidObserverName(std::string_view name);
// The observer for `configured` (sensor.name; empty: the host name). The host name is read with
// gethostname(2); characters outside [A-Za-z0-9._-] become '_' and it is cut at
// kMaxObserverBytes; without one, "unknown".
Observer ResolveObserver(std::string_view configured);

}  // namespace bw::event
