#pragma once
// Chunk-invariant scenario runner for the HTTP dissector tests: a scenario (feeds, gaps, ends
// and a close, with timestamps) is run whole, byte by byte, split in two at every offset of every
// feed, and cut at seeded random points; every run must yield the same transactions (all fields,
// plus the body bytes streamed through OnResponseBody) and the same counters.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "dissectors/http/http_conversation.h"

namespace bw::http::testing {

inline constexpr Direction kC = Direction::kToServer;  // client -> server
inline constexpr Direction kS = Direction::kToClient;  // server -> client

struct Step {
  enum class Kind { kFeed, kGap, kEnd, kClose } kind = Kind::kFeed;
  Direction dir = kC;
  std::string data;
  uint64_t length = 0;
  TimestampNs ts = 0;
};

inline Step FeedC(std::string d, TimestampNs ts) {
  return {Step::Kind::kFeed, kC, std::move(d), 0, ts};
}
inline Step FeedS(std::string d, TimestampNs ts) {
  return {Step::Kind::kFeed, kS, std::move(d), 0, ts};
}
inline Step GapC(uint64_t n, TimestampNs ts) { return {Step::Kind::kGap, kC, {}, n, ts}; }
inline Step GapS(uint64_t n, TimestampNs ts) { return {Step::Kind::kGap, kS, {}, n, ts}; }
inline Step EndC(TimestampNs ts) { return {Step::Kind::kEnd, kC, {}, 0, ts}; }
inline Step EndS(TimestampNs ts) { return {Step::Kind::kEnd, kS, {}, 0, ts}; }
inline Step CloseAll(TimestampNs ts) { return {Step::Kind::kClose, kC, {}, 0, ts}; }

struct Tx {
  HttpTransaction tx;
  std::string streamed;  // bytes delivered through OnResponseBody
};

struct Outcome {
  std::vector<Tx> txs;
  std::vector<std::string> text;  // one line per transaction, every field
  std::vector<uint64_t> counters;
  bool gave_up = false;
  bool finished = false;
  size_t pending = 0;
};

inline std::string Describe(const HttpTransaction& t, const std::string& streamed) {
  std::ostringstream o;
  const HttpRequest& q = t.request;
  o << "REQ " << q.method << " " << q.target << " host=" << q.host << " v" << int{q.version_major}
    << "." << int{q.version_minor} << " hb=" << q.header_bytes << " bb=" << q.body_bytes
    << " miss=" << q.missing_bytes << " trunc=" << q.head_truncated << " ts=" << q.first_ts << "-"
    << q.last_ts << " [";
  for (const Header& h : q.headers) o << h.name << ":" << h.value << "|";
  o << "] end=" << int(t.end) << " interim=" << t.interim_responses;
  if (t.has_response) {
    const HttpResponse& r = t.response;
    o << " RESP " << r.status << " " << r.reason << " v" << int{r.version_major} << "."
      << int{r.version_minor} << " hb=" << r.header_bytes << " bb=" << r.body_bytes
      << " miss=" << r.missing_bytes << " trunc=" << r.head_truncated << " ts=" << r.first_ts << "-"
      << r.last_ts << " [";
    for (const Header& h : r.headers) o << h.name << ":" << h.value << "|";
    o << "] prefix=" << r.body_prefix << " ptrunc=" << r.body_prefix_truncated
      << " streamed=" << streamed;
  }
  return o.str();
}

class Recorder : public HttpHandler {
 public:
  void OnResponseBody(const HttpTransaction& tx, ByteView chunk) override {
    EXPECT_TRUE(tx.has_response);
    EXPECT_FALSE(chunk.empty());
    streamed_.append(AsStringView(chunk));
  }
  void OnTransaction(HttpTransaction& tx) override {
    std::string streamed;
    if (tx.has_response) streamed.swap(streamed_);
    out_.text.push_back(Describe(tx, streamed));
    out_.txs.push_back(Tx{tx, streamed});
  }
  Outcome& out() { return out_; }

 private:
  std::string streamed_;
  Outcome out_;
};

inline std::vector<uint64_t> Snapshot(const HttpCounters& c) {
  std::vector<uint64_t> v = {c.requests.load(),
                             c.responses.load(),
                             c.interim_1xx.load(),
                             c.transactions.load(),
                             c.no_response.load(),
                             c.truncated.load(),
                             c.pipelined_max_depth.load(),
                             c.gaps.load(),
                             c.resyncs.load(),
                             c.lost_requests.load(),
                             c.body_bytes_skipped_in_gap.load(),
                             c.tunnels.load(),
                             c.gave_up.load()};
  for (const auto& e : c.errors) v.push_back(e.load());
  return v;
}

// `cuts[i]` lists the offsets at which feed step i is split (ascending, inside the data).
inline Outcome RunWithCuts(const std::vector<Step>& steps, const HttpLimits& limits,
                           const std::vector<std::vector<size_t>>& cuts) {
  HttpCounters counters;
  Recorder rec;
  HttpConversation conv(limits, counters, rec);
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    switch (s.kind) {
      case Step::Kind::kFeed: {
        size_t from = 0;
        std::vector<size_t> at = i < cuts.size() ? cuts[i] : std::vector<size_t>{};
        at.push_back(s.data.size());
        for (size_t to : at) {
          if (to > from)
            conv.Feed(s.dir, AsBytes(std::string_view(s.data).substr(from, to - from)), s.ts);
          from = std::max(from, to);
        }
        break;
      }
      case Step::Kind::kGap:
        conv.Gap(s.dir, s.length, s.ts);
        break;
      case Step::Kind::kEnd:
        conv.End(s.dir, s.ts);
        break;
      case Step::Kind::kClose:
        conv.Close(s.ts);
        break;
    }
  }
  Outcome out = std::move(rec.out());
  out.counters = Snapshot(counters);
  out.gave_up = conv.gave_up();
  out.finished = conv.finished();
  out.pending = conv.pending_requests();
  return out;
}

inline void ExpectSame(const Outcome& want, const Outcome& got, const std::string& how) {
  EXPECT_EQ(want.text, got.text) << how;
  EXPECT_EQ(want.counters, got.counters) << how;
  EXPECT_EQ(want.gave_up, got.gave_up) << how;
  EXPECT_EQ(want.pending, got.pending) << how;
}

// Runs the scenario whole and every other way; returns the whole run for assertions.
inline Outcome RunChunkInvariant(const std::vector<Step>& steps, const HttpLimits& limits = {},
                                 bool every_offset = true) {
  Outcome whole = RunWithCuts(steps, limits, {});
  if (::testing::Test::HasFailure()) return whole;
  // Byte by byte.
  std::vector<std::vector<size_t>> bytewise(steps.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    for (size_t k = 1; k < steps[i].data.size(); ++k) bytewise[i].push_back(k);
  }
  ExpectSame(whole, RunWithCuts(steps, limits, bytewise), "byte by byte");
  // Two pieces, at every offset of every feed.
  if (every_offset) {
    for (size_t i = 0; i < steps.size() && !::testing::Test::HasFailure(); ++i) {
      for (size_t k = 1; k < steps[i].data.size(); ++k) {
        std::vector<std::vector<size_t>> cuts(steps.size());
        cuts[i] = {k};
        ExpectSame(whole, RunWithCuts(steps, limits, cuts),
                   "step " + std::to_string(i) + " split at " + std::to_string(k));
        if (::testing::Test::HasFailure()) break;
      }
    }
  }
  // Seeded random cuts.
  std::mt19937 rng(12345);
  for (int round = 0; round < 20 && !::testing::Test::HasFailure(); ++round) {
    std::vector<std::vector<size_t>> cuts(steps.size());
    for (size_t i = 0; i < steps.size(); ++i) {
      size_t n = steps[i].data.size();
      for (size_t k = 1; k < n; ++k) {
        if (rng() % 7 == 0) cuts[i].push_back(k);
      }
    }
    ExpectSame(whole, RunWithCuts(steps, limits, cuts), "random round " + std::to_string(round));
  }
  return whole;
}

inline uint64_t Err(const Outcome& o, HttpError e) {
  return o.counters[13 + static_cast<size_t>(e)];
}

// Named views of Outcome::counters (same order as Snapshot).
enum CounterIndex : size_t {
  kRequests = 0,
  kResponses,
  kInterim,
  kTransactions,
  kNoResponse,
  kTruncatedTx,
  kMaxDepth,
  kGaps,
  kResyncs,
  kLostRequests,
  kSkippedInGap,
  kTunnels,
  kGaveUp
};

}  // namespace bw::http::testing
