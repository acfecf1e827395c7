// libFuzzer target for the HTTP/1.x dissector. The input is a script: each record starts with a
// control byte whose low bits choose the operation (feed client, feed server, gap, end) and the
// next byte its length, so the fuzzer explores interleavings, splits and gaps, not only bytes.
// Checks the conversation's own guarantees: every parsed request is emitted exactly once, and
// the stored results stay within the limits.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "dissectors/http/http_conversation.h"

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
        conv.Gap(dir, len * 3, ts);
        break;
      case 1:
        conv.End(dir, ts);
        break;
      default: {
        size_t n = len < size - i ? len : size - i;
        conv.Feed(dir, bw::ByteView(data + i, n), ts);
        i += n;
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
