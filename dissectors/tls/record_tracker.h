#pragma once
// Streaming TLS record counter for one direction of a connection.
//
// Guarantees: the tracker walks record headers only; it never buffers record bodies, only up
// to 4 bytes of a header split across feeds, so its memory is fixed. Counts do not depend on
// how the stream is cut into Feed() calls. Pure: no I/O, clock, globals, exceptions or
// allocation.
//
// Sync: a header that is not a plausible TLS record header, or a gap the tracker cannot step
// over, makes it lose sync for good: it stops counting (and says why) rather than guess
// where the next record starts. A gap that lies entirely inside the body of a record whose
// length is known is stepped over without losing sync, so one lost packet in a large
// application-data record does not end the count.
//
// TlsTurnCounter (turn_counter.h) drives one per direction and reads each record as it starts
// through a RecordObserver: which content type, how long, and the bodies of handshake records
// (the ServerHello).

#include <array>
#include <cstddef>
#include <cstdint>

#include "dissectors/common/bytes.h"

namespace bw::tls {

enum class ContentType : uint8_t {
  kChangeCipherSpec = 20,
  kAlert = 21,
  kHandshake = 22,
  kApplicationData = 23,
  kHeartbeat = 24,
};

enum class SyncLoss : uint8_t {
  kNone = 0,
  kInvalidHeader,  // a header with an unknown type, a non-3.x version or an oversized length
  kGap,            // a gap outside a record body of known length
};

struct TlsRecordCounts {
  // Records whose 5-byte header was seen, by content type (index: type - 20).
  std::array<uint64_t, 5> records_by_type{};
  uint64_t records = 0;
  uint64_t application_data_records = 0;
  uint64_t application_data_bytes = 0;  // declared lengths of application-data records
  uint64_t bytes_fed = 0;               // every byte given to Feed()
  uint64_t gaps = 0;
  uint64_t gap_bytes = 0;
  uint64_t gaps_inside_record = 0;     // gaps stepped over without losing sync
  uint64_t bytes_after_sync_loss = 0;  // fed bytes (and gap bytes) that were not looked at

  uint64_t count(ContentType type) const { return records_by_type[static_cast<size_t>(type) - 20]; }
};

// Told of each record in stream order, from inside Feed().
class RecordObserver {
 public:
  // A record header completed (and was plausible).
  virtual void OnRecord(ContentType type, uint16_t length) = 0;
  // Body bytes of a handshake record, in order; a record body may arrive in several pieces.
  virtual void OnHandshakeBytes(ByteView bytes) = 0;

 protected:
  ~RecordObserver() = default;
};

class TlsRecordTracker {
 public:
  // Consumes the next bytes of the stream. Returns how many application-data records started
  // (their header completed) within these bytes; 0 once sync is lost. `observer`, when given,
  // hears of every record that starts and of handshake body bytes.
  size_t Feed(ByteView bytes, RecordObserver* observer = nullptr);

  // `length` bytes of the stream are missing (a reassembly gap).
  void Gap(uint64_t length);

  bool in_sync() const { return sync_loss_ == SyncLoss::kNone; }
  SyncLoss sync_loss() const { return sync_loss_; }
  const TlsRecordCounts& counts() const { return counts_; }
  uint64_t application_data_records() const { return counts_.application_data_records; }
  uint64_t application_data_bytes() const { return counts_.application_data_bytes; }

 private:
  // Handles one complete header; returns false (and loses sync) if it is not plausible.
  bool OnHeader(const uint8_t* header, RecordObserver* observer);

  TlsRecordCounts counts_;
  std::array<uint8_t, 5> header_{};
  size_t header_len_ = 0;        // bytes of a split header carried over between feeds
  uint64_t body_remaining_ = 0;  // bytes of the current record body still to skip
  uint8_t body_type_ = 0;        // content type of that record
  SyncLoss sync_loss_ = SyncLoss::kNone;
};

}  // namespace bw::tls
