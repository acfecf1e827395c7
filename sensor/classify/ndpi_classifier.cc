#include "sensor/classify/ndpi_classifier.h"

#include <cstring>

extern "C" {
#include <ndpi/ndpi_api.h>
}

namespace bw::classify {

NdpiClassifier::NdpiClassifier(uint32_t max_packets, bool init_shared_libraries)
    : max_packets_(max_packets) {
  module_ =
      ndpi_init_detection_module(init_shared_libraries ? ndpi_no_prefs : ndpi_dont_init_libgcrypt);
  if (!module_) return;
  NDPI_PROTOCOL_BITMASK all;
  NDPI_BITMASK_SET_ALL(all);
  ndpi_set_protocol_detection_bitmask2(module_, &all);
  ndpi_finalize_initialization(module_);
}

NdpiClassifier::~NdpiClassifier() {
  if (module_) ndpi_exit_detection_module(module_);
}

void NdpiClassifier::Release(NdpiFlow& flow) {
  if (flow.state) {
    ndpi_free_flow(flow.state);
    flow.state = nullptr;
    ++flows_freed_;
  }
  flow.result.done = true;
}

void NdpiClassifier::Process(NdpiFlow& flow, ByteView l3, bool has_payload, TimestampNs ts) {
  if (flow.result.done || !module_) return;
  if (l3.empty() || l3.size() > 0xFFFF) return;
  if (!flow.state) {
    if (!has_payload) return;
    flow.state = static_cast<ndpi_flow_struct*>(ndpi_flow_malloc(SIZEOF_FLOW_STRUCT));
    if (!flow.state) {
      flow.result.done = true;
      return;
    }
    std::memset(flow.state, 0, SIZEOF_FLOW_STRUCT);
    ++flows_allocated_;
  }
  ++flow.packets;
  ndpi_protocol p = ndpi_detection_process_packet(module_, flow.state, l3.data(),
                                                  static_cast<unsigned short>(l3.size()),
                                                  static_cast<uint64_t>(ts / kNsPerMillisecond));
  flow.result.master_protocol = p.master_protocol;
  flow.result.app_protocol = p.app_protocol;
  flow.result.category = static_cast<uint16_t>(p.category);
  flow.result.risk = flow.state->risk;
  // Stop at the first classification rather than let nDPI's extra dissection run (it would
  // read on to the server's certificate or the HTTP response): our own parsers take the
  // storage-relevant details (SNI, ALPN, every request), and each further nDPI call costs an
  // address-tree lookup per packet.
  bool classified = p.app_protocol != NDPI_PROTOCOL_UNKNOWN;
  if (classified || flow.packets >= max_packets_) {
    Finish(flow);
  }
}

size_t NdpiClassifier::FlowBytes(const NdpiFlow& flow) {
  return flow.state ? SIZEOF_FLOW_STRUCT : 0;
}

void NdpiClassifier::Finish(NdpiFlow& flow) {
  if (flow.result.done) return;
  if (flow.state && module_) {
    uint8_t guessed = 0;
    ndpi_protocol p = ndpi_detection_giveup(module_, flow.state, 1, &guessed);
    flow.result.master_protocol = p.master_protocol;
    flow.result.app_protocol = p.app_protocol;
    flow.result.category = static_cast<uint16_t>(p.category);
    flow.result.risk = flow.state->risk;
  }
  Release(flow);
}

std::string NdpiClassifier::ProtocolName(const Classification& c) const {
  if (!module_) return "Unknown";
  ndpi_protocol p{};
  p.master_protocol = c.master_protocol;
  p.app_protocol = c.app_protocol;
  p.category = static_cast<ndpi_protocol_category_t>(c.category);
  char buf[64] = {};
  ndpi_protocol2name(module_, p, buf, sizeof(buf));
  return buf;
}

std::string NdpiClassifier::CategoryName(const Classification& c) const {
  if (!module_) return "Unspecified";
  const char* name =
      ndpi_category_get_name(module_, static_cast<ndpi_protocol_category_t>(c.category));
  return name ? name : "Unspecified";
}

std::string NdpiClassifier::RiskNames(uint64_t risk) {
  std::string out;
  for (int i = 0; i < 64 && i < NDPI_MAX_RISK; ++i) {
    if (risk & (1ull << i)) {
      if (!out.empty()) out += ",";
      out += ndpi_risk2str(static_cast<ndpi_risk_enum>(i));
    }
  }
  return out;
}

}  // namespace bw::classify
