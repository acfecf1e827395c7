#include "sensor/pipeline/run_report.h"

#include <gtest/gtest.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bw::pipeline {
namespace {

using Json = nlohmann::ordered_json;
using metrics::SensorSnapshot;

std::vector<std::string> Keys(const Json& j) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  return keys;
}

// A snapshot whose every field printed has a value of its own, so a key wired to the wrong
// field shows.
SensorSnapshot Distinct() {
  SensorSnapshot s;
  s.stopped = true;
  auto& c = s.capture;
  c.source = "file x.pcap";
  c.packets = 1001;
  c.bytes = 1002;
  c.seconds = 2.5;
  c.error = "";
  c.readers = 3;
  c.kernel_drops = 1003;
  c.interface_drops = 1004;
  c.ring_waits = 1005;
  c.link_down = 1006;
  c.link_resumed = 1007;
  c.link_reopens = 1008;
  c.link_reopen_failures = 1009;
  c.pcapng_blocks_skipped = 1010;
  s.config_reloads = 1011;
  s.config_reload_failures = 1012;
  s.decode.drops[static_cast<size_t>(decode::DropReason::kNotIp)] = 1013;
  s.decode.fragments_reassembled = 1014;
  s.decode.fragments_stored = 1015;
  s.decode.tcp_checksum = {"auto", 1016, 1017, 2016, 1018, 1019};
  s.packets = {1020, 1021, 1022, 1023};
  s.flows.created = 1024;
  s.flows.evicted = 1025;
  s.flows.idle_timeouts = 1026;
  s.flows.hard_timeouts = 1027;
  s.flows.closed = 1028;
  s.flows.drained = 1029;
  s.flows.evicted_memory = 1030;
  s.flows.memory_bytes = 1031;
  s.flows.memory_high_water_bytes = 1032;
  s.flows.memory_cap_bytes = 1033;
  s.protocols = {{"TLS", 2}, {"HTTP.AmazonAWS", 5}};
  auto& r = s.reassembly;
  r.segments = 1034;
  r.bytes_delivered = 1035;
  r.out_of_order_segments = 1036;
  r.retransmissions = 1037;
  r.overlaps = 1038;
  r.overlap_conflicts = 1039;
  r.retransmission_conflicts = 1040;
  r.gaps = 1041;
  r.gap_bytes = 1042;
  r.per_flow_cap_hits = 1043;
  r.segment_cap_hits = 1044;
  r.global_cap_hits = 1045;
  r.hole_timeouts = 1046;
  r.out_of_window = 1047;
  r.truncated_segments = 1048;
  r.buffered_high_water = 1049;
  r.weak_segments = 2050;
  r.weak_replaced = 2051;
  r.weak_used = 2052;
  r.weak_discarded = 2053;
  r.weak_controls_ignored = 2054;
  r.weak_syns_confirmed = 2055;
  s.app = {1050, 1051, 1052, 1053, 1054, 1055};
  auto& h = s.http;
  h.requests = 1056;
  h.responses = 1057;
  h.transactions = 1058;
  h.no_response = 1059;
  h.truncated = 1060;
  h.gaps = 1061;
  h.resyncs = 1062;
  h.lost_requests = 1063;
  h.tunnels = 1064;
  h.gave_up = 1065;
  h.pipelined_max_depth = 1066;
  h.errors[static_cast<size_t>(http::HttpError::kBadHeader)] = 1067;
  s.detection = {1068, 1069, 1070, 1071, 1072, 1073, 1074, 1075, 1076, 1077, 1078, 1079, 1080};
  s.ledger = {1081, 1082, 1083, 1084, 1085, 3081, 3082};
  s.process.peak_resident_bytes = 1086;
  s.process.resident_bytes = 1087;
  s.process.memory_cap_bytes = 1088;
  s.process.memory_to_run_bytes = 1089;
  s.process.memory_margin_bytes = 1090;
  s.process.memory_pressure_polls = 1091;
  s.output = {1092, 1093, 7, 1094, 1095, 1096, 1097, 5, 1098};
  s.alert_totals = {1099, 1100, 1101};
  s.sinks.push_back({"a", "webhook", 10, 0, 0, 0, 0, 0});
  s.sinks.push_back({"b", "syslog", 20, 0, 0, 0, 0, 0});
  s.spool.write_errors = 1102;
  s.spool.memory_only = 1103;
  return s;
}

// The document's shape is a contract: tests, dashboards and scripts read these keys.
TEST(RunReport, StatsJsonKeepsEveryKeyInOrder) {
  Json j = Json::parse(StatsJson(Distinct()));
  EXPECT_EQ(Keys(j), (std::vector<std::string>{"capture", "config", "decode", "packets", "flows",
                                               "protocols", "reassembly", "app", "tls_decryption",
                                               "http", "detection", "ledger", "process", "output",
                                               "alerts", "run"}));
  EXPECT_EQ(Keys(j["capture"]),
            (std::vector<std::string>{"source", "packets", "bytes", "seconds", "processing_seconds",
                                      "error", "readers", "kernel_drops", "interface_drops",
                                      "ring_waits", "interface_down", "resumed", "reopens",
                                      "reopen_failures", "pcapng_blocks_skipped"}));
  EXPECT_EQ(Keys(j["config"]), (std::vector<std::string>{"reloads", "reload_failures"}));
  EXPECT_EQ(Keys(j["decode"]), (std::vector<std::string>{"drops", "fragments_reassembled",
                                                         "fragments_stored", "tcp_checksum"}));
  EXPECT_EQ(
      Keys(j["decode"]["tcp_checksum"]),
      (std::vector<std::string>{"mode", "good", "unfilled", "bad", "rejected", "unverifiable"}));
  EXPECT_EQ(Keys(j["packets"]), (std::vector<std::string>{"processed", "tcp", "udp", "other"}));
  EXPECT_EQ(Keys(j["flows"]),
            (std::vector<std::string>{"created", "evicted", "idle_timeouts", "hard_timeouts",
                                      "closed", "drained", "evicted_memory", "memory_bytes",
                                      "memory_high_water_bytes", "memory_cap_bytes"}));
  EXPECT_EQ(Keys(j["reassembly"]), (std::vector<std::string>{"segments",
                                                             "bytes_delivered",
                                                             "out_of_order_segments",
                                                             "retransmissions",
                                                             "overlaps",
                                                             "overlap_conflicts",
                                                             "retransmission_conflicts",
                                                             "gaps",
                                                             "gap_bytes",
                                                             "per_flow_cap_hits",
                                                             "segment_cap_hits",
                                                             "global_cap_hits",
                                                             "hole_timeouts",
                                                             "out_of_window",
                                                             "truncated_segments",
                                                             "weak_segments",
                                                             "weak_replaced",
                                                             "weak_used",
                                                             "weak_discarded",
                                                             "weak_controls_ignored",
                                                             "weak_syns_confirmed",
                                                             "buffered_high_water"}));
  EXPECT_EQ(Keys(j["app"]),
            (std::vector<std::string>{"http_flows", "tls_flows", "other_flows", "tls_client_hellos",
                                      "storage_requests", "non_storage_http",
                                      "object_digest_matches", "object_digest_mismatches"}));
  EXPECT_EQ(Keys(j["http"]),
            (std::vector<std::string>{"requests", "responses", "transactions", "no_response",
                                      "truncated", "gaps", "resyncs", "lost_requests", "tunnels",
                                      "gave_up", "pipelined_max_depth", "errors"}));
  EXPECT_EQ(Keys(j["detection"]),
            (std::vector<std::string>{
                "storage_events", "tracked_activities", "tracked_clients", "tracked_dedup",
                "tracked_flows", "evicted_activities", "evicted_clients", "evicted_dedup",
                "evicted_flows", "evicted_probe_names", "evicted_memory", "memory_bytes",
                "memory_cap_bytes", "exposures", "exposures_evicted", "exposures_learned"}));
  EXPECT_EQ(Keys(j["ledger"]),
            (std::vector<std::string>{"lines", "write_errors", "rotations", "files_compressed",
                                      "compress_errors", "lines_lost", "reopens"}));
  EXPECT_EQ(Keys(j["process"]),
            (std::vector<std::string>{"peak_rss_bytes", "rss_bytes", "memory_cap_bytes",
                                      "memory_to_run_bytes", "memory_margin_bytes",
                                      "memory_pressure_polls"}));
  EXPECT_EQ(Keys(j["output"]),
            (std::vector<std::string>{"records", "records_dropped", "queue_waits", "batches",
                                      "alert_batches", "known_server_candidates",
                                      "known_server_requests", "known_servers"}));
  EXPECT_EQ(Keys(j["alerts"]),
            (std::vector<std::string>{"raised", "lines", "write_errors", "delivered",
                                      "spool_write_errors", "spool_memory_only",
                                      "spool_memory_only_held"}));
  EXPECT_EQ(Keys(j["run"]),
            (std::vector<std::string>{"interrupted_by_signal", "interrupted", "ledger_lines_lost",
                                      "clickhouse_rows_lost", "alerts_lost"}));
}

// Each key reads its own field: with every value distinct, the numbers 1001.. appear once each,
// where the snapshot put them.
TEST(RunReport, StatsJsonWiresEachKeyToItsField) {
  Json j = Json::parse(StatsJson(Distinct()));
  EXPECT_EQ(j["capture"]["source"], "file x.pcap");
  EXPECT_EQ(j["capture"]["seconds"], 2.5);
  EXPECT_EQ(j["capture"]["readers"], 3);
  EXPECT_EQ(j["capture"]["interface_down"], 1006);
  EXPECT_EQ(j["capture"]["reopen_failures"], 1009);
  EXPECT_EQ(j["capture"]["pcapng_blocks_skipped"], 1010);
  EXPECT_EQ(j["config"]["reload_failures"], 1012);
  EXPECT_EQ(j["decode"]["fragments_stored"], 1015);
  EXPECT_EQ(j["decode"]["tcp_checksum"]["mode"], "auto");
  EXPECT_EQ(j["decode"]["tcp_checksum"]["unverifiable"], 1019);
  EXPECT_EQ(j["decode"]["tcp_checksum"]["unfilled"], 1017);
  EXPECT_EQ(j["decode"]["tcp_checksum"]["bad"], 2016);
  EXPECT_EQ(j["packets"]["other"], 1023);
  EXPECT_EQ(j["flows"]["memory_high_water_bytes"], 1032);
  EXPECT_EQ(j["flows"]["memory_cap_bytes"], 1033);
  EXPECT_EQ(j["reassembly"]["segment_cap_hits"], 1044);
  EXPECT_EQ(j["reassembly"]["buffered_high_water"], 1049);
  EXPECT_EQ(j["reassembly"]["weak_segments"], 2050);
  EXPECT_EQ(j["reassembly"]["weak_replaced"], 2051);
  EXPECT_EQ(j["reassembly"]["weak_used"], 2052);
  EXPECT_EQ(j["reassembly"]["weak_discarded"], 2053);
  EXPECT_EQ(j["reassembly"]["weak_controls_ignored"], 2054);
  EXPECT_EQ(j["reassembly"]["weak_syns_confirmed"], 2055);
  EXPECT_EQ(j["app"]["tls_client_hellos"], 1053);
  EXPECT_EQ(j["http"]["pipelined_max_depth"], 1066);
  EXPECT_EQ(j["detection"]["storage_events"], 1068);
  EXPECT_EQ(j["detection"]["memory_cap_bytes"], 1080);
  EXPECT_EQ(j["ledger"]["compress_errors"], 1085);
  EXPECT_EQ(j["ledger"]["lines_lost"], 3081);
  EXPECT_EQ(j["ledger"]["reopens"], 3082);
  EXPECT_EQ(j["process"]["peak_rss_bytes"], 1086);
  EXPECT_EQ(j["process"]["memory_pressure_polls"], 1091);
  EXPECT_EQ(j["output"]["records"], 1092);
  EXPECT_EQ(j["output"]["queue_waits"], 1094);
  EXPECT_EQ(j["output"]["known_server_requests"], 5);
  EXPECT_EQ(j["output"]["known_servers"], 1098);
  EXPECT_EQ(j["alerts"]["raised"], 1099);
  EXPECT_EQ(j["alerts"]["write_errors"], 1101);
  EXPECT_EQ(j["alerts"]["delivered"], 30);  // summed over the sinks
  EXPECT_EQ(j["alerts"]["spool_memory_only"], 1103);
  // Protocols by name; drops only where non-zero; every HTTP error reason, zero or not.
  EXPECT_EQ(j["protocols"].dump(), R"({"HTTP.AmazonAWS":5,"TLS":2})");
  EXPECT_EQ(j["decode"]["drops"].dump(), R"({"not_ip":1013})");
  EXPECT_EQ(j["http"]["errors"].size(), http::kHttpErrorCount);
  EXPECT_EQ(j["http"]["errors"]["bad_header"], 1067);
}

// Requests to a server the output stage knew as storage move from "other HTTP" to "storage".
TEST(RunReport, KnownServerRequestsCountAsStorage) {
  SensorSnapshot s = Distinct();
  s.app.storage_events = 10;
  s.app.non_storage_http = 8;
  s.output.known_server_requests = 3;
  Json j = Json::parse(StatsJson(s));
  EXPECT_EQ(j["app"]["storage_requests"], 13);
  EXPECT_EQ(j["app"]["non_storage_http"], 5);
  EXPECT_NE(SummaryText(s).find("13 requests ("), std::string::npos);
  EXPECT_NE(SummaryText(s).find("5 other HTTP requests"), std::string::npos);
  // Read while running, the stage may be seen ahead of the worker: never a wrapped count.
  s.app.non_storage_http = 2;
  EXPECT_EQ(Json::parse(StatsJson(s))["app"]["non_storage_http"], 0);
}

TEST(RunReport, SummaryText) {
  SensorSnapshot s;
  s.capture.source = "file x.pcap";
  s.capture.packets = 2000;
  s.capture.bytes = 3 << 20;
  s.capture.seconds = 4;
  s.flows = {};
  s.flows.created = 7;
  s.flows.closed = 5;
  s.flows.idle_timeouts = 1;
  s.flows.drained = 1;
  s.protocols = {{"TLS", 2}, {"HTTP", 5}};
  s.decode.drops[static_cast<size_t>(decode::DropReason::kNotIp)] = 3;
  s.decode.drops[static_cast<size_t>(decode::DropReason::kUnsupportedLinkType)] = 1;
  s.reassembly.gaps = 2;
  s.reassembly.gap_bytes = 2048;
  s.reassembly.retransmissions = 4;
  s.reassembly.retransmission_conflicts = 1;
  s.reassembly.per_flow_cap_hits = 1;
  s.reassembly.global_cap_hits = 2;
  s.app.storage_events = 6;
  s.app.http_flows = 5;
  s.app.tls_flows = 2;
  s.app.non_storage_http = 3;
  s.ledger.lines = 6;
  s.alert_totals.raised = 2;
  EXPECT_EQ(SummaryText(s),
            "bucketwatch: 2000 packets (3.0 MiB) from file x.pcap in 4.00 s (500 packets/s)\n"
            "  flows:      7 created, 5 closed, 1 idle timeouts, 0 hard timeouts, 0 evicted, "
            "1 open at end\n"
            "  protocols:  HTTP 5, TLS 2\n"
            "  drops:      unsupported_link_type 1, not_ip 3\n"
            "  reassembly: 2 gaps (2.0 KiB), 0 out-of-order segments, 4 retransmissions "
            "(1 conflicting), 0 overlaps (0 conflicting), 3 cap hits\n"
            "  storage:    6 requests (6 ledger lines); 5 HTTP flows, 2 TLS flows, "
            "3 other HTTP requests\n"
            "  alerts:     2 raised\n");
}

// What a run lost makes its exit code 1 (issue 18): each kind counted, and said in one line
// each; nothing at all for a complete run.
TEST(RunReport, LossesAndTheirLines) {
  SensorSnapshot s;
  s.capture.source = "file x.pcap";
  s.capture.packets = 313;
  s.ledger.lines = 5;
  EXPECT_EQ(LossText(s), "");
  EXPECT_EQ(Losses(s).ledger_lines + Losses(s).alerts, 0u);
  s.ledger.write_errors = 7;
  s.alert_totals.write_errors = 2;
  s.spool.evicted = 3;
  s.spool.memory_only = 9;  // held in memory, but delivered: not lost
  s.spool.memory_only_held = 4;
  EXPECT_EQ(Losses(s).ledger_lines, 7u);
  EXPECT_EQ(Losses(s).alerts, 9u);
  EXPECT_EQ(LossText(s),
            "bucketwatch: lost 7 ledger lines (write errors; 5 written)\n"
            "bucketwatch: lost 9 alerts (2 not written to the alerts file, 3 dropped by the full "
            "spool, 4 held in memory only and undelivered)\n");
  Json j = Json::parse(StatsJson(s));
  EXPECT_EQ(j["run"]["ledger_lines_lost"], 7);
  EXPECT_EQ(j["run"]["alerts_lost"], 9);
  EXPECT_EQ(j["run"]["interrupted"], false);
  SensorSnapshot cut;
  cut.capture.source = "file x.pcap";
  cut.capture.packets = 313;
  cut.capture.interrupted_by = SIGINT;
  EXPECT_EQ(LossText(cut),
            "bucketwatch: interrupted by SIGINT after 313 packets: the rest of file x.pcap was "
            "not read\n");
  j = Json::parse(StatsJson(cut));
  EXPECT_EQ(j["run"]["interrupted"], true);
  EXPECT_EQ(j["run"]["interrupted_by_signal"], SIGINT);
}

// Issue 18 item 5: a run that lost ledger lines says how many; one that did not stays quiet.
TEST(RunReport, SummaryTextSaysWhenLedgerLinesWereLost) {
  SensorSnapshot s;
  s.ledger.lines = 40;
  EXPECT_EQ(SummaryText(s).find("ledger:"), std::string::npos);
  s.ledger.lines_lost = 7;
  s.ledger.reopens = 2;
  std::string text = SummaryText(s);
  EXPECT_NE(text.find("  ledger:     7 lines LOST (in no ledger file"), std::string::npos) << text;
  EXPECT_NE(text.find("reopened 2 times after the file was deleted or moved away\n"),
            std::string::npos)
      << text;
}

TEST(RunReport, SummaryTextOfAnEmptyLiveRun) {
  SensorSnapshot s;
  s.capture.source = "interface eth0";
  s.capture.live = true;
  s.capture.kernel_drops = 9;
  s.capture.interface_drops = 1;
  std::string text = SummaryText(s);
  EXPECT_NE(text.find("0 packets (0 B) from interface eth0 in 0.00 s (0 packets/s)\n"),
            std::string::npos);
  EXPECT_NE(text.find("  protocols:  none\n"), std::string::npos);
  EXPECT_NE(text.find("  drops:      none\n"), std::string::npos);
  EXPECT_TRUE(text.ends_with("  kernel:     9 dropped, 1 dropped by the interface\n")) << text;
  s.capture.live = false;
  EXPECT_EQ(SummaryText(s).find("kernel:"), std::string::npos);
}

}  // namespace
}  // namespace bw::pipeline
