// libFuzzer target: Recognise/WantsBodyScan over arbitrary transactions. The input is split on
// '\n': method, host, target, request headers ("Name: value") up to an empty line, the response
// status, response headers up to an empty line, then the response body. Checks that no
// credential value survives into the event and that the event stays bounded.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dissectors/storage/recogniser.h"
#include "dissectors/storage/url.h"

namespace {

std::string_view NextLine(std::string_view& in) {
  size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  return line;
}

void ReadHeaders(std::string_view& in, bw::http::HeaderList& out) {
  while (!in.empty()) {
    std::string_view line = NextLine(in);
    if (line.empty()) return;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    out.Add(line.substr(0, colon), line.substr(colon + 1));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bw::storage;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  bw::http::HttpTransaction tx;
  tx.request.method = std::string(NextLine(in));
  tx.request.host = std::string(NextLine(in));
  tx.request.target = std::string(NextLine(in));
  ReadHeaders(in, tx.request.headers);
  std::string_view status = NextLine(in);
  if (!status.empty()) {
    tx.has_response = true;
    unsigned value = 0;
    for (char c : status.substr(0, 3)) value = value * 10 + static_cast<unsigned>(c - '0') % 10;
    tx.response.status = static_cast<uint16_t>(value);
    ReadHeaders(in, tx.response.headers);
    tx.response.body_prefix = std::string(in);
  }

  RecogniserConfig cfg;
  cfg.endpoints.push_back({"*.fuzz.test", 0, Provider::kS3Compatible, true});
  cfg.endpoints.push_back({"10.0.0.1", 10000, Provider::kAzureBlob, false});
  cfg.sample_keys = 4;
  bool wants = WantsBodyScan(tx, cfg);
  ListingScanner scanner(cfg.sample_keys);
  if (wants) scanner.Feed(bw::AsBytes(tx.response.body_prefix));
  std::optional<StorageEvent> ev = Recognise(tx, wants ? &scanner.summary() : nullptr, cfg);
  if (!ev) return 0;

  // Every credential value in the query must be gone from url_query: read as '&' separates
  // (QueryParams), a credential's value is REDACTED, and anything after it follows a ';', the
  // other separator some gateways use (url.h), whose parameters were redacted on their own.
  QueryParams q(ev->url_query);
  for (const QueryParam& p : q.all()) {
    if (!IsCredentialParam(p.key) || !p.has_value) continue;
    std::string_view v = p.raw_value;
    if (v.substr(0, 8) != "REDACTED" || (v.size() > 8 && v[8] != ';')) std::abort();
  }
  // And redaction is a fixed point: nothing left in the output would be redacted again.
  if (RedactQuery(ev->url_query) != ev->url_query) std::abort();
  if (ev->sample_keys.size() > cfg.sample_keys + 1) std::abort();
  for (const auto& k : ev->sample_keys) {
    if (k.size() > kMaxSampleKeyBytes) std::abort();
  }
  if (ev->access_key_id.size() > kMaxAccessKeyIdBytes) std::abort();
  return 0;
}
