#pragma once
// What decrypting one TLS connection with key logs came to, as the flow log reports it. The
// names are static strings (IANA suite names, tls::SessionFailureName), so a copy outlives the
// connection it describes.

#include <cstdint>
#include <string_view>

namespace bw::event {

struct TlsDecryptionOutcome {
  bool attempted = false;  // a key source and a complete ClientHello
  bool decrypted = false;  // some record authenticated under the logged keys
  uint16_t version = 0;    // 0x0303 / 0x0304 once the ServerHello was read, else 0
  std::string_view cipher;
  std::string_view failure;  // empty without a failure
  bool http2 = false;        // the decrypted stream opened with the HTTP/2 preface
};

}  // namespace bw::event
