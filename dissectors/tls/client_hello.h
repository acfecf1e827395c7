#pragma once
// TLS ClientHello parser over the first bytes of the client->server stream.
//
// Guarantees: ParseClientHello is a pure function of its input (no I/O, clock, globals,
// exceptions or allocation). It reads nothing outside `stream_prefix`, whatever the length
// fields say. It returns kNeedMore until every byte of the ClientHello handshake message is
// present, so the caller can call it again on a longer prefix of the same stream; the result
// then depends only on the bytes, never on how they were split into TLS records or feeds.
// Results are copies into fixed-size storage inside ClientHello (not views into the caller's
// buffer): the handshake message may be split across records, so its bytes need not be
// contiguous in the stream. Anything longer than the storage is cut and flagged, never
// silently.
//
// Not supported (returned as kInvalid): SSLv2-compatible hellos, a first record that is not a
// handshake record, and a first handshake message that is not a ClientHello.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dissectors/common/bytes.h"

namespace bw::tls {

enum class ParseStatus { kComplete, kNeedMore, kInvalid };

// A DNS name is at most 253 characters; anything longer is kept up to this bound and flagged.
inline constexpr size_t kMaxSniLength = 256;
inline constexpr size_t kMaxAlpnIds = 8;
// Registered ALPN ids are short ("h2", "http/1.1", "acme-tls/1"); longer ones are cut.
inline constexpr size_t kMaxAlpnIdLength = 32;
// No real client sends a ClientHello this large; larger declared lengths are kInvalid so that
// a caller never buffers more than this (plus record headers) waiting for one.
inline constexpr size_t kMaxClientHelloLength = 1u << 17;
// TLSPlaintext records carry at most 2^14 bytes; 2048 bytes of slack as for TLS 1.2
// ciphertext, because the same bound is used for every record this component reads.
inline constexpr size_t kMaxRecordLength = (1u << 14) + 2048;

struct AlpnId {
  std::array<char, kMaxAlpnIdLength> bytes{};
  uint8_t length = 0;
  bool truncated = false;  // the id was longer than kMaxAlpnIdLength

  std::string_view view() const { return {bytes.data(), length}; }
};

struct ClientHello {
  // server_name extension: the first host_name entry.
  bool has_sni = false;
  std::array<char, kMaxSniLength> sni_storage{};
  uint16_t sni_length = 0;     // bytes stored in sni_storage
  bool sni_truncated = false;  // the name was longer than kMaxSniLength

  // application_layer_protocol_negotiation extension, in the client's order of preference.
  bool has_alpn = false;
  std::array<AlpnId, kMaxAlpnIds> alpn_ids{};
  uint8_t alpn_stored = 0;  // ids stored in alpn_ids
  uint16_t alpn_total = 0;  // ids the client listed; alpn_total - alpn_stored were dropped

  uint16_t record_version = 0;                // version field of the first record header
  uint16_t legacy_version = 0;                // client_version of the ClientHello body
  std::array<uint8_t, 32> random{};           // keys the NSS key log (CLIENT_RANDOM etc.)
  bool has_supported_versions_tls13 = false;  // supported_versions lists 0x0304
  bool offers_early_data = false;  // early_data extension: 0-RTT records may follow (TLS 1.3)
  uint16_t cipher_suite_count = 0;
  uint16_t extension_count = 0;
  uint32_t handshake_length = 0;  // body length from the handshake header
  // Stream offset just past the record that carries the last ClientHello byte. It may exceed
  // the input when that record continues beyond it.
  size_t records_end = 0;

  std::string_view sni() const { return {sni_storage.data(), sni_length}; }
  std::string_view server_name() const { return sni(); }
  size_t alpn_count() const { return alpn_stored; }
  // The i-th stored ALPN id; empty for i >= alpn_count().
  std::string_view alpn(size_t i) const {
    // Both bounds: alpn_stored never exceeds the array, but the compiler cannot see that.
    if (i >= alpn_stored || i >= alpn_ids.size()) return {};
    return alpn_ids[i].view();
  }
};

// Parses the ClientHello at the start of a client->server TLS stream. `out` is reset first;
// its fields are meaningful only when kComplete is returned.
ParseStatus ParseClientHello(ByteView stream_prefix, ClientHello& out);

// True when the first bytes of either direction start with a plausible TLS record header:
// content type 20-24, version 3.0-3.4 and, once 5 bytes are there, a length of 1 to
// kMaxRecordLength. Any content type is accepted so that a capture starting mid-connection
// (server first, or application data first) is still recognised. Needs at least 3 bytes to
// answer true; HTTP never matches (its first byte is a letter). Cheap enough for every flow.
bool LooksLikeTls(ByteView first_bytes);

// LooksLikeTls, and additionally a handshake record whose first message, once its type byte
// is there, is a ClientHello: the start of a client->server stream ParseClientHello can use.
bool LooksLikeClientHello(ByteView first_bytes);

}  // namespace bw::tls
