// bw_alert_sender: drives AlertDispatcher outside the sensor, so script tests
// can exercise the real sinks, spool and retry logic against real receivers,
// kill the process mid-delivery and restart it. Reads alert JSON lines
// (--input, "-" for stdin) and/or generates N synthetic alerts (--generate),
// submits them, waits until every sink has everything (or --wait-ms passes),
// prints the counters as one JSON line and drains. Exit 0 when idle, 3 when
// alerts remain spooled, 2 on config errors.

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "sensor/config/alerting_config.h"
#include "sensor/config/yaml_reader.h"
#include "sensor/output/sinks/alert_dispatcher.h"

namespace {

std::string Synthetic(uint64_t n, const std::string& tag) {
  nlohmann::json j;
  j["rule"] = "anonymous_list";
  j["severity"] = n % 5 == 0 ? "critical" : "high";
  j["summary"] = "synthetic alert " + tag + std::to_string(n) +
                 ": anonymous ListObjectsV2 of s3://bucket-" + std::to_string(n % 7) +
                 " from 203.0.113.9 succeeded (1 pages, 3 keys)";
  j["@timestamp"] = "2026-11-23T10:16:15.000000000Z";
  j["first_seen"] = "2026-11-23T10:16:00.000000000Z";
  j["last_seen"] = "2026-11-23T10:16:15.000000000Z";
  j["source"] = {{"ip", "203.0.113.9"}};
  j["destination"] = {{"ip", "198.51.100.7"}, {"port", 9000}};
  j["storage"] = {{"provider", "s3"},
                  {"account", ""},
                  {"bucket", "bucket-" + std::to_string(n % 7)},
                  {"auth", {{"class", "anonymous"}}}};
  j["encrypted"] = false;
  j["counts"] = {{"requests", 1}, {"pages", 1}, {"listed_keys", 3}};
  j["sample_keys"] = {"a.txt", "b.txt", "c.txt"};
  j["dedup_key"] = "synthetic-" + tag + std::to_string(n);
  return j.dump();
}

nlohmann::json CountersJson(const bw::output::DispatcherCounters& c) {
  nlohmann::json j;
  j["submitted"] = c.submitted;
  j["rejected"] = c.rejected;
  j["spool"] = {{"alerts", c.spool.alerts},
                {"bytes", c.spool.bytes},
                {"appended", c.spool.appended},
                {"removed", c.spool.removed},
                {"evicted", c.spool.evicted},
                {"corrupt", c.spool.corrupt},
                {"write_errors", c.spool.write_errors}};
  j["sinks"] = nlohmann::json::array();
  for (const auto& s : c.sinks) {
    j["sinks"].push_back({{"name", s.name},
                          {"type", s.type},
                          {"delivered", s.delivered},
                          {"failed_attempts", s.failed_attempts},
                          {"retries", s.retries},
                          {"queue_depth", s.queue_depth},
                          {"pending", s.pending},
                          {"dropped_from_memory", s.dropped_from_memory},
                          {"last_status", s.last_status}});
  }
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Submit alerts through bucketwatch's AlertDispatcher"};
  std::string config_path, input, spool_dir, tag;
  uint64_t generate = 0, wait_ms = 30000, drain_ms = 1000, submit_interval_ms = 0;
  app.add_option("--config", config_path, "YAML with an `alerting:` section (or the section)")
      ->required();
  app.add_option("--input", input, "alert JSON lines ('-' for stdin)");
  app.add_option("--generate", generate, "submit N synthetic alerts");
  app.add_option("--tag", tag, "prefix for synthetic dedup keys and summaries");
  app.add_option("--spool", spool_dir, "override alerting.spool_dir");
  app.add_option("--wait-ms", wait_ms, "how long to wait for delivery before draining");
  app.add_option("--drain-ms", drain_ms, "drain budget");
  app.add_option("--submit-interval-ms", submit_interval_ms, "pause between submits");
  CLI11_PARSE(app, argc, argv);
  // stdout carries only the counters line; logs go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("alert_sender"));

  bw::config::AlertingConfig cfg;
  try {
    YAML::Node root = YAML::LoadFile(config_path);
    YAML::Node section = root["alerting"] ? root["alerting"] : root;
    bw::config::ReadAlertingConfig(section, "alerting", cfg);
  } catch (const bw::config::yaml::ConfigError& e) {
    std::cerr << "config: " << e.message << "\n";
    return 2;
  } catch (const YAML::Exception& e) {
    std::cerr << "config: " << e.what() << "\n";
    return 2;
  }
  if (!spool_dir.empty()) cfg.spool_dir = spool_dir;

  bw::output::AlertDispatcher dispatcher(cfg);
  std::string error;
  if (!dispatcher.Start(error)) {
    std::cerr << "start: " << error << "\n";
    return 2;
  }
  auto pause = [&] {
    if (submit_interval_ms)
      std::this_thread::sleep_for(std::chrono::milliseconds(submit_interval_ms));
  };
  if (!input.empty()) {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (input != "-") {
      file.open(input);
      if (!file) {
        std::cerr << "cannot open " << input << "\n";
        return 2;
      }
      in = &file;
    }
    std::string line;
    while (std::getline(*in, line)) {
      if (line.empty()) continue;
      if (!dispatcher.SubmitJson(line)) std::cerr << "rejected: " << line.substr(0, 80) << "\n";
      pause();
    }
  }
  for (uint64_t i = 0; i < generate; ++i) {
    dispatcher.SubmitJson(Synthetic(i, tag));
    pause();
  }
  std::cerr << "submitted\n";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (!dispatcher.Idle() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  bool idle = dispatcher.Idle();
  std::cout << CountersJson(dispatcher.Counters()).dump() << std::endl;
  dispatcher.Drain(std::chrono::milliseconds(drain_ms));
  return idle ? 0 : 3;
}
