#include "sensor/correlate/correlate_command.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sensor/clickhouse/clickhouse_client.h"
#include "sensor/clickhouse/password_file.h"
#include "sensor/common/rfc3339.h"
#include "sensor/config/config.h"
#include "sensor/correlate/correlator.h"
#include "sensor/output/line_writer.h"
#include "sensor/output/sinks/alert_dispatcher.h"
#include "sensor/state/state_file.h"

namespace bw::correlate {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

void OnStopSignal(int signal) {
  g_signal.store(signal, std::memory_order_relaxed);
  g_stop.store(true, std::memory_order_relaxed);
}

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "bucketwatch correlate: %s\n", message.c_str());
  return code;
}

TimestampNs WallNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// RFC 3339, a date (its midnight UTC) or whole seconds since the epoch, as `report` reads them.
std::optional<TimestampNs> ParseTime(const std::string& s) {
  constexpr int64_t kMaxSeconds = INT64_MAX / kNsPerSecond - 1;
  if (s.empty()) return std::nullopt;
  if (s.find('-') == std::string::npos) {
    int64_t secs = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
    if (ec != std::errc() || p != s.data() + s.size() || secs < 0 || secs > kMaxSeconds) {
      return std::nullopt;
    }
    return secs * kNsPerSecond;
  }
  std::string text = s;
  if (text.size() == 10) text += "T00:00:00Z";
  std::optional<TimestampNs> ts = common::ParseRfc3339(text);
  if (!ts || *ts < 0) return std::nullopt;
  return ts;
}

// "90", "90s", "5m", "2h", "1d": a whole number of seconds, minutes, hours or days.
std::optional<TimestampNs> ParseDuration(const std::string& s) {
  if (s.empty()) return std::nullopt;
  int64_t unit = 1;
  std::string digits = s;
  switch (s.back()) {
    case 's':
      digits.pop_back();
      break;
    case 'm':
      unit = 60;
      digits.pop_back();
      break;
    case 'h':
      unit = 3600;
      digits.pop_back();
      break;
    case 'd':
      unit = 86400;
      digits.pop_back();
      break;
    default:
      break;
  }
  int64_t n = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size() || n < 0 ||
      n > 366 * 86400 / unit) {
    return std::nullopt;
  }
  return n * unit * kNsPerSecond;
}

void SetupLogging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("bucketwatch-correlate");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ bucketwatch correlate %l: %v",
                      spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

// Sleeps `ns` of wall time, or until a stop signal.
void SleepUnlessStopped(TimestampNs ns) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(ns);
  while (!g_stop.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string TimeText(TimestampNs ts) { return common::FormatRfc3339(ts, 3); }

}  // namespace

int RunCorrelateCommand(int argc, char** argv) {
  CLI::App app{"bucketwatch correlate: fleet-wide rules over the central ledger in ClickHouse"};
  std::string source, config_path, since_text, until_text, interval_text = "60s";
  std::string settle_text = "120s", state_path, alerts_path, password_file;
  std::vector<std::string> sets;
  bool once = false;
  uint64_t page_rows = 10000;
  app.add_option("--source", source, "The central ledger: clickhouse://HOST[:PORT][/DB]")
      ->required();
  app.add_option("-c,--config", config_path,
                 "YAML config (detection, alerting, sensor.name, state) on top of the default");
  app.add_option("--set", sets, "Override one config key: section.key=value (repeatable)")
      ->take_all();
  app.add_flag("--once", once, "Read [--since, --until) once and exit");
  app.add_option("--since", since_text,
                 "Start at T (RFC 3339, date or epoch s) when the state holds no cursor");
  app.add_option("--until", until_text, "Stop at T (exclusive); --once: default now - settle");
  app.add_option("--interval", interval_text, "Scheduled: wall time between rounds (60s)");
  app.add_option("--settle", settle_text,
                 "Rows are read once they are this old (120s): time for late batches to land");
  app.add_option(
      "--state", state_path,
      "Cursor, dedup and open windows across restarts (default: state.dir/correlate.json)");
  app.add_option("--alerts", alerts_path, "Also write alerts as JSON lines ('-' = stdout)");
  app.add_option(
      "--password-file", password_file,
      "ClickHouse password: first line of this file (else $BUCKETWATCH_CLICKHOUSE_PASSWORD)");
  app.add_option("--page-rows", page_rows, "Ledger rows per query, at most (10000)")
      ->check(CLI::Range(1, 1000000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  std::optional<TimestampNs> since, until;
  if (!since_text.empty() && !(since = ParseTime(since_text))) {
    return Fail(2, "--since: cannot parse '" + since_text + "'");
  }
  if (!until_text.empty() && !(until = ParseTime(until_text))) {
    return Fail(2, "--until: cannot parse '" + until_text + "'");
  }
  auto interval = ParseDuration(interval_text);
  if (!interval || *interval < kNsPerSecond) {
    return Fail(2, "--interval: expected a duration of at least 1s such as 60s, 5m");
  }
  auto settle = ParseDuration(settle_text);
  if (!settle) return Fail(2, "--settle: expected a duration such as 120s, 10m");
  clickhouse::Endpoint endpoint;
  std::string error;
  if (!clickhouse::ParseSourceUrl(source, endpoint, error)) return Fail(2, "--source: " + error);
  if (!clickhouse::CommandPassword(password_file, endpoint.password, error)) return Fail(2, error);

  auto loaded = config::LoadConfig(config_path, sets);
  if (!loaded.ok) return Fail(2, "config error: " + loaded.error);
  config::Config cfg = loaded.config;
  SetupLogging(cfg.log.level);
  if (!alerts_path.empty()) cfg.output.alerts = alerts_path;
  if (!cfg.detection.enabled ||
      (!cfg.detection.bucket_enumeration.enabled && !cfg.detection.bulk_exfiltration.enabled)) {
    return Fail(2,
                "config error: detection: the fleet rules (bucket_enumeration, "
                "bulk_exfiltration) are all disabled");
  }

  // Where the state goes: --state FILE, else correlate.json in state.dir (not the sensor's
  // state.json: a sensor on the same host may share the config), else nowhere.
  std::unique_ptr<state::StateFile> state_file;
  if (!state_path.empty()) {
    std::filesystem::path p(state_path);
    if (!p.has_filename())
      return Fail(2, "--state: expected a file name, got '" + state_path + "'");
    std::string dir = p.parent_path().string();
    state_file = std::make_unique<state::StateFile>(dir.empty() ? "." : dir, cfg.state.max_bytes,
                                                    p.filename().string());
  } else if (!cfg.state.dir.empty()) {
    state_file =
        std::make_unique<state::StateFile>(cfg.state.dir, cfg.state.max_bytes, "correlate.json");
  }
  if (state_file && !state_file->Prepare(error)) return Fail(1, "state: " + error);

  output::LineWriter alerts;
  if (!cfg.output.alerts.empty() && !alerts.Open(cfg.output.alerts, error)) return Fail(1, error);
  output::AlertDispatcher dispatcher(cfg.alerting);
  if (!dispatcher.Start(error)) return Fail(1, "alerting: " + error);
  clickhouse::Client client(endpoint);

  CorrelatorOptions options;
  options.table = endpoint.database + ".ledger";
  options.page_rows = page_rows;
  options.observer = event::ResolveObserver(cfg.sensor.name);
  CorrelatorTargets targets;
  targets.client = &client;
  targets.dispatcher = &dispatcher;
  targets.alerts = &alerts;
  targets.state = state_file.get();
  Correlator correlator(options, cfg.detection, targets);

  if (state_file) {
    state::ParseResult saved;
    std::string message;
    switch (state_file->Load(saved, message)) {
      case state::StateFile::LoadStatus::kNone:
        spdlog::info("state: no {} yet; it is written after every page read", state_file->path());
        break;
      case state::StateFile::LoadStatus::kRejected:
        spdlog::warn("state: {}", message);
        break;
      case state::StateFile::LoadStatus::kLoaded:
        correlator.Restore(saved);
        spdlog::info("state: {} dedup windows restored from {}{}", saved.state.dedup.size(),
                     state_file->path(),
                     saved.ledger_cursor.set
                         ? ", reading on from " + TimeText(saved.ledger_cursor.ts_ns)
                         : "");
        break;
    }
  } else {
    spdlog::warn(
        "no --state and no state.dir: a restart reads the ledger again from --since "
        "and may alert again");
  }
  // Without a cursor: --since, else the longest rule window before the first round's end, so
  // windows in progress fill without alerting on the whole history.
  const TimestampNs longest =
      std::max(cfg.detection.bucket_enumeration.window, cfg.detection.bulk_exfiltration.window);
  if (!correlator.cursor().set) {
    correlator.StartAt(since ? *since : WallNow() - *settle - longest);
  } else if (since && *since != correlator.cursor().ts_ns) {
    spdlog::info("--since ignored: the state's cursor says where to go on from");
  }

  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // No reload: a restart applies a new config, and the state makes it free. SIGHUP's default
  // would end the process without draining the spool.
  std::signal(SIGHUP, SIG_IGN);

  bool failed = false;
  for (;;) {
    TimestampNs before = WallNow() - *settle;
    if (until) before = once ? *until : std::min(before, *until);
    const uint64_t rows = correlator.counters().rows, alerts_before = correlator.counters().alerts;
    if (!correlator.Run(before, g_stop, error)) {
      spdlog::error("reading the ledger: {}", error);
      if (once) {
        failed = true;
        break;
      }
      spdlog::info("trying again in {} s from {}", *interval / kNsPerSecond,
                   TimeText(correlator.cursor().ts_ns));
    } else if (!g_stop.load(std::memory_order_relaxed)) {
      spdlog::info("read up to {}: {} rows, {} alerts", TimeText(before),
                   correlator.counters().rows - rows, correlator.counters().alerts - alerts_before);
    }
    if (once || g_stop.load(std::memory_order_relaxed)) break;
    if (until && correlator.cursor().ts_ns >= *until) break;
    SleepUnlessStopped(*interval);
    if (g_stop.load(std::memory_order_relaxed)) break;
  }

  alerts.Flush();
  dispatcher.Drain(std::chrono::milliseconds(cfg.alerting.drain_timeout_ms));
  const CorrelatorCounters& c = correlator.counters();
  const output::DispatcherCounters dc = dispatcher.Counters();
  std::fprintf(stderr,
               "bucketwatch correlate: %llu rows (%llu malformed, skipped) in %llu pages, "
               "%llu alerts; read up to %s\n",
               static_cast<unsigned long long>(c.rows),
               static_cast<unsigned long long>(c.rows_skipped),
               static_cast<unsigned long long>(c.pages), static_cast<unsigned long long>(c.alerts),
               TimeText(correlator.cursor().ts_ns).c_str());
  bool lost = false;
  if (dc.rejected > 0 || dc.spool.memory_only_held > 0 || dc.spool.evicted > 0) {
    std::fprintf(stderr,
                 "bucketwatch correlate: alerts lost: %llu not spooled, %llu held in memory only "
                 "and undelivered, %llu dropped at the spool's bounds\n",
                 static_cast<unsigned long long>(dc.rejected),
                 static_cast<unsigned long long>(dc.spool.memory_only_held),
                 static_cast<unsigned long long>(dc.spool.evicted));
    lost = true;
  }
  if (alerts.lines_lost() > 0) {
    std::fprintf(stderr, "bucketwatch correlate: %llu alerts not written to %s\n",
                 static_cast<unsigned long long>(alerts.lines_lost()), alerts.path().c_str());
    lost = true;
  }
  if (c.state_save_errors > 0) {
    std::fprintf(stderr, "bucketwatch correlate: the state could not be saved %llu times\n",
                 static_cast<unsigned long long>(c.state_save_errors));
    lost = true;
  }
  const int signal = g_signal.load(std::memory_order_relaxed);
  if (once && signal != 0) return 128 + signal;
  return failed || lost ? 1 : 0;
}

}  // namespace bw::correlate
