#pragma once
// MetricsServer: one HTTP/1.1 listener (Boost.Beast, its own thread) serving
//   GET /metrics  Prometheus text format 0.0.4, built from a fresh SensorSnapshot per scrape;
//   GET /healthz  200 "ok" while the capture is alive, 503 "<reason>" when it has stalled,
//                 failed or not started (see EvaluateHealth).
// Guarantees: the packet path is never blocked by a scrape (the snapshot callback only reads
// relaxed atomics). A flood of idle or slow connections cannot lock scrapes and probes out:
//  - a request head (and its small body) must arrive within head_timeout_ms of when the server
//    starts waiting for it; bytes dripping in do not extend that deadline; heads are capped at
//    8 KiB;
//  - at most max_connections are open; a new connection beyond that evicts the connection that
//    has waited longest for its request, so an attacker's older idle connections make room for
//    a scraper's new one; only when every slot is busy answering is the newest refused. A new
//    connection is safe until max_connections newer ones arrive before its request: that many,
//    not a handful, so the window stays wide under a fast reopening flood;
//  - accept failures (EMFILE, ...) evict the oldest waiting connection too, and otherwise back
//    off briefly: the acceptor neither spins nor stops; out of descriptors, the listener keeps
//    16 fewer connections than it had for 10 s, so the rest of the sensor still finds some;
//  - evictions, refusals, timeouts and accept errors are counted (SensorSnapshot::metrics_server).
// Start/Stop are control plane and report errors as values.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sensor/output/metrics/sensor_snapshot.h"

namespace bw::metrics {

struct MetricsServerOptions {
  std::string listen = "127.0.0.1:9580";  // host:port, [v6]:port; port 0 picks a free port
  int64_t stall_seconds = 30;             // /healthz fails after this long without heartbeat
  int64_t request_timeout_seconds = 10;   // per connection: read the request, write the reply
  // For the request head (and body) alone; the smaller of the two applies to reading.
  int64_t head_timeout_ms = 3000;
  // A waiting connection costs a descriptor, a timer and a parser (about 1 KiB); see above.
  int max_connections = 1024;
};

// Splits "host:port" or "[v6]:port"; false with a reason on a malformed address.
[[nodiscard]] bool ParseListenAddress(const std::string& text, std::string& host, uint16_t& port,
                                      std::string& error);

class MetricsServer {
 public:
  MetricsServer(MetricsServerOptions options, std::function<SensorSnapshot()> snapshot);
  ~MetricsServer();  // Stop()
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and starts the server thread; false with a one-line error (bad address, port in use).
  [[nodiscard]] bool Start(std::string& error);
  // Closes the listener and open connections and joins the thread. Idempotent.
  void Stop();
  // The bound port (useful with port 0); 0 before Start().
  uint16_t port() const;
  // Scrapes served, for the run summary and tests.
  uint64_t scrapes() const;
  // The listener's own counters (also in every /metrics answer).
  MetricsServerSnapshot counters() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bw::metrics
