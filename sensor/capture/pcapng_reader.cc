#include "sensor/capture/pcapng_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "sensor/capture/link_type_map.h"

namespace bw::capture {
namespace {

constexpr uint32_t kInterfaceDescription = 1;
constexpr uint32_t kObsoletePacket = 2;
constexpr uint32_t kSimplePacket = 3;
constexpr uint32_t kEnhancedPacket = 6;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr uint16_t kOptEnd = 0;
constexpr uint16_t kOptTsResol = 9;
constexpr uint16_t kOptTsOffset = 14;

uint32_t Swap32(uint32_t v) { return __builtin_bswap32(v); }

uint32_t LoadNative32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

std::unique_ptr<PcapngReader> PcapngReader::Open(const std::string& path, std::string& error) {
  auto stream = CaptureStream::Open(path, error);
  if (!stream) {
    error = "cannot read capture " + path + ": " + error;
    return nullptr;
  }
  return Open(std::move(stream), path, error);
}

std::unique_ptr<PcapngReader> PcapngReader::Open(std::unique_ptr<CaptureStream> stream,
                                                 const std::string& name, std::string& error) {
  error.clear();
  ByteView magic = stream->Peek(4);
  if (magic.size() != 4 || LoadNative32(magic.data()) != kPcapngSectionHeader) {
    if (!stream->error().empty()) error = "cannot read capture " + name + ": " + stream->error();
    return nullptr;  // not pcapng: libpcap reads it (and explains what is wrong with it)
  }
  std::unique_ptr<PcapngReader> r(new PcapngReader());
  r->stream_ = std::move(stream);
  // Read up to the first packet's interface so first_dlt() is known before any packet.
  uint32_t type = 0;
  while (r->first_dlt_ < 0) {
    Status st = r->ReadBlock(type);
    if (st == Status::kEnd) break;
    if (st == Status::kError) {
      error = "cannot read capture " + name + ": " + r->error_;
      return nullptr;
    }
    if (type == kPcapngSectionHeader) {
      if (!r->ParseSectionHeader()) {
        error = "cannot read capture " + name + ": " + r->error_;
        return nullptr;
      }
    } else if (type == kInterfaceDescription) {
      if (!r->ParseInterface()) {
        error = "cannot read capture " + name + ": " + r->error_;
        return nullptr;
      }
    } else if (type == kEnhancedPacket || type == kSimplePacket || type == kObsoletePacket) {
      // A packet before any interface: Next() reports it as an error in order.
      r->pending_ = true;
      r->pending_type_ = type;
      break;
    } else {
      ++r->blocks_skipped_;
    }
  }
  return r;
}

PcapngReader::~PcapngReader() = default;

PcapngReader::Status PcapngReader::Fail(std::string why) {
  error_ = std::move(why) + " (block at offset " + std::to_string(offset_) + ")";
  return Status::kError;
}

uint32_t PcapngReader::U32(size_t at) const {
  uint32_t v = LoadNative32(body_.data() + at);
  return swapped_ ? Swap32(v) : v;
}

uint16_t PcapngReader::U16(size_t at) const {
  uint16_t v;
  std::memcpy(&v, body_.data() + at, 2);
  return swapped_ ? static_cast<uint16_t>(__builtin_bswap16(v)) : v;
}

PcapngReader::Status PcapngReader::FailRead(std::string why) {
  return Fail(stream_->error().empty() ? std::move(why) : stream_->error());
}

size_t PcapngReader::ReadSome(uint8_t* out, size_t n) {
  const size_t got = stream_->Read(out, n);
  position_ += got;
  return got;
}

PcapngReader::Status PcapngReader::ReadBlock(uint32_t& type) {
  offset_ = position_;
  uint8_t hdr[8];
  size_t got = ReadSome(hdr, 8);
  if (got == 0 && stream_->error().empty()) return Status::kEnd;
  if (got != 8) return FailRead("truncated pcapng block header");
  uint32_t raw_type = LoadNative32(hdr);
  uint32_t raw_len = LoadNative32(hdr + 4);
  // A new section may change the byte order: its magic, the body's first 4 bytes, decides.
  uint8_t bom[4];
  const bool section = raw_type == kPcapngSectionHeader;
  if (section) {
    if (ReadSome(bom, 4) != 4) return FailRead("truncated pcapng section header");
    uint32_t magic = LoadNative32(bom);
    if (magic == kByteOrderMagic) {
      swapped_ = false;
    } else if (magic == Swap32(kByteOrderMagic)) {
      swapped_ = true;
    } else {
      return Fail("bad pcapng byte-order magic");
    }
  }
  type = swapped_ ? Swap32(raw_type) : raw_type;
  uint32_t len = swapped_ ? Swap32(raw_len) : raw_len;
  // A section header's body holds at least its byte-order magic and the trailer.
  if (len < (section ? 16u : 12u) || len % 4 != 0) {
    return Fail("pcapng block length " + std::to_string(len));
  }
  if (len > kMaxBlockBytes) {
    return Fail("pcapng block of " + std::to_string(len) + " bytes exceeds " +
                std::to_string(kMaxBlockBytes));
  }
  body_.resize(len - 8);
  const size_t at = section ? 4 : 0;
  if (section) std::memcpy(body_.data(), bom, 4);
  if (ReadSome(body_.data() + at, body_.size() - at) != body_.size() - at) {
    return FailRead("truncated pcapng block");
  }
  if (U32(body_.size() - 4) != len) return Fail("pcapng block trailer length mismatch");
  body_.resize(body_.size() - 4);
  return Status::kPacket;
}

bool PcapngReader::ParseSectionHeader() {
  // byte-order magic, major, minor, section length (8), options: nothing we need.
  if (body_.size() < 16) {
    Fail("pcapng section header too short");
    return false;
  }
  if (U16(4) != 1) {
    Fail("pcapng major version " + std::to_string(U16(4)));
    return false;
  }
  interfaces_.clear();  // interface ids are per section
  ++sections_;
  return true;
}

bool PcapngReader::ParseInterface() {
  if (body_.size() < 8) {
    Fail("pcapng interface description too short");
    return false;
  }
  Interface iface;
  iface.dlt = LinktypeToDlt(U16(0));
  iface.snaplen = U32(4);
  size_t at = 8;
  while (at + 4 <= body_.size()) {
    uint16_t code = U16(at);
    uint16_t len = U16(at + 2);
    at += 4;
    if (code == kOptEnd) break;
    if (at + len > body_.size()) {
      Fail("pcapng interface option overruns its block");
      return false;
    }
    if (code == kOptTsResol && len == 1) {
      uint8_t v = body_[at];
      iface.binary_resolution = (v & 0x80) != 0;
      iface.resolution = v & 0x7f;
      if ((!iface.binary_resolution && iface.resolution > 18) ||
          (iface.binary_resolution && iface.resolution > 63)) {
        Fail("pcapng if_tsresol " + std::to_string(v) + " out of range");
        return false;
      }
    } else if (code == kOptTsOffset && len == 8) {
      uint64_t v;
      std::memcpy(&v, body_.data() + at, 8);
      if (swapped_) v = __builtin_bswap64(v);
      iface.offset_seconds = static_cast<int64_t>(v);
    }
    at += (static_cast<size_t>(len) + 3) & ~size_t{3};
  }
  if (first_dlt_ < 0) first_dlt_ = iface.dlt;
  interfaces_.push_back(iface);
  ++interfaces_total_;
  return true;
}

TimestampNs PcapngReader::ToNs(const Interface& iface, uint64_t units) const {
  unsigned __int128 ns;
  if (iface.binary_resolution) {
    ns = (static_cast<unsigned __int128>(units) * 1000000000u) >> iface.resolution;
  } else if (iface.resolution <= 9) {
    uint64_t mul = 1;
    for (int i = iface.resolution; i < 9; ++i) mul *= 10;
    ns = static_cast<unsigned __int128>(units) * mul;
  } else {
    uint64_t div = 1;
    for (int i = 9; i < iface.resolution; ++i) div *= 10;
    ns = units / div;
  }
  __int128 total =
      static_cast<__int128>(ns) + static_cast<__int128>(iface.offset_seconds) * kNsPerSecond;
  constexpr __int128 kMax = static_cast<__int128>(INT64_MAX);
  if (total < 0) return 0;
  if (total > kMax) return static_cast<TimestampNs>(INT64_MAX);
  return static_cast<TimestampNs>(total);
}

PcapngReader::Status PcapngReader::Next(Packet& out) {
  for (;;) {
    uint32_t type = 0;
    if (pending_) {
      pending_ = false;
      type = pending_type_;
    } else {
      Status st = ReadBlock(type);
      if (st != Status::kPacket) return st;
    }
    switch (type) {
      case kPcapngSectionHeader:
        if (!ParseSectionHeader()) return Status::kError;
        continue;
      case kInterfaceDescription:
        if (!ParseInterface()) return Status::kError;
        continue;
      case kEnhancedPacket:
      case kObsoletePacket: {
        if (body_.size() < 20) return Fail("pcapng packet block too short");
        uint32_t id = type == kEnhancedPacket ? U32(0) : U16(0);
        if (id >= interfaces_.size()) {
          return Fail("pcapng packet on undeclared interface " + std::to_string(id));
        }
        uint64_t units = (static_cast<uint64_t>(U32(4)) << 32) | U32(8);
        uint32_t caplen = U32(12);
        if (caplen > body_.size() - 20) return Fail("pcapng packet longer than its block");
        const Interface& iface = interfaces_[id];
        out.data = ByteView(body_.data() + 20, caplen);
        out.wire_length = std::max(U32(16), caplen);
        out.ts = ToNs(iface, units);
        out.dlt = iface.dlt;
        last_ts_ = out.ts;
        return Status::kPacket;
      }
      case kSimplePacket: {
        if (body_.size() < 4) return Fail("pcapng simple packet block too short");
        if (interfaces_.empty()) return Fail("pcapng simple packet before any interface");
        const Interface& iface = interfaces_[0];
        uint32_t orig = U32(0);
        size_t caplen = body_.size() - 4;
        if (orig < caplen) caplen = orig;
        if (iface.snaplen != 0 && caplen > iface.snaplen) caplen = iface.snaplen;
        out.data = ByteView(body_.data() + 4, caplen);
        out.wire_length = std::max<uint32_t>(orig, static_cast<uint32_t>(caplen));
        out.ts = last_ts_;  // a Simple Packet Block carries no time: it keeps the clock
        out.dlt = iface.dlt;
        return Status::kPacket;
      }
      default:
        ++blocks_skipped_;  // statistics, name resolution, secrets, custom, unknown
        continue;
    }
  }
}

}  // namespace bw::capture
