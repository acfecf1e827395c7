// Seeded random inputs: mutated real messages, random bytes, gaps and ends in both directions.
// Nothing may crash (run under ASan/UBSan too), every bound must hold, every parsed request must
// come out exactly once, and the result must not depend on how the bytes were split.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/unit/dissectors/http/http_test_util.h"

namespace bw::http::testing {
namespace {

const char* const kRequestSamples[] = {
    "GET /bucket/key HTTP/1.1\r\nHost: b.s3.amazonaws.com\r\n\r\n",
    "HEAD / HTTP/1.1\r\nHost: a.blob.core.windows.net\r\n\r\n",
    "PUT /k HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nabcde",
    "POST /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n",
    "GET http://h:1/x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "DELETE /o HTTP/1.1\n X-Fold: y\nHost: h\n\n",
};
const char* const kResponseSamples[] = {
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
    "HTTP/1.1 100 Continue\r\n\r\n",
    "HTTP/1.1 204 No Content\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n<a/>\r\n0\r\n\r\n",
    "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
};

std::string Mutate(std::string s, std::mt19937& rng) {
  static const char kSpecial[] = {'\r', '\n', ' ', '\t', ':', ';', '0', 'f', '\0', '\x80'};
  int edits = static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !s.empty(); ++e) {
    size_t at = rng() % s.size();
    switch (rng() % 4) {
      case 0:
        s[at] = static_cast<char>(rng());
        break;
      case 1:
        s.insert(at, 1, kSpecial[rng() % sizeof(kSpecial)]);
        break;
      case 2:
        s.erase(at, 1 + rng() % 8);
        break;
      default:
        s.insert(at, std::string(rng() % 300, static_cast<char>('a' + rng() % 26)));
        break;
    }
  }
  return s;
}

std::vector<Step> RandomScenario(std::mt19937& rng) {
  std::vector<Step> steps;
  int n = 1 + static_cast<int>(rng() % 30);
  TimestampNs ts = 1;
  for (int i = 0; i < n; ++i) {
    ++ts;
    Direction dir = rng() % 2 ? kC : kS;
    switch (rng() % 10) {
      case 0:
        steps.push_back({Step::Kind::kGap, dir, {}, rng() % 200, ts});
        break;
      case 1: {
        std::string junk(rng() % 64, '\0');
        for (char& c : junk) c = static_cast<char>(rng());
        steps.push_back({Step::Kind::kFeed, dir, junk, 0, ts});
        break;
      }
      case 2:
        if (rng() % 4 == 0) steps.push_back({Step::Kind::kEnd, dir, {}, 0, ts});
        break;
      default: {
        std::string msg = dir == kC ? kRequestSamples[rng() % std::size(kRequestSamples)]
                                    : kResponseSamples[rng() % std::size(kResponseSamples)];
        steps.push_back({Step::Kind::kFeed, dir, rng() % 3 ? msg : Mutate(msg, rng), 0, ts});
        break;
      }
    }
  }
  steps.push_back({Step::Kind::kClose, kC, {}, 0, ts + 1});
  return steps;
}

TEST(HttpRobustness, SeededRandomInputs) {
  HttpLimits limits;
  limits.max_start_line = 256;
  limits.max_header_line = 256;
  limits.max_headers = 4;
  limits.max_header_block = 512;
  limits.max_pending_requests = 3;
  limits.body_prefix_bytes = 8;
  std::mt19937 rng(20261123);
  for (int iter = 0; iter < 1500; ++iter) {
    std::vector<Step> steps = RandomScenario(rng);
    Outcome whole = RunWithCuts(steps, limits, {});
    // Every parsed request comes out exactly once, and nothing is left after Close.
    ASSERT_EQ(whole.counters[kRequests], whole.txs.size()) << "iteration " << iter;
    ASSERT_EQ(whole.counters[kTransactions], whole.txs.size());
    ASSERT_EQ(whole.pending, 0u);
    for (const Tx& t : whole.txs) {
      size_t stored = 0;
      for (const Header& h : t.tx.request.headers) stored += h.name.size() + h.value.size();
      ASSERT_LE(t.tx.request.headers.size(), limits.max_headers);
      ASSERT_LE(stored, limits.max_header_block);
      ASSERT_LE(t.tx.request.target.size(), limits.max_start_line);
      ASSERT_LE(t.tx.response.headers.size(), limits.max_headers);
      ASSERT_LE(t.tx.response.body_prefix.size(), limits.body_prefix_bytes);
      ASSERT_EQ(t.tx.has_response, t.tx.end != TransactionEnd::kNoResponse);
    }
    // Chunk invariance on random input: byte by byte and random cuts.
    std::vector<std::vector<size_t>> bytewise(steps.size()), random(steps.size());
    for (size_t i = 0; i < steps.size(); ++i) {
      for (size_t k = 1; k < steps[i].data.size(); ++k) {
        bytewise[i].push_back(k);
        if (rng() % 5 == 0) random[i].push_back(k);
      }
    }
    ExpectSame(whole, RunWithCuts(steps, limits, bytewise),
               "bytewise, iteration " + std::to_string(iter));
    ExpectSame(whole, RunWithCuts(steps, limits, random),
               "random, iteration " + std::to_string(iter));
    if (HasFailure()) break;
  }
}

TEST(HttpRobustness, LongBinaryStreamAfterLossStaysBounded) {
  // Megabytes of line-free binary in resync mode must not grow anything.
  HttpCounters counters;
  Recorder rec;
  HttpConversation conv(HttpLimits{}, counters, rec);
  conv.Feed(kC, AsBytes("GET /a HTTP/1.1\r\n\r\n"), 1);
  conv.Gap(kS, 10, 2);
  std::string blob(64 * 1024, '\x01');
  for (int i = 0; i < 64; ++i) conv.Feed(kS, AsBytes(blob), 3);
  conv.Feed(kS, AsBytes("\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 4);
  EXPECT_EQ(counters.resyncs.load(), 1u);
  ASSERT_EQ(rec.out().txs.size(), 1u);
  EXPECT_EQ(rec.out().txs[0].tx.response.status, 200);
}

}  // namespace
}  // namespace bw::http::testing
