// bw_pcap_variants: derives adversarial test captures from a base capture.
//
//   bw_pcap_variants --in IN.pcap --out OUT.pcap --variant NAME [--seed N] [--loss N]
//                    [--snaplen N]
//
// Every variant is deterministic for a given seed (own SplitMix64 generator, own shuffle), so
// a capture made on one machine is byte-identical to one made on another. The frame parser
// here is deliberately independent of sensor/decode: the variants exist to test that code, so
// they must not share its mistakes. Frames this tool does not understand pass through
// unchanged (or are dropped and counted when the output link type cannot carry them).
//
// Lossless variants (the reassembled TCP byte streams equal the input's):
//   reorder retransmit overlap overlap_conflict mtu1500 fragment vlan qinq mpls vxlan gre
//   erspan2 erspan3 sll2 raw nanosecond pcapng
// Lossy variants: lossy (drops 1 in --loss data segments), snaplen (cuts frames to --snaplen).
//
// Output link types: vlan qinq mpls vxlan gre erspan2 erspan3 write Ethernet (other inputs are
// given a synthetic Ethernet header first), sll2 writes LINUX_SLL2, raw writes LINKTYPE_RAW;
// every other variant keeps the input's link type. Files are classic little-endian pcap
// (nanosecond magic for `nanosecond`) except `pcapng`.

#include <pcap/pcap.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

// LINKTYPE_* values as written in file headers (pcap_datalink() returns DLT_* values, which
// differ for raw IP on some platforms; see LinktypeFromDlt).
constexpr int kLinkNull = 0;
constexpr int kLinkEthernet = 1;
constexpr int kLinkRaw = 101;
constexpr int kLinkLoop = 108;
constexpr int kLinkSll = 113;
constexpr int kLinkSll2 = 276;
constexpr int kLinkIpv4 = 228;
constexpr int kLinkIpv6 = 229;

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86DD;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinq = 0x88A8;
constexpr uint16_t kEtherQinqOld = 0x9100;
constexpr uint16_t kEtherMpls = 0x8847;
constexpr uint16_t kEtherTeb = 0x6558;
constexpr uint16_t kEtherErspan2 = 0x88BE;
constexpr uint16_t kEtherErspan3 = 0x22EB;

constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpSyn = 0x02;
constexpr uint8_t kTcpRst = 0x04;
constexpr uint8_t kTcpPsh = 0x08;

// Largest IPv4 total length a tunnel packet may have; inner frames are re-segmented to fit.
constexpr size_t kMaxIpTotal = 65535;

struct Frame {
  uint64_t ts_ns = 0;
  uint32_t orig_len = 0;
  std::vector<uint8_t> data;
  uint32_t iface = 0;  // pcapng interface index
};

struct Options {
  std::string in;
  std::string out;
  std::string variant;
  uint64_t seed = 1;
  uint32_t loss = 200;
  uint32_t snaplen = 96;
};

// SplitMix64: tiny, fast, and specified here so results do not depend on the standard
// library's distributions or shuffle algorithm.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed ^ 0x6A09E667F3BCC909ULL) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n == 0 yields 0.
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  bool Percent(unsigned p) { return Below(100) < p; }
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Below(i)]);
  }

 private:
  uint64_t state_;
};

uint16_t Get16(const std::vector<uint8_t>& d, size_t off) {
  return static_cast<uint16_t>((d[off] << 8) | d[off + 1]);
}
uint32_t Get32(const std::vector<uint8_t>& d, size_t off) {
  return (uint32_t{d[off]} << 24) | (uint32_t{d[off + 1]} << 16) | (uint32_t{d[off + 2]} << 8) |
         d[off + 3];
}
void Put16(std::vector<uint8_t>& d, size_t off, uint16_t v) {
  d[off] = static_cast<uint8_t>(v >> 8);
  d[off + 1] = static_cast<uint8_t>(v);
}
void Put32(std::vector<uint8_t>& d, size_t off, uint32_t v) {
  d[off] = static_cast<uint8_t>(v >> 24);
  d[off + 1] = static_cast<uint8_t>(v >> 16);
  d[off + 2] = static_cast<uint8_t>(v >> 8);
  d[off + 3] = static_cast<uint8_t>(v);
}
void Append16(std::vector<uint8_t>& d, uint16_t v) {
  d.push_back(static_cast<uint8_t>(v >> 8));
  d.push_back(static_cast<uint8_t>(v));
}
void Append32(std::vector<uint8_t>& d, uint32_t v) {
  Append16(d, static_cast<uint16_t>(v >> 16));
  Append16(d, static_cast<uint16_t>(v));
}
void AppendLe16(std::vector<uint8_t>& d, uint16_t v) {
  d.push_back(static_cast<uint8_t>(v));
  d.push_back(static_cast<uint8_t>(v >> 8));
}
void AppendLe32(std::vector<uint8_t>& d, uint32_t v) {
  AppendLe16(d, static_cast<uint16_t>(v));
  AppendLe16(d, static_cast<uint16_t>(v >> 16));
}

uint32_t SumWords(const uint8_t* p, size_t len, uint32_t sum) {
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t{p[i]} << 8) | p[i + 1];
  if (len % 2 == 1) sum += uint32_t{p[len - 1]} << 8;
  return sum;
}
uint16_t FoldChecksum(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// ---------------------------------------------------------------------------------------
// Parsing: link layer -> IP -> TCP/UDP, with every offset checked against the frame.

struct Parsed {
  bool has_l3 = false;  // an IP header was found where the link layer says it is
  bool ip = false;      // the IP header (and its stated length) is complete
  int version = 0;
  uint16_t ethertype = 0;  // as announced by the link layer
  size_t l3 = 0;
  size_t l3_end = 0;        // end of the IP packet according to its length field
  size_t unfrag_len = 0;    // v4: IHL; v6: base header + HBH/routing headers
  size_t next_hdr_off = 0;  // v6: the byte naming the first fragmentable header
  uint8_t proto = 0;
  bool fragment = false;
  bool tcp = false;
  bool udp = false;
  size_t l4 = 0;
  size_t payload = 0;  // offset of the TCP payload
  size_t payload_len = 0;
  uint32_t seq = 0;
  uint8_t flags = 0;
  std::array<uint8_t, 16> src{};
  std::array<uint8_t, 16> dst{};
  size_t addr_len = 0;
  uint16_t sport = 0;
  uint16_t dport = 0;
};

int LinktypeFromDlt(int dlt) {
  // DLT_RAW is 12 on most platforms and 14 on OpenBSD; both mean LINKTYPE_RAW here.
  if (dlt == DLT_RAW || dlt == 12 || dlt == 14) return kLinkRaw;
  return dlt;  // DLT_* equals LINKTYPE_* for every other type handled here
}

// Finds the IP header behind the link layer. Returns the offset, or nullopt.
std::optional<size_t> FindL3(int link, const std::vector<uint8_t>& d, uint16_t& ethertype) {
  size_t off = 0;
  switch (link) {
    case kLinkEthernet: {
      if (d.size() < 14) return std::nullopt;
      ethertype = Get16(d, 12);
      off = 14;
      while (ethertype == kEtherVlan || ethertype == kEtherQinq || ethertype == kEtherQinqOld) {
        if (d.size() < off + 4) return std::nullopt;
        ethertype = Get16(d, off + 2);
        off += 4;
      }
      break;
    }
    case kLinkSll:
      if (d.size() < 16) return std::nullopt;
      ethertype = Get16(d, 14);
      off = 16;
      break;
    case kLinkSll2:
      if (d.size() < 20) return std::nullopt;
      ethertype = Get16(d, 0);
      off = 20;
      break;
    case kLinkNull:
    case kLinkLoop: {
      if (d.size() < 4) return std::nullopt;
      uint32_t family =
          link == kLinkLoop
              ? Get32(d, 0)
              : (uint32_t{d[3]} << 24 | uint32_t{d[2]} << 16 | uint32_t{d[1]} << 8 | d[0]);
      if (family > 0xFFFF) family = Get32(d, 0);  // other byte order than this host
      if (family == 2) {
        ethertype = kEtherIpv4;
      } else if (family == 10 || family == 24 || family == 28 || family == 30) {
        ethertype = kEtherIpv6;
      } else {
        return std::nullopt;
      }
      off = 4;
      break;
    }
    case kLinkRaw:
    case kLinkIpv4:
    case kLinkIpv6:
      if (d.empty()) return std::nullopt;
      ethertype = (d[0] >> 4) == 6 ? kEtherIpv6 : kEtherIpv4;
      off = 0;
      break;
    default:
      return std::nullopt;
  }
  if (ethertype != kEtherIpv4 && ethertype != kEtherIpv6) return std::nullopt;
  return off;
}

Parsed Parse(int link, const std::vector<uint8_t>& d) {
  Parsed p;
  auto l3 = FindL3(link, d, p.ethertype);
  if (!l3) return p;
  p.has_l3 = true;
  p.l3 = *l3;
  size_t l4 = 0;
  if (p.ethertype == kEtherIpv4) {
    if (d.size() < p.l3 + 20 || (d[p.l3] >> 4) != 4) return p;
    size_t ihl = size_t{d[p.l3] & 0x0Fu} * 4;
    size_t total = Get16(d, p.l3 + 2);
    if (ihl < 20 || total < ihl || d.size() < p.l3 + total) return p;
    p.version = 4;
    p.l3_end = p.l3 + total;
    p.unfrag_len = ihl;
    p.proto = d[p.l3 + 9];
    uint16_t frag = Get16(d, p.l3 + 6);
    p.fragment = (frag & 0x3FFF) != 0;
    std::memcpy(p.src.data(), &d[p.l3 + 12], 4);
    std::memcpy(p.dst.data(), &d[p.l3 + 16], 4);
    p.addr_len = 4;
    l4 = p.l3 + ihl;
  } else {
    if (d.size() < p.l3 + 40 || (d[p.l3] >> 4) != 6) return p;
    size_t total = 40 + size_t{Get16(d, p.l3 + 4)};
    if (d.size() < p.l3 + total) return p;
    p.version = 6;
    p.l3_end = p.l3 + total;
    std::memcpy(p.src.data(), &d[p.l3 + 8], 16);
    std::memcpy(p.dst.data(), &d[p.l3 + 24], 16);
    p.addr_len = 16;
    uint8_t nh = d[p.l3 + 6];
    size_t off = p.l3 + 40;
    p.unfrag_len = 40;
    p.next_hdr_off = p.l3 + 6;
    for (;;) {
      if (nh == 0 || nh == 43 || nh == 60 || nh == 51) {
        if (p.l3_end < off + 8) return p;
        size_t len = nh == 51 ? (size_t{d[off + 1]} + 2) * 4 : (size_t{d[off + 1]} + 1) * 8;
        if (p.l3_end < off + len) return p;
        if (nh == 0 || nh == 43) {  // headers every fragment must carry
          p.unfrag_len = off + len - p.l3;
          p.next_hdr_off = off;
        }
        nh = d[off];
        off += len;
        continue;
      }
      if (nh == 44) p.fragment = true;
      break;
    }
    p.proto = nh;
    l4 = off;
  }
  p.ip = true;
  if (p.fragment) return p;
  p.l4 = l4;
  if (p.proto == 6) {
    if (p.l3_end < l4 + 20) return p;
    size_t doff = size_t{d[l4 + 12]} / 16 * 4;
    if (doff < 20 || p.l3_end < l4 + doff) return p;
    p.tcp = true;
    p.sport = Get16(d, l4);
    p.dport = Get16(d, l4 + 2);
    p.seq = Get32(d, l4 + 4);
    p.flags = d[l4 + 13];
    p.payload = l4 + doff;
    p.payload_len = p.l3_end - p.payload;
  } else if (p.proto == 17) {
    if (p.l3_end < l4 + 8) return p;
    p.udp = true;
    p.sport = Get16(d, l4);
    p.dport = Get16(d, l4 + 2);
  }
  return p;
}

bool IsData(const Parsed& p) { return p.tcp && p.payload_len > 0 && !(p.flags & kTcpSyn); }

std::string DirectionKey(const Parsed& p) {
  std::string k(reinterpret_cast<const char*>(p.src.data()), p.addr_len);
  k.append(reinterpret_cast<const char*>(p.dst.data()), p.addr_len);
  k.push_back(static_cast<char>(p.sport >> 8));
  k.push_back(static_cast<char>(p.sport));
  k.push_back(static_cast<char>(p.dport >> 8));
  k.push_back(static_cast<char>(p.dport));
  return k;
}

void FixIpv4HeaderChecksum(std::vector<uint8_t>& d, size_t l3) {
  size_t ihl = size_t{d[l3] & 0x0Fu} * 4;
  Put16(d, l3 + 10, 0);
  Put16(d, l3 + 10, FoldChecksum(SumWords(&d[l3], ihl, 0)));
}

// Recomputes the TCP or UDP checksum of a complete (unfragmented) packet.
void FixL4Checksum(std::vector<uint8_t>& d, const Parsed& p) {
  size_t len = p.l3_end - p.l4;
  size_t csum_off = p.l4 + (p.proto == 6 ? 16 : 6);
  Put16(d, csum_off, 0);
  uint32_t sum = 0;
  if (p.version == 4) {
    sum = SumWords(&d[p.l3 + 12], 8, sum);
    sum += p.proto;
    sum += static_cast<uint32_t>(len);
  } else {
    sum = SumWords(&d[p.l3 + 8], 32, sum);
    sum += static_cast<uint32_t>(len >> 16) + static_cast<uint32_t>(len & 0xFFFF);
    sum += p.proto;
  }
  sum = SumWords(&d[p.l4], len, sum);
  uint16_t c = FoldChecksum(sum);
  if (p.proto == 17 && c == 0) c = 0xFFFF;
  Put16(d, csum_off, c);
}

// Builds a TCP segment from a template frame: same link, IP and TCP headers, new sequence
// number, flags and payload; lengths and checksums recomputed; any Ethernet trailer dropped.
Frame BuildSegment(const Frame& tmpl, const Parsed& p, uint32_t seq, const uint8_t* payload,
                   size_t len, uint8_t flags, uint16_t ip_id_delta) {
  Frame f;
  f.ts_ns = tmpl.ts_ns;
  f.iface = tmpl.iface;
  f.data.assign(tmpl.data.begin(), tmpl.data.begin() + static_cast<ptrdiff_t>(p.payload));
  f.data.insert(f.data.end(), payload, payload + len);
  Parsed q = p;
  q.l3_end = f.data.size();
  q.payload_len = len;
  if (p.version == 4) {
    Put16(f.data, p.l3 + 2, static_cast<uint16_t>(q.l3_end - p.l3));
    Put16(f.data, p.l3 + 4, static_cast<uint16_t>(Get16(f.data, p.l3 + 4) + ip_id_delta));
    FixIpv4HeaderChecksum(f.data, p.l3);
  } else {
    Put16(f.data, p.l3 + 4, static_cast<uint16_t>(q.l3_end - p.l3 - 40));
  }
  Put32(f.data, p.l4 + 4, seq);
  f.data[p.l4 + 13] = flags;
  FixL4Checksum(f.data, q);
  f.orig_len = static_cast<uint32_t>(f.data.size());
  return f;
}

// Splits [0, len) of a segment into pieces of at most `size` bytes (flags: SYN only on the
// first piece, FIN and PSH only on the last).
std::vector<Frame> SplitSegment(const Frame& f, const Parsed& p, size_t size) {
  std::vector<Frame> out;
  const uint8_t* base = f.data.data() + p.payload;
  uint16_t id = 0;
  for (size_t off = 0; off < p.payload_len; off += size) {
    size_t n = std::min(size, p.payload_len - off);
    uint8_t flags = p.flags;
    if (off != 0) flags &= static_cast<uint8_t>(~kTcpSyn);
    if (off + n < p.payload_len) flags &= static_cast<uint8_t>(~(kTcpFin | kTcpPsh));
    out.push_back(
        BuildSegment(f, p, p.seq + static_cast<uint32_t>(off), base + off, n, flags, id++));
  }
  return out;
}

// Re-segments every TCP payload so that no IP packet exceeds max_ip bytes.
std::vector<Frame> Resegment(const std::vector<Frame>& in, int link, size_t max_ip,
                             size_t& changed) {
  std::vector<Frame> out;
  for (const Frame& f : in) {
    Parsed p = Parse(link, f.data);
    if (!p.tcp || p.payload_len == 0) {
      out.push_back(f);
      continue;
    }
    size_t headers = p.payload - p.l3;
    if (headers >= max_ip || p.l3_end - p.l3 <= max_ip) {
      out.push_back(f);
      continue;
    }
    ++changed;
    for (Frame& piece : SplitSegment(f, p, max_ip - headers)) out.push_back(std::move(piece));
  }
  return out;
}

// Per-direction copy of the original byte stream, so segments covering any range can be
// synthesised. Offsets are relative to the first sequence number seen (SYN + 1 if present).
struct StreamCopy {
  bool based = false;
  uint32_t base = 0;
  std::vector<uint8_t> bytes;
  std::vector<bool> known;
};

std::map<std::string, StreamCopy> CopyStreams(const std::vector<Frame>& in, int link) {
  constexpr size_t kMaxStream = 64u << 20;
  std::map<std::string, StreamCopy> streams;
  for (const Frame& f : in) {
    Parsed p = Parse(link, f.data);
    if (!p.tcp) continue;
    StreamCopy& s = streams[DirectionKey(p)];
    if (!s.based) {
      s.based = true;
      s.base = (p.flags & kTcpSyn) ? p.seq + 1 : p.seq;
    }
    if (!IsData(p)) continue;
    size_t rel = static_cast<uint32_t>(p.seq - s.base);
    if (rel > kMaxStream || p.payload_len > kMaxStream) continue;
    if (s.bytes.size() < rel + p.payload_len) {
      s.bytes.resize(rel + p.payload_len);
      s.known.resize(rel + p.payload_len);
    }
    for (size_t i = 0; i < p.payload_len; ++i) {
      if (!s.known[rel + i]) {  // first wins, as in the captured original
        s.bytes[rel + i] = f.data[p.payload + i];
        s.known[rel + i] = true;
      }
    }
  }
  return streams;
}

// ---------------------------------------------------------------------------------------
// Conversions to and from Ethernet for the encapsulation variants.

const std::array<uint8_t, 6> kMacA = {0x02, 0x00, 0x5E, 0x10, 0x00, 0x01};
const std::array<uint8_t, 6> kMacB = {0x02, 0x00, 0x5E, 0x10, 0x00, 0x02};

std::optional<std::vector<uint8_t>> ToEthernet(int link, const std::vector<uint8_t>& d) {
  if (link == kLinkEthernet) {
    if (d.size() < 14) return std::nullopt;
    return d;
  }
  std::vector<uint8_t> e;
  uint16_t ethertype = 0;
  size_t payload = 0;
  std::array<uint8_t, 6> src = kMacA;
  if (link == kLinkSll || link == kLinkSll2) {
    size_t hdr = link == kLinkSll ? 16 : 20;
    if (d.size() < hdr) return std::nullopt;
    ethertype = link == kLinkSll ? Get16(d, 14) : Get16(d, 0);
    size_t addr_len = link == kLinkSll ? Get16(d, 4) : d[11];
    size_t addr_off = link == kLinkSll ? 6 : 12;
    if (addr_len == 6) std::copy_n(d.begin() + static_cast<ptrdiff_t>(addr_off), 6, src.begin());
    payload = hdr;
  } else {
    auto l3 = FindL3(link, d, ethertype);
    if (!l3) return std::nullopt;
    payload = *l3;
  }
  e.insert(e.end(), kMacB.begin(), kMacB.end());
  e.insert(e.end(), src.begin(), src.end());
  Append16(e, ethertype);
  e.insert(e.end(), d.begin() + static_cast<ptrdiff_t>(payload), d.end());
  return e;
}

// Offset of the final ethertype field in an Ethernet frame (after any VLAN tags).
std::optional<size_t> EthertypeOffset(const std::vector<uint8_t>& e) {
  if (e.size() < 14) return std::nullopt;
  size_t off = 12;
  while (true) {
    uint16_t t = Get16(e, off);
    if (t != kEtherVlan && t != kEtherQinq && t != kEtherQinqOld) return off;
    if (e.size() < off + 6) return std::nullopt;
    off += 4;
  }
}

uint32_t FlowHash(const Parsed& p) {
  // Symmetric FNV-1a over the sorted endpoints: both directions share one outer source port.
  std::string a(reinterpret_cast<const char*>(p.src.data()), p.addr_len);
  a.push_back(static_cast<char>(p.sport >> 8));
  a.push_back(static_cast<char>(p.sport));
  std::string b(reinterpret_cast<const char*>(p.dst.data()), p.addr_len);
  b.push_back(static_cast<char>(p.dport >> 8));
  b.push_back(static_cast<char>(p.dport));
  if (b < a) std::swap(a, b);
  uint32_t h = 2166136261u;
  for (char c : a + b) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  return h;
}

// Outer Ethernet + IPv4 header for tunnels (192.0.2.1 -> 192.0.2.2, TEST-NET-1).
void AppendOuterIpv4(std::vector<uint8_t>& o, uint8_t proto, size_t ip_payload, uint16_t id) {
  o.insert(o.end(), kMacB.begin(), kMacB.end());
  o.insert(o.end(), kMacA.begin(), kMacA.end());
  Append16(o, kEtherIpv4);
  size_t l3 = o.size();
  const uint8_t hdr[20] = {0x45, 0, 0,   0, 0, 0, 0x40, 0, 64, proto,
                           0,    0, 192, 0, 2, 1, 192,  0, 2,  2};
  o.insert(o.end(), hdr, hdr + 20);
  Put16(o, l3 + 2, static_cast<uint16_t>(20 + ip_payload));
  Put16(o, l3 + 4, id);
  FixIpv4HeaderChecksum(o, l3);
}

// ---------------------------------------------------------------------------------------
// Writers. Both are written here rather than with pcap_dump so that the link type, the
// timestamp resolution and the pcapng interface layout are exactly what the variant asks for.

bool WriteAll(std::FILE* f, const std::vector<uint8_t>& bytes) {
  return bytes.empty() || std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
}

bool WritePcap(const std::string& path, int link, uint32_t snaplen, bool nanos,
               const std::vector<Frame>& frames) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  std::vector<uint8_t> b;
  AppendLe32(b, nanos ? 0xA1B23C4Du : 0xA1B2C3D4u);
  AppendLe16(b, 2);
  AppendLe16(b, 4);
  AppendLe32(b, 0);
  AppendLe32(b, 0);
  AppendLe32(b, snaplen);
  AppendLe32(b, static_cast<uint32_t>(link));
  bool ok = WriteAll(f, b);
  for (const Frame& fr : frames) {
    b.clear();
    AppendLe32(b, static_cast<uint32_t>(fr.ts_ns / 1000000000u));
    uint64_t frac = fr.ts_ns % 1000000000u;
    AppendLe32(b, static_cast<uint32_t>(nanos ? frac : frac / 1000u));
    AppendLe32(b, static_cast<uint32_t>(fr.data.size()));
    AppendLe32(b, std::max<uint32_t>(fr.orig_len, static_cast<uint32_t>(fr.data.size())));
    b.insert(b.end(), fr.data.begin(), fr.data.end());
    ok = ok && WriteAll(f, b);
  }
  return std::fclose(f) == 0 && ok;
}

struct Interface {
  int link;
  bool nanos;  // if_tsresol = 9; otherwise the default microseconds
};

void PadTo4(std::vector<uint8_t>& b) {
  while (b.size() % 4 != 0) b.push_back(0);
}

bool WritePcapng(const std::string& path, const std::vector<Interface>& ifaces,
                 const std::vector<Frame>& frames) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  std::vector<uint8_t> b;
  // Section header block.
  AppendLe32(b, 0x0A0D0D0A);
  AppendLe32(b, 28);
  AppendLe32(b, 0x1A2B3C4D);
  AppendLe16(b, 1);
  AppendLe16(b, 0);
  AppendLe32(b, 0xFFFFFFFF);  // section length: unspecified (-1)
  AppendLe32(b, 0xFFFFFFFF);
  AppendLe32(b, 28);
  for (const Interface& i : ifaces) {
    std::vector<uint8_t> idb;
    AppendLe32(idb, 1);
    AppendLe32(idb, 0);  // patched below
    AppendLe16(idb, static_cast<uint16_t>(i.link));
    AppendLe16(idb, 0);
    AppendLe32(idb, 262144);
    if (i.nanos) {
      AppendLe16(idb, 9);  // if_tsresol
      AppendLe16(idb, 1);
      idb.push_back(9);
      PadTo4(idb);
    }
    AppendLe16(idb, 0);  // opt_endofopt
    AppendLe16(idb, 0);
    uint32_t total = static_cast<uint32_t>(idb.size() + 4);
    AppendLe32(idb, total);
    for (int k = 0; k < 4; ++k) idb[4 + k] = static_cast<uint8_t>(total >> (8 * k));
    b.insert(b.end(), idb.begin(), idb.end());
  }
  bool ok = WriteAll(f, b);
  for (const Frame& fr : frames) {
    b.clear();
    uint64_t units = ifaces[fr.iface].nanos ? fr.ts_ns : fr.ts_ns / 1000u;
    uint32_t total = static_cast<uint32_t>(32 + ((fr.data.size() + 3) & ~size_t{3}));
    AppendLe32(b, 6);
    AppendLe32(b, total);
    AppendLe32(b, fr.iface);
    AppendLe32(b, static_cast<uint32_t>(units >> 32));
    AppendLe32(b, static_cast<uint32_t>(units));
    AppendLe32(b, static_cast<uint32_t>(fr.data.size()));
    AppendLe32(b, std::max<uint32_t>(fr.orig_len, static_cast<uint32_t>(fr.data.size())));
    b.insert(b.end(), fr.data.begin(), fr.data.end());
    PadTo4(b);
    AppendLe32(b, total);
    ok = ok && WriteAll(f, b);
  }
  return std::fclose(f) == 0 && ok;
}

// ---------------------------------------------------------------------------------------
// Variants.

struct Result {
  int link = kLinkEthernet;
  std::vector<Frame> frames;
  bool nanos = false;
  bool pcapng = false;
  std::vector<Interface> ifaces;
  uint32_t snaplen = 262144;
  size_t modified = 0;  // frames the variant changed, moved, added or dropped
  size_t skipped = 0;   // frames the output link type cannot carry (dropped)
};

std::string ReverseKey(const Parsed& p) {
  Parsed q = p;
  std::swap(q.src, q.dst);
  std::swap(q.sport, q.dport);
  return DirectionKey(q);
}

Result Reorder(const std::vector<Frame>& in, int link, Rng& rng) {
  constexpr size_t kWindow = 8;
  Result r;
  r.link = link;
  r.frames = in;
  // Per direction: runs of data segments, cut into windows of kWindow. A window also closes
  // at a control segment (SYN, FIN, RST) of its direction, and when the other direction sends
  // data: a segment sent after the peer answered cannot overtake that answer, so reordering
  // stays within one burst, as it does on a real network.
  std::map<std::string, std::vector<size_t>> open;
  std::vector<std::vector<size_t>> windows;
  auto close = [&](std::vector<size_t>& w) {
    if (w.size() > 1) windows.push_back(w);
    w.clear();
  };
  for (size_t i = 0; i < in.size(); ++i) {
    Parsed p = Parse(link, in[i].data);
    if (!p.tcp) continue;
    std::vector<size_t>& w = open[DirectionKey(p)];
    bool control = (p.flags & (kTcpSyn | kTcpFin | kTcpRst)) != 0;
    if (control) {
      close(w);
      continue;
    }
    if (p.payload_len == 0) continue;
    close(open[ReverseKey(p)]);
    w.push_back(i);
    if (w.size() == kWindow) close(w);
  }
  for (auto& [key, w] : open) close(w);
  for (const std::vector<size_t>& w : windows) {
    std::vector<size_t> order = w;
    // An identity shuffle is rotated instead, so every window really is reordered.
    rng.Shuffle(order);
    if (order == w) std::rotate(order.begin(), order.begin() + 1, order.end());
    for (size_t k = 0; k < w.size(); ++k) {
      // The slot keeps its timestamp so the file stays in time order; the content moves.
      r.frames[w[k]].data = in[order[k]].data;
      r.frames[w[k]].orig_len = in[order[k]].orig_len;
      if (order[k] != w[k]) ++r.modified;
    }
  }
  return r;
}

Result Retransmit(const std::vector<Frame>& in, int link, Rng& rng) {
  Result r;
  r.link = link;
  std::vector<std::vector<Frame>> after(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    Parsed p = Parse(link, in[i].data);
    if (!IsData(p) || !rng.Percent(20)) continue;
    size_t at = i;
    if (rng.Percent(50)) at = std::min(in.size() - 1, i + 10 + rng.Below(40));  // much later
    Frame dup = in[i];
    dup.ts_ns = in[at].ts_ns;
    after[at].push_back(std::move(dup));
    ++r.modified;
  }
  for (size_t i = 0; i < in.size(); ++i) {
    r.frames.push_back(in[i]);
    for (Frame& f : after[i]) r.frames.push_back(std::move(f));
  }
  return r;
}

Result Overlap(const std::vector<Frame>& in, int link, Rng& rng) {
  Result r;
  r.link = link;
  for (const Frame& f : in) {
    Parsed p = Parse(link, f.data);
    if (!IsData(p) || p.payload_len < 2) {
      r.frames.push_back(f);
      continue;
    }
    ++r.modified;
    const uint8_t* base = f.data.data() + p.payload;
    size_t start = 0;
    uint16_t id = 0;
    while (true) {
      size_t piece =
          p.payload_len < 128 ? std::max<size_t>(2, p.payload_len / 2) : 64 + rng.Below(1337);
      size_t end = std::min(p.payload_len, start + piece);
      uint8_t flags = p.flags;
      if (end < p.payload_len) flags &= static_cast<uint8_t>(~(kTcpFin | kTcpPsh));
      r.frames.push_back(BuildSegment(f, p, p.seq + static_cast<uint32_t>(start), base + start,
                                      end - start, flags, id++));
      if (end == p.payload_len) break;
      // The next piece starts 1..8 bytes before this one ended: identical bytes, sent twice.
      size_t back = 1 + rng.Below(std::min<size_t>(8, end - start - 1));
      start = end - back;
    }
  }
  return r;
}

Result OverlapConflict(const std::vector<Frame>& in, int link, Rng& rng) {
  Result r;
  r.link = link;
  std::map<std::string, StreamCopy> streams = CopyStreams(in, link);
  for (const Frame& f : in) {
    r.frames.push_back(f);
    Parsed p = Parse(link, f.data);
    if (!IsData(p) || !rng.Percent(50)) continue;
    const StreamCopy& s = streams[DirectionKey(p)];
    size_t rel_end = static_cast<uint32_t>(p.seq - s.base) + p.payload_len;
    // Covers the last k bytes again with different content, then m bytes of genuine data
    // that follow, so a receiver must keep the first copy and still accept the new bytes.
    size_t k = 1 + rng.Below(std::min<size_t>(16, p.payload_len));
    size_t m = rng.Below(9);
    while (m > 0 && (rel_end + m > s.known.size() || !s.known[rel_end + m - 1])) --m;
    for (size_t i = 0; i < m; ++i) {
      if (!s.known[rel_end + i]) m = i;
    }
    std::vector<uint8_t> bytes(k + m);
    for (size_t i = 0; i < k; ++i) bytes[i] = f.data[p.payload + p.payload_len - k + i] ^ 0x5A;
    for (size_t i = 0; i < m; ++i) bytes[k + i] = s.bytes[rel_end + i];
    uint8_t flags = static_cast<uint8_t>(p.flags & ~(kTcpFin | kTcpSyn | kTcpRst));
    r.frames.push_back(BuildSegment(f, p, p.seq + static_cast<uint32_t>(p.payload_len - k),
                                    bytes.data(), bytes.size(), flags, 1));
    ++r.modified;
  }
  return r;
}

Result Lossy(const std::vector<Frame>& in, int link, Rng& rng, uint32_t n) {
  Result r;
  r.link = link;
  uint64_t phase = rng.Below(n);
  uint64_t count = 0;
  for (const Frame& f : in) {
    Parsed p = Parse(link, f.data);
    if (IsData(p) && (count++ + phase) % n == n - 1) {
      ++r.modified;
      continue;
    }
    r.frames.push_back(f);
  }
  return r;
}

Result Fragment(const std::vector<Frame>& in, int link, Rng& rng) {
  constexpr size_t kMtu = 576;
  Result r;
  r.link = link;
  uint32_t next_id = 0x4000 + static_cast<uint32_t>(rng.Below(0x4000));
  for (const Frame& f : in) {
    Parsed p = Parse(link, f.data);
    if (!p.ip || p.fragment || p.l3_end - p.l3 <= kMtu) {
      r.frames.push_back(f);
      continue;
    }
    ++r.modified;
    std::vector<Frame> frags;
    size_t prefix = p.l3 + p.unfrag_len;
    size_t body = p.l3_end - prefix;
    if (p.version == 4) {
      size_t step = ((kMtu - p.unfrag_len) / 8) * 8;
      uint16_t id = Get16(f.data, p.l3 + 4);
      if (id == 0) id = static_cast<uint16_t>(next_id++);
      for (size_t off = 0; off < body; off += step) {
        size_t n = std::min(step, body - off);
        Frame g;
        g.ts_ns = f.ts_ns;
        g.iface = f.iface;
        g.data.assign(f.data.begin(), f.data.begin() + static_cast<ptrdiff_t>(prefix));
        g.data.insert(g.data.end(), f.data.begin() + static_cast<ptrdiff_t>(prefix + off),
                      f.data.begin() + static_cast<ptrdiff_t>(prefix + off + n));
        Put16(g.data, p.l3 + 2, static_cast<uint16_t>(p.unfrag_len + n));
        Put16(g.data, p.l3 + 4, id);
        bool more = off + n < body;
        Put16(g.data, p.l3 + 6, static_cast<uint16_t>((more ? 0x2000 : 0) | (off / 8)));
        FixIpv4HeaderChecksum(g.data, p.l3);
        g.orig_len = static_cast<uint32_t>(g.data.size());
        frags.push_back(std::move(g));
      }
    } else {
      size_t step = ((kMtu - p.unfrag_len - 8) / 8) * 8;
      uint32_t id = next_id++;
      uint8_t first_next = f.data[p.next_hdr_off];
      for (size_t off = 0; off < body; off += step) {
        size_t n = std::min(step, body - off);
        Frame g;
        g.ts_ns = f.ts_ns;
        g.iface = f.iface;
        g.data.assign(f.data.begin(), f.data.begin() + static_cast<ptrdiff_t>(prefix));
        g.data[p.next_hdr_off] = 44;
        g.data.push_back(first_next);
        g.data.push_back(0);
        bool more = off + n < body;
        Append16(g.data, static_cast<uint16_t>(off | (more ? 1 : 0)));
        Append32(g.data, id);
        g.data.insert(g.data.end(), f.data.begin() + static_cast<ptrdiff_t>(prefix + off),
                      f.data.begin() + static_cast<ptrdiff_t>(prefix + off + n));
        Put16(g.data, p.l3 + 4, static_cast<uint16_t>(p.unfrag_len - 40 + 8 + n));
        g.orig_len = static_cast<uint32_t>(g.data.size());
        frags.push_back(std::move(g));
      }
    }
    // A quarter of the datagrams arrive last fragment first: reassembly must not assume order.
    if (rng.Percent(25)) std::reverse(frags.begin(), frags.end());
    for (Frame& g : frags) r.frames.push_back(std::move(g));
  }
  return r;
}

enum class Tag { kVlan, kQinq, kMpls };

Result Retag(const std::vector<Frame>& in, int link, Tag tag) {
  Result r;
  r.link = kLinkEthernet;
  for (const Frame& f : in) {
    auto e = ToEthernet(link, f.data);
    auto et = e ? EthertypeOffset(*e) : std::nullopt;
    if (!e || !et) {
      ++r.skipped;
      continue;
    }
    std::vector<uint8_t> d = std::move(*e);
    std::vector<uint8_t> ins;
    if (tag == Tag::kVlan) {
      Append16(ins, kEtherVlan);
      Append16(ins, 100);
    } else if (tag == Tag::kQinq) {
      Append16(ins, kEtherQinq);
      Append16(ins, 200);
      Append16(ins, kEtherVlan);
      Append16(ins, 100);
    } else {
      uint16_t t = Get16(d, *et);
      if (t != kEtherIpv4 && t != kEtherIpv6) {  // MPLS here carries IP only
        r.frames.push_back(f);
        r.frames.back().data = std::move(d);
        r.frames.back().orig_len = static_cast<uint32_t>(r.frames.back().data.size());
        continue;
      }
      Put16(d, *et, kEtherMpls);
      Append32(ins, (1000u << 12) | 64);              // label 1000, TC 0, S 0, TTL 64
      Append32(ins, (2000u << 12) | (1u << 8) | 64);  // label 2000, bottom of stack
    }
    // VLAN tags go where the ethertype was (it moves behind them); MPLS labels go after it.
    size_t at = tag == Tag::kMpls ? *et + 2 : 12;
    d.insert(d.begin() + static_cast<ptrdiff_t>(at), ins.begin(), ins.end());
    Frame g = f;
    g.data = std::move(d);
    g.orig_len = static_cast<uint32_t>(g.data.size());
    r.frames.push_back(std::move(g));
    ++r.modified;
  }
  return r;
}

enum class Tunnel { kVxlan, kGre, kErspan2, kErspan3 };

Result Encapsulate(const std::vector<Frame>& in_frames, int link, Tunnel tunnel) {
  Result r;
  r.link = kLinkEthernet;
  size_t overhead = 20 + (tunnel == Tunnel::kVxlan     ? 16
                          : tunnel == Tunnel::kGre     ? 4
                          : tunnel == Tunnel::kErspan2 ? 8 + 8
                                                       : 8 + 12);
  // The inner frame (plus up to 8 bytes of inner link header growth) must fit one outer packet.
  size_t resegmented = 0;
  std::vector<Frame> in =
      Resegment(in_frames, link, kMaxIpTotal - overhead - 14 - 8 - 24, resegmented);
  uint16_t outer_id = 1;
  uint32_t gre_seq = 0;
  for (const Frame& f : in) {
    auto e = ToEthernet(link, f.data);
    if (!e || e->size() + overhead > kMaxIpTotal) {
      ++r.skipped;
      continue;
    }
    Parsed inner = Parse(kLinkEthernet, *e);
    std::vector<uint8_t> o;
    size_t ip_payload = overhead - 20 + e->size();
    if (tunnel == Tunnel::kVxlan) {
      AppendOuterIpv4(o, 17, ip_payload, outer_id++);
      uint16_t sport =
          static_cast<uint16_t>(49152 + (inner.tcp || inner.udp ? FlowHash(inner) % 16384 : 0));
      Append16(o, sport);
      Append16(o, 4789);
      Append16(o, static_cast<uint16_t>(ip_payload));
      Append16(o, 0);             // UDP checksum 0: allowed for IPv4 and what Linux VXLAN sends
      Append32(o, 0x08000000);    // flags: VNI present
      Append32(o, (4242u << 8));  // VNI 4242
    } else {
      AppendOuterIpv4(o, 47, ip_payload, outer_id++);
      if (tunnel == Tunnel::kGre) {
        Append16(o, 0);
        Append16(o, kEtherTeb);
      } else {
        Append16(o, 0x1000);  // S bit: a sequence number follows, as ERSPAN sends it
        Append16(o, tunnel == Tunnel::kErspan2 ? kEtherErspan2 : kEtherErspan3);
        Append32(o, gre_seq++);
        constexpr uint16_t kSession = 77;
        if (tunnel == Tunnel::kErspan2) {
          Append16(o, (1u << 12) | 0);  // version 1 (type II), VLAN 0
          Append16(o, kSession);        // COS 0, En 0 (no VLAN in the mirrored frame), T 0
          Append32(o, 0);               // reserved, index 0
        } else {
          Append16(o, (2u << 12) | 0);                            // version 2 (type III), VLAN 0
          Append16(o, kSession);                                  // COS 0, BSO 0 (good frame), T 0
          Append32(o, static_cast<uint32_t>(f.ts_ns / 100000u));  // 100 us granularity
          Append16(o, 0);                                         // SGT
          Append16(o, 0);                                         // P FT HW-ID D Gra O
        }
      }
    }
    o.insert(o.end(), e->begin(), e->end());
    Frame g;
    g.ts_ns = f.ts_ns;
    g.data = std::move(o);
    g.orig_len = static_cast<uint32_t>(g.data.size());
    r.frames.push_back(std::move(g));
    ++r.modified;
  }
  r.modified += resegmented;
  return r;
}

Result ToSll2(const std::vector<Frame>& in, int link) {
  Result r;
  r.link = kLinkSll2;
  for (const Frame& f : in) {
    auto e = ToEthernet(link, f.data);
    if (!e) {
      ++r.skipped;
      continue;
    }
    Parsed p = Parse(kLinkEthernet, *e);
    std::vector<uint8_t> s;
    Append16(s, Get16(*e, 12));  // protocol type
    Append16(s, 0);              // reserved
    Append32(s, 1);              // interface index
    Append16(s, 1);              // ARPHRD_ETHER
    // Packet type: to us (0) for client->server, outgoing (4) for the other direction.
    s.push_back(p.tcp && p.sport < p.dport ? 4 : 0);
    s.push_back(6);
    s.insert(s.end(), e->begin() + 6, e->begin() + 12);  // source MAC
    s.push_back(0);
    s.push_back(0);
    s.insert(s.end(), e->begin() + 14, e->end());
    Frame g = f;
    g.data = std::move(s);
    g.orig_len = static_cast<uint32_t>(g.data.size());
    r.frames.push_back(std::move(g));
    ++r.modified;
  }
  return r;
}

Result ToRaw(const std::vector<Frame>& in, int link) {
  Result r;
  r.link = kLinkRaw;
  for (const Frame& f : in) {
    Parsed p = Parse(link, f.data);
    if (!p.ip) {
      ++r.skipped;
      continue;
    }
    Frame g = f;
    g.data.assign(f.data.begin() + static_cast<ptrdiff_t>(p.l3),
                  f.data.begin() + static_cast<ptrdiff_t>(p.l3_end));
    g.orig_len = static_cast<uint32_t>(g.data.size());
    r.frames.push_back(std::move(g));
    ++r.modified;
  }
  return r;
}

Result ToPcapng(const std::vector<Frame>& in, int link) {
  // Two interfaces of the input link type: interface 0 with the default microsecond
  // resolution, interface 1 with if_tsresol = 9 (nanoseconds). Frames alternate between them,
  // so a reader must honour each interface's timestamp resolution. Both share one link type
  // because libpcap (1.10) refuses a section whose interfaces have different link types.
  //
  // Raw IP gets a single (nanosecond) interface: libpcap 1.10 compares the second IDB's
  // LINKTYPE_RAW (101) with the DLT_RAW (12) it mapped the first one to, and rejects the file.
  Result r;
  r.link = link;
  r.pcapng = true;
  bool single = link == kLinkRaw;
  r.ifaces = {{link, single}};
  if (!single) r.ifaces.push_back({link, true});
  for (size_t i = 0; i < in.size(); ++i) {
    Frame g = in[i];
    g.iface = single ? 0 : static_cast<uint32_t>(i % 2);
    r.modified += g.iface;
    r.frames.push_back(std::move(g));
  }
  return r;
}

// Loopback and offloading NICs capture packets whose TCP/UDP checksums were never filled in.
// Every frame this tool writes carries correct checksums instead, so tshark shows the
// variants' own changes and nothing else.
void NormaliseChecksums(std::vector<Frame>& frames, int link) {
  for (Frame& f : frames) {
    Parsed p = Parse(link, f.data);
    if (!p.ip || p.fragment) continue;
    if (p.version == 4) FixIpv4HeaderChecksum(f.data, p.l3);
    if (p.tcp || p.udp) FixL4Checksum(f.data, p);
  }
}

bool ReadCapture(const std::string& path, int& link, std::vector<Frame>& frames) {
  char err[PCAP_ERRBUF_SIZE] = {0};
  pcap_t* pc =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (!pc) {
    std::fprintf(stderr, "bw_pcap_variants: %s: %s\n", path.c_str(), err);
    return false;
  }
  link = LinktypeFromDlt(pcap_datalink(pc));
  pcap_pkthdr* hdr = nullptr;
  const u_char* bytes = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(pc, &hdr, &bytes)) == 1) {
    Frame f;
    f.ts_ns = static_cast<uint64_t>(hdr->ts.tv_sec) * 1000000000u +
              static_cast<uint64_t>(hdr->ts.tv_usec);
    f.orig_len = hdr->len;
    f.data.assign(bytes, bytes + hdr->caplen);
    frames.push_back(std::move(f));
  }
  if (rc == -1) std::fprintf(stderr, "bw_pcap_variants: %s: %s\n", path.c_str(), pcap_geterr(pc));
  pcap_close(pc);
  return rc == -2;
}

void Usage() {
  std::fprintf(stderr,
               "usage: bw_pcap_variants --in IN.pcap --out OUT.pcap --variant NAME [--seed N]\n"
               "                        [--loss N] [--snaplen N]\n"
               "variants: reorder retransmit overlap overlap_conflict lossy mtu1500 fragment\n"
               "          vlan qinq mpls vxlan gre erspan2 erspan3 snaplen sll2 raw nanosecond\n"
               "          pcapng\n");
}

bool ParseNumber(const char* s, uint64_t& out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0') return false;
  out = v;
  return true;
}

std::optional<Options> ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h") return std::nullopt;
    if (i + 1 >= argc) return std::nullopt;
    const char* v = argv[++i];
    uint64_t n = 0;
    if (a == "--in") {
      o.in = v;
    } else if (a == "--out") {
      o.out = v;
    } else if (a == "--variant") {
      o.variant = v;
    } else if (a == "--seed" && ParseNumber(v, n)) {
      o.seed = n;
    } else if (a == "--loss" && ParseNumber(v, n) && n >= 1 && n <= 1000000) {
      o.loss = static_cast<uint32_t>(n);
    } else if (a == "--snaplen" && ParseNumber(v, n) && n >= 1 && n <= 262144) {
      o.snaplen = static_cast<uint32_t>(n);
    } else {
      return std::nullopt;
    }
  }
  if (o.in.empty() || o.out.empty() || o.variant.empty()) return std::nullopt;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> opt = ParseArgs(argc, argv);
  if (!opt) {
    Usage();
    return 2;
  }
  int link = 0;
  std::vector<Frame> in;
  if (!ReadCapture(opt->in, link, in)) return 1;
  NormaliseChecksums(in, link);
  Rng rng(opt->seed);
  const std::string& v = opt->variant;
  Result r;
  if (v == "reorder") {
    r = Reorder(in, link, rng);
  } else if (v == "retransmit") {
    r = Retransmit(in, link, rng);
  } else if (v == "overlap") {
    r = Overlap(in, link, rng);
  } else if (v == "overlap_conflict") {
    r = OverlapConflict(in, link, rng);
  } else if (v == "lossy") {
    r = Lossy(in, link, rng, opt->loss);
  } else if (v == "mtu1500") {
    r.link = link;
    r.frames = Resegment(in, link, 1500, r.modified);
  } else if (v == "fragment") {
    r = Fragment(in, link, rng);
  } else if (v == "vlan") {
    r = Retag(in, link, Tag::kVlan);
  } else if (v == "qinq") {
    r = Retag(in, link, Tag::kQinq);
  } else if (v == "mpls") {
    r = Retag(in, link, Tag::kMpls);
  } else if (v == "vxlan") {
    r = Encapsulate(in, link, Tunnel::kVxlan);
  } else if (v == "gre") {
    r = Encapsulate(in, link, Tunnel::kGre);
  } else if (v == "erspan2") {
    r = Encapsulate(in, link, Tunnel::kErspan2);
  } else if (v == "erspan3") {
    r = Encapsulate(in, link, Tunnel::kErspan3);
  } else if (v == "snaplen") {
    r.link = link;
    r.snaplen = opt->snaplen;
    r.frames = in;
    for (Frame& f : r.frames) {
      if (f.data.size() > opt->snaplen) {
        f.data.resize(opt->snaplen);  // orig_len keeps the length on the wire
        ++r.modified;
      }
    }
  } else if (v == "sll2") {
    r = ToSll2(in, link);
  } else if (v == "raw") {
    r = ToRaw(in, link);
  } else if (v == "nanosecond") {
    r.link = link;
    r.frames = in;
    r.nanos = true;
    r.modified = in.size();
  } else if (v == "pcapng") {
    r = ToPcapng(in, link);
  } else {
    std::fprintf(stderr, "bw_pcap_variants: unknown variant '%s'\n", v.c_str());
    Usage();
    return 2;
  }
  bool ok = r.pcapng ? WritePcapng(opt->out, r.ifaces, r.frames)
                     : WritePcap(opt->out, r.link, r.snaplen, r.nanos, r.frames);
  if (!ok) {
    std::fprintf(stderr, "bw_pcap_variants: cannot write %s\n", opt->out.c_str());
    return 1;
  }
  std::fprintf(stderr, "bw_pcap_variants: %s: %zu frames in, %zu out, %zu modified, %zu skipped\n",
               v.c_str(), in.size(), r.frames.size(), r.modified, r.skipped);
  return 0;
}
