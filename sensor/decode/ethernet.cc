// Ethernet II header and the EtherType dispatch shared by Ethernet, VLAN tags, Linux SLL, Cisco
// HDLC, 802.11 SNAP and GENEVE.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kEthernetHeader = 14;
constexpr size_t kEthertypeOffset = 12;

constexpr uint16_t kEthertypeIpv4 = 0x0800;
constexpr uint16_t kEthertypeIpv6 = 0x86DD;
constexpr uint16_t kEthertypeVlan = 0x8100;     // 802.1Q
constexpr uint16_t kEthertypeQinQ = 0x88A8;     // 802.1ad service tag
constexpr uint16_t kEthertypeQinQOld = 0x9100;  // pre-standard QinQ still seen on switches
constexpr uint16_t kEthertypeMpls = 0x8847;
constexpr uint16_t kEthertypeMplsMulti = 0x8848;
constexpr uint16_t kEthertypePppoeSession = 0x8864;
// Transparent Ethernet bridging: what GENEVE and NVGRE name an inner Ethernet frame.
constexpr uint16_t kEthertypeBridging = 0x6558;

}  // namespace

Step DecodeEthernet(Cursor& c, PacketMeta& m) {
  uint16_t type = 0;
  if (c.data.size() < kEthernetHeader || !LoadBe16(c.data, kEthertypeOffset, type)) {
    return Drop(DropReason::kTruncatedLinkHeader);
  }
  c.Advance(kEthernetHeader);
  c.ethertype = type;
  c.layer = Layer::kEthertype;
  return Next();
}

Step DispatchEthertype(Cursor& c, PacketMeta& m) {
  switch (c.ethertype) {
    case kEthertypeIpv4:
      c.layer = Layer::kIpv4;
      return Next();
    case kEthertypeIpv6:
      c.layer = Layer::kIpv6;
      return Next();
    case kEthertypeVlan:
    case kEthertypeQinQ:
    case kEthertypeQinQOld:
      c.layer = Layer::kVlan;
      return Next();
    case kEthertypeMpls:
    case kEthertypeMplsMulti:
      c.layer = Layer::kMpls;
      return Next();
    case kEthertypePppoeSession:
      c.layer = Layer::kPppoe;
      return Next();
    case kEthertypeBridging:
      c.layer = Layer::kEthernet;
      return Next();
    default:
      // ARP, LLDP, 802.3 length fields, ...: nothing for a storage sensor.
      return Drop(DropReason::kNotIp);
  }
}

}  // namespace bw::decode::internal
