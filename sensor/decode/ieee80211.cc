// IEEE 802.11 data frames (wireless captures in monitor mode, and Aruba controllers' GRE
// tunnels): the MAC header, whose length depends on the ToDS/FromDS pair (a fourth address when
// both are set), the QoS subtypes (2-byte QoS control) and the +HTC field, then an 802.2 LLC/SNAP
// header that names the EtherType. Management and control frames carry no IP packet; protected
// frames carry one the sensor cannot read; both are counted by name.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kBaseHeader = 24;  // frame control, duration, three addresses, sequence
constexpr size_t kAddress4 = 6;
constexpr size_t kQosControl = 2;
constexpr size_t kHtControl = 4;
constexpr size_t kSnapHeader = 8;  // DSAP, SSAP, control, OUI, EtherType

constexpr uint8_t kTypeData = 2;
constexpr uint8_t kSubtypeNoData = 0x04;  // null function and CF-only subtypes
constexpr uint8_t kSubtypeQos = 0x08;
constexpr uint8_t kFlagToDs = 0x01;
constexpr uint8_t kFlagFromDs = 0x02;
constexpr uint8_t kFlagProtected = 0x40;
constexpr uint8_t kFlagOrder = 0x80;  // +HTC on QoS data frames
constexpr uint8_t kQosAmsdu = 0x80;
constexpr uint8_t kLlcSnap = 0xAA;
constexpr uint8_t kLlcUi = 0x03;

}  // namespace

Step DecodeIeee80211(Cursor& c, PacketMeta& m) {
  uint8_t fc0 = 0;
  uint8_t fc1 = 0;
  if (!LoadU8(c.data, 0, fc0) || !LoadU8(c.data, 1, fc1)) {
    return Drop(DropReason::kTruncatedIeee80211);
  }
  if ((fc0 & 0x03) != 0) return Drop(DropReason::kIeee80211Unsupported);  // protocol version
  const uint8_t type = (fc0 >> 2) & 0x03;
  const uint8_t subtype = fc0 >> 4;
  if (type != kTypeData || (subtype & kSubtypeNoData) != 0) {
    return Drop(DropReason::kIeee80211NotData);
  }
  size_t header_len = kBaseHeader;
  if ((fc1 & kFlagToDs) && (fc1 & kFlagFromDs)) header_len += kAddress4;
  if (subtype & kSubtypeQos) {
    uint8_t qos = 0;
    if (!LoadU8(c.data, header_len, qos)) return Drop(DropReason::kTruncatedIeee80211);
    // An A-MSDU packs several subframes, each with its own addresses: not followed.
    if (qos & kQosAmsdu) return Drop(DropReason::kIeee80211Unsupported);
    header_len += kQosControl;
    if (fc1 & kFlagOrder) header_len += kHtControl;
  }
  if (c.data.size() < header_len) return Drop(DropReason::kTruncatedIeee80211);
  if (fc1 & kFlagProtected) return Drop(DropReason::kIeee80211Protected);
  uint16_t type_field = 0;
  if (c.data.size() < header_len + kSnapHeader || !LoadBe16(c.data, header_len + 6, type_field)) {
    return Drop(DropReason::kTruncatedIeee80211);
  }
  const uint8_t* llc = c.data.data() + header_len;
  if (llc[0] != kLlcSnap || llc[1] != kLlcSnap || llc[2] != kLlcUi) {
    return Drop(DropReason::kIeee80211Unsupported);
  }
  c.Advance(header_len + kSnapHeader);
  c.ethertype = type_field;
  c.layer = Layer::kEthertype;
  return Next();
}

}  // namespace bw::decode::internal
