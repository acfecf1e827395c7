#include "sensor/capture/packet_source.h"

#include <net/if.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "sensor/capture/net_raw_capability.h"
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

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr int64_t kReopenIntervalMs = 1000;
// After a reader's error in a gzip stream, how much more is inflated to look for the cause.
constexpr uint64_t kReadOnBytes = 16u << 20;
// After a reopen was refused for lack of CAP_NET_RAW: the privilege cannot come back by itself,
// so retry rarely (the attempt is cheap and its counter shows the capture is still paused).
constexpr int64_t kReopenDeniedIntervalMs = 30000;

std::string UnsupportedLinkType(const std::string& source, int dlt) {
  const char* name = pcap_datalink_val_to_name(dlt);
  return source + ": unsupported link type " + std::to_string(dlt) +
         (name ? std::string(" (") + name + ")" : std::string());
}

bool CompileFilter(pcap_t* handle, const std::string& bpf, bpf_program& prog, std::string& error,
                   bool& usage_error) {
  if (pcap_compile(handle, &prog, bpf.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0) return true;
  error = "invalid BPF filter '" + bpf + "': " + OneLine(pcap_geterr(handle));
  usage_error = true;
  return false;
}

bool ApplyFilter(pcap_t* handle, const std::string& bpf, std::string& error, bool& usage_error) {
  if (bpf.empty()) return true;
  bpf_program prog{};
  if (!CompileFilter(handle, bpf, prog, error, usage_error)) return false;
  int rc = pcap_setfilter(handle, &prog);
  pcap_freecode(&prog);
  if (rc != 0) {
    error = "cannot apply BPF filter: " + OneLine(pcap_geterr(handle));
    return false;
  }
  return true;
}

}  // namespace

bool PacketSource::ActivateLive(int& pcap_rc) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_rc = 0;
  handle_ = pcap_create(options_.interface.c_str(), errbuf);
  if (!handle_) {
    error_ = "cannot open interface " + options_.interface + ": " + OneLine(errbuf);
    return false;
  }
  pcap_set_snaplen(handle_, static_cast<int>(options_.snaplen));
  pcap_set_promisc(handle_, options_.promiscuous ? 1 : 0);
  pcap_set_timeout(handle_, options_.timeout_ms);
  pcap_set_buffer_size(handle_, static_cast<int>(options_.buffer_mib) << 20);
  pcap_set_immediate_mode(handle_, options_.immediate ? 1 : 0);
  // Nanosecond stamps where the platform offers them; microseconds otherwise.
  nanosecond_ = pcap_set_tstamp_precision(handle_, PCAP_TSTAMP_PRECISION_NANO) == 0;
  int rc = 0;
  {
    // The socket is created here: after a privilege drop that kept CAP_NET_RAW permitted, it is
    // effective for this call only.
    ScopedNetRaw net_raw;
    rc = pcap_activate(handle_);
  }
  pcap_rc = rc;
  if (rc < 0) {
    std::string why = rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface"
                      : rc == PCAP_ERROR_PERM_DENIED  ? "permission denied (needs CAP_NET_RAW)"
                      : rc == PCAP_ERROR_IFACE_NOT_UP ? "interface is down"
                                                      : OneLine(pcap_geterr(handle_));
    std::string detail = OneLine(pcap_geterr(handle_));
    if (!detail.empty() && detail != why && rc != PCAP_ERROR) why += " (" + detail + ")";
    error_ = "cannot capture on " + options_.interface + ": " + why;
    pcap_close(handle_);
    handle_ = nullptr;
    return false;
  }
  if (nanosecond_) {
    nanosecond_ = pcap_get_tstamp_precision(handle_) == PCAP_TSTAMP_PRECISION_NANO;
  }
  // Our own poll() below bounds every wait, so signals (SIGHUP, SIGTERM) and idle timers are
  // served promptly whatever the kernel ring's block timeout is.
  if (pcap_setnonblock(handle_, 1, errbuf) != 0) {
    error_ = "cannot capture on " + options_.interface + ": " + OneLine(errbuf);
    pcap_close(handle_);
    handle_ = nullptr;
    return false;
  }
  // The index the socket is bound to: the same name with another index later means the
  // interface was deleted and re-created, and this socket will never see a packet again.
  sockaddr_ll bound{};
  socklen_t bound_len = sizeof(bound);
  if (::getsockname(pcap_get_selectable_fd(handle_), reinterpret_cast<sockaddr*>(&bound),
                    &bound_len) == 0 &&
      bound.sll_family == AF_PACKET) {
    ifindex_ = static_cast<unsigned>(bound.sll_ifindex);
  } else {
    ifindex_ = ::if_nametoindex(options_.interface.c_str());
  }
  return true;
}

std::unique_ptr<PacketSource> PacketSource::Open(const CaptureOptions& options, std::string& error,
                                                 bool& usage_error) {
  usage_error = false;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<PacketSource> src(new PacketSource());
  if (!options.file.empty()) {
    // Opened once and sniffed from the same descriptor: a pipe's bytes read to sniff it are not
    // there to read again (see capture_stream.h). A classic pcap file is read by our own reader
    // (one copy, shareable by lanes; see pcap_file_reader.h), by offset, so only a regular
    // uncompressed file. pcapng is read by our own reader: libpcap 1.10 refuses files whose
    // interfaces differ in link type or snap length, which the format allows and multi-interface
    // tools write. Anything else (pcap from a pipe or gzip, other formats) goes to libpcap,
    // reading the same stream.
    auto stream = CaptureStream::Open(options.file, error);
    if (!stream) {
      error = "cannot read capture " + options.file + ": " + error;
      return nullptr;
    }
    ByteView head = stream->Peek(4);
    if (!stream->error().empty()) {
      error = "cannot read capture " + options.file + ": " + stream->error();
      return nullptr;
    }
    uint32_t magic = 0;
    if (head.size() == 4) std::memcpy(&magic, head.data(), 4);
    if (stream->regular_file() && magic != kPcapngSectionHeader) {
      src->pcap_file_ = PcapFileReader::OpenFd(::dup(stream->fd()), error,
                                               std::max<size_t>(1, options.file_lanes));
      if (!error.empty()) return nullptr;
    }
    if (!src->pcap_file_ && magic == kPcapngSectionHeader) {
      src->stream_ = stream.get();
      src->pcapng_ = PcapngReader::Open(std::move(stream), options.file, error);
      if (!src->pcapng_) {
        if (error.empty()) error = "cannot read capture " + options.file;
        return nullptr;
      }
    }
    if (!src->pcap_file_ && !src->pcapng_) {
      src->stream_ = stream.get();
      FILE* f = CaptureStream::ToFile(std::move(stream));
      if (f == nullptr) {
        error = "cannot read capture " + options.file + ": " + std::strerror(errno);
        return nullptr;
      }
      src->handle_ =
          pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
      if (!src->handle_) {
        // The stream's own error (a corrupt gzip header) says more than libpcap's.
        std::string why = src->stream_->error().empty() ? OneLine(errbuf) : src->stream_->error();
        std::fclose(f);  // libpcap leaves a FILE* it was given to its caller on failure
        src->stream_ = nullptr;
        error = "cannot read capture " + options.file + ": " + why;
        return nullptr;
      }
      src->nanosecond_ = pcap_get_tstamp_precision(src->handle_) == PCAP_TSTAMP_PRECISION_NANO;
      src->description_ = "file " + options.file;
    }
  }
  if (src->pcap_file_ || src->pcapng_) {
    src->description_ = "file " + options.file;
    src->options_ = options;
    int dlt = src->pcap_file_                 ? src->pcap_file_->dlt()
              : src->pcapng_->first_dlt() < 0 ? static_cast<int>(decode::LinkType::kEthernet)
                                              : src->pcapng_->first_dlt();
    if (!decode::IsSupportedLinkType(dlt)) {
      error = UnsupportedLinkType(src->description_, dlt);
      return nullptr;
    }
    src->link_type_ = static_cast<decode::LinkType>(dlt);
    if (!options.bpf.empty()) {
      // Compile once now so an invalid expression is a usage error before any packet; the
      // packets are filtered by PassesFilter (a dead handle takes no filter).
      pcap_t* dead = pcap_open_dead(dlt, static_cast<int>(options.snaplen));
      bpf_program prog{};
      bool ok = dead && CompileFilter(dead, options.bpf, prog, error, usage_error);
      if (ok) pcap_freecode(&prog);
      if (dead) pcap_close(dead);
      if (!ok) return nullptr;
    }
    return src;
  }
  if (!options.file.empty()) {
    // libpcap reads the stream (handle_ opened above).
  } else if (!options.interface.empty()) {
    src->live_ = true;
    src->options_ = options;
    src->timeout_ms_ = options.timeout_ms;
    int rc = 0;
    if (!src->ActivateLive(rc)) {
      error = src->error_;
      return nullptr;
    }
    src->description_ = "interface " + options.interface;
  } else {
    error = "no capture source: give --read FILE or --interface IF";
    usage_error = true;
    return nullptr;
  }

  int dlt = pcap_datalink(src->handle_);
  if (!decode::IsSupportedLinkType(dlt)) {
    error = UnsupportedLinkType(src->description_, dlt);
    return nullptr;
  }
  src->link_type_ = static_cast<decode::LinkType>(dlt);

  if (!ApplyFilter(src->handle_, options.bpf, error, usage_error)) return nullptr;
  return src;
}

PacketSource::~PacketSource() {
  if (handle_) pcap_close(handle_);
  for (auto& f : filters_) {
    if (f.ok) pcap_freecode(&f.prog);
  }
}

std::string PacketSource::StreamErrorOr(std::string reader_error) {
  if (stream_ == nullptr) return reader_error;
  // Corrupt gzip data inflates to garbage before zlib can tell (at the latest at the stream's
  // checksum): read on a little so the cause, not its symptom, is reported.
  stream_->ReadOn(kReadOnBytes);
  return stream_->error().empty() ? reader_error : stream_->error();
}

bool PacketSource::PassesFilter(int dlt, const pcap_pkthdr& hdr, const uint8_t* data) {
  if (options_.bpf.empty()) return true;
  for (auto& f : filters_) {
    if (f.dlt == dlt) return !f.ok || pcap_offline_filter(&f.prog, &hdr, data) != 0;
  }
  CompiledFilter f;
  f.dlt = dlt;
  pcap_t* dead = pcap_open_dead(dlt, static_cast<int>(options_.snaplen));
  // A link type the expression cannot be compiled for (e.g. "ether host" on raw IP) passes
  // everything rather than silently hiding that interface's packets.
  f.ok = dead && pcap_compile(dead, &f.prog, options_.bpf.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0;
  if (dead) pcap_close(dead);
  filters_.push_back(f);
  return !f.ok || pcap_offline_filter(&filters_.back().prog, &hdr, data) != 0;
}

NextStatus PacketSource::NextPcapng(RawPacket& out) {
  for (;;) {
    if (break_.load(std::memory_order_relaxed)) return NextStatus::kEnd;
    PcapngReader::Packet p;
    PcapngReader::Status st = pcapng_->Next(p);
    if (st == PcapngReader::Status::kEnd) return NextStatus::kEnd;
    if (break_.load(std::memory_order_relaxed)) return NextStatus::kEnd;  // a cancelled read
    if (st == PcapngReader::Status::kError) {
      error_ = StreamErrorOr(pcapng_->error());
      return NextStatus::kError;
    }
    // As libpcap offline: the file's caplen stands (snaplen applies to live captures).
    size_t caplen = p.data.size();
    pcap_pkthdr hdr{};
    hdr.caplen = static_cast<bpf_u_int32>(caplen);
    hdr.len = p.wire_length;
    if (!PassesFilter(p.dlt, hdr, p.data.data())) continue;
    out.data = p.data.first(caplen);
    out.wire_length = p.wire_length;
    out.ts = p.ts;
    out.link_type = static_cast<decode::LinkType>(p.dlt);
    return NextStatus::kPacket;
  }
}

std::unique_ptr<PacketSource> PacketSource::OpenLane(size_t lane) const {
  if (!pcap_file_) return nullptr;
  std::unique_ptr<PacketSource> src(new PacketSource());
  src->pcap_file_ = pcap_file_->OpenLane(lane);
  if (!src->pcap_file_) return nullptr;
  src->options_ = options_;
  src->description_ = description_;
  src->link_type_ = link_type_;
  return src;
}

void PacketSource::StopReading() {
  if (pcap_file_) pcap_file_->Detach();
}

void PacketSource::SetPassedHook(std::function<void(TimestampNs)> hook) {
  if (pcap_file_) pcap_file_->SetPassedHook(std::move(hook));
}

void PacketSource::SetRecordSplitter(RecordSplitter* splitter) {
  if (pcap_file_ && options_.bpf.empty()) pcap_file_->SetSplitter(splitter);
}

NextStatus PacketSource::NextPcapFile(RawPacket& out) {
  out.passed = 0;
  out.passed_wire_bytes = 0;
  for (;;) {
    if (break_.load(std::memory_order_relaxed)) {
      pcap_file_->Detach();
      return NextStatus::kEnd;
    }
    PcapFileReader::Packet p;
    PcapFileReader::Status st = pcap_file_->Next(p);
    out.passed += p.passed;
    out.passed_wire_bytes += p.passed_wire_bytes;
    out.passed_latest = p.passed_latest;
    if (st == PcapFileReader::Status::kEnd) return NextStatus::kEnd;
    if (st == PcapFileReader::Status::kError) {
      error_ = pcap_file_->error();
      return NextStatus::kError;
    }
    if (!options_.bpf.empty()) {
      pcap_pkthdr hdr{};
      hdr.caplen = static_cast<bpf_u_int32>(p.data.size());
      hdr.len = p.wire_length;
      if (!PassesFilter(pcap_file_->dlt(), hdr, p.data.data())) continue;
    }
    out.data = p.data;
    out.wire_length = p.wire_length;
    out.ts = p.ts;
    out.link_type = link_type_;
    out.hint = p.hint;
    return NextStatus::kPacket;
  }
}

NextStatus PacketSource::Next(RawPacket& out) {
  if (pcap_file_) return NextPcapFile(out);
  if (pcapng_) return NextPcapng(out);
  if (down_ && !TryResume()) {
    if (!error_.empty()) return NextStatus::kError;  // cannot come back (e.g. no privilege)
    return NextStatus::kTimeout;
  }
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(handle_, &hdr, &data);
  if (rc == 0 && live_) {
    pollfd pfd{pcap_get_selectable_fd(handle_), POLLIN, 0};
    int ready = ::poll(&pfd, 1, timeout_ms_);
    if (ready <= 0) return NextStatus::kTimeout;  // idle, or a signal to look at
    if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
      // In non-blocking mode libpcap never looks at the socket error, and an unread one keeps
      // poll() ready forever: read (and so clear) it here. The kernel sets ENETDOWN when the
      // interface goes down and ENODEV when it is removed.
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      if (::getsockopt(pfd.fd, SOL_SOCKET, SO_ERROR, &so_error, &len) == 0 && so_error != 0) {
        error_ = std::strerror(so_error);
        bool link_loss = so_error == ENETDOWN || so_error == ENODEV || so_error == ENXIO;
        if (OnLiveError(link_loss)) return NextStatus::kTimeout;
        return NextStatus::kError;
      }
    }
    rc = pcap_next_ex(handle_, &hdr, &data);
  }
  if (rc == 1) {
    out.data = ByteView(data, hdr->caplen);
    out.wire_length = hdr->len;
    TimestampNs frac = static_cast<TimestampNs>(hdr->ts.tv_usec);
    out.ts = static_cast<TimestampNs>(hdr->ts.tv_sec) * kNsPerSecond +
             (nanosecond_ ? frac : frac * 1000);
    out.link_type = link_type_;
    return NextStatus::kPacket;
  }
  if (rc == 0) return NextStatus::kTimeout;
  if (rc == PCAP_ERROR_BREAK) return NextStatus::kEnd;
  if (break_.load(std::memory_order_relaxed)) return NextStatus::kEnd;  // a cancelled read
  error_ = StreamErrorOr(OneLine(pcap_geterr(handle_)));
  if (error_.empty()) error_ = "capture read failed";
  if (live_ && OnLiveError(false)) return NextStatus::kTimeout;
  return NextStatus::kError;
}

bool PacketSource::InterfaceUp(bool& exists, unsigned& ifindex) const {
  exists = false;
  ifindex = 0;
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ifreq ifr{};
  std::snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", options_.interface.c_str());
  bool up = false;
  if (::ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
    exists = true;
    up = (ifr.ifr_flags & IFF_UP) != 0 && (ifr.ifr_flags & IFF_RUNNING) != 0;
    if (::ioctl(fd, SIOCGIFINDEX, &ifr) == 0) ifindex = static_cast<unsigned>(ifr.ifr_ifindex);
  }
  ::close(fd);
  return up;
}

bool PacketSource::OnLiveError(bool link_loss) {
  // libpcap reports a lost link as a read error ("The interface went down", ENETDOWN; "The
  // interface disappeared", ENODEV). Anything else on an interface that is still up is a real
  // failure and ends the capture as before.
  bool exists = false;
  unsigned index = 0;
  bool up = InterfaceUp(exists, index);
  bool lost_link = link_loss || error_.find("went down") != std::string::npos ||
                   error_.find("disappeared") != std::string::npos;
  // A different index under the same name: deleted and already re-created.
  bool gone = !exists || (ifindex_ != 0 && index != ifindex_);
  if (exists && up && !lost_link && !gone) return false;
  down_ = true;
  needs_reopen_ = gone;
  down_since_ms_ = SteadyMs();
  last_attempt_ms_ = down_since_ms_;
  reopen_interval_ms_ = kReopenIntervalMs;
  ++link_events_.interface_down;
  std::fprintf(stderr,
               "bucketwatch: capture on %s: %s (interface %s); capture paused, waiting for it to "
               "come back (down %llu time%s so far)\n",
               options_.interface.c_str(), error_.c_str(), gone ? "gone" : "down",
               static_cast<unsigned long long>(link_events_.interface_down),
               link_events_.interface_down == 1 ? "" : "s");
  std::fflush(stderr);
  error_.clear();
  return true;
}

bool PacketSource::TryResume() {
  bool exists = false;
  unsigned index = 0;
  bool up = InterfaceUp(exists, index);
  if (!needs_reopen_ && (!exists || (ifindex_ != 0 && index != ifindex_))) {
    // Deleted after it went down, or while the kernel was still reporting the deletion: it
    // sends ENETDOWN before it unlists the interface, and a reader woken by that error can
    // still find the name. Either way the socket is bound to a dead index now.
    needs_reopen_ = true;
    std::fprintf(stderr,
                 "bucketwatch: capture on %s: interface gone while down; capture paused, waiting "
                 "for it to be re-created\n",
                 options_.interface.c_str());
    std::fflush(stderr);
  }
  int64_t now = SteadyMs();
  if (!up) {
    // Wait like an idle read would, so the caller's loop neither spins nor stalls.
    ::poll(nullptr, 0, timeout_ms_);
    return false;
  }
  bool reopened = false;
  if (needs_reopen_) {
    if (now - last_attempt_ms_ < reopen_interval_ms_) {
      ::poll(nullptr, 0, timeout_ms_);
      return false;
    }
    last_attempt_ms_ = now;
    pcap_t* old = handle_;
    handle_ = nullptr;
    int rc = 0;
    bool ok = ActivateLive(rc);
    bool usage_error = false;
    if (ok && pcap_datalink(handle_) != static_cast<int>(link_type_)) {
      error_ = "cannot capture on " + options_.interface + ": link type changed to " +
               std::to_string(pcap_datalink(handle_));
      ok = false;
    }
    if (ok && !ApplyFilter(handle_, options_.bpf, error_, usage_error)) ok = false;
    if (!ok) {
      if (handle_) pcap_close(handle_);
      handle_ = old;  // keep a valid handle for BreakLoop()/Stats()
      if (usage_error) {
        std::fprintf(stderr, "bucketwatch: %s\n", error_.c_str());
        std::fflush(stderr);
        return false;  // error_ stays: kError
      }
      OnReopenFailure(rc);
      error_.clear();
      return false;
    }
    if (old) pcap_close(old);
    ++link_events_.reopens;
    reopened = true;
  }
  down_ = false;
  needs_reopen_ = false;
  reopen_failure_logged_.clear();
  ++link_events_.resumed;
  std::fprintf(stderr, "bucketwatch: capture on %s resumed after %.1f s (interface up again%s)\n",
               options_.interface.c_str(), static_cast<double>(now - down_since_ms_) / 1000.0,
               reopened ? ", reopened" : "");
  std::fflush(stderr);
  return true;
}

void PacketSource::OnReopenFailure(int pcap_rc) {
  ++link_events_.reopen_failures;
  const bool denied = pcap_rc == PCAP_ERROR_PERM_DENIED;
  reopen_interval_ms_ = denied ? kReopenDeniedIntervalMs : kReopenIntervalMs;
  const std::string retry =
      denied ? "retrying every " + std::to_string(kReopenDeniedIntervalMs / 1000) + " s"
             : std::string("retrying every second");
  std::string line;
  if (denied && !NetRawPermitted()) {
    std::string reason = options_.user.empty() ? std::string("the process has no CAP_NET_RAW")
                                               : "privileges were dropped to " + options_.user +
                                                     " and a new capture socket needs CAP_NET_RAW";
    line = "capture on " + options_.interface + " cannot be reopened: " + reason +
           "; capture stays paused (" + retry +
           "); to recover set privileges.keep_net_raw: true, or restart bucketwatch";
  } else if (denied) {
    line = error_ + " although CAP_NET_RAW is kept (privileges.keep_net_raw): a security " +
           "policy (seccomp, SELinux, AppArmor) refuses it; capture stays paused (" + retry + ")";
  } else {
    line = error_ + " (" + retry + ")";
  }
  // Retries repeat the same failure: one line per distinct failure, the counter for the rest.
  if (line == reopen_failure_logged_) return;
  reopen_failure_logged_ = line;
  std::fprintf(stderr, "bucketwatch: %s\n", line.c_str());
  std::fflush(stderr);
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

void PacketSource::BreakLoop() {
  break_.store(true, std::memory_order_relaxed);
  if (stream_) stream_->Cancel();  // a read waiting on a pipe's writer
  if (handle_) pcap_breakloop(handle_);
}

int PacketSource::selectable_fd() const { return live_ ? pcap_get_selectable_fd(handle_) : -1; }

}  // namespace bw::capture
