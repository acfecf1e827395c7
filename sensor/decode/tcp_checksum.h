#pragma once
// TCP checksum verification and the policy deciding what a wrong checksum means.
//
// Why verify at all: a receiver drops a segment whose checksum is wrong, so an attacker can send
// a bad-checksum segment carrying a fake request ahead of the real one. A sensor that accepts it
// keeps the fake bytes (reassembly is first-wins) and logs a bucket the server never saw.
//
// Why not drop them: captures taken on a host (tcpdump on a client or server, loopback, a
// TX-offloading NIC or virtio, some cloud mirrors) hold that host's own segments with the sum the
// NIC fills in later. Linux leaves the pseudo-header sum in the field (CHECKSUM_PARTIAL);
// synthetic captures often leave 0. Captures rewritten by other tools (anonymised addresses) carry
// wrong sums everywhere. Dropping those loses whole sides of real traffic.
//
// Modes:
//  - kVerify: drop every segment whose checksum is not correct, unfilled ones included, as the
//    receiver does. For a clean tap where nothing may be trusted that a receiver would discard.
//  - kIgnore: never look at checksums (the behaviour before verification existed).
//  - kAuto (default): nothing is dropped here. Each segment carries its verdict to the flow, where
//    TcpChecksumTrust decides per direction of the connection whether it is strong or weak:
//    good sums are strong; unfilled sums are strong when the direction comes from an offloading
//    capture host (its SYN, or its first two segments when the handshake was missed, carried
//    unfilled sums and no good one came before), weak otherwise; wrong sums are always weak.
//    Reassembly keeps a weak segment's bytes only until a strong copy of any of them replaces
//    it, and uses them once the receiver's ACK passes them (a receiver acknowledges only bytes
//    it accepted) or, at flow end or after the hole timeout, when the receiver was not seen
//    refusing them (see tcp_reassembler.h). So a fake sent with a bad sum ahead of the real
//    bytes is replaced, and a capture whose sums are all wrong still yields its requests.
// Why per direction and not per host: on a tap a connection exists only if its SYN reached the
// server with a correct sum, so an attacker cannot make its own direction look offloading, while a
// per-host table can be taught by junk sent from the same address to nowhere; and a real
// offloading host sends a few segments its kernel sums in software (RSTs, TIME_WAIT ACKs), which
// would flip a per-host verdict for its other connections. The state is two bytes per direction.
// Segments cut by the snaplen cannot be verified and are accepted (counted).
//
// Guarantees: pure arithmetic over the caller's bytes; no allocation; not thread-safe (the policy
// is one per decoder, i.e. per worker; a trust lives in one connection).

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

// The mode and the verdict counters of one decoder.
class TcpChecksumPolicy {
 public:
  explicit TcpChecksumPolicy(TcpChecksumMode mode) : mode_(mode) {}

  // Whether a segment must be checked at all (false in kIgnore).
  bool verifying() const { return mode_ != TcpChecksumMode::kIgnore; }
  // Records one verdict and says whether the segment is kept (kVerify drops all but kGood).
  bool Accept(TcpChecksumVerdict v);
  // A segment that could not be verified (cut by the snaplen).
  void NoteUnverifiable() { ++unverifiable_; }

  TcpChecksumMode mode() const { return mode_; }
  uint64_t good() const { return good_; }
  uint64_t unfilled() const { return unfilled_; }  // seen (dropped in kVerify, kept otherwise)
  uint64_t bad() const { return bad_; }            // seen (dropped in kVerify, kept otherwise)
  uint64_t rejected() const { return rejected_; }  // dropped: kVerify only
  uint64_t unverifiable() const { return unverifiable_; }

 private:
  TcpChecksumMode mode_;
  uint64_t good_ = 0;
  uint64_t unfilled_ = 0;
  uint64_t bad_ = 0;
  uint64_t rejected_ = 0;
  uint64_t unverifiable_ = 0;
};

// One direction of a connection, kAuto mode: whether a segment's checksum makes it strong
// (its bytes are the receiver's) or weak (replaceable, used only as tcp_reassembler.h says).
// Other modes hand every kept segment over as kGood, so they are all strong.
class TcpChecksumTrust {
 public:
  // Unfilled segments, none good before them, that make a direction picked up mid-stream count
  // as an offloading host's (one unfilled SYN is enough).
  static constexpr uint8_t kOffloadEvidence = 2;

  bool Strong(TcpChecksumVerdict v, bool syn);
  bool offloading() const { return state_ == State::kOffload; }
  bool strict() const { return state_ == State::kStrict; }

 private:
  // kStrict is final: a sender seen filling its sums correctly never sends unfilled ones that a
  // receiver accepted. kOffload ends at a good SYN, not at good data (see Strong).
  enum class State : uint8_t { kUnknown, kOffload, kStrict };
  State state_ = State::kUnknown;
  uint8_t unfilled_ = 0;
};

}  // namespace bw::decode
