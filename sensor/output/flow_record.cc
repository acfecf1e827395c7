#include "sensor/output/flow_record.h"

#include <nlohmann/json.hpp>

#include "sensor/common/rfc3339.h"

namespace bw::output {

namespace {
using Json = nlohmann::ordered_json;

Json Direction(const FlowDirectionRecord& d) {
  Json j = {{"packets", d.packets},
            {"bytes", d.wire_bytes},
            {"delivered_bytes", d.delivered_bytes},
            {"gaps", d.gaps},
            {"gap_bytes", d.gap_bytes}};
  if (!d.sha256.empty()) j["sha256"] = d.sha256;
  return j;
}
}  // namespace

std::string FormatFlowLine(const FlowRecord& r) {
  Json j;
  j["@timestamp"] = common::FormatRfc3339(r.start_ts);
  j["event"] = {{"kind", "event"},
                {"category", "network"},
                {"duration", r.end_ts >= r.start_ts ? r.end_ts - r.start_ts : 0},
                {"reason", r.end_reason}};
  j["source"] = {{"ip", r.client_ip.ToString()}, {"port", r.client_port}};
  j["destination"] = {{"ip", r.server_ip.ToString()}, {"port", r.server_port}};
  j["network"] = {{"community_id", r.community_id},
                  {"transport", r.proto == 6    ? "tcp"
                                : r.proto == 17 ? "udp"
                                                : "other"},
                  {"protocol", r.app_protocol},
                  {"category", r.category}};
  if (!r.risks.empty()) j["network"]["risks"] = r.risks;
  Json flow = {{"handshake_seen", r.handshake_seen}, {"app_layer", r.app_layer}};
  if (!r.server_name.empty()) flow["server_name"] = r.server_name;
  if (!r.alpn.empty()) flow["alpn"] = r.alpn;
  if (r.tls.attempted) {
    // The same names as the ledger's tls object, so a flow and its requests join on them.
    Json tls = {{"decrypted", r.tls.decrypted}};
    if (r.tls.version != 0) tls["version"] = event::TlsVersionNumber(r.tls.version);
    if (!r.tls.cipher.empty()) tls["cipher"] = std::string(r.tls.cipher);
    if (!r.tls.failure.empty()) tls["decrypt_failure"] = std::string(r.tls.failure);
    if (r.tls.http2) tls["http2"] = true;
    j["tls"] = std::move(tls);
  }
  flow["http_requests"] = r.http_requests;
  flow["storage_requests"] = r.storage_requests;
  flow["to_server"] = Direction(r.dir[0]);
  flow["to_client"] = Direction(r.dir[1]);
  j["flow"] = std::move(flow);
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace bw::output
