// libFuzzer target for the HTTP/1.x dissector. The input is a script: each record starts with a
// control byte whose low bits choose the operation (feed client, feed server, gap, end) and the
// next byte its length, so the fuzzer explores interleavings, splits and gaps, not only bytes.
// Checks the conversation's own guarantees: every parsed request is emitted exactly once, and
// the stored results stay within the limits. A connection whose first client bytes look like a
// SOCKS handshake goes through SocksHandshake first, as the sensor's AppSession does, so the
// handshake parser is fuzzed with what follows it.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "dissectors/http/http_conversation.h"
#include "dissectors/http/socks_handshake.h"

namespace {

class CheckingHandler : public bw::http::HttpHandler {
 public:
  explicit CheckingHandler(const bw::http::HttpLimits& limits) : limits_(limits) {}
  void OnResponseBody(const bw::http::HttpTransaction& tx, bw::ByteView chunk) override {
    if (!tx.has_response || chunk.empty()) std::abort();
  }
  void OnTransaction(bw::http::HttpTransaction& tx) override {
    ++emitted;
    if (tx.request.headers.size() > limits_.max_headers) std::abort();
    if (tx.response.headers.size() > limits_.max_headers) std::abort();
    if (tx.response.body_prefix.size() > limits_.body_prefix_bytes) std::abort();
    if (tx.has_response != (tx.end != bw::http::TransactionEnd::kNoResponse)) std::abort();
  }
  uint64_t emitted = 0;

 private:
  const bw::http::HttpLimits& limits_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bw::http::HttpLimits limits;
  limits.max_start_line = 512;
  limits.max_header_line = 512;
  limits.max_headers = 16;
  limits.max_header_block = 4096;
  limits.max_pending_requests = 8;
  limits.body_prefix_bytes = 64;
  bw::http::HttpCounters counters;
  CheckingHandler handler(limits);
  bw::http::HttpConversation conv(limits, counters, handler);
  bw::http::SocksHandshake socks;
  bool first_feed = true;
  bool via_socks = false;

  size_t i = 0;
  bw::TimestampNs ts = 0;
  while (i + 2 <= size) {
    uint8_t op = data[i];
    size_t len = data[i + 1];
    i += 2;
    ++ts;
    bw::Direction dir = (op & 1) ? bw::Direction::kToClient : bw::Direction::kToServer;
    switch ((op >> 1) & 7) {
      case 0:
        if (via_socks && !socks.Passed(dir)) {
          socks.Gap(dir);
          break;
        }
        conv.Gap(dir, len * 3, ts);
        break;
      case 1:
        conv.End(dir, ts);
        break;
      default: {
        size_t n = len < size - i ? len : size - i;
        bw::ByteView bytes(data + i, n);
        i += n;
        if (first_feed && n > 0 && dir == bw::Direction::kToServer) {
          first_feed = false;
          via_socks = bw::http::LooksLikeSocks(bytes);
        }
        if (via_socks) {
          if (socks.state() == bw::http::SocksState::kEstablished) {
            if (!socks.Passed(bw::Direction::kToServer) || !socks.Passed(bw::Direction::kToClient))
              std::abort();
          } else {
            size_t used = socks.Feed(dir, bytes);
            if (used > bytes.size()) std::abort();
            bytes = bytes.subspan(used);
          }
          if (socks.state() == bw::http::SocksState::kRefused ||
              socks.state() == bw::http::SocksState::kBad) {
            if (!bytes.empty()) std::abort();  // nothing after a failed handshake is parsed
            break;
          }
          if (socks.target_host().size() > 255) std::abort();
        }
        conv.Feed(dir, bytes, ts);
        break;
      }
    }
    if (conv.gave_up()) break;
  }
  conv.Close(ts + 1);
  if (conv.pending_requests() != 0) std::abort();
  if (handler.emitted != counters.requests.load()) std::abort();
  return 0;
}
