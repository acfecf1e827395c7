#pragma once
// The direction-generic HTTP/1.x message state machine: start line, header block, body by
// Content-Length, chunked (extensions, trailers) or until the end of the stream, then the next
// message. Requests and responses share all of it; they differ only in how the start line is
// parsed and in what the owner says about the body (HEAD, 1xx/204/304, tunnels).
//
// Guarantees: bytes may arrive split anywhere and produce the same events; memory is one line
// buffer that grows with a line split across packets, up to max(max_start_line, max_header_line) +
// 1 bytes, and shrinks back after a long one (bodies are never buffered); no exceptions; every
// limit hit and every malformation is counted in HttpCounters. After a gap it skips a body of known
// length (marking the message missing_bytes); anywhere else it loses sync and scans for the next
// start line (resync). A message whose body cannot be framed (bad Content-Length or chunk size,
// Transfer-Encoding not ending in chunked) loses sync too: a request line after it is what a
// smuggling attempt hides there, and is recorded (see FramingError).

#include <cstdint>
#include <string>
#include <string_view>

#include "dissectors/common/bytes.h"
#include "dissectors/common/direction.h"
#include "dissectors/common/timestamp.h"
#include "dissectors/http/http_counters.h"
#include "dissectors/http/http_limits.h"
#include "dissectors/http/start_line.h"

namespace bw::http {

// Framing facts gathered from the header block (RFC 9112 section 6), and whether a limit cut it.
struct FramingInfo {
  bool has_content_length = false;
  bool content_length_invalid = false;
  bool content_length_conflict = false;
  bool content_length_repeated = false;  // the same value more than once (RFC 9110 8.6)
  uint64_t content_length = 0;
  bool has_transfer_encoding = false;
  bool chunked_last = false;  // the final transfer coding is chunked
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool expect_continue = false;
  bool head_truncated = false;  // a limit dropped part of the start line or header block
};

// What the owner decides about the body once it has seen the head.
enum class BodyRule : uint8_t {
  kFraming,  // as the headers say (chunked, Content-Length, none / until end of stream)
  kNone,     // no body whatever the headers say (HEAD response, 1xx, 204, 304)
  kTunnel,   // the connection stops carrying HTTP after this message (CONNECT 2xx, 101)
};

enum class MessageEnd : uint8_t { kComplete, kTruncated };

enum class SyncLoss : uint8_t { kGap, kBadStartLine, kBadFraming };

// The parsed start line: `request` for kToServer, `status` for kToClient.
struct StartLine {
  RequestLine request;
  StatusLine status;
};

// Events of one direction, in stream order. Views are valid only during the call.
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // A valid start line; `truncated` when a limit cut it. Begins a message.
  virtual void OnStartLine(Direction dir, const StartLine& line, bool truncated,
                           TimestampNs first_ts) = 0;
  // A header to store (limits already applied). Name and value as sent, value trimmed.
  virtual void OnHeader(Direction dir, std::string_view name, std::string_view value) = 0;
  // An obs-fold continuation joined to the header delivered last (value trimmed, non-empty).
  virtual void OnHeaderContinuation(Direction dir, std::string_view more) = 0;
  virtual BodyRule OnHeadComplete(Direction dir, const FramingInfo& info, uint64_t header_bytes,
                                  TimestampNs ts) = 0;
  // Decoded (de-chunked) body bytes.
  virtual void OnBody(Direction dir, ByteView decoded) = 0;
  // The message begun by OnStartLine is over. It may end without OnHeadComplete (cut in its head).
  virtual void OnMessageEnd(Direction dir, MessageEnd end, uint64_t body_wire_bytes, bool missing,
                            TimestampNs ts) = 0;
  // The direction no longer knows where messages start; it scans for the next start line.
  virtual void OnSyncLost(Direction dir, SyncLoss why, TimestampNs ts) = 0;
  // A start line was found again; OnStartLine for it follows at once.
  virtual void OnResync(Direction dir, TimestampNs ts) = 0;
};

class MessageParser {
 public:
  // Requests when `dir` is kToServer, responses when kToClient.
  MessageParser(Direction dir, const HttpLimits& limits, HttpCounters& counters, MessageSink& sink);
  MessageParser(const MessageParser&) = delete;
  MessageParser& operator=(const MessageParser&) = delete;

  void Feed(ByteView data, TimestampNs ts);
  void Gap(uint64_t length, TimestampNs ts);
  // End of this direction (FIN): a body that runs to the end is complete, anything else is cut.
  void End(TimestampNs ts);
  // The connection vanished without an end (eviction, timeout): even a body that runs to the
  // end of the stream counts as cut.
  void Abort(TimestampNs ts);
  // Ignore all further input (tunnel, not HTTP, connection finished).
  void Stop() { state_ = State::kStopped; }
  // Responses only: the next message answers an HTTP/0.9 request, so unless it begins with
  // "HTTP/" it has no head and its body runs to the end of the stream. Takes effect at the
  // next message boundary; the owner re-arms it after each message.
  void ExpectHeadless(bool on) { headless_next_ = on; }

  bool stopped() const { return state_ == State::kStopped; }
  // Heap bytes this parser holds (its line buffer), for memory accounting.
  size_t held_bytes() const {
    return line_buf_.capacity() > kInlineLineBytes ? line_buf_.capacity() : 0;
  }
  // Wire bytes of the current message's body so far (for a request emitted before it ended).
  uint64_t body_wire_bytes() const { return body_wire_; }
  // Wire bytes of the current message's head so far (likewise).
  uint64_t head_bytes() const { return head_bytes_; }
  // Content bytes of the current message's body so far: de-chunked, and bytes a gap took from
  // inside a body of known length included (they were sent, only not seen). Valid until the
  // next message starts, so the sink may read it in OnMessageEnd.
  uint64_t body_content_bytes() const { return body_content_; }

 private:
  enum class State : uint8_t {
    kStartLine,
    kHeaders,
    kBodyLength,
    kBodyUntilEnd,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kResync,
    kIgnoreRest,  // after HTTP/0.9 or a request it cannot frame: the server reads no further byte
    kStopped,
  };
  struct Line {
    std::string_view text;  // without the line ending, cut to the limit
    bool overflow = false;  // the line was longer than the limit
    uint64_t raw = 0;       // bytes on the wire including the line ending
  };

  bool ReadLine(ByteView& in, size_t limit, Line& out);
  void ResetLine();
  void StartMessage(const Line& line, TimestampNs ts);
  void ResetMessage(uint64_t head_bytes);
  void StartHeadless(TimestampNs ts);
  bool StepHeadlessPeek(ByteView& in, TimestampNs ts);
  void HeaderLine(const Line& line);
  void NoteLineEnding(const Line& line);
  void Interpret(std::string_view name, std::string_view value);
  void FinishHead(TimestampNs ts);
  void ChunkSizeLine(const Line& line, TimestampNs ts);
  void EndMessage(MessageEnd end, TimestampNs ts);
  void LoseSync(SyncLoss why, TimestampNs ts);
  void FramingError(TimestampNs ts);
  void IgnoreRest(HttpError counted_as);
  void StepStartLine(ByteView& in, TimestampNs ts);
  void StepResync(ByteView& in, TimestampNs ts);
  void Finish(bool clean, TimestampNs ts);

  // Capacity kept across lines; a longer buffer is released once its line is done.
  static constexpr size_t kRetainedLineBytes = 1024;
  // std::string keeps this much inline (no heap) in libstdc++.
  static constexpr size_t kInlineLineBytes = 15;

  const Direction dir_;
  const HttpLimits& limits_;
  HttpCounters& counters_;
  MessageSink& sink_;
  State state_ = State::kStartLine;

  // Current line: bytes kept (at most limit + 1) and bytes seen.
  std::string line_buf_;
  uint64_t line_len_ = 0;
  bool line_done_ = false;  // line_buf_ holds a returned line; clear it before the next one
  TimestampNs line_first_ts_ = 0;

  // Current message.
  FramingInfo info_;
  uint64_t head_bytes_ = 0;
  size_t stored_headers_ = 0;
  bool last_header_foldable_ = false;
  bool last_header_te_ = false;  // the last header line was Transfer-Encoding
  bool too_many_counted_ = false;
  bool block_overflow_ = false;
  bool bare_lf_counted_ = false;
  uint64_t remaining_ = 0;
  uint64_t body_wire_ = 0;
  uint64_t body_content_ = 0;
  bool missing_ = false;
  bool http09_ = false;  // the current request is HTTP/0.9
  bool http09_headers_counted_ = false;
  bool headless_next_ = false;  // see ExpectHeadless
  bool ignored_counted_ = false;
  HttpError ignored_error_ = HttpError::kDataAfterHttp09;  // what kIgnoreRest counts
  // The first bytes of an answer to HTTP/0.9, held until they show whether it has a status line.
  static constexpr std::string_view kStatusPrefix = "HTTP/";
  char peek_[kStatusPrefix.size()] = {};
  uint8_t peek_len_ = 0;
  TimestampNs peek_ts_ = 0;
};

}  // namespace bw::http
