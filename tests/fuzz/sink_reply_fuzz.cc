// Arbitrary bytes as an alert receiver's reply (issue 18): whoever controls a receiver, a proxy
// or the path of a plain-HTTP sink writes them. Parsing must end in a status or an error,
// within kMaxReplyHead, without allocating for what the reply announces.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sensor/output/sinks/transport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string error;
  const unsigned status = bw::output::sinks::ParseSinkReplyHead(
      std::string_view(reinterpret_cast<const char*>(data), size), error);
  if (status == 0 && error.empty()) __builtin_trap();  // a failure always says why
  if (status > 999) __builtin_trap();
  return 0;
}
