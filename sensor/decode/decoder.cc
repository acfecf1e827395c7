#include "sensor/decode/decoder.h"

#include <algorithm>

#include "sensor/decode/layers.h"

namespace bw::decode {
namespace {

// Safety net over the per-layer bounds (tags, labels, tunnels): a packet can never take more
// layer steps than this, whatever the bytes say.
constexpr int kMaxLayerSteps = 64;

}  // namespace

bool IsSupportedLinkType(int dlt) {
  switch (static_cast<LinkType>(dlt)) {
    case LinkType::kNull:
    case LinkType::kEthernet:
    case LinkType::kRaw:
    case LinkType::kRawAlt:
    case LinkType::kLoop:
    case LinkType::kLinuxSll:
    case LinkType::kIpv4:
    case LinkType::kIpv6:
    case LinkType::kLinuxSll2:
    case LinkType::kPpp:
    case LinkType::kPppSerial:
    case LinkType::kPppEther:
    case LinkType::kCiscoHdlc:
    case LinkType::kIeee80211:
    case LinkType::kHdlc:
    case LinkType::kRadiotap:
    case LinkType::kPppWithDir:
    case LinkType::kCiscoHdlcWithDir:
    case LinkType::kNflog:
    case LinkType::kArcnet:
    case LinkType::kArcnetLinux:
      return true;
  }
  return false;
}

Decoder::Decoder(const DecoderLimits& limits, DropCounters& drops)
    : drops_(drops),
      shared_drops_(drops),
      reassembler_(limits, drops),
      checksum_(limits.tcp_checksum) {}

Decoder::Decoder(const DecoderLimits& limits, DropCounters& own_drops, DropCounters& shared_drops,
                 const PacketOwnership& owner)
    : drops_(own_drops),
      shared_drops_(shared_drops),
      owner_(&owner),
      reassembler_(limits, shared_drops),
      checksum_(limits.tcp_checksum) {}

void Decoder::ExpireFragments(TimestampNs now) { reassembler_.Expire(now); }

DecodeStatus Decoder::Decode(LinkType link, ByteView frame, uint32_t wire_length, TimestampNs ts,
                             PacketMeta& out, FrameHint hint) {
  using namespace internal;
  out = PacketMeta{};
  out.ts = ts;
  out.wire_length = wire_length;
  out.captured_length = static_cast<uint32_t>(frame.size());

  // A frame given to this decoder alone (hint.owned) is counted here whatever the reason; one
  // every decoder reads, by the one that counts what they share.
  auto drop = [this, owned = hint.owned](DropReason r) {
    (owned || r == DropReason::kTcpBadChecksum ? drops_ : shared_drops_).Count(r);
    return DecodeStatus::kDropped;
  };
  if (!IsSupportedLinkType(static_cast<int>(link))) return drop(DropReason::kUnsupportedLinkType);

  Cursor c;
  c.data = frame;
  c.owner = hint.owned ? nullptr : owner_;
  c.hint = hint;
  // A capture never keeps more than was on the wire; trust the larger of the two.
  c.wire_len = std::max<uint64_t>(wire_length, frame.size());
  FragmentContext fragments{reassembler_, ts};

  Step step = DecodeLinkLayer(link, c, out);
  for (int i = 0; step.kind == StepKind::kNext; ++i) {
    if (i == kMaxLayerSteps) return drop(DropReason::kEncapsulationTooDeep);
    switch (c.layer) {
      case Layer::kEthernet:
        step = DecodeEthernet(c, out);
        break;
      case Layer::kEthertype:
        step = DispatchEthertype(c, out);
        break;
      case Layer::kVlan:
        step = DecodeVlan(c, out);
        break;
      case Layer::kMpls:
        step = DecodeMpls(c, out);
        break;
      case Layer::kIpAnyVersion:
        step = DecodeIpAnyVersion(c, out);
        break;
      case Layer::kIpv4:
        step = DecodeIpv4(c, out, fragments);
        break;
      case Layer::kIpv6:
        step = DecodeIpv6(c, out, fragments);
        break;
      case Layer::kTcp:
        step = DecodeTcp(c, out, checksum_);
        break;
      case Layer::kUdp:
        step = DecodeUdp(c, out);
        break;
      case Layer::kVxlan:
        step = DecodeVxlan(c, out);
        break;
      case Layer::kVxlanGpe:
        step = DecodeVxlanGpe(c, out);
        break;
      case Layer::kIpv4InIp:
      case Layer::kIpv6InIp:
        step = DecodeIpInIp(c, out, c.layer == Layer::kIpv4InIp ? Layer::kIpv4 : Layer::kIpv6);
        break;
      case Layer::kGre:
        step = DecodeGre(c, out);
        break;
      case Layer::kErspanII:
        step = DecodeErspanII(c, out);
        break;
      case Layer::kErspanIII:
        step = DecodeErspanIII(c, out);
        break;
      case Layer::kGeneve:
        step = DecodeGeneve(c, out);
        break;
      case Layer::kTeredo:
        step = DecodeTeredo(c, out);
        break;
      case Layer::kAyiya:
        step = DecodeAyiya(c, out);
        break;
      case Layer::kGtpU:
        step = DecodeGtpU(c, out);
        break;
      case Layer::kPppoe:
        step = DecodePppoe(c, out);
        break;
      case Layer::kPpp:
        step = DecodePpp(c, out);
        break;
      case Layer::kIeee80211:
        step = DecodeIeee80211(c, out);
        break;
      case Layer::kOtherTransport:
        step = DecodeOtherTransport(c, out);
        break;
    }
  }
  if (c.anomaly != DropReason::kCount && step.kind != StepKind::kDrop &&
      step.kind != StepKind::kNext) {
    (hint.owned ? drops_ : shared_drops_).Count(c.anomaly);
    ++anomalies_;
  }
  switch (step.kind) {
    case StepKind::kDone:
      // TCP asked in DecodeTcp, before its checksum; other transports are cheap to finish.
      if (c.owner != nullptr && out.ip_proto != kIpProtoTcp && !c.owner->Owns(out)) {
        return DecodeStatus::kNotOwned;
      }
      return DecodeStatus::kOk;
    case StepKind::kNotOwned:
      return DecodeStatus::kNotOwned;
    case StepKind::kHeld:
      return DecodeStatus::kHeld;
    case StepKind::kDrop:
    case StepKind::kNext:
      break;
  }
  return drop(step.reason);
}

}  // namespace bw::decode
