#pragma once
// The `detection:` section of config/bucketwatch.yaml: every rule's thresholds, windows,
// severity and dedup window, the memory bounds of the engine, and the allowlists. A
// DetectionConfig read by ReadDetectionConfig is fully validated: windows and thresholds are
// finite and non-zero, severities are parsed into the enum, CIDRs parse, public-bucket patterns
// have the form "provider/account/bucket".

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dissectors/common/timestamp.h"
#include "sensor/config/severity.h"
#include "sensor/decode/ip_address.h"

namespace bw::config {

struct DetectionConfig {
  bool enabled = true;
  // Bounds on the engine's memory, whatever the traffic.
  uint64_t max_tracked_keys = 100000;     // (client, provider, account, bucket) activities
  uint64_t max_clients = 100000;          // clients tracked for bucket_enumeration
  uint64_t max_dedup_keys = 100000;       // dedup entries of all rules together
  uint64_t max_encrypted_flows = 100000;  // TLS flows whose running totals are remembered
  uint64_t max_distinct = 4096;           // exact distinct keys (bucket names) per activity
  uint64_t max_distinct_total = 2000000;  // the same, all activities and clients together
  uint64_t memory_bytes = 128ull << 20;   // all of the engine's state (part of memory_cap_mib)
  uint64_t sample_keys = 20;              // sample keys (or bucket names) per alert

  struct AnonymousList {
    bool enabled = true;
    Severity severity = Severity::kHigh;
    TimestampNs dedup_window = 3600 * kNsPerSecond;
  } anonymous_list;

  struct AnonymousRead {
    bool enabled = true;
    Severity severity = Severity::kHigh;
    TimestampNs dedup_window = 3600 * kNsPerSecond;
  } anonymous_read;

  struct BucketEnumeration {
    bool enabled = true;
    Severity severity = Severity::kMedium;
    TimestampNs window = 300 * kNsPerSecond;
    uint64_t min_buckets = 20;
    double min_failure_ratio = 0.5;  // share of probed names not found / denied / unanswered
    TimestampNs dedup_window = 3600 * kNsPerSecond;
  } bucket_enumeration;

  struct BulkExfiltration {
    bool enabled = true;
    Severity severity = Severity::kHigh;
    TimestampNs window = 600 * kNsPerSecond;
    uint64_t min_objects = 50;
    uint64_t min_bytes = 1ull << 30;
    TimestampNs dedup_window = 3600 * kNsPerSecond;
  } bulk_exfiltration;

  // The first anonymous success of a bucket this sensor never saw serve anonymously (its
  // inventory of exposed buckets is kept in the state file).
  struct NewPublicExposure {
    bool enabled = true;
    Severity severity = Severity::kHigh;
    uint64_t max_buckets = 100000;  // buckets remembered; the least recently served is evicted
    // Packet time from the inventory's first entry during which buckets are learned silently
    // (0: the first run alerts for every bucket it finds exposed).
    TimestampNs learning_period = 0;
    // A bucket evicted from the inventory and exposed again within this window alerts once.
    TimestampNs dedup_window = 86400 * kNsPerSecond;
  } new_public_exposure;

  struct Allowlist {
    std::vector<std::string> trusted_cidrs;        // "10.0.0.0/8", "2001:db8::/32", "192.0.2.7"
    std::vector<std::string> public_buckets;       // "provider/account/bucket", * and ? globs
    std::vector<std::string> crawler_user_agents;  // substrings, or globs when * or ? appear
  } allowlist;
};

// Reads `node` (the value of `detection:`) on top of `out`; throws yaml::ConfigError with
// "<path>.<key>: <reason>" on an unknown key or a bad value.
void ReadDetectionConfig(const YAML::Node& node, const std::string& path, DetectionConfig& out);

// Emits the section's mapping (the value of `detection:`), every key present.
void DumpDetectionConfig(YAML::Emitter& emitter, const DetectionConfig& config);

// Parses "addr" or "addr/prefix" (IPv4 or IPv6). False on garbage or an out-of-range prefix.
bool ParseCidr(const std::string& text, decode::IpAddress& address, uint8_t& prefix);

}  // namespace bw::config
