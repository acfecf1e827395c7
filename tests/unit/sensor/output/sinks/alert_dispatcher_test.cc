#include "sensor/output/sinks/alert_dispatcher.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "sensor/output/sinks/payload.h"
#include "tests/unit/sensor/output/sinks/http_receiver.h"
#include "tests/unit/sensor/output/sinks/test_alert.h"

namespace bw::output {
namespace {

namespace fs = std::filesystem;

// spdlog's registry is a function-local static inside the uninstrumented libspdlog: when a
// sink's thread logs first and creates it, ThreadSanitizer cannot see the guard and reports the
// main thread's later log as a race. The sensor configures logging on its main thread before
// any other starts; so does this test binary, at static initialisation.
const auto kLoggerBeforeThreads = spdlog::default_logger();
using sinks::testing::HttpReceiver;
using std::chrono::milliseconds;

std::string AlertN(int n, const std::string& severity = "high") {
  auto j = nlohmann::json::parse(sinks::testing::SampleAlertJson(severity));
  j["dedup_key"] = "k" + std::to_string(n);
  return j.dump();
}

// The dedup keys of every alert received, request by request (Alertmanager: each array's).
std::vector<std::string> Keys(const std::vector<sinks::testing::Received>& got) {
  std::vector<std::string> keys;
  for (const auto& r : got) {
    auto j = nlohmann::json::parse(r.body);
    if (j.is_array()) {
      for (const auto& a : j) keys.push_back(a["annotations"]["dedup_key"]);
    } else {
      keys.push_back(j["dedup_key"]);
    }
  }
  return keys;
}

template <typename Pred>
bool WaitFor(Pred pred, milliseconds limit = milliseconds(15000)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return pred();
}

uint16_t FreePort() {
  HttpReceiver probe(0);
  return probe.port();  // closed again when probe goes
}

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bw-dispatch-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    cfg_.spool_dir = root_ + "/spool";
  }
  void TearDown() override { fs::remove_all(root_); }

  config::SinkConfig Sink(const std::string& name, const std::string& type, uint16_t port) {
    config::SinkConfig s;
    s.name = name;
    s.type = type;
    s.url = "http://127.0.0.1:" + std::to_string(port) + (type == "webhook" ? "/hook" : "");
    s.initial_backoff_ms = 20;
    s.max_backoff_ms = 100;
    s.timeout_ms = 2000;
    return s;
  }
  size_t SpoolFiles() const {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(cfg_.spool_dir)) n += e.is_regular_file();
    return n;
  }

  std::string root_;
  config::AlertingConfig cfg_;
};

TEST_F(DispatcherTest, DeliversToEverySinkAndEmptiesTheSpool) {
  HttpReceiver hook(0), am(0);
  cfg_.sinks = {Sink("hook", "webhook", hook.port()), Sink("am", "alertmanager", am.port())};
  cfg_.sinks[0].hmac_key = "key";
  AlertDispatcher d(cfg_);
  std::string error;
  ASSERT_TRUE(d.Start(error)) << error;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(d.SubmitJson(AlertN(i)));
  EXPECT_FALSE(d.SubmitJson("not json"));
  EXPECT_FALSE(d.SubmitJson("[1,2]"));
  ASSERT_TRUE(WaitFor([&] { return d.Idle(); }));
  d.Drain(milliseconds(1000));

  auto got = hook.received();
  ASSERT_EQ(got.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(got[static_cast<size_t>(i)].body, AlertN(i));  // in order
    EXPECT_EQ(got[static_cast<size_t>(i)].target, "/hook");
    std::string sig;
    for (const auto& [k, v] : got[static_cast<size_t>(i)].headers) {
      if (k == "X-Bucketwatch-Signature") sig = v;
    }
    EXPECT_EQ(sig, "sha256=" + sinks::HmacSha256Hex("key", AlertN(i)));
  }
  auto am_got = am.received();
  ASSERT_GE(am_got.size(), 1u);
  EXPECT_EQ(Keys(am_got), (std::vector<std::string>{"k0", "k1", "k2", "k3", "k4"}));
  EXPECT_EQ(am_got[0].target, "/api/v2/alerts");
  EXPECT_EQ(nlohmann::json::parse(am_got[0].body)[0]["labels"]["alertname"], "anonymous_list");

  auto c = d.Counters();
  EXPECT_EQ(c.submitted, 5u);
  EXPECT_EQ(c.rejected, 2u);
  ASSERT_EQ(c.sinks.size(), 2u);
  EXPECT_EQ(c.sinks[0].delivered, 5u);
  EXPECT_EQ(c.sinks[1].delivered, 5u);
  EXPECT_EQ(c.spool.alerts, 0u);
  EXPECT_EQ(SpoolFiles(), 0u);
}

TEST_F(DispatcherTest, ReceiverDownThenUpGetsEveryAlert) {
  uint16_t port = FreePort();
  cfg_.sinks = {Sink("hook", "webhook", port)};
  AlertDispatcher d(cfg_);
  std::string error;
  ASSERT_TRUE(d.Start(error)) << error;
  for (int i = 0; i < 10; ++i) d.SubmitJson(AlertN(i));
  ASSERT_TRUE(WaitFor([&] { return d.Counters().sinks[0].failed_attempts >= 3; }));
  EXPECT_EQ(d.Counters().spool.alerts, 10u);
  HttpReceiver hook(port);
  ASSERT_TRUE(WaitFor([&] { return d.Idle(); }));
  auto got = hook.received();
  ASSERT_EQ(got.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(got[static_cast<size_t>(i)].body, AlertN(i));
  auto c = d.Counters();
  EXPECT_GE(c.sinks[0].retries, 3u);
  EXPECT_EQ(c.sinks[0].delivered, 10u);
}

TEST_F(DispatcherTest, SpooledAlertsAreDeliveredFirstAfterRestart) {
  uint16_t port = FreePort();
  cfg_.sinks = {Sink("hook", "webhook", port)};
  {
    AlertDispatcher d(cfg_);
    std::string error;
    ASSERT_TRUE(d.Start(error));
    for (int i = 0; i < 4; ++i) d.SubmitJson(AlertN(i));
    d.Drain(milliseconds(100));  // nobody listening: everything stays spooled
  }
  EXPECT_EQ(SpoolFiles(), 4u);
  HttpReceiver hook(port);
  AlertDispatcher d(cfg_);
  std::string error;
  ASSERT_TRUE(d.Start(error));
  d.SubmitJson(AlertN(4, "medium"));  // not urgent: behind the spooled ones
  ASSERT_TRUE(WaitFor([&] { return d.Idle(); }));
  auto got = hook.received();
  ASSERT_EQ(got.size(), 5u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(got[static_cast<size_t>(i)].body, AlertN(i));
  EXPECT_EQ(got[4].body, AlertN(4, "medium"));
}

TEST_F(DispatcherTest, FailingReceiverNeverBlocksSubmitAndSpoolStaysBounded) {
  HttpReceiver hook(0, [] { return 500u; });
  cfg_.sinks = {Sink("hook", "webhook", hook.port())};
  cfg_.sinks[0].queue_capacity = 8;
  cfg_.spool_max_alerts = 50;
  AlertDispatcher d(cfg_);
  std::string error;
  ASSERT_TRUE(d.Start(error));
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 300; ++i) d.SubmitJson(AlertN(i));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(20));  // disk-bound only (300 fsyncs), never network-bound
  ASSERT_TRUE(WaitFor([&] { return hook.requests() >= 3; }));
  auto c = d.Counters();
  EXPECT_EQ(c.spool.alerts, 50u);
  EXPECT_EQ(c.spool.evicted, 250u);
  EXPECT_LE(c.sinks[0].queue_depth, 2 * 8u);  // the urgent lane and the queue
  EXPECT_GT(c.sinks[0].dropped_from_memory, 0u);
  EXPECT_GE(c.sinks[0].failed_attempts, 3u);
  EXPECT_EQ(c.sinks[0].delivered, 0u);
  EXPECT_EQ(c.sinks[0].last_status, 500u);
  EXPECT_EQ(SpoolFiles(), 50u);
  d.Drain(milliseconds(50));
}

TEST_F(DispatcherTest, QueueOverflowIsReadBackFromTheSpoolInOrder) {
  uint16_t port = FreePort();
  cfg_.sinks = {Sink("hook", "webhook", port)};
  cfg_.sinks[0].queue_capacity = 3;
  AlertDispatcher d(cfg_);
  std::string error;
  ASSERT_TRUE(d.Start(error));
  for (int i = 0; i < 20; ++i) d.SubmitJson(AlertN(i));
  EXPECT_GT(d.Counters().sinks[0].dropped_from_memory, 0u);
  HttpReceiver hook(port);
  ASSERT_TRUE(WaitFor([&] { return d.Idle(); }));
  auto got = hook.received();
  ASSERT_EQ(got.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(got[static_cast<size_t>(i)].body, AlertN(i));
}

// Issue 17: one connection per alert held a sink to ~32 alerts/s.
TEST_F(DispatcherTest, KeepAliveDeliversManyAlertsOverOneConnection) {
  HttpReceiver hook(0);
  cfg_.sinks = {Sink("hook", "webhook", hook.port())};
  AlertDispatcher d(cfg_);
  std::string error;
  ASSERT_TRUE(d.Start(error)) << error;
  for (int i = 0; i < 60; ++i) d.SubmitJson(AlertN(i));
  ASSERT_TRUE(WaitFor([&] { return d.Idle(); }));
  auto got = hook.received();
  ASSERT_EQ(got.size(), 60u);
  for (int i = 0; i < 60; ++i) EXPECT_EQ(got[static_cast<size_t>(i)].body, AlertN(i));
  EXPECT_EQ(hook.connections(), 1u);
  EXPECT_EQ(d.Counters().sinks[0].connections, 1u);
  EXPECT_EQ(d.Counters().sinks[0].requests, 60u);
}

// A receiver that closes connections behind the sink's back, after a few requests or when they
// sit idle, without saying so: the next request goes on a new connection, or is sent again at
// once when it met the close; nothing is lost, nothing delivered twice.
TEST_F(DispatcherTest, ReceiverClosingConnectionsLosesNothing) {
  for (bool idle : {false, true}) {
    sinks::testing::ReceiverOptions options;
    options.announce_close = false;
    if (idle) {
      options.idle_close = milliseconds(30);
    } else {
      options.requests_per_connection = 3;
    }
    HttpReceiver hook(
        0, [] { return 200u; }, nullptr, options);
    cfg_.sinks = {Sink("hook", "webhook", hook.port())};
    fs::remove_all(cfg_.spool_dir);
    AlertDispatcher d(cfg_);
    std::string error;
    ASSERT_TRUE(d.Start(error)) << error;
    const int n = idle ? 8 : 40;
    for (int i = 0; i < n; ++i) {
      d.SubmitJson(AlertN(i));
      // Idle: each alert finds its connection closed (or closing) by the receiver.
      if (idle) std::this_thread::sleep_for(milliseconds(30 + 5 * (i % 3)));
    }
    ASSERT_TRUE(WaitFor([&] { return d.Idle(); })) << idle;
    std::vector<std::string> want;
    for (int i = 0; i < n; ++i) want.push_back("k" + std::to_string(i));
    EXPECT_EQ(Keys(hook.received()), want) << idle;
    EXPECT_GE(hook.connections(), idle ? 2u : static_cast<size_t>(n / 3)) << idle;
    EXPECT_EQ(d.Counters().sinks[0].failed_attempts, 0u) << idle;
    d.Drain(milliseconds(100));
  }
}

// Alertmanager's v2 API takes an array: a backlog goes 64 alerts a request, each alert once.
TEST_F(DispatcherTest, AlertmanagerBacklogGoesInArrays) {
  uint16_t port = FreePort();
  cfg_.sinks = {Sink("am", "alertmanager", port)};
  cfg_.sinks[0].queue_capacity = 100;  // most of the backlog overflows into the spool
  AlertDispatcher d(cfg_);
  std::string error;
  ASSERT_TRUE(d.Start(error)) << error;
  std::vector<std::string> batch;
  for (int i = 0; i < 300; ++i) batch.push_back(AlertN(i, "medium"));
  ASSERT_EQ(d.SubmitBatch(batch), 300u);
  ASSERT_TRUE(WaitFor([&] { return d.Counters().sinks[0].failed_attempts >= 1; }));
  HttpReceiver am(port);
  ASSERT_TRUE(WaitFor([&] { return d.Idle(); }));
  auto got = am.received();
  std::vector<std::string> want;
  for (int i = 0; i < 300; ++i) want.push_back("k" + std::to_string(i));
  EXPECT_EQ(Keys(got), want);
  // 300 alerts in 64s, however the queue and the spool split them.
  EXPECT_LE(got.size(), 12u);
  size_t largest = 0;
  for (const auto& r : got) largest = std::max(largest, nlohmann::json::parse(r.body).size());
  EXPECT_EQ(largest, 64u);
  EXPECT_EQ(d.Counters().sinks[0].delivered, 300u);
  EXPECT_EQ(d.Counters().sinks[0].requests, got.size());
}

// Issue 17: a new high alert waited 15.7 s behind a backlog. It goes first, even when the
// backlog overflowed the queue into the spool; the backlog follows, in order, each once.
TEST_F(DispatcherTest, UrgentAlertOvertakesBacklogInQueueAndSpool) {
  for (std::string type : {"webhook", "alertmanager"}) {
    uint16_t port = FreePort();
    cfg_.sinks = {Sink("s", type, port)};
    cfg_.sinks[0].queue_capacity = 20;
    fs::remove_all(cfg_.spool_dir);
    AlertDispatcher d(cfg_);
    std::string error;
    ASSERT_TRUE(d.Start(error)) << error;
    std::vector<std::string> backlog;
    for (int i = 0; i < 200; ++i) backlog.push_back(AlertN(i, i % 2 ? "medium" : "low"));
    d.SubmitBatch(backlog);
    ASSERT_TRUE(WaitFor([&] { return d.Counters().sinks[0].failed_attempts >= 1; }));
    d.SubmitJson(AlertN(1000, "critical"));
    // Up only once an attempt began after the submit (one may have been in flight before it).
    const uint64_t failed = d.Counters().sinks[0].failed_attempts;
    ASSERT_TRUE(WaitFor([&] { return d.Counters().sinks[0].failed_attempts >= failed + 2; }));
    HttpReceiver rx(port);
    ASSERT_TRUE(WaitFor([&] { return d.Idle(); })) << type;
    auto keys = Keys(rx.received());
    ASSERT_EQ(keys.size(), 201u) << type;
    EXPECT_EQ(keys[0], "k1000") << type;
    for (int i = 0; i < 200; ++i)
      EXPECT_EQ(keys[static_cast<size_t>(i) + 1], "k" + std::to_string(i));
    d.Drain(milliseconds(100));
  }
}

// Urgent and ordinary alerts interleaved while the sink delivers and its queue keeps
// overflowing: the refill must neither skip an alert queued out of order nor send one twice.
TEST_F(DispatcherTest, InterleavedSeveritiesWithOverflowDeliverEachOnce) {
  HttpReceiver hook(0);
  cfg_.sinks = {Sink("hook", "webhook", hook.port())};
  cfg_.sinks[0].queue_capacity = 4;
  AlertDispatcher d(cfg_);
  std::string error;
  ASSERT_TRUE(d.Start(error)) << error;
  std::set<std::string> want;
  for (int round = 0; round < 10; ++round) {
    std::vector<std::string> batch;
    for (int i = 0; i < 30; ++i) {
      const int n = round * 30 + i;
      batch.push_back(AlertN(n, n % 3 == 0 ? "high" : (n % 3 == 1 ? "critical" : "medium")));
      want.insert("k" + std::to_string(n));
    }
    d.SubmitBatch(batch);
    std::this_thread::sleep_for(milliseconds(round % 3));
  }
  ASSERT_TRUE(WaitFor([&] { return d.Idle(); }));
  auto keys = Keys(hook.received());
  EXPECT_EQ(keys.size(), want.size());
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()), want);
  EXPECT_GT(d.Counters().sinks[0].dropped_from_memory, 0u);
}

// After a restart the spooled backlog (urgent and not, most of it beyond the queue) is all
// delivered, once, and a new urgent alert still goes before it.
TEST_F(DispatcherTest, RestartWithSpooledBacklogDeliversEverything) {
  uint16_t port = FreePort();
  cfg_.sinks = {Sink("hook", "webhook", port), Sink("am", "alertmanager", port)};
  for (auto& s : cfg_.sinks) s.queue_capacity = 16;
  std::vector<std::string> backlog;
  for (int i = 0; i < 150; ++i) backlog.push_back(AlertN(i, i % 4 == 0 ? "high" : "medium"));
  {
    AlertDispatcher d(cfg_);
    std::string error;
    ASSERT_TRUE(d.Start(error));
    d.SubmitBatch(backlog);
    d.Drain(milliseconds(50));  // nobody listening: everything stays spooled
  }
  AlertDispatcher d(cfg_);
  std::string error;
  ASSERT_TRUE(d.Start(error));
  d.SubmitJson(AlertN(500, "critical"));
  // The receiver comes up only once each sink has begun an attempt after the submit: what the
  // sinks sent before it (nothing here) is not the urgent alert's to overtake.
  auto failed = [&](size_t i) { return d.Counters().sinks[i].failed_attempts; };
  const uint64_t hook_failed = failed(0), am_failed = failed(1);
  ASSERT_TRUE(WaitFor([&] { return failed(0) >= hook_failed + 2 && failed(1) >= am_failed + 2; }));
  HttpReceiver rx(port);
  ASSERT_TRUE(WaitFor([&] { return d.Idle(); }));
  std::vector<sinks::testing::Received> hook, am;
  for (auto& r : rx.received()) (r.target == "/hook" ? hook : am).push_back(r);
  for (const auto* got : {&hook, &am}) {
    auto keys = Keys(*got);
    ASSERT_EQ(keys.size(), 151u);
    EXPECT_EQ(keys[0], "k500");
    for (int i = 0; i < 150; ++i)
      EXPECT_EQ(keys[static_cast<size_t>(i) + 1], "k" + std::to_string(i));
  }
  EXPECT_EQ(SpoolFiles(), 0u);
}

TEST_F(DispatcherTest, NoSinksIsANoOp) {
  AlertDispatcher d(cfg_);
  std::string error;
  ASSERT_TRUE(d.Start(error));
  EXPECT_TRUE(d.SubmitJson(AlertN(1)));
  EXPECT_TRUE(d.Idle());
  EXPECT_FALSE(fs::exists(cfg_.spool_dir));
}

// SIGHUP (issue 17 item 3): new sinks take over the spool; what the old ones had not delivered
// is delivered by the new ones; a bad new sink leaves the old ones delivering.
TEST_F(DispatcherTest, ReconfigureSwapsSinksWithoutLosingSpooledAlerts) {
  HttpReceiver a(0), b(0);
  const uint16_t dead = FreePort();
  cfg_.sinks = {Sink("hook", "webhook", a.port())};
  AlertDispatcher d(cfg_);
  std::string error;
  ASSERT_TRUE(d.Start(error)) << error;
  ASSERT_TRUE(d.SubmitJson(AlertN(0)));
  ASSERT_TRUE(WaitFor([&] { return d.Idle(); }));

  // Nobody listens on `dead`: these stay in the spool, undelivered.
  auto down = cfg_;
  down.sinks = {Sink("hook", "webhook", dead)};
  ASSERT_TRUE(d.Reconfigure(down, error)) << error;
  ASSERT_TRUE(d.SubmitJson(AlertN(1)));
  ASSERT_TRUE(d.SubmitJson(AlertN(2)));

  // A sink that cannot be prepared: refused, the running ones stay.
  auto bad = cfg_;
  bad.sinks = {Sink("hook", "webhook", 443)};
  bad.sinks[0].url = "https://127.0.0.1/x";
  bad.sinks[0].ca_file = root_ + "/missing.pem";
  EXPECT_FALSE(d.Reconfigure(bad, error));
  EXPECT_NE(error.find("hook"), std::string::npos) << error;

  // The sink moved to B: B gets the two spooled alerts and the next one; A nothing more.
  auto moved = cfg_;
  moved.sinks = {Sink("hook", "webhook", b.port())};
  ASSERT_TRUE(d.Reconfigure(moved, error)) << error;
  ASSERT_TRUE(d.SubmitJson(AlertN(3)));
  ASSERT_TRUE(WaitFor([&] { return d.Idle(); }));
  d.Drain(milliseconds(1000));
  EXPECT_EQ(Keys(a.received()), (std::vector<std::string>{"k0"}));
  auto to_b = Keys(b.received());  // a new high alert may overtake the backlog: each once
  std::sort(to_b.begin(), to_b.end());
  EXPECT_EQ(to_b, (std::vector<std::string>{"k1", "k2", "k3"}));
  EXPECT_EQ(SpoolFiles(), 0u);
}

TEST_F(DispatcherTest, BadCaFileFailsStart) {
  cfg_.sinks = {Sink("hook", "webhook", 443)};
  cfg_.sinks[0].url = "https://127.0.0.1/x";
  cfg_.sinks[0].ca_file = root_ + "/missing.pem";
  AlertDispatcher d(cfg_);
  std::string error;
  EXPECT_FALSE(d.Start(error));
  EXPECT_NE(error.find("hook"), std::string::npos);
}

}  // namespace
}  // namespace bw::output

#include "sensor/detect/alert.h"

namespace bw::output {
namespace {

TEST_F(DispatcherTest, SubmitAlertSendsItsJson) {
  HttpReceiver hook(0);
  cfg_.sinks = {Sink("hook", "webhook", hook.port())};
  AlertDispatcher d(cfg_);
  std::string error;
  ASSERT_TRUE(d.Start(error)) << error;
  detect::Alert a;
  a.rule = detect::Rule::kAnonymousRead;
  a.severity = detect::Severity::kCritical;
  a.summary = "anonymous GetObject of s3://contracts-2022/a.pdf from 203.0.113.9";
  a.source_ip = "203.0.113.9";
  a.provider = "s3";
  a.bucket = "contracts-2022";
  a.dedup_key = "anonymous_read|s3||contracts-2022";
  d.Submit(a);
  ASSERT_TRUE(WaitFor([&] { return d.Idle(); }));
  auto got = hook.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, a.ToJson());
  auto j = nlohmann::json::parse(got[0].body);
  EXPECT_EQ(sinks::AlertField(j, "storage.bucket"), "contracts-2022");
  EXPECT_EQ(sinks::AlertField(j, "source.ip"), "203.0.113.9");
  EXPECT_EQ(sinks::AlertField(j, "severity"), "critical");
}

}  // namespace
}  // namespace bw::output
