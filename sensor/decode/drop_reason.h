#pragma once
// The single table of reasons a frame is dropped or a decoder notices an anomaly. Names are
// stable: they become the bounded `reason` label in Prometheus and lines in the run summary.
// Anomalies end in `_kept`: the frame was decoded anyway (Decoder::anomalies() counts them), the
// way Wireshark and Zeek read it, and the counter says how often the sensor had to.

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "dissectors/common/counter.h"

namespace bw::decode {

#define BW_DROP_REASONS(X)                                           \
  X(kUnsupportedLinkType, "unsupported_link_type")                   \
  X(kTruncatedLinkHeader, "truncated_link_header")                   \
  X(kNotIp, "not_ip")                                                \
  X(kTruncatedVlan, "truncated_vlan")                                \
  X(kTooManyVlanTags, "too_many_vlan_tags")                          \
  X(kTruncatedMpls, "truncated_mpls")                                \
  X(kTooManyMplsLabels, "too_many_mpls_labels")                      \
  X(kEncapsulationTooDeep, "encapsulation_too_deep")                 \
  X(kTruncatedIpv4, "truncated_ipv4")                                \
  X(kIpv4BadVersion, "ipv4_bad_version")                             \
  X(kIpv4BadHeaderLength, "ipv4_bad_header_length")                  \
  X(kIpv4BadTotalLength, "ipv4_bad_total_length")                    \
  X(kTruncatedIpv6, "truncated_ipv6")                                \
  X(kIpv6BadVersion, "ipv6_bad_version")                             \
  X(kIpv6BadExtensionHeader, "ipv6_bad_extension_header")            \
  X(kIpv6TooManyExtensionHeaders, "ipv6_too_many_extension_headers") \
  X(kIpv6BadPayloadLength, "ipv6_bad_payload_length")                \
  X(kFragmentBadOffset, "fragment_bad_offset")                       \
  X(kFragmentBadLength, "fragment_bad_length")                       \
  X(kFragmentTruncated, "fragment_truncated")                        \
  X(kFragmentTooManyHoles, "fragment_too_many_holes")                \
  X(kFragmentOverlap, "fragment_overlap")                            \
  X(kFragmentTooLarge, "fragment_too_large")                         \
  X(kFragmentTableFull, "fragment_table_full")                       \
  X(kFragmentTimeout, "fragment_timeout")                            \
  X(kTruncatedTcp, "truncated_tcp")                                  \
  X(kTcpBadHeaderLength, "tcp_bad_header_length")                    \
  X(kTcpBadChecksum, "tcp_bad_checksum")                             \
  X(kTruncatedUdp, "truncated_udp")                                  \
  X(kUdpBadLength, "udp_bad_length")                                 \
  X(kTruncatedVxlan, "truncated_vxlan")                              \
  X(kTruncatedGre, "truncated_gre")                                  \
  X(kGreUnsupported, "gre_unsupported")                              \
  X(kTruncatedErspan, "truncated_erspan")                            \
  X(kErspanUnsupported, "erspan_unsupported")                        \
  X(kTruncatedGeneve, "truncated_geneve")                            \
  X(kGeneveUnsupported, "geneve_unsupported")                        \
  X(kTruncatedTeredo, "truncated_teredo")                            \
  X(kTruncatedAyiya, "truncated_ayiya")                              \
  X(kAyiyaUnsupported, "ayiya_unsupported")                          \
  X(kTruncatedGtp, "truncated_gtp")                                  \
  X(kGtpUnsupported, "gtp_unsupported")                              \
  X(kTruncatedPppoe, "truncated_pppoe")                              \
  X(kTruncatedPpp, "truncated_ppp")                                  \
  X(kTruncatedIeee80211, "truncated_ieee80211")                      \
  X(kIeee80211NotData, "ieee80211_not_data")                         \
  X(kIeee80211Protected, "ieee80211_protected")                      \
  X(kIeee80211Unsupported, "ieee80211_unsupported")                  \
  X(kNflogNoPayload, "nflog_no_payload")                             \
  X(kIpv4ZeroTotalLengthKept, "ipv4_zero_total_length_kept")         \
  X(kIpv6ZeroPayloadLengthKept, "ipv6_zero_payload_length_kept")     \
  X(kArcnetSplitPacket, "arcnet_split_packet")

enum class DropReason : uint8_t {
#define BW_DROP_ENUM(id, name) id,
  BW_DROP_REASONS(BW_DROP_ENUM)
#undef BW_DROP_ENUM
      kCount
};

constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount);

constexpr std::string_view DropReasonName(DropReason r) {
  constexpr std::array<std::string_view, kDropReasonCount> kNames = {
#define BW_DROP_NAME(id, name) name,
      BW_DROP_REASONS(BW_DROP_NAME)
#undef BW_DROP_NAME
  };
  auto i = static_cast<size_t>(r);
  return i < kNames.size() ? kNames[i] : "unknown";
}

// Per-worker counters: written by one thread only, read by the metrics and summary threads.
struct DropCounters {
  std::array<std::atomic<uint64_t>, kDropReasonCount> by_reason{};

  void Count(DropReason r) { Bump(by_reason[static_cast<size_t>(r)]); }
  uint64_t Get(DropReason r) const {
    return by_reason[static_cast<size_t>(r)].load(std::memory_order_relaxed);
  }
};

}  // namespace bw::decode
