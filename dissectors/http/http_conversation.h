#pragma once
// One TCP connection's HTTP/1.x conversation: a request parser on the client's bytes, a response
// parser on the server's, and the pairing between them.
//
// Guarantees:
//  - Every request whose start line was parsed is handed to HttpHandler::OnTransaction exactly
//    once: complete, truncated (response cut), or kNoResponse (connection ended first, pending
//    queue overflow, or its response was lost in a gap). A request sent after the server
//    announced its close is still parsed and paired (some servers answer it); left unanswered it
//    is kNoResponse and flagged (data_after_close). Responses pair with requests first in,
//    first out; a response never pairs with a request first seen after it.
//  - Memory is bounded by HttpLimits: one line buffer per direction, max_pending_requests
//    transactions, body_prefix_bytes of body per transaction. Bodies are streamed, not kept.
//    Emptied messages keep their buffers, within the bounds of HttpTransaction::Reset, while a
//    request waits; when none does, they go to the worker's TransactionPool, from which the
//    next request on any connection takes them, so that steady traffic parses without
//    allocating and idle connections hold none. held_bytes() counts what the conversation holds.
//  - Chunk invariance: the same bytes split differently yield the same transactions, body bytes
//    and counters.
//
// Pairing after the server's stream lost sync (a gap or garbage in a response head or chunked
// body) is a policy, not a certainty: when the server resynchronises on a status line, the
// candidates are the waiting requests first seen before it. If the client never pipelined
// (never sent a request while a response was outstanding), only the newest candidate can still
// be waiting, so it takes the response and the older ones are flushed as kNoResponse (their
// responses were in the lost bytes). If the client pipelined, the response could belong to any
// of several candidates: all are flushed as kNoResponse and the response is discarded
// (ambiguous_resync), because a wrong pairing would attribute a status to the wrong object.
// After the client's stream lost sync, responses that find no waiting request are discarded and
// counted as lost_requests.
//
// Deliberate parsing decisions: bare LF ends lines (as RFC 9112 section 2.2 allows); obs-fold
// continuation lines are joined to the previous header with one SP and counted (obs_fold), onto
// Transfer-Encoding too (its codings continue the list, as Go and Apache httpd read it), except
// onto Content-Length, Host, Connection and Expect, where they are dropped as bad_header;
// whitespace before the colon drops the header (bad_header); the first Host wins (repeated_host);
// an absolute-form target supplies the host even when a Host header names another (host_mismatch);
// Transfer-Encoding beats Content-Length (te_and_cl); CONNECT 2xx and 101 end dissection (a
// tunnel). Lines ended by a bare LF are accepted and counted (bare_lf). A GET line without a
// version is HTTP/0.9 (http09_request): the request can be answered from its line on (nginx, Apache
// httpd), header lines that follow are read into it up to an empty line (llhttp, so Node servers:
// http09_headers), bytes after that are ignored as servers ignore them (data_after_http09), and its
// answer is the server's bytes up to the end of the stream, without a head (status 0, version 0.9),
// unless the server answers with a status line (Node does; Go and strict Apache refuse with 400).

#include <cstdint>
#include <vector>

#include "dissectors/common/bytes.h"
#include "dissectors/common/direction.h"
#include "dissectors/common/timestamp.h"
#include "dissectors/http/http_counters.h"
#include "dissectors/http/http_limits.h"
#include "dissectors/http/http_transaction.h"
#include "dissectors/http/message_parser.h"
#include "dissectors/http/start_line.h"
#include "dissectors/http/transaction_pool.h"

namespace bw::http {

// Implemented by the sensor's glue. Callbacks run inside Feed/Gap/End/Close and must not call
// back into the conversation.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Decoded (de-chunked) response body bytes of `tx`, in order, as they arrive (for streaming
  // listing scanners). Chunks are split wherever the packets were.
  virtual void OnResponseBody(const HttpTransaction& tx, ByteView chunk) {}
  // Whether the response's decoded body prefix (HttpResponse::body_prefix) is wanted; asked
  // after each OnResponseBody. Copying the first body_prefix_bytes of every object served is
  // wasted work when only error documents are ever read from it.
  virtual bool WantsBodyPrefix(const HttpTransaction& tx) const { return true; }
  // A finished transaction: complete, truncated, or without response. The handler may move
  // from `tx`.
  virtual void OnTransaction(HttpTransaction& tx) = 0;
};

class HttpConversation final : private MessageSink {
 public:
  // `pool` (may be null: buffers are then freed when the connection goes idle) is shared by the
  // worker's conversations and outlives them.
  HttpConversation(const HttpLimits& limits, HttpCounters& counters, HttpHandler& handler,
                   TransactionPool* pool = nullptr);
  HttpConversation(const HttpConversation&) = delete;
  HttpConversation& operator=(const HttpConversation&) = delete;

  void Feed(Direction dir, ByteView data, TimestampNs ts);
  void Gap(Direction dir, uint64_t length, TimestampNs ts);
  void End(Direction dir, TimestampNs ts);  // FIN (or RST) in that direction
  // Connection gone or evicted: flush what is pending (kNoResponse / kTruncated; a response
  // that runs to the end of the stream is kTruncated unless End() came first). Idempotent.
  void Close(TimestampNs ts);

  // The stream is not HTTP (the client's first bytes are not a request line) or became a tunnel
  // (CONNECT, Upgrade): the sensor stops feeding.
  bool gave_up() const { return gave_up_; }
  // It gave up because the connection became a tunnel (CONNECT 2xx, 101): what follows is
  // another protocol's first bytes, which the owner may dissect anew.
  bool tunnel() const { return tunnel_; }
  // No further transaction is expected (the server announced its close, tunnel, or closed).
  // A close announced by the server counts too, although later requests are still parsed
  // (some servers answer them).
  bool finished() const { return finished_ || close_seq_ != kNoSeq; }
  size_t pending_requests() const { return pending_.size(); }
  // Heap bytes held: line buffers, the pending queue and the messages in it, the response in
  // flight. O(pending requests x headers) after a message changed (a start line, a header, a
  // body prefix, a message end), O(1) otherwise, so calling it after every packet is cheap.
  size_t held_bytes() const;

 private:
  struct Pending {
    HttpTransaction tx;
    uint64_t seq = 0;
    bool close_after = false;  // the request asked for Connection: close (or is HTTP/1.0)

    void Reset() {
      tx.Reset();
      seq = 0;
      close_after = false;
    }
  };

  // FIFO of requests awaiting a response; grows geometrically up to its cap, never shrinks. A
  // slot keeps its message buffers when popped, for the next request.
  class PendingQueue {
   public:
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    Pending& At(size_t i) { return slots_[(head_ + i) % slots_.size()]; }
    const Pending& At(size_t i) const { return slots_[(head_ + i) % slots_.size()]; }
    size_t slot_bytes() const { return slots_.capacity() * sizeof(Pending); }
    Pending& Front() { return At(0); }
    Pending& PushBack(size_t cap);
    void PopFront();
    // Hands every slot's buffers to the pool (frees them without one); the queue must be
    // empty. The slots themselves stay.
    void ParkSlots(TransactionPool* pool);

   private:
    std::vector<Pending> slots_;
    size_t head_ = 0;
    size_t size_ = 0;
  };

  enum class ResponseTarget : uint8_t { kNone, kInflight, kInterim, kDiscard };

  // MessageSink
  void OnStartLine(Direction dir, const StartLine& line, bool truncated,
                   TimestampNs first_ts) override;
  void OnHeader(Direction dir, std::string_view name, std::string_view value) override;
  void OnHeaderContinuation(Direction dir, std::string_view more) override;
  BodyRule OnHeadComplete(Direction dir, const FramingInfo& info, uint64_t header_bytes,
                          TimestampNs ts) override;
  void OnBody(Direction dir, ByteView decoded) override;
  void OnMessageEnd(Direction dir, MessageEnd end, uint64_t body_wire_bytes, bool missing,
                    TimestampNs ts) override;
  void OnSyncLost(Direction dir, SyncLoss why, TimestampNs ts) override;
  void OnResync(Direction dir, TimestampNs ts) override;

  void StartRequest(const RequestLine& line, bool truncated, TimestampNs ts);
  void StartResponse(const StatusLine& line, bool truncated, TimestampNs ts);
  bool ApplyResyncPolicy(TimestampNs ts);
  Pending* FindRequest(uint64_t seq);
  HeaderList* CurrentHeaders(Direction dir);
  void Emit(Pending& p, TransactionEnd end);
  void FlushFront();
  void FlushAllPending();
  // Tells the response parser whether the next response answers an HTTP/0.9 request.
  void ArmHeadless();
  void Finish(bool gave_up);
  // Gives the message buffers to the pool (or frees them) when no transaction uses them.
  void ParkIdleBuffers();
  MessageParser& Parser(Direction dir) {
    return dir == Direction::kToServer ? request_parser_ : response_parser_;
  }

  const HttpLimits limits_;
  HttpCounters& counters_;
  HttpHandler& handler_;
  TransactionPool* pool_;
  MessageParser request_parser_;
  MessageParser response_parser_;

  PendingQueue pending_;
  uint64_t next_seq_ = 0;
  static constexpr uint64_t kNoSeq = UINT64_MAX;
  // The first request sent after a response that announced the server's close.
  uint64_t close_seq_ = kNoSeq;
  uint64_t open_request_seq_ = 0;  // the request the client parser is inside, if request_open_
  bool request_open_ = false;

  Pending inflight_;  // request whose response is being parsed
  bool has_inflight_ = false;
  bool response_close_ = false;
  ResponseTarget response_target_ = ResponseTarget::kNone;
  HttpResponse scratch_;  // interim and unmatched responses: parsed, then dropped

  bool any_start_line_ = false;
  bool any_gap_ = false;
  bool client_lost_ = false;      // the client stream lost sync at least once
  bool server_lost_ = false;      // the server stream is scanning for a status line
  bool server_resynced_ = false;  // the next status line follows a resync
  bool pipelining_seen_ = false;  // a request was sent while a response was outstanding
  bool tunnel_ = false;
  bool gave_up_ = false;
  bool finished_ = false;
  bool closed_ = false;
  bool data_after_close_ = false;

  // held_bytes() cache of everything but the parsers' line buffers; every MessageSink event
  // that can change a message marks it dirty.
  mutable size_t held_messages_ = 0;
  mutable bool held_dirty_ = true;
};

}  // namespace bw::http
