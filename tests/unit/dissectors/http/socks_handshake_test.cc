// SOCKS 4/4a/5 handshakes ahead of HTTP: where each direction's tunnelled bytes begin, the
// CONNECT target, refusals and garbage; every case also fed one byte at a time.

#include "dissectors/http/socks_handshake.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bw::http {
namespace {

constexpr Direction kC = Direction::kToServer;
constexpr Direction kS = Direction::kToClient;

std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

struct Piece {
  Direction dir;
  std::string data;
};

struct Result {
  SocksState state = SocksState::kInProgress;
  std::string tunnelled[2];  // by Index(dir)
  std::string host;
  uint16_t port = 0;
};

// Feeds the pieces whole, or byte by byte when `bytewise`.
Result Run(const std::vector<Piece>& pieces, bool bytewise) {
  SocksHandshake h;
  Result r;
  for (const Piece& p : pieces) {
    size_t step = bytewise ? 1 : p.data.size();
    for (size_t i = 0; i < p.data.size(); i += step) {
      std::string_view part = std::string_view(p.data).substr(i, step);
      if (h.Passed(p.dir) && h.state() != SocksState::kRefused && h.state() != SocksState::kBad) {
        r.tunnelled[Index(p.dir)] += part;
        continue;
      }
      size_t used = h.Feed(p.dir, AsBytes(part));
      EXPECT_LE(used, part.size());
      r.tunnelled[Index(p.dir)] += part.substr(used);
    }
  }
  r.state = h.state();
  r.host = std::string(h.target_host());
  r.port = h.target_port();
  return r;
}

Result RunBothWays(const std::vector<Piece>& pieces) {
  Result whole = Run(pieces, false);
  Result bytes = Run(pieces, true);
  EXPECT_EQ(whole.state, bytes.state);
  EXPECT_EQ(whole.tunnelled[0], bytes.tunnelled[0]);
  EXPECT_EQ(whole.tunnelled[1], bytes.tunnelled[1]);
  EXPECT_EQ(whole.host, bytes.host);
  return whole;
}

const std::string kGet = "GET /bucket/?list-type=2 HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n";
const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

TEST(SocksHandshake, Socks5NoAuthDomainTarget) {
  std::string greeting = B({5, 1, 0});
  std::string request = B({5, 1, 0, 3, 16}) + "s3.amazonaws.com" + B({0, 80});
  std::string reply = B({5, 0, 0, 1, 10, 0, 0, 1, 0x1f, 0x90});
  EXPECT_TRUE(LooksLikeSocks(AsBytes(greeting)));
  Result r =
      RunBothWays({{kC, greeting}, {kS, B({5, 0})}, {kC, request + kGet}, {kS, reply + kOk}});
  EXPECT_EQ(r.state, SocksState::kEstablished);
  EXPECT_EQ(r.tunnelled[Index(kC)], kGet);
  EXPECT_EQ(r.tunnelled[Index(kS)], kOk);
  EXPECT_EQ(r.host, "s3.amazonaws.com");
  EXPECT_EQ(r.port, 80);
}

TEST(SocksHandshake, Socks5LoginIpv4AndIpv6Targets) {
  std::string login = B({1, 4}) + "user" + B({6}) + "secret";
  Result v4 = RunBothWays({{kC, B({5, 2, 0, 2})},
                           {kS, B({5, 2})},
                           {kC, login},
                           {kS, B({1, 0})},
                           {kC, B({5, 1, 0, 1, 52, 216, 8, 21, 0, 80}) + kGet},
                           {kS, B({5, 0, 0, 1, 0, 0, 0, 0, 0, 0}) + kOk}});
  EXPECT_EQ(v4.state, SocksState::kEstablished);
  EXPECT_EQ(v4.host, "52.216.8.21");
  EXPECT_EQ(v4.tunnelled[Index(kC)], kGet);
  EXPECT_EQ(v4.tunnelled[Index(kS)], kOk);

  std::string v6addr = B({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  Result v6 = RunBothWays({{kC, B({5, 1, 0}) + B({5, 1, 0, 4}) + v6addr + B({0x01, 0xbb})},
                           {kS, B({5, 0}) + B({5, 0, 0, 4}) + v6addr + B({0, 0}) + kOk},
                           {kC, kGet}});
  EXPECT_EQ(v6.state, SocksState::kEstablished);
  EXPECT_EQ(v6.host, "2001:db8:0:0:0:0:0:1");
  EXPECT_EQ(v6.port, 443);
  EXPECT_EQ(v6.tunnelled[Index(kC)], kGet);
  EXPECT_EQ(v6.tunnelled[Index(kS)], kOk);
}

TEST(SocksHandshake, Socks4AndSocks4a) {
  std::string req4 = B({4, 1, 0, 80, 52, 216, 8, 21}) + "alice" + B({0});
  EXPECT_TRUE(LooksLikeSocks(AsBytes(req4)));
  Result r4 = RunBothWays({{kC, req4 + kGet}, {kS, B({0, 90, 0, 0, 0, 0, 0, 0}) + kOk}});
  EXPECT_EQ(r4.state, SocksState::kEstablished);
  EXPECT_EQ(r4.host, "52.216.8.21");
  EXPECT_EQ(r4.tunnelled[Index(kC)], kGet);
  EXPECT_EQ(r4.tunnelled[Index(kS)], kOk);

  std::string req4a = B({4, 1, 0, 80, 0, 0, 0, 1}) + B({0}) + "bucket.s3.amazonaws.com" + B({0});
  Result r4a = RunBothWays({{kC, req4a}, {kS, B({0, 90, 0, 0, 0, 0, 0, 0})}, {kC, kGet}});
  EXPECT_EQ(r4a.state, SocksState::kEstablished);
  EXPECT_EQ(r4a.host, "bucket.s3.amazonaws.com");
  EXPECT_EQ(r4a.tunnelled[Index(kC)], kGet);
}

TEST(SocksHandshake, Refusals) {
  EXPECT_EQ(RunBothWays({{kC, B({5, 1, 2})}, {kS, B({5, 0xff})}}).state, SocksState::kRefused);
  EXPECT_EQ(
      RunBothWays(
          {{kC, B({5, 1, 2})}, {kS, B({5, 2})}, {kC, B({1, 1, 'u', 1, 'p'})}, {kS, B({1, 1})}})
          .state,
      SocksState::kRefused);
  Result host_unreachable = RunBothWays({{kC, B({5, 1, 0}) + B({5, 1, 0, 1, 1, 2, 3, 4, 0, 80})},
                                         {kS, B({5, 0}) + B({5, 4, 0, 1, 0, 0, 0, 0, 0, 0})},
                                         {kC, kGet}});
  EXPECT_EQ(host_unreachable.state, SocksState::kRefused);
  EXPECT_EQ(host_unreachable.tunnelled[Index(kS)], "");
  EXPECT_EQ(RunBothWays({{kC, B({4, 1, 0, 80, 1, 2, 3, 4, 0})}, {kS, B({0, 91, 0, 0, 0, 0, 0, 0})}})
                .state,
            SocksState::kRefused);
}

TEST(SocksHandshake, GarbageAndUnfollowedForms) {
  // BIND, UDP ASSOCIATE, GSSAPI, a bad reply version, the proxy speaking first.
  EXPECT_EQ(RunBothWays({{kC, B({5, 1, 0}) + B({5, 2, 0, 1, 1, 2, 3, 4, 0, 80})}}).state,
            SocksState::kBad);
  EXPECT_EQ(RunBothWays({{kC, B({5, 1, 1})}, {kS, B({5, 1})}}).state, SocksState::kBad);
  EXPECT_EQ(RunBothWays({{kC, B({5, 1, 0})}, {kS, B({4, 0})}}).state, SocksState::kBad);
  EXPECT_EQ(RunBothWays({{kS, B({5, 0})}}).state, SocksState::kBad);
  EXPECT_EQ(RunBothWays({{kC, B({5, 1, 0}) + B({5, 1, 0, 9, 1, 2, 3, 4, 0, 80})}}).state,
            SocksState::kBad);
  // A SOCKS4 user id that never ends is bounded.
  EXPECT_EQ(RunBothWays({{kC, B({4, 1, 0, 80, 1, 2, 3, 4}) + std::string(600, 'u')}}).state,
            SocksState::kBad);
  // Bytes that only look like the start of a handshake stay in progress, then a gap ends it.
  SocksHandshake h;
  EXPECT_EQ(h.Feed(kC, AsBytes(B({5, 1}))), 2u);
  EXPECT_EQ(h.state(), SocksState::kInProgress);
  h.Gap(kC);
  EXPECT_EQ(h.state(), SocksState::kBad);
}

TEST(SocksHandshake, DetectionIsStrict) {
  EXPECT_FALSE(LooksLikeSocks(AsBytes(kGet)));
  EXPECT_FALSE(LooksLikeSocks(AsBytes(B({0x16, 3, 1, 0, 5}))));  // TLS
  EXPECT_FALSE(LooksLikeSocks(AsBytes(B({5, 1}))));              // greeting incomplete
  EXPECT_FALSE(LooksLikeSocks(AsBytes(B({5, 0, 0}))));           // no methods
  EXPECT_FALSE(LooksLikeSocks(AsBytes(B({5, 1, 0x40}))));        // unassigned method
  EXPECT_FALSE(LooksLikeSocks(AsBytes(B({5, 1, 0, 'G'}))));      // then not a SOCKS message
  EXPECT_FALSE(LooksLikeSocks(AsBytes(B({4, 2, 0, 80, 1, 2, 3, 4, 0}))));    // BIND
  EXPECT_FALSE(LooksLikeSocks(AsBytes(B({4, 1, 0, 80, 1, 2, 3, 4, 'u'}))));  // no NUL yet
  EXPECT_TRUE(LooksLikeSocks(AsBytes(B({5, 2, 0, 2}) + B({5, 1, 0, 1, 1, 2, 3, 4, 0, 80}))));
}

}  // namespace
}  // namespace bw::http
