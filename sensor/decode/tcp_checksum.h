#pragma once
// TCP checksum verification and the policy deciding what a wrong checksum means.
//
// Why verify at all: a receiver drops a segment whose checksum is wrong, so an attacker can send
// a bad-checksum segment carrying a fake request ahead of the real one. A sensor that accepts it
// keeps the fake bytes (reassembly is first-wins) and logs a bucket the server never saw.
//
// Why not always: captures taken on the sending host (loopback, a TX-offloading NIC or virtio)
// hold segments whose checksum the NIC fills in later. Linux leaves the pseudo-header sum in the
// field (CHECKSUM_PARTIAL); synthetic captures often leave 0. Those "unfilled" values are
// recognised and, in auto mode, accepted.
//
// Modes:
//  - kVerify: drop every segment whose checksum is not correct, unfilled ones included.
//  - kIgnore: never look at checksums (the behaviour before verification existed).
//  - kAuto (default, Suricata's "auto" idea): verify, accept unfilled values, and watch the first
//    kAutoSample verifiable segments. When more than kAutoOffThreshold of them were unfilled or
//    wrong, the capture comes from an offloading host: stop verifying for good (from then on a
//    bad-checksum trick is not caught; use kVerify on a tap). When the sample completes under
//    the threshold, the capture is a clean tap: verify strictly, unfilled values included.
// Segments cut by the snaplen cannot be verified and are accepted (counted).
//
// Guarantees: pure arithmetic over the caller's bytes; no allocation; not thread-safe (one per
// decoder, i.e. per worker).

#include <cstddef>
#include <cstdint>

#include "dissectors/common/bytes.h"
#include "sensor/decode/ip_address.h"

namespace bw::decode {

enum class TcpChecksumMode : uint8_t { kAuto, kVerify, kIgnore };

enum class TcpChecksumVerdict : uint8_t {
  kGood,      // the ones' complement sum over pseudo header and segment checks out
  kUnfilled,  // 0, or the bare pseudo-header sum: left for an offloading NIC to fill in
  kBad,       // anything else: a receiver drops the segment
};

// Classifies the checksum of a complete TCP segment (header and payload, as on the wire) sent
// from `src` to `dst` (both IPv4 or both IPv6). The segment must hold at least 20 bytes.
TcpChecksumVerdict ClassifyTcpChecksum(const IpAddress& src, const IpAddress& dst,
                                       ByteView segment);

class TcpChecksumPolicy {
 public:
  static constexpr uint32_t kAutoSample = 1000;
  static constexpr uint32_t kAutoOffThreshold = kAutoSample / 10;

  explicit TcpChecksumPolicy(TcpChecksumMode mode) : mode_(mode) {}

  // Whether a segment must be checked at all (false in kIgnore and once auto switched off).
  bool verifying() const {
    return mode_ != TcpChecksumMode::kIgnore && auto_state_ != AutoState::kOff;
  }
  // Records one verdict and says whether the segment is kept.
  bool Accept(TcpChecksumVerdict v);
  // A segment that could not be verified (cut by the snaplen).
  void NoteUnverifiable() { ++unverifiable_; }

  TcpChecksumMode mode() const { return mode_; }
  // Auto mode only: verification stopped because the sample looked offloaded.
  bool auto_disabled() const { return auto_state_ == AutoState::kOff; }
  uint64_t good() const { return good_; }
  uint64_t unfilled_accepted() const { return unfilled_accepted_; }
  uint64_t rejected() const { return rejected_; }
  uint64_t unverifiable() const { return unverifiable_; }

 private:
  enum class AutoState : uint8_t { kSampling, kStrict, kOff };

  TcpChecksumMode mode_;
  AutoState auto_state_ = AutoState::kSampling;
  uint32_t sampled_ = 0;
  uint32_t suspicious_ = 0;  // unfilled or bad within the sample
  uint64_t good_ = 0;
  uint64_t unfilled_accepted_ = 0;
  uint64_t rejected_ = 0;
  uint64_t unverifiable_ = 0;
};

}  // namespace bw::decode
