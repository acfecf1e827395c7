#include "sensor/config/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <limits>
#include <set>
#include <sstream>

#include "sensor/config/config_file.h"
#include "sensor/config/embedded_config.h"
#include "sensor/config/yaml_depth.h"
#include "sensor/config/yaml_document.h"
#include "sensor/config/yaml_reader.h"
#include "sensor/event/observer.h"

namespace bw::config {
namespace {

using yaml::ConfigError;
using yaml::Fail;
using yaml::Join;
using yaml::MapReader;

constexpr uint64_t kDay = 86400;

// "0,2,3": how cpu_affinity is written in the config.
std::string CpuList(const std::vector<int>& cpus) {
  std::string out;
  for (int cpu : cpus) {
    if (!out.empty()) out += ',';
    out += std::to_string(cpu);
  }
  return out;
}

void ReadEndpoints(const YAML::Node& node, const std::string& path,
                   std::vector<EndpointConfig>& out) {
  out.clear();
  if (!node || node.IsNull()) return;
  if (!node.IsSequence()) Fail(path, "expected a list of endpoints");
  if (node.size() > 1024) {
    Fail(path, "at most 1024 endpoints, got " + std::to_string(node.size()));
  }
  for (size_t i = 0; i < node.size(); ++i) {
    std::string item_path = path + "[" + std::to_string(i) + "]";
    EndpointConfig e;
    MapReader m(node[i], item_path);
    m.String("host", e.host);
    m.Uint("port", e.port, 0, 65535);
    m.Choice("provider", e.provider, {"s3", "s3_compatible", "azure_blob", "gcs"});
    m.Bool("virtual_hosted", e.virtual_hosted);
    if (e.host.empty()) Fail(item_path + ".host", "must not be empty");
    out.push_back(std::move(e));
  }
}

Config Extract(const YAML::Node& root) {
  Config c;
  MapReader top(root, "");
  {
    MapReader m(top.Child("sensor"), "sensor");
    m.String("name", c.sensor.name);
    if (!c.sensor.name.empty() && !event::ValidObserverName(c.sensor.name)) {
      yaml::Fail("sensor.name", "expected 1 to " + std::to_string(event::kMaxObserverBytes) +
                                    " of the characters A-Z a-z 0-9 . _ -, got " +
                                    yaml::Quote(c.sensor.name));
    }
  }
  {
    MapReader m(top.Child("capture"), "capture");
    m.Uint("snaplen", c.capture.snaplen, 64, 262144);
    m.Bool("promiscuous", c.capture.promiscuous);
    m.Uint("buffer_mib", c.capture.buffer_mib, 1, 4096);
    m.Bool("immediate", c.capture.immediate);
    m.String("bpf", c.capture.bpf);
  }
  {
    MapReader m(top.Child("privileges"), "privileges");
    m.Bool("keep_net_raw", c.privileges.keep_net_raw);
  }
  top.Uint("workers", c.workers, 1, 64);
  {
    uint64_t cap_mib = c.memory_cap_bytes >> 20;
    top.Uint("memory_cap_mib", cap_mib, 32, 1ull << 20);
    c.memory_cap_bytes = cap_mib << 20;
  }
  {
    std::string cpus = CpuList(c.cpu_affinity);
    top.String("cpu_affinity", cpus);
    c.cpu_affinity.clear();
    std::string_view rest = cpus;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      int cpu = -1;
      auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), cpu);
      if (ec != std::errc() || ptr != item.data() + item.size() || cpu < 0 || cpu > 4095) {
        yaml::Fail("cpu_affinity",
                   "expected a comma-separated list of CPU numbers, got " + yaml::Quote(cpus));
      }
      // A CPU more than once is allowed (threads may share one), but the list stays finite.
      if (c.cpu_affinity.size() == 4096) {
        yaml::Fail("cpu_affinity", "at most 4096 CPUs in the list");
      }
      c.cpu_affinity.push_back(cpu);
    }
  }
  {
    MapReader d(top.Child("decode"), "decode");
    d.Choice("tcp_checksum", c.decode.tcp_checksum, {"auto", "verify", "ignore"});
    MapReader m(d.Child("fragments"), "decode.fragments");
    m.Uint("max_datagrams", c.decode.fragment_max_datagrams, 1, 1 << 20);
    m.Uint("max_bytes", c.decode.fragment_max_bytes, 65536, 1ull << 32);
    m.Seconds("timeout_seconds", c.decode.fragment_timeout, 1, 600);
  }
  {
    MapReader m(top.Child("flows"), "flows");
    m.Uint("max_flows", c.flows.max_flows, 16, 1ull << 26);
    m.Seconds("tcp_idle_timeout_seconds", c.flows.tcp_idle_timeout, 1, kDay);
    m.Seconds("udp_idle_timeout_seconds", c.flows.udp_idle_timeout, 1, kDay);
    m.Seconds("hard_timeout_seconds", c.flows.hard_timeout, 1, 7 * kDay);
  }
  {
    MapReader m(top.Child("reassembly"), "reassembly");
    m.Uint("per_flow_bytes", c.reassembly.per_flow_bytes, 4096, 1ull << 30);
    m.Uint("max_segments_per_flow", c.reassembly.max_segments_per_flow, 16, 1ull << 20);
    m.Uint("global_bytes", c.reassembly.global_bytes, 65536, 1ull << 36);
    m.Seconds("hole_timeout_seconds", c.reassembly.hole_timeout, 1, 3600);
  }
  {
    MapReader m(top.Child("classify"), "classify");
    m.Uint("ndpi_max_packets", c.classify.ndpi_max_packets, 1, 255);
  }
  {
    MapReader m(top.Child("http"), "http");
    m.Uint("max_start_line", c.http.max_start_line, 256, 1 << 20);
    m.Uint("max_header_line", c.http.max_header_line, 256, 1 << 20);
    m.Uint("max_headers", c.http.max_headers, 8, 10000);
    m.Uint("max_header_block", c.http.max_header_block, 1024, 1 << 24);
    m.Uint("max_pending_requests", c.http.max_pending_requests, 1, 100000);
    m.Uint("body_prefix_bytes", c.http.body_prefix_bytes, 0, 1 << 24);
  }
  {
    MapReader m(top.Child("storage"), "storage");
    m.Bool("fingerprint", c.storage.fingerprint);
    m.Uint("sample_keys", c.storage.sample_keys, 0, 1000);
    m.Uint("known_servers", c.storage.known_servers, 1, 1 << 20);
    m.Seconds("known_server_ttl_seconds", c.storage.known_server_ttl, 1, 30 * kDay);
    ReadEndpoints(m.Child("endpoints"), m.ChildPath("endpoints"), c.storage.endpoints);
  }
  ReadTlsConfig(top.Child("tls"), "tls", c.tls);
  {
    MapReader m(top.Child("state"), "state");
    m.String("dir", c.state.dir);
    m.Seconds("save_interval_seconds", c.state.save_interval, 1, kDay);
    m.Uint("max_bytes", c.state.max_bytes, 4096, 1ull << 32);
  }
  ReadDetectionConfig(top.Child("detection"), "detection", c.detection);
  ReadAlertingConfig(top.Child("alerting"), "alerting", c.alerting);
  ReadLedgerConfig(top.Child("ledger"), "ledger", c.ledger);
  {
    MapReader m(top.Child("output"), "output");
    m.String("ledger", c.output.ledger);
    m.String("alerts", c.output.alerts);
    m.Uint("queue_records", c.output.queue_records, 16, 1 << 22);
  }
  { ReadMetricsConfig(top.Child("metrics"), "metrics", c.metrics); }
  {
    MapReader m(top.Child("log"), "log");
    m.Choice("level", c.log.level, {"trace", "debug", "info", "warn", "error", "off"});
  }
  return c;
}

// Maps merge key by key; anything else in the overlay replaces the base.
YAML::Node Merge(const YAML::Node& base, const YAML::Node& overlay) {
  if (!overlay || overlay.IsNull()) return YAML::Clone(base);
  if (!base || !base.IsMap() || !overlay.IsMap()) return YAML::Clone(overlay);
  YAML::Node out = YAML::Clone(base);
  for (const auto& kv : overlay) {
    auto key = kv.first.as<std::string>();
    out[key] = Merge(base[key], kv.second);
  }
  return out;
}

// The value of a --set as YAML; false with the reason when it is not one bounded document.
bool ParseSetValue(const std::string& text, YAML::Node& value, std::string& reason) {
  // The same bounds as a file's text, in the same order (the parser recurses per level).
  if (YamlDepthResult d = CheckYamlDepth(text); !d.ok) {
    reason = "value: " + d.error;
    return false;
  }
  YamlDocumentResult d = LoadYamlDocument(text);
  if (!d.ok) {
    reason = d.at_key ? "value: " + d.error : "value is not valid YAML: " + d.error;
    return false;
  }
  value.reset(d.root);
  return true;
}

void ApplySet(YAML::Node& root, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    Fail("--set " + assignment, "expected key.path=value");
  }
  std::string path = assignment.substr(0, eq);
  std::string value_text = assignment.substr(eq + 1);
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string part; std::getline(ss, part, '.');) {
    if (part.empty()) Fail(path, "empty key in path");
    parts.push_back(part);
  }
  // yaml-cpp nodes are handles: walk with copies of the handles and assign at the leaf.
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (next && !next.IsNull() && !next.IsMap()) Fail(path, parts[i] + " is not a section");
    if (!next || next.IsNull()) {
      chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = chain.back()[parts[i]];
    }
    chain.push_back(next);
  }
  // A key that holds a single value takes the text as it is when YAML would read it as
  // something else: "[::1]:9580" (metrics.listen) is not a list, and "a: b" not a mapping.
  const YAML::Node& parent = chain.back();
  const YAML::Node current = parent[parts.back()];
  const bool scalar_key = current.IsDefined() && current.IsScalar();
  YAML::Node value;
  std::string reason;
  if (!ParseSetValue(value_text, value, reason)) {
    if (!scalar_key) Fail(path, reason);
    value.reset(YAML::Node(value_text));
  } else if (scalar_key && !value.IsScalar() && !value.IsNull()) {
    value.reset(YAML::Node(value_text));
  }
  chain.back()[parts.back()] = value;
}

YAML::Node CheckTopLevel(const YAML::Node& n, const std::string& origin) {
  if (n && !n.IsNull() && !n.IsMap()) {
    throw ConfigError{origin + ": expected a mapping at top level"};
  }
  return n;
}

// The embedded default: trusted text, loaded as yaml-cpp loads it.
YAML::Node ParseTrustedYaml(const std::string& text, const std::string& origin) {
  try {
    return CheckTopLevel(YAML::Load(text), origin);
  } catch (const YAML::Exception& e) {
    throw ConfigError{origin + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg};
  }
}

LoadResult Build(const std::string& user_text, const std::string& origin,
                 const std::vector<std::string>& sets) {
  LoadResult r;
  // yaml-cpp recurses per nesting level: bound the depth before it sees untrusted text.
  if (YamlDepthResult d = CheckYamlDepth(user_text); !d.ok) {
    r.error = origin + ": " + d.error;
    return r;
  }
  // yaml-cpp shares an aliased node; anything that walks the tree expands it. Bound the
  // expansion (and refuse what the tree would silently lose) while the tree is built.
  YamlDocumentResult doc = LoadYamlDocument(user_text);
  if (!doc.ok) {
    r.error = doc.at_key ? doc.error : origin + ": " + doc.error;
    return r;
  }
  try {
    YAML::Node base = ParseTrustedYaml(std::string(EmbeddedDefaultConfig()), "embedded default");
    YAML::Node merged = Merge(base, CheckTopLevel(doc.root, origin));
    for (const auto& s : sets) ApplySet(merged, s);
    r.config = Extract(merged);
    r.ok = true;
  } catch (const ConfigError& e) {
    r.error = e.message;
  } catch (const YAML::Exception& e) {
    r.error = origin + ": " + e.msg;
  }
  return r;
}

}  // namespace

LoadResult LoadConfig(const std::string& path, const std::vector<std::string>& sets) {
  std::string text;
  if (!path.empty()) {
    LoadResult r;
    if (!ReadConfigFile(path, text, r.error)) return r;
  }
  return Build(text, path.empty() ? "config" : path, sets);
}

LoadResult LoadConfigText(const std::string& yaml_text, const std::vector<std::string>& sets) {
  return Build(yaml_text, "config", sets);
}

std::string DumpConfig(const Config& c) {
  YAML::Emitter out;
  auto secs = [](TimestampNs ns) { return static_cast<uint64_t>(ns / kNsPerSecond); };
  out << YAML::BeginMap;
  out << YAML::Key << "sensor" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << c.sensor.name;
  out << YAML::EndMap;
  out << YAML::Key << "capture" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "snaplen" << YAML::Value << c.capture.snaplen;
  out << YAML::Key << "promiscuous" << YAML::Value << c.capture.promiscuous;
  out << YAML::Key << "buffer_mib" << YAML::Value << c.capture.buffer_mib;
  out << YAML::Key << "immediate" << YAML::Value << c.capture.immediate;
  out << YAML::Key << "bpf" << YAML::Value << YAML::DoubleQuoted << c.capture.bpf;
  out << YAML::EndMap;
  out << YAML::Key << "privileges" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "keep_net_raw" << YAML::Value << c.privileges.keep_net_raw;
  out << YAML::EndMap;
  out << YAML::Key << "workers" << YAML::Value << c.workers;
  out << YAML::Key << "memory_cap_mib" << YAML::Value << (c.memory_cap_bytes >> 20);
  out << YAML::Key << "cpu_affinity" << YAML::Value << CpuList(c.cpu_affinity);
  out << YAML::Key << "decode" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "tcp_checksum" << YAML::Value << c.decode.tcp_checksum;
  out << YAML::Key << "fragments" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_datagrams" << YAML::Value << c.decode.fragment_max_datagrams;
  out << YAML::Key << "max_bytes" << YAML::Value << c.decode.fragment_max_bytes;
  out << YAML::Key << "timeout_seconds" << YAML::Value << secs(c.decode.fragment_timeout);
  out << YAML::EndMap << YAML::EndMap;
  out << YAML::Key << "flows" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_flows" << YAML::Value << c.flows.max_flows;
  out << YAML::Key << "tcp_idle_timeout_seconds" << YAML::Value << secs(c.flows.tcp_idle_timeout);
  out << YAML::Key << "udp_idle_timeout_seconds" << YAML::Value << secs(c.flows.udp_idle_timeout);
  out << YAML::Key << "hard_timeout_seconds" << YAML::Value << secs(c.flows.hard_timeout);
  out << YAML::EndMap;
  out << YAML::Key << "reassembly" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "per_flow_bytes" << YAML::Value << c.reassembly.per_flow_bytes;
  out << YAML::Key << "max_segments_per_flow" << YAML::Value << c.reassembly.max_segments_per_flow;
  out << YAML::Key << "global_bytes" << YAML::Value << c.reassembly.global_bytes;
  out << YAML::Key << "hole_timeout_seconds" << YAML::Value << secs(c.reassembly.hole_timeout);
  out << YAML::EndMap;
  out << YAML::Key << "classify" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "ndpi_max_packets" << YAML::Value << c.classify.ndpi_max_packets;
  out << YAML::EndMap;
  out << YAML::Key << "http" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_start_line" << YAML::Value << c.http.max_start_line;
  out << YAML::Key << "max_header_line" << YAML::Value << c.http.max_header_line;
  out << YAML::Key << "max_headers" << YAML::Value << c.http.max_headers;
  out << YAML::Key << "max_header_block" << YAML::Value << c.http.max_header_block;
  out << YAML::Key << "max_pending_requests" << YAML::Value << c.http.max_pending_requests;
  out << YAML::Key << "body_prefix_bytes" << YAML::Value << c.http.body_prefix_bytes;
  out << YAML::EndMap;
  out << YAML::Key << "storage" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "fingerprint" << YAML::Value << c.storage.fingerprint;
  out << YAML::Key << "sample_keys" << YAML::Value << c.storage.sample_keys;
  out << YAML::Key << "known_servers" << YAML::Value << c.storage.known_servers;
  out << YAML::Key << "known_server_ttl_seconds" << YAML::Value << secs(c.storage.known_server_ttl);
  out << YAML::Key << "endpoints" << YAML::Value << YAML::BeginSeq;
  for (const auto& e : c.storage.endpoints) {
    out << YAML::BeginMap << YAML::Key << "host" << YAML::Value << e.host << YAML::Key << "port"
        << YAML::Value << e.port << YAML::Key << "provider" << YAML::Value << e.provider
        << YAML::Key << "virtual_hosted" << YAML::Value << e.virtual_hosted << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  out << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
  DumpTlsConfig(out, c.tls);
  out << YAML::EndMap;
  out << YAML::Key << "state" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "dir" << YAML::Value << YAML::DoubleQuoted << c.state.dir;
  out << YAML::Key << "save_interval_seconds" << YAML::Value << secs(c.state.save_interval);
  out << YAML::Key << "max_bytes" << YAML::Value << c.state.max_bytes;
  out << YAML::EndMap;
  out << YAML::Key << "detection" << YAML::Value;
  DumpDetectionConfig(out, c.detection);
  out << YAML::Key << "alerting" << YAML::Value << YAML::BeginMap;
  DumpAlertingConfig(out, c.alerting);
  out << YAML::EndMap;
  out << YAML::Key << "ledger" << YAML::Value << YAML::BeginMap;
  DumpLedgerConfig(out, c.ledger);
  out << YAML::EndMap;
  out << YAML::Key << "output" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "ledger" << YAML::Value << YAML::DoubleQuoted << c.output.ledger;
  out << YAML::Key << "alerts" << YAML::Value << YAML::DoubleQuoted << c.output.alerts;
  out << YAML::Key << "queue_records" << YAML::Value << c.output.queue_records;
  out << YAML::EndMap;
  out << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap;
  DumpMetricsConfig(out, c.metrics);
  out << YAML::EndMap;
  out << YAML::Key << "log" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "level" << YAML::Value << c.log.level;
  out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace bw::config
