#pragma once
// A libpcap capture handle, live (an interface) or offline (a pcap or pcapng file), delivering
// frames with nanosecond timestamps. Opening never crashes on bad input: a missing interface or
// file, an unreadable capture or an unsupported link type is a one-line error.

#include <pcap/pcap.h>

#include <cstdint>
#include <memory>
#include <string>

#include "dissectors/common/bytes.h"
#include "dissectors/common/timestamp.h"
#include "sensor/decode/packet_meta.h"

namespace bw::capture {

struct CaptureOptions {
  std::string interface;  // live capture when non-empty
  std::string file;       // offline capture when non-empty ("-" is stdin)
  uint32_t snaplen = 262144;
  bool promiscuous = true;
  uint32_t buffer_mib = 64;
  bool immediate = true;
  int timeout_ms = 100;  // live: how often Next() returns kTimeout when idle
  std::string bpf;
};

struct RawPacket {
  ByteView data;             // valid until the next call to Next()
  uint32_t wire_length = 0;  // original length on the wire
  TimestampNs ts = 0;
};

struct KernelStats {
  uint64_t received = 0;         // ps_recv
  uint64_t kernel_drops = 0;     // ps_drop: no room in the capture buffer
  uint64_t interface_drops = 0;  // ps_ifdrop: dropped by the interface/driver
};

enum class NextStatus : uint8_t {
  kPacket,
  kTimeout,  // live only: nothing arrived within timeout_ms
  kEnd,      // offline: end of file; live: BreakLoop() was called
  kError,    // read error (e.g. a truncated file); error() says why; earlier packets stand
};

class PacketSource {
 public:
  // Returns nullptr and sets `error` (one line, no trailing newline) when the source cannot be
  // opened or its link type is not supported. `usage_error` tells a mistake in the request
  // (an invalid BPF expression) from a failure of the environment (no such file/interface).
  static std::unique_ptr<PacketSource> Open(const CaptureOptions& options, std::string& error,
                                            bool& usage_error);
  ~PacketSource();
  PacketSource(const PacketSource&) = delete;
  PacketSource& operator=(const PacketSource&) = delete;

  NextStatus Next(RawPacket& out);
  decode::LinkType link_type() const { return link_type_; }
  bool live() const { return live_; }
  const std::string& error() const { return error_; }
  const std::string& description() const { return description_; }
  // Counters from pcap_stats (live only; false offline or on failure).
  bool Stats(KernelStats& out);
  // Makes a blocked Next() return kEnd; safe to call from another thread.
  void BreakLoop();
  // The file descriptor to poll for readiness (live), or -1.
  int selectable_fd() const;

 private:
  PacketSource() = default;
  pcap_t* handle_ = nullptr;
  decode::LinkType link_type_ = decode::LinkType::kEthernet;
  bool live_ = false;
  bool nanosecond_ = false;
  int timeout_ms_ = 100;
  std::string error_;
  std::string description_;
};

}  // namespace bw::capture
