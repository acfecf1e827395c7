#include "sensor/flow/flow_direction.h"

#include <algorithm>
#include <array>

namespace bw::flow {
namespace {

constexpr std::array<uint16_t, 10> kKnownServerPorts = {80,   443,  4568, 4569, 7480,
                                                        8000, 8080, 8443, 9000, 10000};
constexpr uint16_t kFirstUnprivilegedPort = 1024;

bool IsServerPort(uint16_t port, std::span<const uint16_t> extra) {
  return IsKnownServerPort(port) || std::find(extra.begin(), extra.end(), port) != extra.end();
}

}  // namespace

bool IsKnownServerPort(uint16_t port) {
  return std::find(kKnownServerPorts.begin(), kKnownServerPorts.end(), port) !=
         kKnownServerPorts.end();
}

ClientDecision DecideClient(const decode::PacketMeta& p, std::span<const uint16_t> extra) {
  const Endpoint src{p.src, p.src_port};
  const Endpoint dst{p.dst, p.dst_port};
  ClientDecision from_src{src, dst, false};
  ClientDecision from_dst{dst, src, false};

  if (p.ip_proto == decode::kIpProtoTcp && (p.tcp_flags & decode::kTcpSyn) != 0) {
    ClientDecision d = (p.tcp_flags & decode::kTcpAck) != 0 ? from_dst : from_src;
    d.from_handshake = true;
    return d;
  }

  const bool src_server = IsServerPort(p.src_port, extra);
  const bool dst_server = IsServerPort(p.dst_port, extra);
  if (src_server != dst_server) return dst_server ? from_src : from_dst;

  // Both or neither known: the privileged lower port serves (ssh-style clients bind >= 1024).
  const uint16_t low = std::min(p.src_port, p.dst_port);
  if (p.src_port != p.dst_port && low < kFirstUnprivilegedPort) {
    return p.dst_port == low ? from_src : from_dst;
  }
  return from_src;  // both ephemeral (or equal): the first sender opened the conversation
}

}  // namespace bw::flow
