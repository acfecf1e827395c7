#pragma once
// What decrypting one TLS connection with key logs came to, as the flow log reports it. The
// names are static strings (IANA suite names, tls::SessionFailureName), so a copy outlives the
// connection it describes.

#include <cstdint>
#include <string_view>

namespace bw::event {

// ECS tls.version of a decrypted connection (the decryptor reads only these two): "1.2", "1.3".
inline std::string_view TlsVersionNumber(uint16_t version) {
  return version == 0x0304 ? "1.3" : "1.2";
}

struct TlsDecryptionOutcome {
  bool attempted = false;  // a key source and a complete ClientHello
  bool decrypted = false;  // some record authenticated under the logged keys
  uint16_t version = 0;    // 0x0303 / 0x0304 once the ServerHello was read, else 0
  std::string_view cipher;
  std::string_view failure;  // empty without a failure
  bool http2 = false;        // the decrypted stream opened with the HTTP/2 preface
};

}  // namespace bw::event
