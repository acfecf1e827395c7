// The ledger sink against scripted servers: while ClickHouse takes every INSERT a batch goes
// from memory and never touches the disk queue; a failed INSERT puts its batch on disk, and the
// same rows are sent again after the backoff. The real server, restarts and crashes are the
// tests/clickhouse group's.
#include "sensor/clickhouse/ledger_sink.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "tests/unit/sensor/clickhouse/scripted_server.h"
#include "tests/unit/temp_dir.h"

namespace bw::clickhouse {
namespace {

namespace fs = std::filesystem;
using testing::Reply;
using testing::ScriptedServer;
using testing::Send;

class LedgerSinkTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(root_.path().empty()); }

  LedgerSinkOptions Options(const Endpoint& e) const {
    LedgerSinkOptions o;
    o.endpoint = e;
    o.batch_rows = 2;
    o.queue_dir = root_.path() + "/queue";
    o.timeout = std::chrono::seconds(5);
    o.initial_backoff = std::chrono::milliseconds(20);
    o.max_backoff = std::chrono::milliseconds(40);
    return o;
  }
  size_t QueuedFiles() const {
    std::error_code ec;
    if (!fs::exists(root_.path() + "/queue", ec)) return 0;
    return static_cast<size_t>(
        std::distance(fs::directory_iterator(root_.path() + "/queue"), fs::directory_iterator()));
  }
  static void AddRows(LedgerSink& sink, int n) {
    for (int i = 0; i < n; ++i) {
      event::RequestContext ctx;
      ctx.start_ts = (1700000000 + i) * kNsPerSecond;
      ctx.method = "GET";
      storage::StorageEvent e;
      e.bucket = "b" + std::to_string(i);
      sink.Add(ctx, e, nullptr, std::string(64, static_cast<char>('a' + i)));
    }
  }
  static std::string Body(const std::string& request) {
    return request.substr(request.find("\r\n\r\n") + 4);
  }

  const bw::testing::TempDir root_{"ledger-sink"};
};

TEST_F(LedgerSinkTest, HealthyInsertsNeverTouchTheDisk) {
  std::mutex mu;
  std::vector<size_t> files_seen;  // queue files while each INSERT was on the wire
  std::string bodies;
  ScriptedServer server([&](int, const std::string& request, int fd) {
    {
      std::lock_guard lock(mu);
      files_seen.push_back(QueuedFiles());
      bodies += Body(request);
    }
    Send(fd, Reply("200 OK", ""));
    return true;
  });
  LedgerSink sink(Options(server.endpoint()));
  std::string error;
  ASSERT_TRUE(sink.Start(error)) << error;
  AddRows(sink, 5);
  sink.Flush();
  EXPECT_EQ(sink.Stop(std::chrono::seconds(5)), 0u);
  const LedgerSinkStats s = sink.Stats();
  EXPECT_EQ(s.rows_sent, 5u);
  EXPECT_EQ(s.batches_sent, 3u);
  EXPECT_EQ(s.send_failures, 0u);
  std::lock_guard lock(mu);
  EXPECT_EQ(files_seen, (std::vector<size_t>{0, 0, 0}));
  EXPECT_EQ(std::count(bodies.begin(), bodies.end(), '\n'), 5);
  for (int i = 0; i < 5; ++i) {
    EXPECT_NE(bodies.find("\tb" + std::to_string(i) + "\t"), std::string::npos) << i;
  }
  EXPECT_NE(server.last_request().find("FORMAT%20TabSeparated"), std::string::npos);
}

TEST_F(LedgerSinkTest, AFailedInsertIsQueuedOnDiskAndSentAgain) {
  std::mutex mu;
  std::vector<std::string> bodies;
  std::vector<size_t> files_seen;
  ScriptedServer server([&](int, const std::string& request, int fd) {
    size_t n;
    {
      std::lock_guard lock(mu);
      files_seen.push_back(QueuedFiles());
      bodies.push_back(Body(request));
      n = bodies.size();
    }
    Send(fd, n == 1 ? Reply("500 Internal Server Error",
                            "Code: 241, e.displayText() = "
                            "DB::Exception: Memory limit")
                    : Reply("200 OK", ""));
    return true;
  });
  LedgerSink sink(Options(server.endpoint()));
  std::string error;
  ASSERT_TRUE(sink.Start(error)) << error;
  AddRows(sink, 2);  // one full batch, handed over at once
  EXPECT_EQ(sink.Stop(std::chrono::seconds(5)), 0u);
  const LedgerSinkStats s = sink.Stats();
  EXPECT_EQ(s.send_failures, 1u);
  EXPECT_EQ(s.rows_sent, 2u);
  EXPECT_EQ(s.rows_queued, 0u);
  std::lock_guard lock(mu);
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[1], bodies[0]) << "the same rows, from the disk queue";
  EXPECT_EQ(files_seen, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(QueuedFiles(), 0u);
}

}  // namespace
}  // namespace bw::clickhouse
