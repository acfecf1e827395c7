#pragma once
// The one place nDPI is touched. Driven the way nDPI 4.2's own reader drives it: one detection
// module per worker thread, each flow's state allocated on its first packet, fed at most
// `max_packets` packets, then given up on and freed, so a long-lived flow costs nDPI nothing.
// Only the protocol label, category and risk flags are taken: HTTP fields and the SNI come from
// our own dissectors (nDPI 4.2 truncates long server names).

#include <cstdint>
#include <string>

#include "dissectors/common/bytes.h"
#include "dissectors/common/timestamp.h"

struct ndpi_detection_module_struct;
struct ndpi_flow_struct;

namespace bw::classify {

struct Classification {
  uint16_t master_protocol = 0;  // nDPI ids; 0 is unknown
  uint16_t app_protocol = 0;
  uint16_t category = 0;
  uint64_t risk = 0;  // nDPI risk bitmask
  bool done = false;  // no more packets will be given to nDPI
};

// Per-flow nDPI handle. Movable, not copyable; the classifier frees the state when done.
struct NdpiFlow {
  ndpi_flow_struct* state = nullptr;
  uint16_t packets = 0;
  Classification result;
};

class NdpiClassifier {
 public:
  // One module per thread (nDPI modules are not thread-safe). The first module of the process
  // also initialises libgcrypt, which nDPI shares between modules; modules built while another
  // is being built pass `init_shared_libraries` false, and one built alone first passes true.
  explicit NdpiClassifier(uint32_t max_packets, bool init_shared_libraries = true);
  ~NdpiClassifier();
  NdpiClassifier(const NdpiClassifier&) = delete;
  NdpiClassifier& operator=(const NdpiClassifier&) = delete;

  bool ok() const { return module_ != nullptr; }
  // Heap bytes nDPI holds for this flow (its flow struct until classification is done).
  static size_t FlowBytes(const NdpiFlow& flow);

  // Feeds one IP packet (l3: IP header onwards) of the flow. Cheap no-op once done. nDPI state
  // is allocated only at the first packet with a transport payload: nDPI classifies by payload
  // (mid-stream flows included), so a SYN flood or a port scan costs it nothing.
  void Process(NdpiFlow& flow, ByteView l3, bool has_payload, TimestampNs ts);
  // Ends classification (flow over or evicted): gives up with guessing and frees the state.
  void Finish(NdpiFlow& flow);

  // "HTTP", "TLS.AmazonAWS", "Unknown", ... : a bounded set (nDPI's protocol list).
  std::string ProtocolName(const Classification& c) const;
  std::string CategoryName(const Classification& c) const;
  // Names of the risks set in `risk`, comma separated.
  static std::string RiskNames(uint64_t risk);

  uint64_t flows_allocated() const { return flows_allocated_; }
  uint64_t flows_freed() const { return flows_freed_; }

 private:
  void Release(NdpiFlow& flow);

  ndpi_detection_module_struct* module_ = nullptr;
  uint32_t max_packets_;
  uint64_t flows_allocated_ = 0;
  uint64_t flows_freed_ = 0;
};

}  // namespace bw::classify
