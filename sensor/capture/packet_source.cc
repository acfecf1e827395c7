#include "sensor/capture/packet_source.h"

#include <poll.h>

#include <cerrno>

#include "sensor/decode/decoder.h"

namespace bw::capture {
namespace {

std::string OneLine(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  for (auto& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

}  // namespace

std::unique_ptr<PacketSource> PacketSource::Open(const CaptureOptions& options,
                                                 std::string& error, bool& usage_error) {
  usage_error = false;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<PacketSource> src(new PacketSource());
  if (!options.file.empty()) {
    src->handle_ = pcap_open_offline_with_tstamp_precision(
        options.file.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!src->handle_) {
      error = "cannot read capture " + options.file + ": " + OneLine(errbuf);
      return nullptr;
    }
    src->nanosecond_ = pcap_get_tstamp_precision(src->handle_) == PCAP_TSTAMP_PRECISION_NANO;
    src->description_ = "file " + options.file;
  } else if (!options.interface.empty()) {
    src->live_ = true;
    src->handle_ = pcap_create(options.interface.c_str(), errbuf);
    if (!src->handle_) {
      error = "cannot open interface " + options.interface + ": " + OneLine(errbuf);
      return nullptr;
    }
    pcap_set_snaplen(src->handle_, static_cast<int>(options.snaplen));
    pcap_set_promisc(src->handle_, options.promiscuous ? 1 : 0);
    pcap_set_timeout(src->handle_, options.timeout_ms);
    pcap_set_buffer_size(src->handle_, static_cast<int>(options.buffer_mib) << 20);
    pcap_set_immediate_mode(src->handle_, options.immediate ? 1 : 0);
    // Nanosecond stamps where the platform offers them; microseconds otherwise.
    src->nanosecond_ =
        pcap_set_tstamp_precision(src->handle_, PCAP_TSTAMP_PRECISION_NANO) == 0;
    int rc = pcap_activate(src->handle_);
    if (rc < 0) {
      std::string why = rc == PCAP_ERROR_NO_SUCH_DEVICE   ? "no such interface"
                        : rc == PCAP_ERROR_PERM_DENIED    ? "permission denied (needs CAP_NET_RAW)"
                        : rc == PCAP_ERROR_IFACE_NOT_UP   ? "interface is down"
                                                          : OneLine(pcap_geterr(src->handle_));
      std::string detail = OneLine(pcap_geterr(src->handle_));
      if (!detail.empty() && detail != why && rc != PCAP_ERROR) why += " (" + detail + ")";
      error = "cannot capture on " + options.interface + ": " + why;
      return nullptr;
    }
    if (src->nanosecond_) {
      src->nanosecond_ = pcap_get_tstamp_precision(src->handle_) == PCAP_TSTAMP_PRECISION_NANO;
    }
    src->description_ = "interface " + options.interface;
    // Our own poll() below bounds every wait, so signals (SIGHUP, SIGTERM) and idle timers are
    // served promptly whatever the kernel ring's block timeout is.
    if (pcap_setnonblock(src->handle_, 1, errbuf) != 0) {
      error = "cannot capture on " + options.interface + ": " + OneLine(errbuf);
      return nullptr;
    }
    src->timeout_ms_ = options.timeout_ms;
  } else {
    error = "no capture source: give --read FILE or --interface IF";
    usage_error = true;
    return nullptr;
  }

  int dlt = pcap_datalink(src->handle_);
  if (!decode::IsSupportedLinkType(dlt)) {
    const char* name = pcap_datalink_val_to_name(dlt);
    error = src->description_ + ": unsupported link type " + std::to_string(dlt) +
            (name ? std::string(" (") + name + ")" : std::string());
    return nullptr;
  }
  src->link_type_ = static_cast<decode::LinkType>(dlt);

  if (!options.bpf.empty()) {
    bpf_program prog{};
    if (pcap_compile(src->handle_, &prog, options.bpf.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      error = "invalid BPF filter '" + options.bpf + "': " + OneLine(pcap_geterr(src->handle_));
      usage_error = true;
      return nullptr;
    }
    int rc = pcap_setfilter(src->handle_, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
      error = "cannot apply BPF filter: " + OneLine(pcap_geterr(src->handle_));
      return nullptr;
    }
  }
  return src;
}

PacketSource::~PacketSource() {
  if (handle_) pcap_close(handle_);
}

NextStatus PacketSource::Next(RawPacket& out) {
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(handle_, &hdr, &data);
  if (rc == 0 && live_) {
    pollfd pfd{pcap_get_selectable_fd(handle_), POLLIN, 0};
    int ready = ::poll(&pfd, 1, timeout_ms_);
    if (ready <= 0) return NextStatus::kTimeout;  // idle, or a signal to look at
    rc = pcap_next_ex(handle_, &hdr, &data);
  }
  if (rc == 1) {
    out.data = ByteView(data, hdr->caplen);
    out.wire_length = hdr->len;
    TimestampNs frac = static_cast<TimestampNs>(hdr->ts.tv_usec);
    out.ts = static_cast<TimestampNs>(hdr->ts.tv_sec) * kNsPerSecond +
             (nanosecond_ ? frac : frac * 1000);
    return NextStatus::kPacket;
  }
  if (rc == 0) return NextStatus::kTimeout;
  if (rc == PCAP_ERROR_BREAK) return NextStatus::kEnd;
  error_ = OneLine(pcap_geterr(handle_));
  if (error_.empty()) error_ = "capture read failed";
  return NextStatus::kError;
}

bool PacketSource::Stats(KernelStats& out) {
  if (!live_) return false;
  pcap_stat st{};
  if (pcap_stats(handle_, &st) != 0) return false;
  out.received = st.ps_recv;
  out.kernel_drops = st.ps_drop;
  out.interface_drops = st.ps_ifdrop;
  return true;
}

void PacketSource::BreakLoop() { pcap_breakloop(handle_); }

int PacketSource::selectable_fd() const { return live_ ? pcap_get_selectable_fd(handle_) : -1; }

}  // namespace bw::capture
