// 802.1Q / 802.1ad tags: 2 bytes TCI, then the next EtherType.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kVlanTag = 4;
constexpr uint16_t kVlanIdMask = 0x0FFF;

}  // namespace

Step DecodeVlan(Cursor& c, PacketMeta& m) {
  uint16_t tci = 0;
  uint16_t type = 0;
  if (!LoadBe16(c.data, 0, tci) || !LoadBe16(c.data, 2, type)) {
    return Drop(DropReason::kTruncatedVlan);
  }
  if (m.vlan_count >= kMaxVlanTags) return Drop(DropReason::kTooManyVlanTags);
  m.vlan_ids[m.vlan_count++] = tci & kVlanIdMask;
  c.Advance(kVlanTag);
  c.ethertype = type;
  c.layer = Layer::kEthertype;
  return Next();
}

}  // namespace bw::decode::internal
