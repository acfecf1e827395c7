#pragma once
// A pcapng file reader that, unlike libpcap 1.10, accepts what the format allows: several
// sections (each with its own byte order), several interfaces per section with different link
// types, snap lengths and timestamp resolutions (if_tsresol, decimal or binary) and offsets
// (if_tsoffset). Enhanced, Simple and obsolete Packet Blocks become packets, each with its own
// link type; every other block (Interface Statistics, Name Resolution, Decryption Secrets,
// custom 0x00000BAD/0x40000BAD, unknown types) is skipped and counted. Blocks are bounded
// (kMaxBlockBytes); a malformed or truncated block is a one-line error after which earlier
// packets stand. One reusable buffer, no allocation per packet in steady state. The file is read
// front to back, never seeked, so a pipe or a gzip stream reads as a file does (CaptureStream).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dissectors/common/bytes.h"
#include "dissectors/common/timestamp.h"
#include "sensor/capture/capture_stream.h"

namespace bw::capture {

inline constexpr uint32_t kPcapngSectionHeader = 0x0A0D0D0A;
inline constexpr uint32_t kMaxBlockBytes = 16u << 20;

class PcapngReader {
 public:
  enum class Status : uint8_t { kPacket, kEnd, kError };
  struct Packet {
    ByteView data;  // valid until the next call to Next()
    uint32_t wire_length = 0;
    TimestampNs ts = 0;
    int dlt = 0;  // libpcap DLT_ value of the packet's interface (LINKTYPE_RAW 101 -> DLT_RAW 12)
  };

  // Opens `path` when it starts with a pcapng Section Header Block; nullptr with `error` empty
  // when it is not pcapng (let libpcap have it), or with `error` set when it cannot be read.
  static std::unique_ptr<PcapngReader> Open(const std::string& path, std::string& error);
  // The same over a stream already open (`name` for messages): nullptr with `error` empty when
  // it does not start like pcapng (the stream is gone then: peek at it first).
  static std::unique_ptr<PcapngReader> Open(std::unique_ptr<CaptureStream> stream,
                                            const std::string& name, std::string& error);
  ~PcapngReader();
  PcapngReader(const PcapngReader&) = delete;
  PcapngReader& operator=(const PcapngReader&) = delete;

  Status Next(Packet& out);
  const std::string& error() const { return error_; }
  // The link type of the first interface (what a single-link-type caller reports); -1 if the
  // file has no interface before its first packet.
  int first_dlt() const { return first_dlt_; }
  uint64_t blocks_skipped() const { return blocks_skipped_; }
  uint64_t sections() const { return sections_; }
  uint64_t interfaces() const { return interfaces_total_; }

 private:
  struct Interface {
    int dlt = 0;
    uint32_t snaplen = 0;
    bool binary_resolution = false;
    uint8_t resolution = 6;  // exponent: 10^-r or 2^-r units per second
    int64_t offset_seconds = 0;
  };

  PcapngReader() = default;
  // Reads the next block into body_ (without its 8-byte header and 4-byte trailer).
  Status ReadBlock(uint32_t& type);
  bool ParseSectionHeader();
  bool ParseInterface();
  TimestampNs ToNs(const Interface& iface, uint64_t units) const;
  uint32_t U32(size_t at) const;
  uint16_t U16(size_t at) const;
  Status Fail(std::string why);
  // A short read: the stream's own error (a corrupt gzip stream) when it has one, else `why`.
  Status FailRead(std::string why);
  // Up to n bytes of the stream; counts them for offset_.
  size_t ReadSome(uint8_t* out, size_t n);

  std::unique_ptr<CaptureStream> stream_;
  uint64_t position_ = 0;  // bytes read so far
  // Open() read a packet block before any interface: Next() handles it (in body_) first.
  bool pending_ = false;
  uint32_t pending_type_ = 0;
  std::vector<uint8_t> body_;
  bool swapped_ = false;
  std::vector<Interface> interfaces_;
  int first_dlt_ = -1;
  TimestampNs last_ts_ = 0;
  uint64_t offset_ = 0;  // file offset of the block being read, for messages
  uint64_t blocks_skipped_ = 0;
  uint64_t sections_ = 0;
  uint64_t interfaces_total_ = 0;
  std::string error_;
};

}  // namespace bw::capture
