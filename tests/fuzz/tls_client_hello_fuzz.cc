// libFuzzer target for the TLS dissector: ParseClientHello, LooksLikeTls and the record
// tracker on the same bytes. Beyond memory safety it checks the parser's contracts:
//  - every strict prefix of an input that parses completely asks for more (kNeedMore), so
//    the sensor can never be made to act on half a ClientHello;
//  - the record tracker's counts do not depend on where the stream is cut.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "dissectors/tls/client_hello.h"
#include "dissectors/tls/record_tracker.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bw::ByteView input(data, size);
  bw::tls::ClientHello hello;
  bw::tls::ParseStatus status = bw::tls::ParseClientHello(input, hello);
  bool looks = bw::tls::LooksLikeTls(input);
  // A hello that parses always starts with a record LooksLikeClientHello accepts (unless a
  // zero-length record comes first, which LooksLikeTls rejects by design).
  if (status == bw::tls::ParseStatus::kComplete && size >= 5 && (data[3] | data[4]) != 0 &&
      (!looks || !bw::tls::LooksLikeClientHello(input))) {
    std::abort();
  }
  if (status == bw::tls::ParseStatus::kComplete) {
    if (hello.sni_length > bw::tls::kMaxSniLength || hello.alpn_count() > bw::tls::kMaxAlpnIds ||
        hello.records_end == 0) {
      std::abort();
    }
    // Checking every prefix is quadratic; a few cut points keep the fuzzer fast.
    for (size_t cut : {size_t{0}, size / 2, size > 0 ? size - 1 : 0}) {
      if (cut >= size) continue;
      bw::tls::ClientHello partial;
      bw::tls::ParseStatus s = bw::tls::ParseClientHello(input.first(cut), partial);
      if (s == bw::tls::ParseStatus::kComplete) {
        // Only possible when the hello ended before the cut; then the results must agree.
        if (partial.sni() != hello.sni() || partial.handshake_length != hello.handshake_length) {
          std::abort();
        }
      }
    }
  }

  bw::tls::TlsRecordTracker whole;
  whole.Feed(input);
  bw::tls::TlsRecordTracker split;
  size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  split.Feed(input.first(cut));
  split.Feed(input.subspan(cut));
  const bw::tls::TlsRecordCounts& a = whole.counts();
  const bw::tls::TlsRecordCounts& b = split.counts();
  if (a.records != b.records || a.application_data_bytes != b.application_data_bytes ||
      a.records_by_type != b.records_by_type || whole.in_sync() != split.in_sync()) {
    std::abort();
  }
  // A gap, then the rest: never crashes, and never counts more records than the whole input.
  bw::tls::TlsRecordTracker gapped;
  gapped.Feed(input.first(cut / 2));
  gapped.Gap(cut - cut / 2);
  gapped.Feed(input.subspan(cut));
  if (gapped.counts().records > a.records + 1) std::abort();
  return 0;
}
