// AppSession across an HTTP tunnel: after CONNECT 2xx the tunnel's first bytes decide the layer
// again, so plain HTTP through a proxy reaches the ledger and TLS is TLS.

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
  void OnKnownServerCandidate(event::KnownServerCandidate&&) override {}
  void OnHttpRequest(event::HttpLogEntry&& e) override { logged.push_back(std::move(e)); }
  std::vector<event::StorageRequest> requests;
  std::vector<event::HttpLogEntry> logged;
};

const std::string kConnect =
    "CONNECT s3.amazonaws.com:80 HTTP/1.1\r\nHost: s3.amazonaws.com:80\r\n\r\n";
const std::string kEstablished = "HTTP/1.1 200 Connection established\r\n\r\n";
const std::string kGet = "GET /report.pdf HTTP/1.1\r\nHost: bucket-a.s3.amazonaws.com\r\n\r\n";
const std::string kOk =
    "HTTP/1.1 200 OK\r\nx-amz-request-id: 4442587FB7D0A2F9\r\nx-amz-id-2: abc\r\n"
    "Content-Length: 5\r\nServer: AmazonS3\r\n\r\nhello";

struct Fixture {
  Fixture() { config.http_log = true; }
  AppConfig config;
  AppCounters counters;
  Collect out;
  AppSession session{config, counters, out, FlowIdentity{}};
  void Send(Direction d, const std::string& s, TimestampNs ts) {
    session.OnData(d, AsBytes(s), ts);
  }
};

TEST(AppSessionTunnel, HttpInsideConnectReachesTheLedger) {
  Fixture f;
  f.Send(kC, kConnect, 1);
  f.Send(kS, kEstablished, 2);
  f.Send(kC, kGet, 3);
  f.Send(kS, kOk, 4);
  f.session.OnEnd(kC, 5);
  f.session.OnEnd(kS, 5);
  f.session.Close(5);
  EXPECT_EQ(f.session.layer(), AppLayer::kHttp);
  ASSERT_EQ(f.out.logged.size(), 2u);
  EXPECT_EQ(f.out.logged[0].method, "CONNECT");
  ASSERT_EQ(f.out.requests.size(), 1u);
  EXPECT_EQ(f.out.requests[0].event.bucket, "bucket-a");
  EXPECT_EQ(f.out.requests[0].event.key, "report.pdf");
  EXPECT_EQ(f.out.requests[0].ctx.status, 200);
  EXPECT_EQ(f.counters.http.tunnels.load(), 1u);
}

TEST(AppSessionTunnel, TlsInsideConnectIsTls) {
  Fixture f;
  f.Send(kC, kConnect, 1);
  f.Send(kS, kEstablished, 2);
  std::string hello = {0x16, 3, 1, 0, 5, 1, 0, 0, 1, 0};
  f.Send(kC, hello, 3);
  EXPECT_EQ(f.session.layer(), AppLayer::kTls);
}

TEST(AppSessionTunnel, OnlyOneTunnelIsFollowed) {
  // A CONNECT inside the tunnel is recorded, but what its own tunnel carries is not parsed.
  Fixture f;
  f.Send(kC, kConnect, 1);
  f.Send(kS, kEstablished, 2);
  f.Send(kC, kConnect, 3);
  f.Send(kS, kEstablished, 4);
  f.Send(kC, kGet, 5);
  f.Send(kS, kOk, 6);
  f.session.Close(7);
  EXPECT_EQ(f.session.layer(), AppLayer::kNone);
  EXPECT_EQ(f.out.logged.size(), 2u);
  EXPECT_TRUE(f.out.requests.empty());
}

}  // namespace
}  // namespace bw::app
