#include "sensor/detect/alert_text.h"

#include <cstdio>
#include <iterator>

namespace bw::detect {

using storage::AuthClass;
using storage::Provider;

std::string BucketUrl(Provider p, const std::string& account, const std::string& bucket) {
  switch (p) {
    case Provider::kAzureBlob:
      return "az://" + account + (bucket.empty() ? "" : "/" + bucket);
    case Provider::kGcs:
      return "gs://" + bucket;
    case Provider::kS3:
    case Provider::kS3Compatible:
      break;
  }
  return "s3://" + bucket;
}

std::string HumanWindow(TimestampNs window) {
  int64_t s = window / kNsPerSecond;
  if (s % 3600 == 0) return std::to_string(s / 3600) + " h";
  if (s % 60 == 0) return std::to_string(s / 60) + " min";
  return std::to_string(s) + " s";
}

std::string Plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string AuthClassesName(uint8_t mask) {
  if (mask == 0) return std::string(storage::AuthClassName(AuthClass::kUnknown));
  if (mask & (mask - 1)) return "mixed";
  for (uint8_t i = 0; i < 8; ++i) {
    if (mask == (1u << i)) return std::string(storage::AuthClassName(static_cast<AuthClass>(i)));
  }
  return "mixed";
}

std::string RuleKey(Rule rule, const std::string& client, Provider p, const std::string& account,
                    const std::string& bucket, const std::string& endpoint) {
  std::string k = RuleName(rule);
  if (!client.empty()) k += "/" + client;
  k += "/" + std::string(storage::ProviderName(p)) + "/";
  k += endpoint.empty() ? account + "/" + bucket : "endpoint/" + endpoint;
  return k;
}

std::string SourceText(Provider p, const std::string& account, const std::string& bucket,
                       const std::string& endpoint) {
  if (endpoint.empty()) return BucketUrl(p, account, bucket);
  const char* name = p == Provider::kGcs ? "GCS" : p == Provider::kAzureBlob ? "Azure" : "S3";
  return std::string("the ") + name + " endpoint " + endpoint +
         " (bucket not visible: path-style requests carry it in the encrypted path)";
}

}  // namespace bw::detect
