#pragma once
// Compiles capture.bpf (or --bpf) once without a capture, so --check-config and start-up
// refuse a filter libpcap would refuse, with the key and libpcap's reason, before anything is
// opened. Kept out of LoadConfig: a reload does not apply capture.bpf, and compiling a filter
// that names a host resolves it (DNS), which must not stall the capture thread on SIGHUP.

#include <cstddef>
#include <cstdint>
#include <string>

namespace bw::config {

inline constexpr size_t kMaxBpfFilterBytes = 64u << 10;

// True when `expression` is empty or compiles (optimised, as the capture compiles it) for
// Ethernet or, failing that, for one of the other common link types (Linux cooked, raw IP,
// 802.11 with radiotap): a filter that only makes sense on one of them is not refused.
// Otherwise false with libpcap's reason (cut to one short line).
[[nodiscard]] bool CheckBpfFilter(const std::string& expression, uint32_t snaplen,
                                  std::string& reason);

}  // namespace bw::config
