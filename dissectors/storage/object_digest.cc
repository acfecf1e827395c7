#include "dissectors/storage/object_digest.h"

#include <string_view>

#include "dissectors/storage/bucket_key.h"
#include "dissectors/storage/text.h"

namespace bw::storage {

namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// S3's bucket naming rules (the stricter, current ones: no upper case, no '_').
bool IsS3BucketName(std::string_view b) {
  if (b.size() < 3 || b.size() > 63 || !IsLowerAlnum(b.front()) || !IsLowerAlnum(b.back())) {
    return false;
  }
  for (char c : b) {
    if (!IsLowerAlnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

int HexNibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<Md5> ClaimedObjectMd5(const http::HttpTransaction& tx) {
  const http::HttpRequest& req = tx.request;
  if (!tx.has_response || req.method != "GET" || tx.response.status != 200) return std::nullopt;
  const http::HttpResponse& resp = tx.response;
  if (resp.Find("Content-Encoding") || !resp.Find("Last-Modified")) {
    return std::nullopt;
  }
  std::optional<std::string_view> ranges = resp.Find("Accept-Ranges");
  if (!ranges || !EqualsIgnoreCase(TrimAscii(*ranges), "bytes")) return std::nullopt;
  std::optional<std::string_view> etag = resp.Find("ETag");
  if (!etag) return std::nullopt;
  std::string_view tag = TrimAscii(*etag);
  if (tag.size() != 34 || tag.front() != '"' || tag.back() != '"') return std::nullopt;
  Md5 md5{};
  for (size_t i = 0; i < md5.size(); ++i) {
    int hi = HexNibble(tag[1 + 2 * i]);
    int lo = HexNibble(tag[2 + 2 * i]);
    if (hi < 0 || lo < 0) return std::nullopt;
    md5[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  std::string_view target = req.target;
  if (target.empty() || target.front() != '/') return std::nullopt;  // origin form only
  size_t end = target.find_first_of("?#");
  BucketKey bk = SplitBucketKey(target.substr(0, end), "");
  if (!IsS3BucketName(bk.bucket) || bk.key.empty()) return std::nullopt;
  return md5;
}

}  // namespace bw::storage
