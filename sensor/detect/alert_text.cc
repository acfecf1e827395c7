#include "sensor/detect/alert_text.h"

#include <cstdio>
#include <iterator>

namespace bw::detect {

using storage::AuthClass;
using storage::Provider;

PieceKey BucketUrlKey(Provider p, std::string_view account, std::string_view bucket) {
  switch (p) {
    case Provider::kAzureBlob:
      if (bucket.empty()) return PieceKey{"az://", account};
      return PieceKey{"az://", account, "/", bucket};
    case Provider::kGcs:
      return PieceKey{"gs://", bucket};
    case Provider::kS3:
    case Provider::kS3Compatible:
      break;
  }
  return PieceKey{"s3://", bucket};
}

std::string BucketUrl(Provider p, std::string_view account, std::string_view bucket) {
  return BucketUrlKey(p, account, bucket).Text();
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

PieceKey RuleKey(Rule rule, std::string_view client, Provider p, std::string_view account,
                 std::string_view bucket, std::string_view endpoint) {
  PieceKey k{RuleName(rule)};
  if (!client.empty()) k.Add("/").Add(client);
  k.Add("/").Add(storage::ProviderName(p)).Add("/");
  if (endpoint.empty()) return k.Add(account).Add("/").Add(bucket);
  return k.Add("endpoint/").Add(endpoint);
}

std::string SourceText(Provider p, const std::string& account, const std::string& bucket,
                       const std::string& endpoint) {
  if (endpoint.empty()) return BucketUrl(p, account, bucket);
  const char* name = p == Provider::kGcs ? "GCS" : p == Provider::kAzureBlob ? "Azure" : "S3";
  return std::string("the ") + name + " endpoint " + endpoint +
         " (bucket not visible: path-style requests carry it in the encrypted path)";
}

}  // namespace bw::detect
