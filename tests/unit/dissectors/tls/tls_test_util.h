#pragma once
// Builders for TLS test input: synthetic ClientHellos (with the offsets of every length field,
// so tests can corrupt each one), record framing at any fragment size, and a minimal reader for
// the Ethernet/IPv4/TCP base captures in tests/pcap/captures (independent of sensor/decode,
// which this component does not link).

#include <dirent.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bw::tls::testing {

using Bytes = std::vector<uint8_t>;

inline void Put(Bytes& b, uint32_t v, int width) {
  for (int i = width - 1; i >= 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void PutString(Bytes& b, const std::string& s) { b.insert(b.end(), s.begin(), s.end()); }

// Hex as RFCs print it: digits in either case, blanks and newlines anywhere between bytes.
inline Bytes FromHex(std::string_view hex) {
  Bytes out;
  int hi = -1;
  for (char c : hex) {
    int v = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (v < 0) continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

// A length field inside the handshake message: its offset and width in bytes. `checked` is
// false inside extensions the parser skips as opaque blobs: there a wrong length can turn the
// bytes into a different but well-formed message (the next extension header realigns).
struct LengthField {
  size_t offset;
  int width;
  bool checked;
};

struct HelloSpec {
  std::string sni = "bucket.s3.amazonaws.com";
  bool with_sni = true;
  std::vector<std::string> alpn = {"h2", "http/1.1"};
  bool tls13 = true;
  uint16_t legacy_version = 0x0303;
  size_t session_id_len = 32;
  size_t cipher_suites = 3;
  size_t padding = 0;  // an extra padding extension (type 21) of this many bytes
};

struct BuiltHello {
  Bytes handshake;  // handshake header + body
  std::vector<LengthField> lengths;
};

class HelloBuilder {
 public:
  // Opens a length-prefixed block; Close() fills in its length.
  void Open(int width, bool checked = true) {
    lengths_.push_back({b_.size(), width, checked});
    open_.push_back({b_.size(), width});
    Put(b_, 0, width);
  }
  void Close() {
    auto [off, width] = open_.back();
    open_.pop_back();
    size_t len = b_.size() - off - static_cast<size_t>(width);
    for (int i = 0; i < width; ++i) {
      b_[off + static_cast<size_t>(i)] = static_cast<uint8_t>(len >> (8 * (width - 1 - i)));
    }
  }
  Bytes& bytes() { return b_; }
  std::vector<LengthField> lengths() const { return lengths_; }

 private:
  Bytes b_;
  std::vector<LengthField> lengths_;
  std::vector<std::pair<size_t, int>> open_;
};

inline BuiltHello BuildClientHello(const HelloSpec& spec) {
  HelloBuilder h;
  h.bytes().push_back(1);  // client_hello
  h.Open(3);
  Put(h.bytes(), spec.legacy_version, 2);
  for (int i = 0; i < 32; ++i) h.bytes().push_back(static_cast<uint8_t>(0xA0 + i));
  h.Open(1);
  for (size_t i = 0; i < spec.session_id_len; ++i) h.bytes().push_back(static_cast<uint8_t>(i));
  h.Close();
  h.Open(2);
  for (size_t i = 0; i < spec.cipher_suites; ++i) Put(h.bytes(), 0x1301 + i, 2);
  h.Close();
  h.Open(1);
  h.bytes().push_back(0);
  h.Close();
  h.Open(2);  // extensions
  if (spec.with_sni) {
    Put(h.bytes(), 0, 2);
    h.Open(2);
    h.Open(2);
    h.bytes().push_back(0);
    h.Open(2);
    PutString(h.bytes(), spec.sni);
    h.Close();
    h.Close();
    h.Close();
  }
  Put(h.bytes(), 10, 2);  // supported_groups, skipped by the parser
  h.Open(2, false);
  h.Open(2, false);
  Put(h.bytes(), 0x001d, 2);
  Put(h.bytes(), 0x0017, 2);
  h.Close();
  h.Close();
  if (!spec.alpn.empty()) {
    Put(h.bytes(), 16, 2);
    h.Open(2);
    h.Open(2);
    for (const std::string& id : spec.alpn) {
      h.Open(1);
      PutString(h.bytes(), id);
      h.Close();
    }
    h.Close();
    h.Close();
  }
  if (spec.tls13) {
    Put(h.bytes(), 43, 2);
    h.Open(2);
    h.Open(1);
    Put(h.bytes(), 0x0304, 2);
    Put(h.bytes(), 0x0303, 2);
    h.Close();
    h.Close();
  }
  if (spec.padding > 0) {
    Put(h.bytes(), 21, 2);
    h.Open(2);
    h.bytes().insert(h.bytes().end(), spec.padding, 0);
    h.Close();
  }
  h.Close();  // extensions
  h.Close();  // handshake length
  return {h.bytes(), h.lengths()};
}

// Frames handshake bytes into records of at most `fragment` bytes each.
inline Bytes Records(const Bytes& payload, size_t fragment, uint8_t type = 22,
                     uint16_t version = 0x0301) {
  Bytes out;
  for (size_t off = 0; off < payload.size(); off += fragment) {
    size_t n = std::min(fragment, payload.size() - off);
    out.push_back(type);
    Put(out, version, 2);
    Put(out, static_cast<uint32_t>(n), 2);
    out.insert(out.end(), payload.begin() + static_cast<std::ptrdiff_t>(off),
               payload.begin() + static_cast<std::ptrdiff_t>(off + n));
  }
  return out;
}

// The TCP payload streams of a little-endian microsecond pcap of Ethernet/IPv4/TCP frames,
// keyed by (source port, destination port), each assembled by sequence number.
inline std::map<std::pair<uint16_t, uint16_t>, Bytes> ReadTcpStreams(const std::string& path) {
  std::map<std::pair<uint16_t, uint16_t>, Bytes> streams;
  std::map<std::pair<uint16_t, uint16_t>, uint32_t> base;
  std::ifstream in(path, std::ios::binary);
  Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto le32 = [&](size_t o) {
    return uint32_t{file[o]} | uint32_t{file[o + 1]} << 8 | uint32_t{file[o + 2]} << 16 |
           uint32_t{file[o + 3]} << 24;
  };
  auto be16 = [](const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); };
  auto be32 = [](const uint8_t* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
  };
  if (file.size() < 24 || le32(0) != 0xA1B2C3D4 || le32(20) != 1) return streams;
  for (size_t off = 24; off + 16 <= file.size();) {
    size_t caplen = le32(off + 8);
    if (off + 16 + caplen > file.size()) break;
    const uint8_t* f = file.data() + off + 16;
    off += 16 + caplen;
    if (caplen < 14 + 20 || be16(f + 12) != 0x0800) continue;
    const uint8_t* ip = f + 14;
    size_t ihl = size_t{ip[0] & 0x0Fu} * 4;
    size_t total = be16(ip + 2);
    if (ip[9] != 6 || 14 + total > caplen || total < ihl + 20) continue;
    const uint8_t* tcp = ip + ihl;
    size_t doff = size_t{tcp[12]} / 16 * 4;
    auto key = std::make_pair(be16(tcp), be16(tcp + 2));
    uint32_t seq = be32(tcp + 4);
    if (tcp[13] & 0x02) {  // SYN
      base[key] = seq + 1;
      continue;
    }
    size_t len = total - ihl - doff;
    if (len == 0 || !base.count(key)) continue;
    size_t rel = seq - base[key];
    Bytes& s = streams[key];
    if (s.size() < rel + len) s.resize(rel + len);
    std::copy_n(tcp + doff, len, s.begin() + static_cast<std::ptrdiff_t>(rel));
  }
  return streams;
}

inline std::string SourcePath(const std::string& rel) {
#ifdef BW_SOURCE_DIR
  return std::string(BW_SOURCE_DIR) + "/" + rel;
#else
  return rel;
#endif
}

// A live TLS connection recorded by data/make_tls_fixtures.py (its header says the format).
struct Fixture {
  std::string name;
  uint16_t suite = 0;
  int version = 0;
  bool etm = false;
  std::vector<std::string> keylog;
  Bytes c2s, s2c, plain_c2s, plain_s2c;
};

inline Fixture LoadFixture(const std::string& path) {
  Fixture f;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    std::string rest = line.size() > key.size() ? line.substr(key.size() + 1) : "";
    if (key == "name") f.name = rest;
    if (key == "suite") f.suite = static_cast<uint16_t>(std::stoul(rest, nullptr, 16));
    if (key == "version") f.version = std::stoi(rest);
    if (key == "etm") f.etm = rest == "1";
    if (key == "keylog") f.keylog.push_back(rest);
    if (key == "c2s") f.c2s = FromHex(rest);
    if (key == "s2c") f.s2c = FromHex(rest);
    if (key == "plain_c2s") f.plain_c2s = FromHex(rest);
    if (key == "plain_s2c") f.plain_s2c = FromHex(rest);
  }
  return f;
}

inline std::vector<std::string> FixturePaths() {
  std::vector<std::string> paths;
  std::string dir = SourcePath("tests/unit/dissectors/tls/data");
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 7 && n.substr(n.size() - 7) == ".tlsfix") paths.push_back(dir + "/" + n);
    }
    closedir(d);
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

}  // namespace bw::tls::testing
