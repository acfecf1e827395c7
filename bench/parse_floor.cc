// bw_bench_parse_floor: the floor under the sensor's cost per storage request. The capture goes
// through what no sensor can skip — link-to-TCP decoding, TCP reassembly and the HTTP/1.x parser
// — and nothing else: no nDPI, no memory accounting, no TLS, no storage recogniser, no output
// stage, one thread. bench/run compares the sensor's stages with it. Prints {packets,
// http_transactions, seconds} as one JSON line, like bw_bench_bare_read.

#include <pcap/pcap.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <unordered_map>

#include "dissectors/http/http_conversation.h"
#include "sensor/capture/link_type_map.h"
#include "sensor/decode/decoder.h"
#include "sensor/flow/flow_direction.h"
#include "sensor/flow/flow_key.h"
#include "sensor/reassembly/reassembly_context.h"
#include "sensor/reassembly/tcp_connection.h"

namespace {

using namespace bw;

struct Totals {
  uint64_t transactions = 0;
};

// One connection: reassembled bytes straight into the HTTP parser; a stream that is not HTTP
// (TLS, say) is dropped at its first bytes, as the sensor stops dissecting it.
class Connection final : public reassembly::StreamSink, private http::HttpHandler {
 public:
  Connection(reassembly::ReassemblyContext& ctx, http::HttpCounters& counters, Totals& totals)
      : tcp(ctx), http_(http::HttpLimits{}, counters, *this), totals_(totals) {}

  void OnData(Direction dir, ByteView data, TimestampNs ts) override {
    if (!http_.gave_up()) http_.Feed(dir, data, ts);
  }
  void OnGap(Direction dir, uint64_t length, TimestampNs ts) override {
    if (!http_.gave_up()) http_.Gap(dir, length, ts);
  }
  void OnEnd(Direction dir, TimestampNs ts) override {
    if (!http_.gave_up()) http_.End(dir, ts);
  }
  void Close(TimestampNs ts) { http_.Close(ts); }

  reassembly::TcpConnection tcp;
  flow::Endpoint client;

 private:
  void OnTransaction(http::HttpTransaction&) override { ++totals_.transactions; }

  http::HttpConversation http_;
  Totals& totals_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: bw_bench_parse_floor FILE.pcap\n");
    return 2;
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  const auto started = std::chrono::steady_clock::now();
  pcap_t* handle =
      pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (!handle) {
    std::fprintf(stderr, "bw_bench_parse_floor: %s\n", errbuf);
    return 1;
  }
  const int dlt = pcap_datalink(handle);
  if (!decode::IsSupportedLinkType(dlt)) {
    std::fprintf(stderr, "bw_bench_parse_floor: link type %d not supported\n", dlt);
    pcap_close(handle);
    return 1;
  }
  const auto link = static_cast<decode::LinkType>(dlt);
  decode::DropCounters drops;
  decode::Decoder decoder(decode::DecoderLimits{}, drops);
  reassembly::ReassemblyContext context;
  http::HttpCounters counters;
  Totals totals;
  std::unordered_map<flow::FlowKey, std::unique_ptr<Connection>, flow::FlowKeyHash> flows;

  uint64_t packets = 0;
  TimestampNs now = 0;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  decode::PacketMeta p;
  int rc;
  while ((rc = pcap_next_ex(handle, &header, &data)) == 1) {
    ++packets;
    now = static_cast<TimestampNs>(header->ts.tv_sec) * kNsPerSecond +
          static_cast<TimestampNs>(header->ts.tv_usec);
    if (decoder.Decode(link, ByteView(data, header->caplen), header->len, now, p) !=
            decode::DecodeStatus::kOk ||
        p.ip_proto != decode::kIpProtoTcp) {
      continue;
    }
    bool src_is_lo = false;
    const flow::FlowKey key = flow::FlowKey::FromPacket(p, src_is_lo);
    auto [it, inserted] = flows.try_emplace(key);
    if (inserted) {
      it->second = std::make_unique<Connection>(context, counters, totals);
      it->second->client = flow::DecideClient(p).client;
    }
    Connection& c = *it->second;
    c.tcp.OnPacket(p, flow::DirectionOf(p, c.client), c);
    if (c.tcp.closed()) {
      c.tcp.Finish(now, c);
      c.Close(now);
      flows.erase(it);
    }
  }
  for (auto& [key, c] : flows) {
    c->tcp.Finish(now, *c);
    c->Close(now);
  }
  flows.clear();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (rc == PCAP_ERROR) {
    std::fprintf(stderr, "bw_bench_parse_floor: %s\n", pcap_geterr(handle));
    pcap_close(handle);
    return 1;
  }
  pcap_close(handle);
  std::printf("{\"packets\": %llu, \"http_transactions\": %llu, \"seconds\": %.6f}\n",
              static_cast<unsigned long long>(packets),
              static_cast<unsigned long long>(totals.transactions), seconds);
  return 0;
}
