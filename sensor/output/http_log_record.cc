#include "sensor/output/http_log_record.h"

#include "sensor/common/rfc3339.h"
#include "sensor/output/json_writer.h"

namespace bw::output {

std::string FormatHttpLogLine(const event::HttpLogEntry& e, bool storage) {
  std::string line;
  line.reserve(256 + e.target.size());
  JsonWriter j(line);
  j.BeginObject();
  j.Field("@timestamp", common::FormatRfc3339(e.ts));
  j.Key("source").BeginObject();
  j.Field("ip", e.client_ip.ToString()).Field("port", e.client_port);
  j.EndObject();
  j.Key("destination").BeginObject();
  j.Field("ip", e.server_ip.ToString()).Field("port", e.server_port);
  j.EndObject();
  j.Key("network").BeginObject();
  j.Field("community_id", e.community_id).Field("transport", "tcp");
  j.EndObject();

  j.Key("http").BeginObject();
  j.Field("version", std::to_string(e.version_major) + "." + std::to_string(e.version_minor));
  j.Key("request").BeginObject();
  j.Field("method", e.method);
  j.Key("body").BeginObject().Field("bytes", e.request_body_bytes).EndObject();
  j.EndObject();
  if (e.status) {
    j.Key("response").BeginObject();
    j.Field("status_code", e.status);
    j.Key("body").BeginObject().Field("bytes", e.response_body_bytes).EndObject();
    j.EndObject();
  }
  j.EndObject();

  j.Key("url").BeginObject();
  j.FieldIfNotEmpty("domain", e.host);
  j.Field("original", e.target);
  if (e.target_truncated) j.Field("truncated", true);
  j.EndObject();

  j.Field("storage", storage);
  if (e.missing_bytes) j.Field("missing_bytes", true);
  j.EndObject();
  return line;
}

}  // namespace bw::output
