// libFuzzer target: the listing scanner over arbitrary bodies. Checks chunk invariance (whole
// vs. split at a fuzzer-chosen offset vs. byte by byte for short inputs) and the memory bounds.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "dissectors/storage/listing_scanner.h"

namespace {

bool Same(const bw::storage::ListingSummary& a, const bw::storage::ListingSummary& b) {
  return a.is_listing == b.is_listing && a.keys == b.keys && a.truncated == b.truncated &&
         a.error_code == b.error_code && a.sample_keys == b.sample_keys && a.root == b.root &&
         a.json == b.json && a.incomplete == b.incomplete;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using bw::storage::ListingScanner;
  if (size == 0) return 0;
  size_t samples = data[0] % 8;
  bw::ByteView body(data + 1, size - 1);

  ListingScanner whole(samples);
  whole.Feed(body);

  size_t cut = body.empty() ? 0 : (data[0] * 131u) % body.size();
  ListingScanner split(samples);
  split.Feed(body.subspan(0, cut));
  split.Feed(body.subspan(cut));
  if (!Same(whole.summary(), split.summary())) std::abort();

  if (body.size() <= 4096) {
    ListingScanner bytes(samples);
    for (size_t i = 0; i < body.size(); ++i) bytes.Feed(body.subspan(i, 1));
    if (!Same(whole.summary(), bytes.summary())) std::abort();
  }

  const auto& s = whole.summary();
  if (s.sample_keys.size() > samples) std::abort();
  for (const auto& k : s.sample_keys) {
    if (k.size() > bw::storage::kMaxSampleKeyBytes) std::abort();
  }
  if (s.error_code.size() > ListingScanner::kMaxErrorCodeBytes) std::abort();
  if (s.root.size() > ListingScanner::kMaxNameBytes) std::abort();
  return 0;
}
