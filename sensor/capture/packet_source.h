#pragma once
// A libpcap capture handle, live (an interface) or offline (a pcap or pcapng file), delivering
// frames with nanosecond timestamps. Opening never crashes on bad input: a missing interface or
// file, an unreadable capture or an unsupported link type is a one-line error.
//
// A live interface that goes down (or disappears) is not the end of the capture: the source
// logs one line to stderr, counts it, reports kTimeout while the link is down (so the sensor
// keeps ticking and serving signals), and resumes by itself when the link is up again: on the
// same socket when the kernel keeps it bound (link down/up), or by reopening the interface
// (it was deleted and re-created). A reopen needs CAP_NET_RAW: after a privilege drop it is
// raised from the permitted set for the reopen only (privileges.keep_net_raw); without it the
// reopen fails, which is logged once, counted per attempt (reopen_failures), and retried
// every 30 s while the sensor keeps running with the capture paused.

#include <pcap/pcap.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dissectors/common/bytes.h"
#include "dissectors/common/timestamp.h"
#include "sensor/capture/capture_stream.h"
#include "sensor/capture/pcap_file_reader.h"
#include "sensor/capture/pcapng_reader.h"
#include "sensor/decode/packet_meta.h"

namespace bw::capture {

struct CaptureOptions {
  std::string interface;  // live capture when non-empty
  // Offline capture when non-empty ("-" is stdin): a file, a named pipe or /dev/stdin, pcap or
  // pcapng, plain or gzip-compressed (by its magic).
  std::string file;
  uint32_t snaplen = 262144;
  bool promiscuous = true;
  uint32_t buffer_mib = 256;
  bool immediate = false;
  int timeout_ms = 100;  // live: how often Next() returns kTimeout when idle
  std::string bpf;
  // The --user privileges are dropped to after Open ("" = none); named when a reopen fails.
  std::string user;
  // Readers that share a classic pcap file, each taking its own records (file fanout): this
  // source is lane 0, OpenLane() gives the others (see pcap_file_reader.h). Other sources have
  // one.
  size_t file_lanes = 1;
};

struct RawPacket {
  ByteView data;             // valid until the next call to Next()
  uint32_t wire_length = 0;  // original length on the wire
  TimestampNs ts = 0;
  // The frame's link type: a pcapng file may mix interfaces of different link types.
  decode::LinkType link_type = decode::LinkType::kEthernet;
  // File fanout: what the lane that indexed the frame learnt about it (decode::FrameHint).
  uint8_t hint = 0;
  // File fanout: frames other lanes took, passed over since the previous Next() (any status).
  uint64_t passed = 0;
  uint64_t passed_wire_bytes = 0;
  // File fanout: the latest time of the records passed over so far (see PcapFileReader).
  TimestampNs passed_latest = 0;
};

// How often a live capture lost its interface and got it back.
struct LinkEvents {
  uint64_t interface_down = 0;   // the interface went down or disappeared
  uint64_t resumed = 0;          // capture resumed afterwards (same socket or reopened)
  uint64_t reopens = 0;          // of those, by reopening the interface
  uint64_t reopen_failures = 0;  // reopen attempts that failed (e.g. no CAP_NET_RAW left)
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
  // The link type of the source (of a pcapng file's first interface; see RawPacket).
  decode::LinkType link_type() const { return link_type_; }
  // pcapng blocks that carry no packet (statistics, secrets, custom, unknown), skipped.
  uint64_t pcapng_blocks_skipped() const { return pcapng_ ? pcapng_->blocks_skipped() : 0; }
  bool live() const { return live_; }
  // Bytes the capture file's read buffers hold, for all lanes (0 for other sources).
  size_t buffer_bytes() const { return pcap_file_ ? pcap_file_->buffer_bytes() : 0; }
  // How many lanes read this source: options.file_lanes for a classic pcap file, else 1.
  size_t lanes() const { return pcap_file_ ? options_.file_lanes : 1; }
  // Lane `lane` (1 .. lanes() − 1) of this file, with the same filter; call before reading.
  std::unique_ptr<PacketSource> OpenLane(size_t lane) const;
  // This reader reads no more (other lanes stop waiting for it); Next() returns kEnd.
  void StopReading();
  // File fanout: how this lane tells its frames from the other lanes' (see pcap_file_reader.h).
  // Not with a BPF filter: frames the filter drops would count as passed to another lane.
  void SetRecordSplitter(RecordSplitter* splitter);
  // File fanout: see PcapFileReader::SetPassedHook.
  void SetPassedHook(std::function<void(TimestampNs)> hook);
  const std::string& error() const { return error_; }
  const std::string& description() const { return description_; }
  // Counters from pcap_stats (live only; false offline or on failure).
  bool Stats(KernelStats& out);
  // Interface down/up history (live only). Read from the capture thread or after Run.
  const LinkEvents& link_events() const { return link_events_; }
  bool link_down() const { return down_; }
  // Makes a blocked Next() return kEnd; safe to call from another thread.
  void BreakLoop();
  // Whether BreakLoop() was called: an end of input after it is a cut, not the real end.
  bool broken() const { return break_.load(std::memory_order_relaxed); }
  // The file descriptor to poll for readiness (live), or -1.
  int selectable_fd() const;

 private:
  PacketSource() = default;
  // Creates and activates the live handle from options_; false with error_ set.
  bool ActivateLive(int& pcap_rc);
  // A read error on a live handle: true when it is a lost link we wait out. `link_loss`: the
  // socket said so (ENETDOWN/ENODEV); otherwise the interface's flags decide.
  bool OnLiveError(bool link_loss);
  // While down: waits up to timeout_ms, returns true once the capture runs again.
  bool TryResume();
  // Whether the interface is up and running; `ifindex` 0 when it does not exist.
  bool InterfaceUp(bool& exists, unsigned& ifindex) const;
  // A failed reopen attempt (rc from pcap_activate): counts it, picks the retry interval, and
  // logs it unless the same failure was the last one logged.
  void OnReopenFailure(int pcap_rc);
  // A reader's error, or the stream's when the stream has one (a corrupt or cut gzip stream
  // reads to the reader as a file cut short or garbage).
  std::string StreamErrorOr(std::string reader_error);
  NextStatus NextPcapng(RawPacket& out);
  NextStatus NextPcapFile(RawPacket& out);
  // Whether `p` passes the BPF filter (pcapng files: compiled per link type on first use).
  bool PassesFilter(int dlt, const pcap_pkthdr& hdr, const uint8_t* data);

  struct CompiledFilter {
    int dlt = 0;
    bool ok = false;
    bpf_program prog{};
  };
  std::unique_ptr<PcapFileReader> pcap_file_;
  std::unique_ptr<PcapngReader> pcapng_;
  // The stream pcapng_ or libpcap (handle_) reads, owned by them: for its errors and Cancel().
  CaptureStream* stream_ = nullptr;
  std::vector<CompiledFilter> filters_;
  std::atomic<bool> break_{false};

  CaptureOptions options_;
  pcap_t* handle_ = nullptr;
  decode::LinkType link_type_ = decode::LinkType::kEthernet;
  bool live_ = false;
  bool nanosecond_ = false;
  int timeout_ms_ = 100;
  std::string error_;
  std::string description_;
  bool down_ = false;
  bool needs_reopen_ = false;  // the interface disappeared: its socket is bound to a dead index
  unsigned ifindex_ = 0;       // the index the socket is bound to
  int64_t down_since_ms_ = 0;
  int64_t last_attempt_ms_ = 0;
  int64_t reopen_interval_ms_ = 0;     // until the next reopen attempt; longer after a denial
  std::string reopen_failure_logged_;  // last reopen failure logged (each is logged once)
  LinkEvents link_events_;
};

}  // namespace bw::capture
