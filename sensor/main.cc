// bucketwatch: passive sensor for anonymous access to cloud object storage.
// Command line per DESIGN.md; exit codes: 0 success, 1 runtime failure, 2 usage or config error.
// A run that lost ledger lines (write errors: full disk, closed stdout, broken pipe) or alerts
// (alerts file write errors, spool full, memory-only alerts undelivered at exit) is a runtime
// failure (1) with a line saying how many. A --read stopped by SIGINT or SIGTERM before its
// input ended says so and exits as a shell reports a process killed by that signal: 130
// (SIGINT) or 143 (SIGTERM); a live capture stopped by them exits 0.

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "sensor/clickhouse/import/ledger_import_command.h"
#include "sensor/config/bpf_filter_check.h"
#include "sensor/config/cli_overrides.h"
#include "sensor/config/config.h"
#include "sensor/config/embedded_config.h"
#include "sensor/correlate/correlate_command.h"
#include "sensor/pipeline/process.h"
#include "sensor/pipeline/sensor.h"
#include "sensor/report/report_command.h"

namespace {

bw::pipeline::Sensor* g_sensor = nullptr;

void OnStopSignal(int signal) {
  if (g_sensor) g_sensor->RequestStop(signal);
}

void OnReloadSignal(int) {
  if (g_sensor) g_sensor->RequestReload();
}

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "bucketwatch: %s\n", message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "report") {
    return bw::report::RunReportCommand(argc - 1, argv + 1);
  }
  if (argc > 1 && std::string(argv[1]) == "ledger-import") {
    return bw::clickhouse::RunLedgerImportCommand(argc - 1, argv + 1);
  }
  if (argc > 1 && std::string(argv[1]) == "correlate") {
    return bw::correlate::RunCorrelateCommand(argc - 1, argv + 1);
  }
  CLI::App app{"bucketwatch: detects anonymous access to cloud object storage on the wire"};
  app.set_version_flag("--version", std::string("bucketwatch ") + BW_VERSION);

  std::string read_file, interface, bpf, config_path, ledger, alerts, metrics_listen;
  std::string flow_log, http_log, stats_json, state_dir;
  std::vector<std::string> sets;
  std::vector<std::string> tls_keylog;
  std::string user, log_level;
  uint32_t workers = 0;
  uint32_t snaplen = 0;
  int linger = 0;
  bool check_config = false, print_config = false, flow_digests = false, quiet = false;

  auto* read_opt = app.add_option("-r,--read", read_file, "Read packets from a pcap/pcapng file");
  auto* if_opt = app.add_option("-i,--interface", interface, "Capture live on an interface");
  read_opt->excludes(if_opt);
  app.add_option("--bpf", bpf, "BPF filter (overrides capture.bpf)");
  app.add_option("-c,--config", config_path, "YAML config on top of the embedded default");
  app.add_option("--set", sets, "Override one config key: section.key=value (repeatable)")
      ->take_all();
  app.add_option("--ledger", ledger, "Write storage requests as JSON lines ('-' = stdout)");
  app.add_option("--alerts", alerts, "Write alerts as JSON lines ('-' = stdout)");
  app.add_option("--metrics-listen", metrics_listen, "Serve Prometheus metrics on ADDR:PORT");
  app.add_option("--workers", workers, "Packet-processing threads (overrides workers)")
      ->check(CLI::Range(1, 64));
  app.add_option("--snaplen", snaplen, "Bytes kept per frame (overrides capture.snaplen)")
      ->check(CLI::Range(64, 262144));
  app.add_option("--flow-log", flow_log, "Write one JSON line per finished flow ('-' = stdout)");
  app.add_option("--http-log", http_log,
                 "Write one JSON line per HTTP request parsed, storage or not ('-' = stdout)");
  app.add_flag("--flow-digests", flow_digests,
               "Add the SHA-256 of each direction's reassembled bytes to the flow log");
  app.add_option("--state-dir", state_dir,
                 "Keep learned servers and alert dedup here across restarts (overrides state.dir)");
  app.add_option("--tls-keylog", tls_keylog,
                 "Read TLS keys from this NSS key log file, directory or FIFO, followed while "
                 "running (repeatable; overrides tls.keylog)")
      ->take_all();
  app.add_option("--stats-json", stats_json, "Write the final counters as JSON to this file");
  app.add_flag("-q,--quiet", quiet, "No run summary on stderr");
  app.add_option("--user", user, "Drop root to this user once capture and outputs are open");
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error or off (overrides log.level)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--linger", linger,
                 "After --read ends, keep running (serving metrics) this many seconds")
      ->check(CLI::Range(0, 86400));
  app.add_flag("--check-config", check_config, "Validate the configuration and exit");
  app.add_flag("--print-config", print_config, "Print the effective configuration and exit");
  using bw::pipeline::StopAfter;
  std::string stop_after;
  // Hidden: bench/run's split of the cost per request (pipeline::StopAfter), not for operators.
  const std::map<std::string, StopAfter> stages = {{"flows", StopAfter::kFlows},
                                                   {"parse", StopAfter::kParse},
                                                   {"recognise", StopAfter::kRecognise},
                                                   {"detect", StopAfter::kDetect}};
  app.add_option("--bench-stop-after", stop_after)->check(CLI::IsMember(stages))->group("");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  // Before anything is read or created: a bad --user is a usage error, not a failure after the
  // ledger and spool exist.
  if (app.count("--user") > 0) {
    if (user.empty()) return Fail(2, "--user: empty user name");
    if (std::string error; !bw::pipeline::UserExists(user, error)) {
      return Fail(2, "--user: " + error);
    }
  }
  auto loaded = bw::config::LoadConfig(config_path, sets);
  if (!loaded.ok) return Fail(2, "config error: " + loaded.error);
  bw::config::Config config = loaded.config;
  if (tls_keylog.size() > bw::config::kMaxKeyLogPaths) {
    return Fail(2, "--tls-keylog: at most " + std::to_string(bw::config::kMaxKeyLogPaths) +
                       " paths, got " + std::to_string(tls_keylog.size()));
  }
  for (const std::string& path : tls_keylog) {
    if (path.empty() || path.size() > bw::config::kMaxKeyLogPathBytes) {
      return Fail(2, "--tls-keylog: expected a non-empty path of at most " +
                         std::to_string(bw::config::kMaxKeyLogPathBytes) + " bytes");
    }
  }
  const bw::config::CliOverrides overrides{
      bpf, workers, snaplen, ledger, alerts, metrics_listen, state_dir, log_level, tls_keylog};
  overrides.ApplyTo(config);
  bw::pipeline::SetupLogging(config.log.level);
  // What start-up would refuse, --check-config refuses too (and both before opening anything).
  if (std::string reason;
      !bw::config::CheckBpfFilter(config.capture.bpf, config.capture.snaplen, reason)) {
    return Fail(
        2, "config error: " + std::string(bpf.empty() ? "capture.bpf" : "--bpf") + ": " + reason);
  }

  if (check_config) {
    std::printf("config ok%s\n", config_path.empty() ? " (embedded default)" : "");
    return 0;
  }
  if (print_config) {
    if (config_path.empty() && sets.empty() && log_level.empty() && tls_keylog.empty()) {
      std::fwrite(bw::config::EmbeddedDefaultConfig().data(), 1,
                  bw::config::EmbeddedDefaultConfig().size(), stdout);
    } else {
      std::fputs(bw::config::DumpConfig(config).c_str(), stdout);
    }
    return 0;
  }
  if (read_file.empty() && interface.empty()) {
    return Fail(2, "nothing to do: give --read FILE or --interface IF (see --help)");
  }

  bw::pipeline::SensorOptions options;
  options.config = config;
  options.capture.file = read_file;
  options.capture.interface = interface;
  options.capture.snaplen = config.capture.snaplen;
  options.capture.promiscuous = config.capture.promiscuous;
  options.capture.buffer_mib = config.capture.buffer_mib;
  options.capture.immediate = config.capture.immediate;
  options.capture.bpf = config.capture.bpf;
  options.capture.user = user;
  options.flow_log = flow_log;
  options.http_log = http_log;
  options.flow_digests = flow_digests;
  options.stats_json = stats_json;
  options.summary = !quiet;
  options.linger_seconds = linger;
  options.config_path = config_path;
  options.config_sets = sets;
  options.cli_overrides = overrides;
  if (!stop_after.empty()) options.stop_after = stages.at(stop_after);

  bw::pipeline::RaiseOpenFileLimit();
  bw::pipeline::Sensor sensor(options);
  std::string error;
  bool usage_error = false;
  if (!sensor.Open(error, usage_error)) return Fail(usage_error ? 2 : 1, error);
  const bool keep_net_raw = config.privileges.keep_net_raw && !interface.empty();
  const bw::pipeline::RunUserPaths run_user_paths = sensor.PathsForRunUser();
  if (!bw::pipeline::HandOverToUser(user, run_user_paths, error)) return Fail(1, error);
  if (!bw::pipeline::DropPrivileges(user, keep_net_raw, error)) return Fail(1, error);
  if (!bw::pipeline::CheckRunUserCanWrite(user, run_user_paths, error)) return Fail(1, error);
  g_sensor = &sensor;
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  struct sigaction hup {};
  hup.sa_handler = OnReloadSignal;
  sigemptyset(&hup.sa_mask);
  // A reload must not interrupt a blocking read: `--read -` from a pipe took the EINTR for the
  // end of its input. The capture loop sees the request at its next packet or poll timeout.
  hup.sa_flags = SA_RESTART;
  sigaction(SIGHUP, &hup, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  int rc = sensor.Run();
  g_sensor = nullptr;
  return rc;
}
