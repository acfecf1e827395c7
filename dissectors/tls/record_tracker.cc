#include "dissectors/tls/record_tracker.h"

#include <algorithm>

#include "dissectors/tls/client_hello.h"

namespace bw::tls {

bool TlsRecordTracker::OnHeader(const uint8_t* header, RecordObserver* observer) {
  uint8_t type = header[0];
  uint16_t length = Be16(header + 3);
  if (type < 20 || type > 24 || header[1] != 3 || header[2] > 4 || length > kMaxRecordLength) {
    sync_loss_ = SyncLoss::kInvalidHeader;
    return false;
  }
  ++counts_.records;
  ++counts_.records_by_type[type - 20];
  if (type == static_cast<uint8_t>(ContentType::kApplicationData)) {
    ++counts_.application_data_records;
    counts_.application_data_bytes += length;
  }
  body_remaining_ = length;
  body_type_ = type;
  if (observer) observer->OnRecord(static_cast<ContentType>(type), length);
  return true;
}

size_t TlsRecordTracker::Feed(ByteView bytes, RecordObserver* observer) {
  counts_.bytes_fed += bytes.size();
  const uint64_t app_before = counts_.application_data_records;
  size_t pos = 0;
  while (in_sync() && pos < bytes.size()) {
    if (body_remaining_ > 0) {
      size_t skip = static_cast<size_t>(std::min<uint64_t>(body_remaining_, bytes.size() - pos));
      if (observer && body_type_ == static_cast<uint8_t>(ContentType::kHandshake)) {
        observer->OnHandshakeBytes(bytes.subspan(pos, skip));
      }
      body_remaining_ -= skip;
      pos += skip;
      continue;
    }
    // Whole headers are read in place; only a header split across feeds is copied.
    if (header_len_ == 0 && bytes.size() - pos >= header_.size()) {
      if (!OnHeader(bytes.data() + pos, observer)) break;
      pos += header_.size();
    } else {
      size_t take = std::min(header_.size() - header_len_, bytes.size() - pos);
      std::copy_n(bytes.data() + pos, take, header_.data() + header_len_);
      header_len_ += take;
      pos += take;
      if (header_len_ < header_.size()) break;
      header_len_ = 0;
      if (!OnHeader(header_.data(), observer)) break;
    }
  }
  if (!in_sync()) counts_.bytes_after_sync_loss += bytes.size() - pos;
  return static_cast<size_t>(counts_.application_data_records - app_before);
}

void TlsRecordTracker::Gap(uint64_t length) {
  if (length == 0) return;
  ++counts_.gaps;
  counts_.gap_bytes += length;
  if (!in_sync()) {
    counts_.bytes_after_sync_loss += length;
    return;
  }
  // Inside a body of known length (and not in a split header) the gap is stepped over: the
  // next header is still where the record length says it is.
  if (header_len_ == 0 && length <= body_remaining_) {
    body_remaining_ -= length;
    ++counts_.gaps_inside_record;
    return;
  }
  sync_loss_ = SyncLoss::kGap;
  counts_.bytes_after_sync_loss += length;
}

}  // namespace bw::tls
