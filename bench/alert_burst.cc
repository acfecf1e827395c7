// bw_bench_alert_burst: how alert sinks keep up with a burst (issue 17). For each sink type, a
// receiver on loopback (a webhook taking one alert per request, an Alertmanager-like one taking
// arrays), a fresh spool, and the real AlertDispatcher: a backlog of N medium alerts is submitted
// the way the sensor does (batches of 64, group commit), then one new high alert. Reports the
// time from the new alert's Submit to its receipt, how much backlog was still waiting then and
// how much of it arrived after the new alert ("waiting", "after"), the
// backlog's throughput (alerts received per second from the first submit to the last backlog
// alert) and the connections the receiver accepted. Only the dispatcher's public API is used,
// so the same file builds against an earlier commit for a before/after comparison.
//
// --receiver python puts Python's http.server (threaded, keep-alive) in the receiver's place:
// a receiver as people write them, slower to accept and to answer than the built-in one.
//
//   bw_bench_alert_burst [--alerts 3000] [--sinks webhook,alertmanager] [--max-seconds 60]
//                        [--receiver builtin|python] [--out results.json]

// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange, never includes it
// clang-format on

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sensor/config/alerting_config.h"
#include "sensor/output/sinks/alert_dispatcher.h"

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;
using tcp = asio::ip::tcp;

// A loopback receiver that records when each alert (by dedup key) arrived. HTTP/1.1 keep-alive
// as any server does; a client asking for close gets it.
class Receiver {
 public:
  Receiver() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, Accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Receiver() {
    io_.stop();
    thread_.join();
  }
  uint16_t port() const { return port_; }
  struct Arrival {
    std::string key;
    Clock::time_point at;
  };
  std::vector<Arrival> arrivals() const {
    std::lock_guard lock(mu_);
    return arrivals_;
  }
  size_t connections() const {
    std::lock_guard lock(mu_);
    return connections_;
  }
  size_t requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  asio::awaitable<void> Accept() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket s =
          co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      {
        std::lock_guard lock(mu_);
        ++connections_;
      }
      asio::co_spawn(io_, Serve(std::move(s)), asio::detached);
    }
  }
  asio::awaitable<void> Serve(tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      co_await http::async_read(socket, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      const auto at = Clock::now();
      auto body = nlohmann::json::parse(req.body(), nullptr, false);
      std::vector<std::string> keys;
      if (body.is_array()) {
        for (const auto& a : body) keys.push_back(a["annotations"].value("dedup_key", ""));
      } else if (body.is_object()) {
        keys.push_back(body.value("dedup_key", ""));
      }
      {
        std::lock_guard lock(mu_);
        ++requests_;
        for (auto& k : keys) arrivals_.push_back({std::move(k), at});
      }
      http::response<http::string_body> res{http::status::ok, 11};
      res.body() = "{}";
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      co_await http::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !req.keep_alive()) co_return;
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Arrival> arrivals_;
  size_t connections_ = 0;
  size_t requests_ = 0;
};

// The same, as a Python http.server in a child process: it writes "<key> <CLOCK_MONOTONIC ns>"
// lines (steady_clock's clock on Linux) and its connection and request counts to files.
constexpr const char* kPythonReceiver = R"(
import http.server, json, socketserver, sys, threading, time
port_file, out_file, conn_file = sys.argv[1:4]
out = open(out_file, "w")
lock = threading.Lock()
conns = [0, 0]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()
        with lock:
            conns[0] += 1
            open(conn_file, "w").write("%d %d" % tuple(conns))
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        t = time.monotonic_ns()
        keys = [a["annotations"].get("dedup_key", "") for a in body] if isinstance(body, list) \
            else [body.get("dedup_key", "")]
        with lock:
            out.write("".join("%s %d\n" % (k, t) for k in keys))
            out.flush()
            conns[1] += 1
            open(conn_file, "w").write("%d %d" % tuple(conns))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
open(port_file + ".tmp", "w").write(str(s.server_address[1]))
import os; os.rename(port_file + ".tmp", port_file)
s.serve_forever()
)";

class PythonReceiver {
 public:
  explicit PythonReceiver(const std::string& dir) : dir_(dir) {
    std::ofstream(dir_ + "/receiver.py") << kPythonReceiver;
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string script = dir_ + "/receiver.py", port = dir_ + "/port",
                        out = dir_ + "/arrivals", conns = dir_ + "/connections";
      ::execlp("python3", "python3", script.c_str(), port.c_str(), out.c_str(), conns.c_str(),
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200 && port_ == 0; ++i) {  // up to 10 s
      std::ifstream f(dir_ + "/port");
      if (!(f >> port_)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (port_ == 0) throw std::runtime_error("python receiver did not start");
  }
  ~PythonReceiver() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  uint16_t port() const { return port_; }
  std::vector<Receiver::Arrival> arrivals() const {
    std::vector<Receiver::Arrival> out;
    std::ifstream f(dir_ + "/arrivals");
    std::string key;
    int64_t ns;
    while (f >> key >> ns) out.push_back({key, Clock::time_point(std::chrono::nanoseconds(ns))});
    return out;
  }
  size_t connections() const {
    size_t n = 0;
    std::ifstream(dir_ + "/connections") >> n;
    return n;
  }
  size_t requests() const {
    size_t n = 0, requests = 0;
    std::ifstream(dir_ + "/connections") >> n >> requests;
    return requests;
  }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

std::string Alert(size_t n, const std::string& severity) {
  nlohmann::json j;
  j["rule"] = "anonymous_read";
  j["severity"] = severity;
  j["summary"] = "anonymous GetObject of s3://bench-" + std::to_string(n % 13) +
                 "/key from 203.0.113.9 succeeded";
  j["@timestamp"] = "2026-12-06T00:00:00.000000000Z";
  j["first_seen"] = "2026-12-06T00:00:00.000000000Z";
  j["last_seen"] = "2026-12-06T00:00:01.000000000Z";
  j["source"] = {{"ip", "203.0.113.9"}};
  j["destination"] = {{"ip", "198.51.100.7"}, {"port", 443}};
  j["storage"] = {{"provider", "s3"},
                  {"account", ""},
                  {"bucket", "bench-" + std::to_string(n % 13)},
                  {"auth", {{"class", "anonymous"}}}};
  j["encrypted"] = false;
  j["counts"] = {{"requests", 1}, {"objects", 1}, {"bytes", 4096}};
  j["dedup_key"] = "burst-" + std::to_string(n);
  return j.dump();
}

template <typename Rx>
nlohmann::json RunOne(Rx& rx, const std::string& dir, const std::string& type, size_t backlog,
                      double max_seconds) {
  bw::config::AlertingConfig cfg;
  cfg.spool_dir = dir + "/spool";
  bw::config::SinkConfig sink;
  sink.name = "bench";
  sink.type = type;
  sink.url = "http://127.0.0.1:" + std::to_string(rx.port()) + (type == "webhook" ? "/hook" : "");
  cfg.sinks = {sink};
  nlohmann::json out;
  out["sink"] = type;
  out["backlog"] = backlog;
  {
    bw::output::AlertDispatcher d(cfg);
    std::string error;
    if (!d.Start(error)) throw std::runtime_error("start: " + error);
    const auto t0 = Clock::now();
    std::vector<std::string> batch;
    for (size_t i = 0; i < backlog; ++i) {
      batch.push_back(Alert(i, "medium"));
      if (batch.size() == 64 || i + 1 == backlog) {
        d.SubmitBatch(batch);
        batch.clear();
      }
    }
    const auto submitted = Clock::now();
    const std::string urgent_key = "burst-" + std::to_string(backlog);
    // From before its Submit: spooling it (an fsync) is part of its wait.
    const auto urgent_at = Clock::now();
    d.SubmitJson(Alert(backlog, "high"));
    const auto deadline = t0 + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(max_seconds));
    while (Clock::now() < deadline && !d.Idle()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const bool done = d.Idle();
    auto arrivals = rx.arrivals();
    double urgent_ms = -1;
    long position = -1;
    Clock::time_point last_backlog = t0;
    size_t backlog_received = 0, backlog_before_new = 0;
    for (size_t i = 0; i < arrivals.size(); ++i) {
      if (arrivals[i].key != urgent_key && arrivals[i].at < urgent_at) ++backlog_before_new;
      if (arrivals[i].key == urgent_key) {
        if (urgent_ms < 0) {
          urgent_ms = std::chrono::duration<double, std::milli>(arrivals[i].at - urgent_at).count();
          position = static_cast<long>(i);
        }
      } else {
        ++backlog_received;
        last_backlog = std::max(last_backlog, arrivals[i].at);
      }
    }
    const double span = std::chrono::duration<double>(last_backlog - t0).count();
    out["complete"] = done;
    out["submit_seconds"] = std::chrono::duration<double>(submitted - t0).count();
    out["new_alert_ms"] = urgent_ms;  // -1: not received within --max-seconds
    out["new_alert_position"] = position;
    // Backlog still waiting when the new alert was submitted, and how much of it it overtook.
    out["backlog_waiting_at_new"] = backlog - backlog_before_new;
    out["backlog_after_new"] =
        position < 0 ? 0 : arrivals.size() - 1 - static_cast<size_t>(position);
    out["backlog_received"] = backlog_received;
    out["backlog_seconds"] = span;
    out["backlog_alerts_per_second"] = span > 0 ? static_cast<double>(backlog_received) / span : 0;
    out["requests"] = rx.requests();
    out["connections"] = rx.connections();
    d.Drain(std::chrono::milliseconds(10));
  }
  return out;
}

nlohmann::json RunOne(const std::string& receiver, const std::string& type, size_t backlog,
                      double max_seconds) {
  char tmpl[] = "/tmp/bw-bench-alert-burst-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  const std::string dir = tmpl;
  nlohmann::json out;
  if (receiver == "python") {
    PythonReceiver rx(dir);
    out = RunOne(rx, dir, type, backlog, max_seconds);
  } else {
    Receiver rx;
    out = RunOne(rx, dir, type, backlog, max_seconds);
  }
  out["receiver"] = receiver;
  std::filesystem::remove_all(dir);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Alert sinks under a burst: time to deliver a new high alert, backlog throughput"};
  size_t alerts = 3000;
  double max_seconds = 60;
  std::string sinks = "webhook,alertmanager", out_path, receiver = "builtin";
  app.add_option("--alerts", alerts, "backlog size (medium alerts)");
  app.add_option("--sinks", sinks, "sink types, comma-separated (webhook, alertmanager)");
  app.add_option("--max-seconds", max_seconds, "bound on each sink's run");
  app.add_option("--receiver", receiver, "builtin (Beast, in process) or python (http.server)")
      ->check(CLI::IsMember({"builtin", "python"}));
  app.add_option("--out", out_path, "results JSON");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::err);

  nlohmann::json report;
  report["alerts"] = alerts;
  report["receiver"] = receiver;
  report["results"] = nlohmann::json::array();
  std::stringstream list(sinks);
  std::string type;
  std::printf("%-14s%9s%12s%10s%10s%12s%14s%10s%8s\n", "sink", "backlog", "new ms", "waiting",
              "after", "backlog s", "backlog /s", "requests", "conns");
  while (std::getline(list, type, ',')) {
    auto r = RunOne(receiver, type, alerts, max_seconds);
    std::printf("%-14s%9zu%12.1f%10zu%10zu%12.2f%14.0f%10zu%8zu%s\n", type.c_str(),
                r["backlog_received"].get<size_t>(), r["new_alert_ms"].get<double>(),
                r["backlog_waiting_at_new"].get<size_t>(), r["backlog_after_new"].get<size_t>(),
                r["backlog_seconds"].get<double>(), r["backlog_alerts_per_second"].get<double>(),
                r["requests"].get<size_t>(), r["connections"].get<size_t>(),
                r["complete"].get<bool>() ? "" : " (cut)");
    report["results"].push_back(std::move(r));
  }
  if (!out_path.empty()) std::ofstream(out_path) << report.dump(2) << "\n";
  return 0;
}
