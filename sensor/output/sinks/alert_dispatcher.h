#pragma once
// Delivers every alert to every configured sink at least once, across outages,
// crashes and restarts. Submit() writes the alert to the persistent spool
// (fsync'd) before anything else and then only queues it: it never waits on the
// network, so packet processing never waits on a sink. One delivery thread (an
// io_context) serves all sinks, each over one kept-alive HTTP(S) connection;
// each sink delivers its alerts in order, except that high and critical alerts
// submitted live go before any backlog (an urgent lane), retrying a failed
// attempt forever with exponential backoff and jitter (the spool holds the
// alert meanwhile). The alertmanager sink sends up to 64 alerts per request,
// all acknowledged by its one 2xx. An alert leaves the spool only after every
// sink answered 2xx (syslog: after it was sent). Each sink's in-memory lanes are
// bounded; alerts beyond them stay in the spool (counted) and are read back from
// disk, in order, when the queue has room. After a restart the spool is
// delivered oldest first, after any new urgent alert. Logs never carry URLs with
// paths, keys or header values.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sensor/config/alerting_config.h"
#include "sensor/output/sinks/spool.h"

namespace bw::detect {
struct Alert;
}

namespace bw::output {

struct SinkCounters {
  std::string name;
  std::string type;
  uint64_t delivered = 0;            // alerts acknowledged (2xx / sent)
  uint64_t failed_attempts = 0;      // attempts that failed (error, timeout, non-2xx)
  uint64_t retries = 0;              // attempts after a failed one
  uint64_t queue_depth = 0;          // alerts in memory waiting for this sink
  uint64_t pending = 0;              // alerts in the spool not yet delivered to this sink
  uint64_t dropped_from_memory = 0;  // alerts not queued (queue full); still spooled
  uint64_t last_status = 0;          // last HTTP status seen (0: none / not HTTP)
  uint64_t requests = 0;             // successful requests (alertmanager: up to 64 alerts each)
  uint64_t connections = 0;          // HTTP connections opened (kept alive across requests)
};

struct DispatcherCounters {
  uint64_t submitted = 0;
  uint64_t rejected = 0;  // not a JSON object (SubmitJson) or not spooled (spool write error)
  sinks::SpoolStats spool;
  std::vector<SinkCounters> sinks;
};

class AlertDispatcher {
 public:
  explicit AlertDispatcher(const config::AlertingConfig& cfg);
  ~AlertDispatcher();
  AlertDispatcher(const AlertDispatcher&) = delete;
  AlertDispatcher& operator=(const AlertDispatcher&) = delete;

  // Opens/creates the spool directory (0700), loads undelivered alerts,
  // prepares TLS contexts (CA files) and starts the delivery thread. With no
  // sinks configured it succeeds and Submit() does nothing.
  [[nodiscard]] bool Start(std::string& error);

  // SIGHUP: delivers with `cfg`'s sinks and bounds from now on (spool_dir must not change: the
  // spool stays where it is). The new sinks are prepared first (URLs, CA files); only then does
  // the old delivery stop and the new one start on the same spool, so nothing spooled is lost:
  // an attempt cut short is made again. False with `error` (and the old sinks still
  // delivering) when the new ones cannot be prepared. The per-sink counters start over.
  [[nodiscard]] bool Reconfigure(const config::AlertingConfig& cfg, std::string& error);

  // Spools (append + fsync) and queues; thread-safe; never blocks on the
  // network.
  void Submit(const detect::Alert& alert);
  // Same for an alert already rendered as one JSON object (Alert::ToJson's
  // text). Returns false if the text is not a JSON object or could not be
  // spooled.
  bool SubmitJson(std::string_view json);
  // Several alerts rendered by the sensor, spooled with one group commit (see Spool); returns
  // how many were spooled.
  size_t SubmitBatch(const std::vector<std::string>& jsons);

  // Shutdown: lets the sinks deliver what is queued or spooled for at most
  // `budget`, then stops the delivery thread. What was not delivered stays in
  // the spool for the next start.
  void Drain(std::chrono::milliseconds budget);

  // True when no sink has anything queued, spooled or in flight.
  bool Idle() const;
  DispatcherCounters Counters() const;

 private:
  struct SinkState;
  class Impl;
  // Shared by every call, exclusive for Reconfigure's swap.
  mutable std::shared_mutex swap_mu_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bw::output
