#pragma once
// Community ID v1 (https://github.com/corelight/community-id-spec): the flow hash that Zeek,
// Suricata and Elastic share, so a SOC can pivot from a bucketwatch alert to their logs.

#include <cstdint>
#include <string>

#include "sensor/decode/ip_address.h"

namespace bw::output {

// "1:<base64 sha1>". The endpoint order does not matter: both directions give the same ID.
std::string CommunityId(const decode::IpAddress& src, uint16_t src_port,
                        const decode::IpAddress& dst, uint16_t dst_port, uint8_t proto,
                        uint16_t seed = 0);

}  // namespace bw::output
