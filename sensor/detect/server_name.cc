#include "sensor/detect/server_name.h"

#include <cctype>

namespace bw::detect {

namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// DNS label characters only: anything else (spaces, control bytes) is not a host name.
bool ValidHostName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) {
      return false;
    }
  }
  return true;
}

std::string_view AwsPrefix(std::string_view host) {
  if (EndsWith(host, ".amazonaws.com")) return host.substr(0, host.size() - 14);
  if (EndsWith(host, ".amazonaws.com.cn")) return host.substr(0, host.size() - 17);
  return {};
}

// "s3", "s3.<region>", "s3-<region>", "s3.dualstack.<region>", "s3-external-1", "s3-fips...":
// the S3 service itself, addressed path style. Access points and the control plane have
// names of their own before ".s3" and are not this.
bool S3ServiceName(std::string_view rest) {
  return rest == "s3" || rest.rfind("s3.", 0) == 0 || rest.rfind("s3-", 0) == 0;
}

bool S3Bucket(std::string_view host, std::string& bucket) {
  std::string_view rest = AwsPrefix(host);
  if (rest.empty()) return false;
  // rest = "<bucket>.s3" or "<bucket>.s3.<region...>" or "<bucket>.s3-<...>": find the
  // rightmost ".s3." / ".s3-" / trailing ".s3" (regions never contain those).
  size_t best = std::string_view::npos;
  for (size_t pos = rest.find(".s3"); pos != std::string_view::npos;
       pos = rest.find(".s3", pos + 1)) {
    size_t after = pos + 3;
    if (after == rest.size() || rest[after] == '.' || rest[after] == '-') best = pos;
  }
  if (best == std::string_view::npos || best == 0) return false;
  bucket.assign(rest.substr(0, best));
  return true;
}

// Lower case, trailing dots gone; empty when it is not a host name at all.
std::string NormalisedHost(std::string_view server_name) {
  std::string host(server_name);
  while (!host.empty() && host.back() == '.') host.pop_back();
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!ValidHostName(host)) host.clear();
  return host;
}

}  // namespace

bool TargetFromServerName(std::string_view server_name, ServerNameTarget& out) {
  const std::string host = NormalisedHost(server_name);
  if (host.empty()) return false;

  ServerNameTarget t;
  std::string_view h = host;
  for (std::string_view suffix : {".blob.core.windows.net", ".dfs.core.windows.net"}) {
    if (EndsWith(h, suffix) && h.size() > suffix.size()) {
      std::string_view account = h.substr(0, h.size() - suffix.size());
      if (account.find('.') != std::string_view::npos) return false;
      t.provider = storage::Provider::kAzureBlob;
      t.account.assign(account);
      out = std::move(t);
      return true;
    }
  }
  constexpr std::string_view kGcs = ".storage.googleapis.com";
  if (h == kGcs.substr(1)) {
    t.provider = storage::Provider::kGcs;
    t.endpoint = host;
    out = std::move(t);
    return true;
  }
  if (EndsWith(h, kGcs)) {
    t.provider = storage::Provider::kGcs;
    t.bucket.assign(h.substr(0, h.size() - kGcs.size()));
    out = std::move(t);
    return true;
  }
  if (S3Bucket(h, t.bucket)) {
    t.provider = storage::Provider::kS3;
    out = std::move(t);
    return true;
  }
  if (S3ServiceName(AwsPrefix(h))) {
    t.provider = storage::Provider::kS3;
    t.endpoint = host;
    out = std::move(t);
    return true;
  }
  return false;
}

bool TargetFromServerName(std::string_view server_name, uint16_t server_port,
                          const std::vector<storage::EndpointRule>& endpoints,
                          ServerNameTarget& out) {
  if (TargetFromServerName(server_name, out)) return true;
  storage::HostPort hp;
  hp.host = NormalisedHost(server_name);
  if (hp.host.empty()) return false;
  hp.port = server_port;
  ServerNameTarget t;
  std::string prefix;
  if (const storage::EndpointRule* rule = storage::MatchEndpoint(endpoints, hp, &prefix)) {
    t.provider = rule->provider;
    if (!rule->virtual_hosted || prefix.empty()) {
      t.endpoint = hp.host;
    } else if (rule->provider == storage::Provider::kAzureBlob) {
      t.account = std::move(prefix);
    } else {
      t.bucket = std::move(prefix);
    }
    out = std::move(t);
    return true;
  }
  storage::S3Host known;
  if (storage::ParseKnownS3CompatibleHost(hp.host, known)) {
    t.provider = storage::Provider::kS3Compatible;
    t.account = std::move(known.account);
    t.bucket = std::move(known.bucket);
    if (t.bucket.empty()) t.endpoint = hp.host;
    out = std::move(t);
    return true;
  }
  return false;
}

}  // namespace bw::detect
