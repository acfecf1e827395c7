#include "sensor/output/metrics/metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "sensor/output/metrics/snapshot_builder.h"

namespace bw::metrics {
namespace {

int Connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

void SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// Reads until the peer closes (or the receive timeout).
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string Request(uint16_t port, const std::string& request) {
  int fd = Connect(port);
  if (fd < 0) return "";
  SendAll(fd, request);
  std::string out = ReadAll(fd);
  close(fd);
  return out;
}

std::string Get(uint16_t port, const std::string& path) {
  return Request(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

// The server closes a connection before the handler that counts why runs: poll for the count.
template <typename Predicate>
bool WaitFor(Predicate done) {
  for (int i = 0; i < 2000 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

struct Fixture : ::testing::Test {
  std::atomic<uint64_t> packets{0};
  std::atomic<int> state{static_cast<int>(CaptureState::kRunning)};
  std::atomic<int64_t> heartbeat{0};
  std::atomic<int> snapshots{0};

  std::function<SensorSnapshot()> Source() {
    return [this] {
      snapshots.fetch_add(1);
      SensorSnapshot s;
      s.build.version = "test";
      s.capture.packets = packets.load();
      s.capture.state = static_cast<CaptureState>(state.load());
      s.capture.started_steady_ns = heartbeat.load();
      s.capture.heartbeat_steady_ns = heartbeat.load();
      return s;
    };
  }
};

TEST_F(Fixture, ServesMetricsFromAFreshSnapshot) {
  MetricsServer server({"127.0.0.1:0", 30, 5}, Source());
  std::string error;
  ASSERT_TRUE(server.Start(error)) << error;
  ASSERT_NE(server.port(), 0);
  packets = 17;
  std::string r = Get(server.port(), "/metrics");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(r.find("\nbucketwatch_capture_packets_total 17\n"), std::string::npos) << r;
  packets = 18;
  r = Get(server.port(), "/metrics?x=1");
  EXPECT_NE(r.find("\nbucketwatch_capture_packets_total 18\n"), std::string::npos);
  EXPECT_EQ(server.scrapes(), 2u);
}

TEST_F(Fixture, HealthzFollowsTheCapture) {
  heartbeat = SteadyNowNs();
  MetricsServer server({"127.0.0.1:0", 2, 5}, Source());
  std::string error;
  ASSERT_TRUE(server.Start(error)) << error;
  std::string r = Get(server.port(), "/healthz");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("\r\n\r\nok\n"), std::string::npos);
  heartbeat = SteadyNowNs() - int64_t{5} * 1000000000;  // last sign of life 5 s ago
  r = Get(server.port(), "/healthz");
  EXPECT_EQ(r.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("capture stalled"), std::string::npos);
  state = static_cast<int>(CaptureState::kFinished);
  r = Get(server.port(), "/healthz");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  state = static_cast<int>(CaptureState::kStarting);
  r = Get(server.port(), "/healthz");
  EXPECT_EQ(r.rfind("HTTP/1.1 503", 0), 0u) << r;
}

TEST_F(Fixture, OtherPathsAndMethods) {
  MetricsServer server({"127.0.0.1:0", 30, 5}, Source());
  std::string error;
  ASSERT_TRUE(server.Start(error)) << error;
  EXPECT_EQ(Get(server.port(), "/").rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(Get(server.port(), "/metricsx").rfind("HTTP/1.1 404", 0), 0u);
  std::string post = Request(
      server.port(),
      "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab");
  EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0u) << post;
  EXPECT_NE(post.find("Allow: GET, HEAD"), std::string::npos);
  std::string head =
      Request(server.port(), "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  EXPECT_EQ(head.find("bucketwatch_"), std::string::npos);  // no body
  EXPECT_EQ(head.find("Content-Length: 0\r\n"), std::string::npos);
  EXPECT_NE(head.find("Content-Length: "), std::string::npos);
}

TEST_F(Fixture, KeepAliveServesSeveralRequestsOnOneConnection) {
  MetricsServer server({"127.0.0.1:0", 30, 5}, Source());
  std::string error;
  ASSERT_TRUE(server.Start(error)) << error;
  std::string r = Request(server.port(),
                          "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  size_t first = r.find("HTTP/1.1 ");
  size_t second = r.find("HTTP/1.1 ", first + 1);
  EXPECT_NE(second, std::string::npos) << r;
  EXPECT_NE(r.find("bucketwatch_capture_packets_total"), std::string::npos);
}

TEST_F(Fixture, OversizedHeadIsRefused) {
  MetricsServer server({"127.0.0.1:0", 30, 5}, Source());
  std::string error;
  ASSERT_TRUE(server.Start(error)) << error;
  std::string r = Request(server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " +
                                             std::string(64 * 1024, 'a') + "\r\n\r\n");
  EXPECT_EQ(r.find("200 OK"), std::string::npos);
  EXPECT_EQ(server.scrapes(), 0u);
  // The server is still fine afterwards.
  EXPECT_EQ(Get(server.port(), "/metrics").rfind("HTTP/1.1 200", 0), 0u);
}

TEST_F(Fixture, IdleConnectionsAreClosedAtTheHeadDeadline) {
  MetricsServerOptions o{"127.0.0.1:0", 30, 10};
  o.head_timeout_ms = 500;
  MetricsServer server(o, Source());
  std::string error;
  ASSERT_TRUE(server.Start(error)) << error;
  std::vector<int> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(Connect(server.port()));
  // recv returns 0 when the server closes, well before the 5 s receive timeout.
  auto start = std::chrono::steady_clock::now();
  for (int fd : idle) {
    EXPECT_EQ(ReadAll(fd), "");
    close(fd);
  }
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(400));
  EXPECT_LT(waited, std::chrono::seconds(3));
  EXPECT_TRUE(WaitFor([&] { return server.counters().timed_out == 3u; }))
      << server.counters().timed_out;
  EXPECT_EQ(Get(server.port(), "/metrics").rfind("HTTP/1.1 200", 0), 0u);
}

// Slowloris: a byte of the head every 100 ms keeps the connection busy but not alive; the
// deadline counts from the start of the head.
TEST_F(Fixture, ADrippedHeadDoesNotExtendTheDeadline) {
  MetricsServerOptions o{"127.0.0.1:0", 30, 10};
  o.head_timeout_ms = 1000;
  MetricsServer server(o, Source());
  std::string error;
  ASSERT_TRUE(server.Start(error)) << error;
  int fd = Connect(server.port());
  ASSERT_GE(fd, 0);
  const std::string head = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(100, 'a');
  auto start = std::chrono::steady_clock::now();
  bool closed = false;
  for (size_t i = 0; i < head.size() && !closed; ++i) {
    if (send(fd, &head[i], 1, MSG_NOSIGNAL) != 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    char c;
    closed = recv(fd, &c, 1, MSG_DONTWAIT) == 0;
  }
  auto dripped = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(closed);
  EXPECT_GE(dripped, std::chrono::milliseconds(900));
  EXPECT_LT(dripped, std::chrono::milliseconds(2500));
  close(fd);
  EXPECT_TRUE(WaitFor([&] { return server.counters().timed_out == 1u; }))
      << server.counters().timed_out;
  EXPECT_EQ(server.scrapes(), 0u);
}

// A full server makes room for a new connection by closing the one that waited longest for its
// request, so idle connections cannot lock scrapes out.
TEST_F(Fixture, AFullServerEvictsTheOldestWaitingConnection) {
  MetricsServerOptions o{"127.0.0.1:0", 30, 30};
  o.max_connections = 16;
  MetricsServer server(o, Source());
  std::string error;
  ASSERT_TRUE(server.Start(error)) << error;
  std::vector<int> idle;
  for (int i = 0; i < o.max_connections; ++i) {
    idle.push_back(Connect(server.port()));
    // Accepted in order, so the first is the oldest.
    for (int tries = 0; tries < 200 && server.counters().connections < idle.size(); ++tries) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ASSERT_EQ(server.counters().connections, static_cast<uint64_t>(o.max_connections));
  std::string r = Get(server.port(), "/metrics");
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  EXPECT_NE(r.find("\nbucketwatch_metrics_connections_dropped_total{reason=\"evicted\"} 1\n"),
            std::string::npos)
      << r;
  // Closed by the server: recv returns 0 at once, not at the 5 s receive timeout.
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ReadAll(idle.front()), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  char c;
  for (size_t i = 1; i < idle.size(); ++i) {
    EXPECT_EQ(recv(idle[i], &c, 1, MSG_DONTWAIT), -1) << i;  // still open, nothing to read
  }
  for (int fd : idle) close(fd);
  MetricsServerSnapshot m = server.counters();
  EXPECT_EQ(m.evicted, 1u);
  EXPECT_EQ(m.refused, 0u);
  EXPECT_EQ(m.accept_errors, 0u);
}

TEST(MetricsServer, StartErrors) {
  auto source = [] { return SensorSnapshot{}; };
  std::string error;
  MetricsServer bad({"localhost:9580", 30, 5}, source);
  EXPECT_FALSE(bad.Start(error));
  EXPECT_NE(error.find("not an IP address"), std::string::npos) << error;
  MetricsServer first({"127.0.0.1:0", 30, 5}, source);
  ASSERT_TRUE(first.Start(error)) << error;
  MetricsServer second({"127.0.0.1:" + std::to_string(first.port()), 30, 5}, source);
  EXPECT_FALSE(second.Start(error));
  EXPECT_NE(error.find("cannot listen on"), std::string::npos) << error;
  second.Stop();  // harmless without a thread
  first.Stop();
  first.Stop();  // idempotent
}

TEST(MetricsServer, ParseListenAddress) {
  std::string host, error;
  uint16_t port = 0;
  EXPECT_TRUE(ParseListenAddress("127.0.0.1:9580", host, port, error));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 9580);
  EXPECT_TRUE(ParseListenAddress("[::1]:80", host, port, error));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 80);
  for (const char* bad : {"", "9580", ":9580", "127.0.0.1:", "127.0.0.1:65536", "::1:80", "[::1]80",
                          "[::1]:x", "host:80", "127.0.0.1:80x"}) {
    EXPECT_FALSE(ParseListenAddress(bad, host, port, error)) << bad;
  }
}

TEST(MetricsServer, ServesOverIpv6Loopback) {
  MetricsServer server({"[::1]:0", 30, 5}, [] { return SensorSnapshot{}; });
  std::string error;
  if (!server.Start(error)) GTEST_SKIP() << "no IPv6 loopback here: " << error;
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_port = htons(server.port());
  addr.sin6_addr = in6addr_loopback;
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  SendAll(fd, "GET /metrics HTTP/1.0\r\n\r\n");
  std::string r = ReadAll(fd);
  close(fd);
  EXPECT_EQ(r.rfind("HTTP/1.0 200", 0), 0u) << r;
}

}  // namespace
}  // namespace bw::metrics
