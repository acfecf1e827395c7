#pragma once
// The detection allowlists, compiled once from DetectionConfig::Allowlist: trusted client
// networks (every rule skipped), buckets meant to be public (anonymous_list/anonymous_read
// skipped) and crawler user agents (severity lowered one level). Matching is pure and bounded
// by the pattern and subject lengths.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sensor/config/detection_config.h"
#include "sensor/decode/ip_address.h"

namespace bw::detect {

// Case-insensitive glob: '*' any run (also empty), '?' one byte. No backtracking blow-up:
// the classic two-pointer algorithm, O(pattern * subject) worst case.
bool GlobMatch(std::string_view pattern, std::string_view subject);

class Allowlist {
 public:
  Allowlist() = default;
  // Entries that do not parse are skipped (ReadDetectionConfig has validated them already).
  explicit Allowlist(const config::DetectionConfig::Allowlist& config);

  bool TrustedClient(const decode::IpAddress& ip) const;
  // provider is the wire name ("s3", "azure_blob", ...).
  bool PublicBucket(std::string_view provider, std::string_view account,
                    std::string_view bucket) const;
  bool Crawler(std::string_view user_agent) const;

 private:
  struct Cidr {
    decode::IpAddress network;
    uint8_t prefix = 0;
  };
  struct BucketPattern {
    std::string provider, account, bucket;
  };
  std::vector<Cidr> cidrs_;
  std::vector<BucketPattern> buckets_;
  std::vector<std::string> crawlers_;
};

}  // namespace bw::detect
