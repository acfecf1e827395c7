#include "sensor/output/sinks/alert_dispatcher.h"

// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange, never includes it
// clang-format on

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <random>

#include "sensor/detect/alert.h"
#include "sensor/output/sinks/payload.h"
#include "sensor/output/sinks/transport.h"

namespace bw::output {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

// Big enough for any bounded alert; RFC 5426 receivers must accept what the
// path MTU allows.
constexpr size_t kSyslogMaxBytes = 60000;
constexpr milliseconds kIdlePoll{1000};
// Alerts per Alertmanager request: a backlog of thousands goes in dozens of requests, and one
// request stays far below what a receiver takes in a body.
constexpr size_t kAlertmanagerBatch = 64;
// Deliveries recorded per fsync of the spool directory while a sink works through a backlog:
// one fsync per alert held a sink to ~300 alerts/s. A power loss (not a crash: the markers are
// written at once) can send up to this many again.
constexpr size_t kMarksPerSync = 64;

TimestampNs WallNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool PowerOfTwo(uint64_t n) { return n && !(n & (n - 1)); }

// High and critical alerts are the ones a person is paged for: they go before any backlog.
bool Urgent(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return false;
  auto it = j.find("severity");
  if (it == j.end() || !it->is_string()) return false;
  const auto& severity = it->get_ref<const std::string&>();
  return severity == "critical" || severity == "high";
}

}  // namespace

struct AlertDispatcher::SinkState {
  struct Item {
    uint64_t id = 0;
    std::shared_ptr<const std::string> json;
  };

  config::SinkConfig cfg;
  size_t index = 0;
  sinks::HttpUrl url;
  std::unique_ptr<asio::ssl::context> tls;
  std::unique_ptr<asio::steady_timer> wake;
  std::unique_ptr<asio::steady_timer> backoff;
  std::unique_ptr<sinks::HttpConnection> http;  // kept alive across deliveries
  size_t batch = 1;                             // alerts per request
  size_t unsynced = 0;  // deliveries marked in the spool since its last fsync (delivery thread)

  // Guarded by Impl::mu_. Both lanes hold increasing ids.
  std::deque<Item> urgent;  // high/critical alerts submitted live: delivered before `queue`
  std::deque<Item> queue;   // every other alert, and urgent ones the urgent lane had no room for
  bool overflow = false;    // some spooled alerts are in neither lane: refill from the spool
  // Highest id ever put in `queue` or passed over by the refill (ids only grow). The urgent lane
  // leaves it alone: older backlog below an urgent alert's id must still be refilled.
  uint64_t last_enqueued = 0;
  SinkCounters counters;
};

class AlertDispatcher::Impl {
 public:
  explicit Impl(const config::AlertingConfig& cfg) : cfg_(cfg) {
    std::vector<std::string> names;
    for (const auto& s : cfg_.sinks) names.push_back(s.name);
    spool_ = std::make_unique<sinks::Spool>(cfg_.spool_dir, cfg_.spool_max_alerts,
                                            cfg_.spool_max_bytes, names);
  }

  ~Impl() { Stop(); }

  const config::AlertingConfig& config() const { return cfg_; }

  bool Start(std::string& error) { return Prepare(error) && Run(error); }

  // Everything that can fail for a bad setting and does not touch the spool or the network.
  bool Prepare(std::string& error) {
    if (cfg_.sinks.empty()) return true;
    for (size_t i = 0; i < cfg_.sinks.size(); ++i) {
      auto s = std::make_unique<SinkState>();
      s->cfg = cfg_.sinks[i];
      s->index = i;
      s->counters.name = s->cfg.name;
      s->counters.type = s->cfg.type;
      if (s->cfg.type != "syslog") {
        std::string url = s->cfg.url;
        if (s->cfg.type == "alertmanager") {
          while (!url.empty() && url.back() == '/') url.pop_back();
          if (url.size() < 15 || url.compare(url.size() - 15, 15, "/api/v2/alerts") != 0) {
            url += "/api/v2/alerts";
          }
        }
        if (!sinks::ParseHttpUrl(url, s->url)) {
          error = "alerting sink " + s->cfg.name + ": malformed url";
          return false;
        }
        if (s->url.tls) {
          s->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
          boost::system::error_code ec;
          s->tls->set_verify_mode(asio::ssl::verify_peer);
          if (!s->cfg.ca_file.empty()) {
            s->tls->load_verify_file(s->cfg.ca_file, ec);
          } else {
            s->tls->set_default_verify_paths(ec);
          }
          if (ec) {
            error = "alerting sink " + s->cfg.name + ": CA certificates: " + ec.message();
            return false;
          }
        }
      }
      s->wake = std::make_unique<asio::steady_timer>(io_);
      s->backoff = std::make_unique<asio::steady_timer>(io_);
      if (s->cfg.type != "syslog") {
        s->http = std::make_unique<sinks::HttpConnection>(io_.get_executor(), s->url, s->tls.get());
      }
      if (s->cfg.type == "alertmanager") s->batch = kAlertmanagerBatch;
      // Whatever the spool holds is delivered first: the queue starts empty and
      // refills from it.
      s->overflow = true;
      sinks_.push_back(std::move(s));
    }
    return true;
  }

  // Opens the spool and starts delivering. Once per Impl, after Prepare.
  bool Run(std::string& error) {
    if (cfg_.sinks.empty()) return true;
    if (!spool_->Open(error)) return false;
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) hostname_ = host;
    for (auto& s : sinks_) {
      asio::co_spawn(io_, RunSink(*s), asio::detached);
    }
    thread_ = std::thread([this] { io_.run(); });
    started_ = true;
    return true;
  }

  bool SubmitJson(std::string_view text) {
    if (sinks_.empty()) return true;
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      std::lock_guard lock(mu_);
      ++rejected_;
      return false;
    }
    return SubmitBatch(std::span<const std::string_view>(&text, 1)) == 1;
  }

  // Alerts the sensor rendered itself (Alert::ToJson): spooled together, one group commit.
  size_t SubmitBatch(std::span<const std::string_view> texts) {
    if (sinks_.empty() || texts.empty()) return texts.size();
    std::vector<bool> urgent(texts.size());
    for (size_t k = 0; k < texts.size(); ++k) urgent[k] = Urgent(texts[k]);
    std::vector<uint64_t> evicted;
    std::lock_guard lock(mu_);
    submitted_ += texts.size();
    std::vector<uint64_t> ids = spool_->AppendBatch(texts, &evicted);
    size_t spooled = 0;
    for (size_t k = 0; k < texts.size(); ++k) {
      if (ids[k] == 0) {
        ++rejected_;
        continue;
      }
      ++spooled;
      auto json = std::make_shared<const std::string>(texts[k]);
      for (auto& s : sinks_) {
        if (urgent[k] && s->urgent.size() < s->cfg.queue_capacity) {
          // Ahead of whatever backlog the sink has, in memory or in the spool.
          s->urgent.push_back({ids[k], json});
          continue;
        }
        if (!s->overflow && s->queue.size() < s->cfg.queue_capacity) {
          s->queue.push_back({ids[k], json});
          s->last_enqueued = ids[k];
          continue;
        }
        // Stays in the spool; the sink reads it back, in id order, when its queue has room.
        s->overflow = true;
        ++s->counters.dropped_from_memory;
      }
    }
    for (auto& s : sinks_) asio::post(io_, [t = s->wake.get()] { t->cancel(); });
    return spooled;
  }

  bool Idle() const {
    for (const auto& s : sinks_) {
      if (spool_->PendingCount(s->index) != 0) return false;
    }
    return true;
  }

  void Drain(milliseconds budget) {
    auto deadline = std::chrono::steady_clock::now() + budget;
    while (started_ && !Idle() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    if (started_ && !Idle()) {
      const uint64_t lost = spool_->Stats().memory_only_held;
      if (lost > 0) {
        spdlog::error(
            "alert dispatcher: drain budget spent; {} undelivered alerts were held in memory only "
            "(the spool {} could not take them) and are lost; the rest stay in the spool",
            lost, cfg_.spool_dir);
      } else {
        spdlog::warn(
            "alert dispatcher: drain budget spent; undelivered alerts "
            "stay in the spool {}",
            cfg_.spool_dir);
      }
    }
    Stop();
  }

  void Stop() {
    if (!started_) return;
    stopping_ = true;
    io_.stop();
    if (thread_.joinable()) thread_.join();
    spool_->Sync();  // deliveries marked since the sinks' last fsync
    started_ = false;
  }

  DispatcherCounters Counters() const {
    DispatcherCounters c;
    c.spool = spool_->Stats();
    std::lock_guard lock(mu_);
    c.submitted = submitted_;
    c.rejected = rejected_;
    for (const auto& s : sinks_) {
      SinkCounters sc = s->counters;
      sc.queue_depth = s->queue.size() + s->urgent.size();
      sc.pending = spool_->PendingCount(s->index);
      c.sinks.push_back(std::move(sc));
    }
    return c;
  }

 private:
  using Item = SinkState::Item;

  static bool Holds(const std::deque<Item>& lane, uint64_t id) {
    auto it = std::lower_bound(lane.begin(), lane.end(), id,
                               [](const Item& item, uint64_t v) { return item.id < v; });
    return it != lane.end() && it->id == id;
  }

  // Tops the queue up from the spool while alerts were left out of it. Files are read without
  // holding mu_; while `overflow` is set Submit puts nothing in the queue, so the refill is the
  // only writer of its tail and order is kept. Ids in the urgent lane are passed over (delivered
  // from there); last_enqueued still moves past them, and never past an id not yet looked at.
  void Refill(SinkState& s) {
    for (int round = 0; round < 64; ++round) {  // each round moves last_enqueued up
      std::vector<uint64_t> ids;
      uint64_t seen = 0;
      {
        std::lock_guard lock(mu_);
        if (!s.overflow || s.queue.size() >= s.cfg.queue_capacity) return;
        const size_t room = s.cfg.queue_capacity - s.queue.size();
        std::vector<uint64_t> pending = spool_->Pending(s.index, s.last_enqueued, room);
        if (pending.empty()) {
          s.overflow = false;  // caught up, under the lock
          return;
        }
        seen = pending.back();
        for (uint64_t id : pending) {
          if (!Holds(s.urgent, id)) ids.push_back(id);
        }
        if (ids.empty()) {
          s.last_enqueued = std::max(s.last_enqueued, seen);
          continue;
        }
      }
      std::vector<Item> loaded;
      for (uint64_t id : ids) {
        auto json = spool_->Read(id);
        if (json) loaded.push_back({id, std::move(json)});
      }
      std::lock_guard lock(mu_);
      for (auto& item : loaded) s.queue.push_back(std::move(item));
      s.last_enqueued = std::max(s.last_enqueued, seen);
    }
  }

  // Up to `max` alerts to send next: the urgent lane first, then the queue.
  std::vector<Item> Next(SinkState& s, size_t max) {
    Refill(s);
    std::vector<Item> out;
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < s.urgent.size() && out.size() < max; ++i) out.push_back(s.urgent[i]);
    for (size_t i = 0; i < s.queue.size() && out.size() < max; ++i) out.push_back(s.queue[i]);
    return out;
  }

  void Pop(SinkState& s, uint64_t id) {
    std::lock_guard lock(mu_);
    for (auto* lane : {&s.urgent, &s.queue}) {
      auto it = std::lower_bound(lane->begin(), lane->end(), id,
                                 [](const Item& item, uint64_t v) { return item.id < v; });
      if (it != lane->end() && it->id == id) {
        lane->erase(it);
        return;
      }
    }
  }

  asio::awaitable<sinks::AttemptResult> Attempt(SinkState& s, const std::vector<Item>& items) {
    milliseconds timeout(s.cfg.timeout_ms);
    const Item& item = items.front();
    if (s.cfg.type == "syslog") {
      auto alert = nlohmann::json::parse(*item.json, nullptr, false);
      auto msg = sinks::FormatSyslog(s.cfg, alert, *item.json,
                                     s.cfg.hostname.empty() ? hostname_ : s.cfg.hostname, WallNow(),
                                     kSyslogMaxBytes);
      co_return co_await sinks::SyslogSend(s.cfg.host, s.cfg.port, s.cfg.transport == "tcp", msg,
                                           timeout);
    }
    sinks::HttpPayload payload;
    if (s.cfg.type == "alertmanager") {
      std::vector<nlohmann::json> alerts;
      std::vector<std::string_view> texts;
      for (const auto& i : items) {
        alerts.push_back(nlohmann::json::parse(*i.json, nullptr, false));
        texts.push_back(*i.json);
      }
      payload = sinks::FormatAlertmanager(s.cfg, alerts, texts, WallNow());
    } else if (s.cfg.type == "webhook") {
      payload = sinks::FormatWebhook(s.cfg, *item.json, sinks::Spool::IdName(item.id));
    } else if (s.cfg.type == "pagerduty") {
      payload = sinks::FormatPagerDuty(s.cfg, nlohmann::json::parse(*item.json, nullptr, false));
    } else {
      payload = sinks::FormatSlack(nlohmann::json::parse(*item.json, nullptr, false));
      for (const auto& h : s.cfg.headers) payload.headers.push_back(h);
    }
    co_return co_await s.http->Post(payload, timeout);
  }

  void SyncSpool(SinkState& s) {
    if (s.unsynced == 0) return;
    spool_->Sync();
    s.unsynced = 0;
  }

  asio::awaitable<void> RunSink(SinkState& s) {
    uint64_t failures = 0;  // consecutive, for the backoff
    boost::system::error_code ec;
    while (!stopping_) {
      std::vector<Item> items = Next(s, s.batch);
      if (items.empty()) {
        s.wake->expires_after(kIdlePoll);
        co_await s.wake->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      // Dropped at the spool bound meanwhile: nothing left to deliver.
      std::erase_if(items, [&](const Item& item) {
        if (spool_->Contains(item.id)) return false;
        Pop(s, item.id);
        return true;
      });
      if (items.empty()) continue;
      if (failures > 0) {
        std::lock_guard lock(mu_);
        ++s.counters.retries;
      }
      auto result = co_await Attempt(s, items);
      if (stopping_) break;
      {
        std::lock_guard lock(mu_);
        s.counters.last_status = result.status;
        if (s.http) s.counters.connections = s.http->connections_opened();
      }
      if (result.ok) {
        if (failures > 0) {
          spdlog::info("alert sink {} ({}): delivering again after {} failed attempts", s.cfg.name,
                       s.cfg.type, failures);
        }
        failures = 0;
        {
          std::lock_guard lock(mu_);
          // Counted before the spool shows it, so Idle() implies it.
          s.counters.delivered += items.size();
          ++s.counters.requests;
        }
        // Every alert of the request, and only after its 2xx: at-least-once.
        for (const auto& item : items) {
          spool_->MarkDelivered(item.id, s.index, false);
          Pop(s, item.id);
        }
        s.unsynced += items.size();
        bool caught_up;
        {
          std::lock_guard lock(mu_);
          caught_up = s.urgent.empty() && s.queue.empty() && !s.overflow;
        }
        if (caught_up || s.unsynced >= kMarksPerSync) SyncSpool(s);
        continue;
      }
      ++failures;
      {
        std::lock_guard lock(mu_);
        ++s.counters.failed_attempts;
      }
      uint64_t shift = std::min<uint64_t>(failures - 1, 30);
      uint64_t backoff =
          std::min<uint64_t>(s.cfg.max_backoff_ms, s.cfg.initial_backoff_ms << shift);
      std::uniform_int_distribution<uint64_t> jitter(backoff / 2, backoff);
      uint64_t wait = jitter(rng_);
      if (PowerOfTwo(failures)) {  // 1, 2, 4, 8, ... keeps an outage from
                                   // flooding the log
        spdlog::warn(
            "alert sink {} ({}): delivery failed ({}), attempt {}; "
            "retrying in {} ms",
            s.cfg.name, s.cfg.type, result.error, failures, wait);
      }
      SyncSpool(s);
      s.backoff->expires_after(milliseconds(wait));
      co_await s.backoff->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  config::AlertingConfig cfg_;
  // Declared before the sink states: their timers and sockets must go before
  // the io_context.
  asio::io_context io_;
  std::unique_ptr<sinks::Spool> spool_;
  std::vector<std::unique_ptr<SinkState>> sinks_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  std::string hostname_;
  std::mt19937_64 rng_{std::random_device{}()};

  mutable std::mutex mu_;
  uint64_t submitted_ = 0;
  uint64_t rejected_ = 0;
};

AlertDispatcher::AlertDispatcher(const config::AlertingConfig& cfg)
    : impl_(std::make_unique<Impl>(cfg)) {}

AlertDispatcher::~AlertDispatcher() = default;

bool AlertDispatcher::Start(std::string& error) {
  std::shared_lock lock(swap_mu_);
  return impl_->Start(error);
}

bool AlertDispatcher::Reconfigure(const config::AlertingConfig& cfg, std::string& error) {
  auto next = std::make_unique<Impl>(cfg);
  if (!next->Prepare(error)) return false;
  std::unique_lock lock(swap_mu_);
  // Both would own the spool directory: the old delivery stops first. What it had in flight
  // is still in the spool, and the new sinks deliver it.
  impl_->Stop();
  if (next->Run(error)) {
    impl_ = std::move(next);
    return true;
  }
  // The spool opened a moment ago and does not now: start the old sinks again rather than none.
  std::string again;
  auto old = std::make_unique<Impl>(impl_->config());
  if (old->Start(again)) {
    impl_ = std::move(old);
  } else {
    spdlog::error("alert dispatcher: cannot restart the previous sinks either: {}", again);
  }
  return false;
}

void AlertDispatcher::Submit(const detect::Alert& alert) {
  std::shared_lock lock(swap_mu_);
  impl_->SubmitJson(alert.ToJson());
}

bool AlertDispatcher::SubmitJson(std::string_view json) {
  std::shared_lock lock(swap_mu_);
  return impl_->SubmitJson(json);
}

size_t AlertDispatcher::SubmitBatch(const std::vector<std::string>& jsons) {
  std::vector<std::string_view> views(jsons.begin(), jsons.end());
  std::shared_lock lock(swap_mu_);
  return impl_->SubmitBatch(views);
}

void AlertDispatcher::Drain(milliseconds budget) {
  std::shared_lock lock(swap_mu_);
  impl_->Drain(budget);
}

bool AlertDispatcher::Idle() const {
  std::shared_lock lock(swap_mu_);
  return impl_->Idle();
}

DispatcherCounters AlertDispatcher::Counters() const {
  std::shared_lock lock(swap_mu_);
  return impl_->Counters();
}

}  // namespace bw::output
