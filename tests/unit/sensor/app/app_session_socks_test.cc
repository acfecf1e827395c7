// AppSession with a SOCKS handshake ahead of the protocol: the HTTP behind it reaches the
// ledger, and refused, garbled or gap-cut handshakes are counted and parse nothing.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sensor/app/app_session.h"

namespace bw::app {
namespace {

constexpr Direction kC = Direction::kToServer;
constexpr Direction kS = Direction::kToClient;

class Collect : public EventOutput {
 public:
  void OnStorageRequest(event::StorageRequest&& r) override { requests.push_back(std::move(r)); }
  void OnKnownServerCandidate(event::KnownServerCandidate&&) override { ++candidates; }
  void OnHttpRequest(event::HttpLogEntry&&) override {}
  std::vector<event::StorageRequest> requests;
  int candidates = 0;
};

std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

const std::string kGet =
    "GET /bucket-a/report.pdf HTTP/1.1\r\nHost: storage.corp.internal\r\nUser-Agent: curl\r\n\r\n";
const std::string kOk =
    "HTTP/1.1 200 OK\r\nx-amz-request-id: 4442587FB7D0A2F9\r\nx-amz-id-2: abc\r\n"
    "Content-Length: 5\r\nServer: MinIO\r\n\r\nhello";

struct Fixture {
  AppConfig config;
  AppCounters counters;
  Collect out;
  AppSession session{config, counters, out, FlowIdentity{}};
  void Send(Direction d, const std::string& s, TimestampNs ts) {
    session.OnData(d, AsBytes(s), ts);
  }
  void EndBoth(TimestampNs ts) {
    session.OnEnd(kC, ts);
    session.OnEnd(kS, ts);
    session.Close(ts);
  }
  uint64_t Err(http::HttpError e) const { return counters.http.Get(e); }
};

TEST(AppSessionSocks, HttpBehindSocks5ReachesTheLedger) {
  Fixture f;
  f.Send(kC, B({5, 1, 0}), 1);
  f.Send(kS, B({5, 0}), 2);
  f.Send(kC, B({5, 1, 0, 3, 21}) + "storage.corp.internal" + B({0, 80}) + kGet, 3);
  f.Send(kS, B({5, 0, 0, 1, 10, 0, 0, 9, 0x9c, 0x41}) + kOk, 4);
  f.EndBoth(5);
  EXPECT_EQ(f.session.layer(), AppLayer::kHttp);
  EXPECT_EQ(f.session.socks_target_host(), "storage.corp.internal");
  EXPECT_EQ(f.session.socks_target_port(), 80);
  ASSERT_EQ(f.out.requests.size(), 1u);
  EXPECT_EQ(f.out.requests[0].event.bucket, "bucket-a");
  EXPECT_EQ(f.out.requests[0].event.key, "report.pdf");
  EXPECT_EQ(f.out.requests[0].ctx.status, 200);
  EXPECT_EQ(f.Err(http::HttpError::kSocksPrelude), 1u);
  EXPECT_EQ(f.counters.http_flows.load(), 1u);
}

TEST(AppSessionSocks, TlsBehindSocks4IsTls) {
  Fixture f;
  f.Send(kC, B({4, 1, 1, 0xbb, 52, 216, 8, 21}) + "u" + B({0}), 1);
  f.Send(kS, B({0, 90, 0, 0, 0, 0, 0, 0}), 2);
  f.Send(kC, B({0x16, 3, 1, 0, 5, 1, 0, 0, 1, 0}), 3);
  EXPECT_EQ(f.session.layer(), AppLayer::kTls);
  EXPECT_EQ(f.session.socks_target_host(), "52.216.8.21");
  EXPECT_EQ(f.Err(http::HttpError::kSocksPrelude), 1u);
}

TEST(AppSessionSocks, RefusedHandshakeParsesNothing) {
  Fixture f;
  f.Send(kC, B({5, 1, 0}), 1);
  f.Send(kS, B({5, 0}), 2);
  // The client sends its request without waiting; the proxy refuses, so S3 never sees it.
  f.Send(kC, B({5, 1, 0, 1, 52, 216, 8, 21, 0, 80}) + kGet, 3);
  f.Send(kS, B({5, 2, 0, 1, 0, 0, 0, 0, 0, 0}) + kOk, 4);
  f.EndBoth(5);
  EXPECT_EQ(f.Err(http::HttpError::kSocksRefused), 1u);
  // The request the client sent ahead is reported as never answered, not paired with bytes
  // the proxy sent.
  ASSERT_EQ(f.out.requests.size() + static_cast<size_t>(f.out.candidates), 1u);
  EXPECT_EQ(f.counters.http.responses.load(), 0u);
}

TEST(AppSessionSocks, GapInsideTheHandshakeIsCounted) {
  Fixture f;
  f.Send(kC, B({5, 1, 0}), 1);
  f.session.OnGap(kS, 2, 2);
  f.Send(kC, B({5, 1, 0, 1, 52, 216, 8, 21, 0, 80}) + kGet, 3);
  f.Send(kS, kOk, 4);
  f.EndBoth(5);
  EXPECT_EQ(f.Err(http::HttpError::kSocksBadHandshake), 1u);
  EXPECT_EQ(f.session.layer(), AppLayer::kNone);
  EXPECT_TRUE(f.out.requests.empty());
}

TEST(AppSessionSocks, GarbageAfterAGreetingIsCountedOnce) {
  Fixture f;
  f.Send(kC, B({5, 1, 0}), 1);
  f.Send(kS, std::string("HTTP/1.1 400 Bad Request\r\n\r\n"), 2);
  f.Send(kC, kGet, 3);
  f.EndBoth(4);
  EXPECT_EQ(f.Err(http::HttpError::kSocksBadHandshake), 1u);
  EXPECT_EQ(f.session.layer(), AppLayer::kNone);
  EXPECT_EQ(f.counters.other_flows.load(), 1u);
}

}  // namespace
}  // namespace bw::app
