#include "sensor/pipeline/output_stage.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "sensor/config/config.h"

namespace bw::pipeline {
namespace {

namespace fs = std::filesystem;

OutputRecord Flow(TimestampNs stamp, const std::string& name) {
  output::FlowRecord r;
  r.community_id = name;
  r.end_reason = "closed";
  return OutputRecord{stamp, std::move(r)};
}

std::vector<std::string> Names(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto at = line.find("\"community_id\":\"");
    if (at == std::string::npos) continue;
    at += 16;
    out.push_back(line.substr(at, line.find('"', at) - at));
  }
  return out;
}

// Polls `done` for up to two seconds: the stage runs on its own thread.
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 200; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

class OutputStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bw-output-stage-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::string error;
    ASSERT_TRUE(flow_log_.Open(dir_ + "/flows.jsonl", error)) << error;
    output::LedgerFileOptions lo;
    lo.hash_chain = false;
    lo.compress = false;
    ASSERT_TRUE(ledger_.Open(dir_ + "/ledger.jsonl", lo, error)) << error;
    detection_ = config::LoadConfigText("", {}).config.detection;
    // One alert per anonymous request below (anonymous_read), not a second for the bucket's
    // first exposure: these tests are about how alerts leave the stage.
    detection_.new_public_exposure.enabled = false;
  }
  void TearDown() override {
    ledger_.Close();
    fs::remove_all(dir_);
  }

  std::unique_ptr<OutputStage> Stage(size_t workers, size_t capacity = 64) {
    OutputStageOptions o;
    o.workers = workers;
    o.queue_capacity = capacity;
    OutputTargets t;
    t.flow_log = &flow_log_;
    t.ledger = &ledger_;
    return std::make_unique<OutputStage>(o, detection_, t);
  }
  std::vector<std::string> Flows() {
    flow_log_.Flush();
    return Names(dir_ + "/flows.jsonl");
  }

  std::string dir_;
  output::LineWriter flow_log_;
  output::LedgerFile ledger_;
  config::DetectionConfig detection_;
};

TEST(OutputQueue, DropsWhenFullOnlyInDropMode) {
  Doorbell bell;
  OutputQueue drop(2, OutputQueue::WhenFull::kDrop, bell);
  EXPECT_TRUE(drop.Push(Flow(1, "a")));
  EXPECT_TRUE(drop.Push(Flow(2, "b")));
  EXPECT_FALSE(drop.Push(Flow(3, "c")));
  EXPECT_EQ(drop.counters().dropped.load(), 1u);
  EXPECT_EQ(drop.size(), 2u);
  ASSERT_NE(drop.Front(), nullptr);
  EXPECT_EQ(drop.Front()->stamp, 1);
  drop.Pop();
  EXPECT_TRUE(drop.Push(Flow(4, "d")));
  EXPECT_EQ(drop.Front()->stamp, 2);
}

TEST(OutputQueue, WaitModeBlocksUntilTheConsumerMakesRoom) {
  Doorbell bell;
  OutputQueue q(1, OutputQueue::WhenFull::kWait, bell);
  ASSERT_TRUE(q.Push(Flow(1, "a")));
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    q.Push(Flow(2, "b"));
    pushed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(pushed.load());  // still waiting: nothing was lost, nothing overwritten
  q.Pop();
  producer.join();
  EXPECT_TRUE(pushed.load());
  EXPECT_EQ(q.counters().waits.load(), 1u);
  EXPECT_EQ(q.counters().dropped.load(), 0u);
  ASSERT_NE(q.Front(), nullptr);
  EXPECT_EQ(q.Front()->stamp, 2);
}

TEST(OutputQueue, WatermarkOnlyMovesForward) {
  Doorbell bell;
  OutputQueue q(4, OutputQueue::WhenFull::kWait, bell);
  q.Advance(10);
  q.Advance(5);
  EXPECT_EQ(q.watermark(), 10);
}

// The merge: in stamp order across queues, and a record waits until every other worker's
// watermark has reached it, however the threads were scheduled.
TEST_F(OutputStageTest, MergesInStampOrderAndWaitsForWatermarks) {
  auto stage = Stage(2);
  stage->Start();
  stage->queue(0).Push(Flow(30, "w0-30"));
  stage->queue(0).Push(Flow(50, "w0-50"));
  stage->queue(0).Advance(50);
  stage->queue(1).Advance(20);  // worker 1 may still hand something stamped 20..
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_TRUE(Flows().empty());
  stage->queue(1).Push(Flow(40, "w1-40"));
  stage->queue(1).Advance(45);  // w0-30 and w1-40 may go; w0-50 waits for 50
  ASSERT_TRUE(Eventually([&] { return Flows().size() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(Flows(), (std::vector<std::string>{"w0-30", "w1-40"}));
  stage->queue(1).Push(Flow(50, "w1-50"));  // a tie: the lower worker goes first
  stage->queue(1).Advance(OutputQueue::kForever);
  stage->queue(0).Advance(OutputQueue::kForever);
  stage->Finish(60);
  EXPECT_EQ(Flows(), (std::vector<std::string>{"w0-30", "w1-40", "w0-50", "w1-50"}));
  EXPECT_EQ(stage->counters().flow_records.load(), 4u);
}

decode::IpAddress Ip(const std::string& text) {
  decode::IpAddress a;
  EXPECT_TRUE(decode::IpAddress::Parse(text, a)) << text;
  return a;
}

event::StorageRequest Request(const std::string& server, TimestampNs ts, storage::RecognisedBy by) {
  event::StorageRequest r;
  r.ctx.start_ts = r.ctx.end_ts = ts;
  r.ctx.client_ip = Ip("192.0.2.1");
  r.ctx.server_ip = Ip(server);
  r.ctx.server_port = 4568;
  r.ctx.method = "GET";
  r.ctx.status = 200;
  r.event.provider = storage::Provider::kS3Compatible;
  r.event.recognised_by = by;
  r.event.bucket = "b";
  r.event.key = "k";
  r.event.operation = storage::Operation::kGetObject;
  r.event.kind = storage::OperationKind::kRead;
  r.event.auth_class = storage::AuthClass::kSigned;
  r.event.outcome = storage::Outcome::kSuccess;
  return r;
}

event::KnownServerCandidate Candidate(const std::string& server, TimestampNs ts) {
  event::StorageRequest r = Request(server, ts, storage::RecognisedBy::kKnownServer);
  event::KnownServerCandidate c;
  c.ctx = r.ctx;
  c.as.assign(event::KnownServerCandidate::kFamilies, r.event);
  return c;
}

size_t Lines(const std::string& path) {
  std::ifstream in(path);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

// A server learned on one worker makes another worker's unnamed requests to it storage, from
// the learning request on in packet time, whichever thread got there first.
TEST_F(OutputStageTest, CandidatesAreDecidedInPacketTimeOrder) {
  auto stage = Stage(2);
  // Pushed before the stage runs, in the "wrong" order: worker 1's candidates wait in its queue
  // while worker 0 has not yet handed over the request that teaches the server.
  stage->queue(1).Push(OutputRecord{5, Candidate("198.51.100.7", 5)});    // before it is known
  stage->queue(1).Push(OutputRecord{20, Candidate("198.51.100.7", 20)});  // after
  stage->queue(1).Push(OutputRecord{21, Candidate("198.51.100.8", 21)});  // another server
  stage->queue(0).Push(
      OutputRecord{10, Request("198.51.100.7", 10, storage::RecognisedBy::kFingerprint)});
  for (size_t i = 0; i < 2; ++i) stage->queue(i).Advance(OutputQueue::kForever);
  stage->Start();
  stage->Finish(30);
  ledger_.Close();
  EXPECT_EQ(Lines(dir_ + "/ledger.jsonl"), 2u);  // the fingerprinted one and the candidate at 20
  EXPECT_EQ(stage->counters().candidates.load(), 3u);
  EXPECT_EQ(stage->counters().candidates_storage.load(), 1u);
  EXPECT_EQ(stage->counters().storage_requests.load(), 2u);
  EXPECT_EQ(stage->known_servers(), 1u);
}

event::HttpLogEntry Entry(const std::string& server, TimestampNs ts,
                          event::HttpLogEntry::Storage storage, const std::string& target) {
  event::HttpLogEntry e;
  e.ts = e.decide_ts = ts;
  e.client_ip = Ip("192.0.2.1");
  e.server_ip = Ip(server);
  e.server_port = 4568;
  e.method = "GET";
  e.target = target;
  e.storage = storage;
  return e;
}

std::vector<std::string> Read(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// An HTTP-log entry says whether its request reached the ledger. For a candidate that is the
// decision the candidate got, even when another worker taught the server in between (a second
// look-up would then say storage for a request the ledger does not have).
TEST_F(OutputStageTest, HttpLogEntriesTakeTheirCandidatesDecision) {
  output::LineWriter http_log;
  std::string error;
  ASSERT_TRUE(http_log.Open(dir_ + "/http.jsonl", error)) << error;
  OutputStageOptions o;
  o.workers = 2;
  OutputTargets t;
  t.ledger = &ledger_;
  t.http_log = &http_log;
  auto stage = std::make_unique<OutputStage>(o, detection_, t);
  using S = event::HttpLogEntry::Storage;
  // Worker 1: a request to .8 before anything knows it, its entry handed on later.
  stage->queue(1).Push(OutputRecord{15, Candidate("198.51.100.8", 15)});
  stage->queue(1).Push(OutputRecord{25, Entry("198.51.100.8", 15, S::kCandidate, "/early")});
  // Worker 0: the request that teaches .8, merged between the two; then one after it.
  stage->queue(0).Push(
      OutputRecord{20, Request("198.51.100.8", 20, storage::RecognisedBy::kFingerprint)});
  stage->queue(0).Push(OutputRecord{20, Entry("198.51.100.8", 20, S::kYes, "/teach")});
  stage->queue(0).Push(OutputRecord{30, Candidate("198.51.100.8", 30)});
  stage->queue(0).Push(OutputRecord{30, Entry("198.51.100.8", 30, S::kCandidate, "/late")});
  stage->queue(0).Push(OutputRecord{31, Entry("198.51.100.9", 31, S::kNo, "/web")});
  for (size_t i = 0; i < 2; ++i) stage->queue(i).Advance(OutputQueue::kForever);
  stage->Start();
  stage->Finish(40);
  http_log.Flush();
  ledger_.Close();
  std::vector<std::string> lines = Read(dir_ + "/http.jsonl");
  ASSERT_EQ(lines.size(), 4u);
  auto storage_of = [&](const std::string& target) {
    for (const auto& l : lines) {
      if (l.find("\"original\":\"" + target + "\"") != std::string::npos) {
        return l.find("\"storage\":true") != std::string::npos ? 1 : 0;
      }
    }
    return -1;
  };
  EXPECT_EQ(storage_of("/teach"), 1);
  EXPECT_EQ(storage_of("/early"), 0);  // its candidate was decided before .8 was known
  EXPECT_EQ(storage_of("/late"), 1);
  EXPECT_EQ(storage_of("/web"), 0);
  EXPECT_EQ(Lines(dir_ + "/ledger.jsonl"), 2u);  // /teach and /late
  EXPECT_EQ(stage->counters().http_log_records.load(), 4u);
}

// Issue 18 item 6: an alert went to the --alerts file before its spool record was committed; a
// SIGKILL in between left it in the file but never delivered. Here the alerts file is a FIFO the
// test filled, so the stage stops on that write: what the spool holds then is what a SIGKILL at
// that moment would leave for the next start.
TEST_F(OutputStageTest, AlertIsSpooledBeforeItIsWrittenToTheAlertsFile) {
  // The delivery thread logs; spdlog's registry (in an uninstrumented library) must be built
  // before it starts, or ThreadSanitizer cannot see that construction ordered before our reads.
  spdlog::default_logger_raw();
  const std::string fifo = dir_ + "/alerts.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  const int filler = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(filler, 0);
  const std::string junk(4096, 'x');
  size_t filled = 0;
  for (int i = 0; i < 1024 && ::write(filler, junk.data(), junk.size()) > 0; ++i) {
    filled += junk.size();
  }
  ASSERT_GT(filled, 0u);
  output::LineWriter alerts;
  std::string error;
  ASSERT_TRUE(alerts.Open(fifo, error)) << error;

  config::AlertingConfig ac;
  ac.spool_dir = dir_ + "/spool";
  config::SinkConfig sink;
  sink.name = "down";
  sink.url = "http://127.0.0.1:1/";  // refused: the alert stays spooled
  sink.initial_backoff_ms = 60000;
  sink.max_backoff_ms = 60000;
  ac.sinks.push_back(sink);
  output::AlertDispatcher dispatcher(ac);
  ASSERT_TRUE(dispatcher.Start(error)) << error;

  OutputStageOptions o;
  OutputTargets t;
  t.ledger = &ledger_;
  t.alerts = &alerts;
  t.dispatcher = &dispatcher;
  auto stage = std::make_unique<OutputStage>(o, detection_, t);
  stage->Start();
  event::StorageRequest anonymous =
      Request("198.51.100.7", 10 * kNsPerSecond, storage::RecognisedBy::kName);
  anonymous.event.auth_class = storage::AuthClass::kAnonymous;  // anonymous_read fires
  stage->queue(0).Push(OutputRecord{10 * kNsPerSecond, std::move(anonymous)});
  stage->queue(0).Advance(10 * kNsPerSecond);
  auto spooled = [&] {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(ac.spool_dir)) {
      n += e.path().extension() == ".alert";
    }
    return n;
  };
  EXPECT_TRUE(Eventually([&] { return spooled() == 1; }));
  EXPECT_EQ(dispatcher.Counters().spool.alerts, 1u);
  // Let the stage finish its write; the alert follows the filler in the FIFO.
  std::string seen;
  char buf[65536];
  EXPECT_TRUE(Eventually([&] {
    ssize_t n;
    while ((n = ::read(reader, buf, sizeof buf)) > 0) seen.append(buf, static_cast<size_t>(n));
    return seen.find("anonymous_read") != std::string::npos;
  }));
  EXPECT_EQ(seen.size() > filled ? seen.substr(0, filled) : std::string(),
            std::string(filled, 'x'));
  stage->queue(0).Advance(OutputQueue::kForever);
  stage->Finish(20 * kNsPerSecond);
  EXPECT_EQ(stage->counters().alerts_raised.load(), 1u);
  dispatcher.Drain(std::chrono::milliseconds(0));
  ::close(filler);
  ::close(reader);
}

}  // namespace
}  // namespace bw::pipeline
