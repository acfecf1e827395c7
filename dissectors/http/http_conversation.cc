#include "dissectors/http/http_conversation.h"

#include <algorithm>
#include <utility>

#include "dissectors/common/ascii.h"
#include "dissectors/common/buffer_capacity.h"

namespace bw::http {
namespace {

// Hands a finished transaction's buffers to the pool, or frees them without one.
void ParkBuffers(HttpTransaction& tx, TransactionPool* pool) {
  if (pool != nullptr) {
    pool->Put(tx);
  } else {
    ReleaseHeap(tx);
  }
}

HttpLimits Sanitised(HttpLimits l) {
  // A zero cap would make the queue unable to hold the request being parsed.
  l.max_pending_requests = std::max<size_t>(l.max_pending_requests, 1);
  return l;
}

// Authority of an absolute-form target ("http://user@host:port/path" -> "host:port"), empty
// for origin, asterisk and authority forms.
std::string_view AuthorityOf(std::string_view target) {
  size_t sep = target.find("://");
  if (sep == std::string_view::npos || sep == 0) return {};
  for (size_t i = 0; i < sep; ++i) {
    char c = target[i];
    bool scheme_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (i > 0 && c >= '0' && c <= '9') ||
                       (i > 0 && (c == '+' || c == '-' || c == '.'));
    if (!scheme_char) return {};
  }
  std::string_view rest = target.substr(sep + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  return authority;
}

// A CONNECT target in authority form, host ":" port (RFC 9112 section 3.2.3). Servers answer
// 400 to anything else ("CONNECT / HTTP/1.1"), and then the Host header names the server asked.
bool IsAuthorityForm(std::string_view target) {
  size_t colon = target.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == target.size()) return false;
  for (size_t i = colon + 1; i < target.size(); ++i) {
    if (target[i] < '0' || target[i] > '9') return false;
  }
  return target.substr(0, colon).find_first_of("/?#@") == std::string_view::npos;
}

}  // namespace

HttpConversation::Pending& HttpConversation::PendingQueue::PushBack(size_t cap) {
  if (size_ == slots_.size()) {
    // Start with one slot: most connections never pipeline, and a million idle ones each
    // holding a request must not pay for four.
    size_t n = std::max<size_t>(size_ + 1, std::min<size_t>(size_ * 2, cap));
    std::vector<Pending> next(n);
    for (size_t i = 0; i < size_; ++i) next[i] = std::move(At(i));
    slots_ = std::move(next);
    head_ = 0;
  }
  Pending& p = slots_[(head_ + size_) % slots_.size()];
  ++size_;
  return p;
}

void HttpConversation::PendingQueue::ParkSlots(TransactionPool* pool) {
  for (Pending& p : slots_) ParkBuffers(p.tx, pool);
}

void HttpConversation::PendingQueue::PopFront() {
  slots_[head_].Reset();
  head_ = (head_ + 1) % slots_.size();
  --size_;
}

size_t HttpConversation::held_bytes() const {
  const size_t parsers = request_parser_.held_bytes() + response_parser_.held_bytes();
  if (!held_dirty_) return parsers + held_messages_;
  held_dirty_ = false;
  size_t n = pending_.slot_bytes();
  for (size_t i = 0; i < pending_.size(); ++i) n += HeapBytes(pending_.At(i).tx);
  if (has_inflight_) n += HeapBytes(inflight_.tx);
  held_messages_ = n + HeapBytes(scratch_);
  return parsers + held_messages_;
}

HttpConversation::HttpConversation(const HttpLimits& limits, HttpCounters& counters,
                                   HttpHandler& handler, TransactionPool* pool)
    : limits_(Sanitised(limits)),
      counters_(counters),
      handler_(handler),
      pool_(pool),
      request_parser_(Direction::kToServer, limits_, counters, *this),
      response_parser_(Direction::kToClient, limits_, counters, *this) {}

void HttpConversation::Feed(Direction dir, ByteView data, TimestampNs ts) {
  if (gave_up_ || closed_ || data.empty()) return;
  if (finished_) {
    // Counted once per conversation, so that the count does not depend on packetisation.
    if (!data_after_close_) counters_.Count(HttpError::kDataAfterClose);
    data_after_close_ = true;
    return;
  }
  Parser(dir).Feed(data, ts);
}

void HttpConversation::Gap(Direction dir, uint64_t length, TimestampNs ts) {
  held_dirty_ = true;
  HttpCounters::Add(counters_.gaps);
  if (gave_up_ || finished_ || closed_) return;
  any_gap_ = true;
  Parser(dir).Gap(length, ts);
}

void HttpConversation::End(Direction dir, TimestampNs ts) {
  held_dirty_ = true;
  if (gave_up_ || finished_ || closed_) return;
  Parser(dir).End(ts);
  // Once the server has finished sending, no waiting request can be answered any more.
  if (dir == Direction::kToClient && !finished_) FlushAllPending();
  ParkIdleBuffers();
}

void HttpConversation::Close(TimestampNs ts) {
  held_dirty_ = true;
  if (closed_) return;
  if (!gave_up_ && !finished_) {
    response_parser_.Abort(ts);
    request_parser_.Abort(ts);
  }
  if (has_inflight_) {
    has_inflight_ = false;
    Emit(inflight_, TransactionEnd::kTruncated);
    inflight_.Reset();
  }
  FlushAllPending();
  request_parser_.Stop();
  response_parser_.Stop();
  closed_ = true;
  finished_ = true;
  ParkIdleBuffers();
}

HttpConversation::Pending* HttpConversation::FindRequest(uint64_t seq) {
  if (has_inflight_ && inflight_.seq == seq) return &inflight_;
  if (pending_.empty()) return nullptr;
  uint64_t front = pending_.Front().seq;
  if (seq < front || seq - front >= pending_.size()) return nullptr;
  return &pending_.At(static_cast<size_t>(seq - front));
}

HeaderList* HttpConversation::CurrentHeaders(Direction dir) {
  if (dir == Direction::kToServer) {
    if (!request_open_) return nullptr;
    Pending* p = FindRequest(open_request_seq_);
    return p ? &p->tx.request.headers : nullptr;
  }
  switch (response_target_) {
    case ResponseTarget::kInflight:
      return &inflight_.tx.response.headers;
    case ResponseTarget::kInterim:
    case ResponseTarget::kDiscard:
      return &scratch_.headers;
    case ResponseTarget::kNone:
      break;
  }
  return nullptr;
}

void HttpConversation::Emit(Pending& p, TransactionEnd end) {
  p.tx.end = end;
  if (request_open_ && p.seq == open_request_seq_) {
    // The response ended before the request body did (an early error), or before the header
    // lines an HTTP/0.9 request may have (nginx answers on its line): report what was seen.
    p.tx.request.body_bytes = request_parser_.body_wire_bytes();
    if (p.tx.request.header_bytes == 0) p.tx.request.header_bytes = request_parser_.head_bytes();
    p.tx.request.body_content_bytes = request_parser_.body_content_bytes();
  }
  HttpCounters::Add(counters_.transactions);
  if (end == TransactionEnd::kNoResponse) HttpCounters::Add(counters_.no_response);
  if (end == TransactionEnd::kTruncated) HttpCounters::Add(counters_.truncated);
  handler_.OnTransaction(p.tx);
}

void HttpConversation::FlushFront() {
  Pending& p = pending_.Front();
  if (p.seq >= close_seq_ && !data_after_close_) {
    // Sent after the server announced its close and never answered: most likely never read,
    // so it is flagged. Counted once per conversation, so that the count does not depend on
    // packetisation.
    counters_.Count(HttpError::kDataAfterClose);
    data_after_close_ = true;
  }
  Emit(p, TransactionEnd::kNoResponse);
  pending_.PopFront();
}

void HttpConversation::FlushAllPending() {
  while (!pending_.empty()) FlushFront();
}

void HttpConversation::Finish(bool gave_up) {
  FlushAllPending();
  request_parser_.Stop();
  response_parser_.Stop();
  finished_ = true;
  if (gave_up) gave_up_ = true;
  ParkIdleBuffers();
}

// An idle connection (keep-alive between requests, or ended but still in the flow table) holds no
// message buffers: with no request waiting nothing refers to them, and the pool hands them to
// whichever connection parses the next request.
void HttpConversation::ParkIdleBuffers() {
  if (has_inflight_ || !pending_.empty()) return;
  pending_.ParkSlots(pool_);
  ParkBuffers(inflight_.tx, pool_);
  ReleaseHeap(scratch_);
  held_dirty_ = true;
}

// --- MessageSink ---------------------------------------------------------------------------

void HttpConversation::OnStartLine(Direction dir, const StartLine& line, bool truncated,
                                   TimestampNs first_ts) {
  held_dirty_ = true;
  any_start_line_ = true;
  if (dir == Direction::kToServer) {
    StartRequest(line.request, truncated, first_ts);
  } else {
    StartResponse(line.status, truncated, first_ts);
  }
}

void HttpConversation::StartRequest(const RequestLine& line, bool truncated, TimestampNs ts) {
  HttpCounters::Add(counters_.requests);
  if (pending_.size() >= limits_.max_pending_requests) {
    counters_.Count(HttpError::kPendingOverflow);
    FlushFront();
  }
  // Only while the server stream is in sync does an unanswered request mean the client did not
  // wait: after a loss, the outstanding request may simply have had its response swallowed.
  if (!server_lost_ && !server_resynced_ && (has_inflight_ || !pending_.empty())) {
    pipelining_seen_ = true;
  }
  Pending& p = pending_.PushBack(limits_.max_pending_requests);
  if (pool_ != nullptr) pool_->Take(p.tx);
  p.seq = next_seq_++;
  // Servers close after answering HTTP/0.9, even when the answer comes before its head ends.
  p.close_after = line.version_major == 0;
  HttpRequest& r = p.tx.request;
  r.method.assign(line.method);
  r.target.assign(line.target);
  r.version_major = line.version_major;
  r.version_minor = line.version_minor;
  r.head_truncated = truncated;
  r.first_ts = ts;
  r.last_ts = ts;
  std::string_view authority = AuthorityOf(line.target);
  if (!authority.empty()) {
    r.host.assign(authority);
  } else if (line.method == "CONNECT" && IsAuthorityForm(line.target)) {
    r.host.assign(line.target);
  }
  open_request_seq_ = p.seq;
  request_open_ = true;
  if (line.http09) ArmHeadless();
  HttpCounters::Max(counters_.pipelined_max_depth, pending_.size() + (has_inflight_ ? 1 : 0));
}

bool HttpConversation::ApplyResyncPolicy(TimestampNs ts) {
  size_t candidates = 0;
  while (candidates < pending_.size() && pending_.At(candidates).tx.request.first_ts <= ts) {
    ++candidates;
  }
  if (candidates == 0) return true;
  if (candidates >= 2 && pipelining_seen_) {
    for (size_t i = 0; i < candidates; ++i) FlushFront();
    counters_.Count(HttpError::kAmbiguousResync);
    return false;
  }
  for (size_t i = 0; i + 1 < candidates; ++i) FlushFront();
  return true;
}

void HttpConversation::StartResponse(const StatusLine& line, bool truncated, TimestampNs ts) {
  bool pairable = true;
  if (server_resynced_) {
    server_resynced_ = false;
    pairable = ApplyResyncPolicy(ts);
  }
  bool eligible = pairable && !pending_.empty() && pending_.Front().tx.request.first_ts <= ts;
  // An answer to HTTP/0.9 (version 0) has no status line, so no status: it is final.
  bool interim = line.status < 200 && line.status != 101 && line.version_major != 0;
  if (interim || !eligible) scratch_.Reset();
  if (interim) {
    HttpCounters::Add(counters_.interim_1xx);
    if (eligible) ++pending_.Front().tx.interim_responses;
    response_target_ = ResponseTarget::kInterim;
    return;
  }
  HttpCounters::Add(counters_.responses);
  if (!eligible) {
    if (pairable) {
      counters_.Count(HttpError::kUnmatchedResponse);
      if (client_lost_) HttpCounters::Add(counters_.lost_requests);
    }
    scratch_.status = line.status;
    response_target_ = ResponseTarget::kDiscard;
    return;
  }
  // Swapped, not moved: the emptied slot keeps inflight_'s buffers for a later request.
  std::swap(inflight_, pending_.Front());
  pending_.PopFront();
  has_inflight_ = true;
  response_close_ = false;
  response_target_ = ResponseTarget::kInflight;
  HttpTransaction& tx = inflight_.tx;
  tx.has_response = true;
  HttpResponse& r = tx.response;
  r.status = line.status;
  r.reason.assign(line.reason);
  r.version_major = line.version_major;
  r.version_minor = line.version_minor;
  r.head_truncated = truncated;
  r.first_ts = ts;
  r.last_ts = ts;
}

void HttpConversation::OnHeader(Direction dir, std::string_view name, std::string_view value) {
  held_dirty_ = true;
  HeaderList* headers = CurrentHeaders(dir);
  if (headers) headers->Add(name, value);
}

void HttpConversation::OnHeaderContinuation(Direction dir, std::string_view more) {
  held_dirty_ = true;
  HeaderList* headers = CurrentHeaders(dir);
  if (headers) headers->AppendToLast(more);
}

BodyRule HttpConversation::OnHeadComplete(Direction dir, const FramingInfo& info,
                                          uint64_t header_bytes, TimestampNs ts) {
  held_dirty_ = true;
  if (dir == Direction::kToServer) {
    Pending* p = request_open_ ? FindRequest(open_request_seq_) : nullptr;
    if (!p) return BodyRule::kFraming;
    HttpRequest& r = p->tx.request;
    r.header_bytes = header_bytes;
    r.head_truncated = r.head_truncated || info.head_truncated;
    r.last_ts = ts;
    // RFC 9112 section 3.2.2: a server takes the host of an absolute-form target and ignores
    // Host. A differing Host is what a client sends to make a Host-reading monitor look elsewhere.
    const bool absolute = !AuthorityOf(r.target).empty();
    int hosts = 0;
    for (Header h : r.headers) {
      if (!EqualsIgnoreCase(h.name, "host")) continue;
      if (++hosts > 1) continue;
      if (r.host.empty()) {
        r.host.assign(h.value);
      } else if (absolute && !EqualsIgnoreCase(h.value, r.host)) {
        counters_.Count(HttpError::kHostMismatch);
      }
    }
    if (hosts > 1) counters_.Count(HttpError::kRepeatedHost);
    p->close_after = r.version_major == 0 || info.connection_close ||
                     (r.version_major == 1 && r.version_minor == 0 && !info.connection_keep_alive);
    return BodyRule::kFraming;
  }

  uint16_t status = 0;
  std::string_view method;
  if (response_target_ == ResponseTarget::kInflight) {
    HttpResponse& r = inflight_.tx.response;
    r.header_bytes = header_bytes;
    r.head_truncated = r.head_truncated || info.head_truncated;
    r.last_ts = ts;
    response_close_ =
        info.connection_close || (r.version_minor == 0 && !info.connection_keep_alive);
    // Headless (HTTP/0.9): the body runs to the end of the stream whatever the status says.
    if (r.version_major == 0) return BodyRule::kFraming;
    status = r.status;
    method = inflight_.tx.request.method;
  } else if (response_target_ == ResponseTarget::kInterim) {
    return BodyRule::kNone;
  } else {
    status = scratch_.status;
  }
  bool success = status >= 200 && status < 300;
  if (status == 101 || (method == "CONNECT" && success)) {
    tunnel_ = true;
    return BodyRule::kTunnel;
  }
  if (method == "HEAD" || status < 200 || status == 204 || status == 304) return BodyRule::kNone;
  return BodyRule::kFraming;
}

void HttpConversation::OnBody(Direction dir, ByteView decoded) {
  if (dir != Direction::kToClient || response_target_ != ResponseTarget::kInflight ||
      decoded.empty()) {
    return;
  }
  handler_.OnResponseBody(inflight_.tx, decoded);
  if (!handler_.WantsBodyPrefix(inflight_.tx)) return;
  HttpResponse& r = inflight_.tx.response;
  size_t room =
      limits_.body_prefix_bytes - std::min(limits_.body_prefix_bytes, r.body_prefix.size());
  size_t keep = std::min(room, decoded.size());
  if (keep > 0) held_dirty_ = true;
  r.body_prefix.append(AsStringView(decoded.first(keep)));
  if (keep < decoded.size()) r.body_prefix_truncated = true;
}

void HttpConversation::OnMessageEnd(Direction dir, MessageEnd end, uint64_t body_wire_bytes,
                                    bool missing, TimestampNs ts) {
  held_dirty_ = true;
  if (dir == Direction::kToServer) {
    if (!request_open_) return;
    request_open_ = false;
    Pending* p = FindRequest(open_request_seq_);
    if (!p) return;
    HttpRequest& r = p->tx.request;
    r.body_bytes = body_wire_bytes;
    r.body_content_bytes = request_parser_.body_content_bytes();
    r.missing_bytes = r.missing_bytes || missing || end == MessageEnd::kTruncated;
    r.last_ts = ts;
    if (r.version_major == 0) ArmHeadless();
    return;
  }
  ResponseTarget target = response_target_;
  response_target_ = ResponseTarget::kNone;
  bool close = false;
  if (target == ResponseTarget::kInflight) {
    HttpResponse& r = inflight_.tx.response;
    r.body_bytes = body_wire_bytes;
    r.body_content_bytes = response_parser_.body_content_bytes();
    r.missing_bytes = r.missing_bytes || missing;
    r.last_ts = ts;
    close = response_close_ || inflight_.close_after;
    has_inflight_ = false;
    Emit(inflight_,
         end == MessageEnd::kComplete ? TransactionEnd::kComplete : TransactionEnd::kTruncated);
    inflight_.Reset();
    ParkIdleBuffers();
  }
  if (tunnel_) {
    HttpCounters::Add(counters_.tunnels);
    Finish(/*gave_up=*/true);
  } else {
    // A server that announced its close (Connection: close, HTTP/1.0, an HTTP/1.0 request) is
    // expected to close, but some keep reading and answering (suricata-verify http-async), so
    // later requests are still parsed and paired; one left unanswered is flagged (FlushFront).
    if (close && close_seq_ == kNoSeq) close_seq_ = next_seq_;
    ArmHeadless();
  }
}

void HttpConversation::ArmHeadless() {
  response_parser_.ExpectHeadless(!has_inflight_ && response_target_ == ResponseTarget::kNone &&
                                  !pending_.empty() &&
                                  pending_.Front().tx.request.version_major == 0);
}

void HttpConversation::OnSyncLost(Direction dir, SyncLoss why, TimestampNs ts) {
  held_dirty_ = true;
  if (dir == Direction::kToServer) {
    if (why == SyncLoss::kBadStartLine && !any_start_line_ && !any_gap_) {
      // The very first bytes from the client are not a request line: not HTTP at all.
      HttpCounters::Add(counters_.gave_up);
      Finish(/*gave_up=*/true);
      return;
    }
    client_lost_ = true;
    return;
  }
  server_lost_ = true;
  server_resynced_ = false;
}

void HttpConversation::OnResync(Direction dir, TimestampNs ts) {
  held_dirty_ = true;
  if (dir == Direction::kToClient) {
    server_lost_ = false;
    server_resynced_ = true;
  }
}

}  // namespace bw::http
