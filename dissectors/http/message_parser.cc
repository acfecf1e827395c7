#include "dissectors/http/message_parser.h"

#include <algorithm>
#include <cstring>

#include "dissectors/common/ascii.h"

namespace bw::http {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Calls `fn` with each trimmed, non-empty element of a comma-separated list.
template <typename Fn>
void ForEachListElement(std::string_view value, Fn fn) {
  while (true) {
    size_t comma = value.find(',');
    std::string_view item = Trim(value.substr(0, comma));
    if (!item.empty()) fn(item);
    if (comma == std::string_view::npos) return;
    value.remove_prefix(comma + 1);
  }
}

// 1*DIGIT without overflow. Leading zeros, however many, are part of a valid decimal (nginx,
// llhttp and Go read "000050" as 50); 19 significant digits always fit in uint64_t.
bool ParseDecimal(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  size_t zeros = s.find_first_not_of('0');
  if (zeros == std::string_view::npos) zeros = s.size();
  s.remove_prefix(zeros);
  if (s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  out = v;
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Header names whose value steers framing or pairing: folding onto them is refused, because
// a folded Content-Length or Transfer-Encoding is the classic smuggling vector.
bool IsSteeringHeader(std::string_view name) {
  return EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "transfer-encoding") ||
         EqualsIgnoreCase(name, "host") || EqualsIgnoreCase(name, "connection") ||
         EqualsIgnoreCase(name, "expect");
}

}  // namespace

MessageParser::MessageParser(Direction dir, const HttpLimits& limits, HttpCounters& counters,
                             MessageSink& sink)
    : dir_(dir), limits_(limits), counters_(counters), sink_(sink) {}

void MessageParser::ResetLine() {
  line_buf_.clear();
  // A rare long line must not pin its buffer for the life of the connection: a million idle
  // connections that each once sent a long header would otherwise hold gigabytes.
  if (line_buf_.capacity() > kRetainedLineBytes) line_buf_.shrink_to_fit();
  line_len_ = 0;
  line_done_ = false;
}

bool MessageParser::ReadLine(ByteView& in, size_t limit, Line& out) {
  if (line_done_) ResetLine();
  const void* lf = std::memchr(in.data(), '\n', in.size());
  size_t take =
      lf ? static_cast<size_t>(static_cast<const uint8_t*>(lf) - in.data()) + 1 : in.size();
  size_t content = lf ? take - 1 : take;
  std::string_view part = AsStringView(in.first(content));
  in = in.subspan(take);

  std::string_view text;
  uint64_t total = 0;
  if (lf && line_len_ == 0) {
    text = part;  // the whole line is in this span: no copy
    total = content;
  } else {
    // One extra byte beyond the limit keeps a trailing CR of a line exactly at the limit.
    size_t keep = limit + 1;
    // The buffer grows with the line (geometrically, at most to the limit): a connection that
    // stalls mid-line costs what it sent, not the limit.
    if (line_buf_.size() < keep) {
      line_buf_.append(part.substr(0, keep - line_buf_.size()));
    }
    line_len_ += content;
    if (!lf) return false;
    text = line_buf_;
    total = line_len_;
    line_done_ = true;
  }
  out.raw = total + 1;
  if (total == text.size() && !text.empty() && text.back() == '\r') {
    text.remove_suffix(1);
    --total;
  }
  out.overflow = total > limit;
  out.text = out.overflow ? text.substr(0, limit) : text;
  line_len_ = 0;
  return true;
}

void MessageParser::Feed(ByteView in, TimestampNs ts) {
  Line line;
  while (!in.empty()) {
    switch (state_) {
      case State::kStopped:
        return;
      case State::kIgnoreRest:
        // Counted once, so that the count does not depend on packetisation.
        if (!ignored_counted_) counters_.Count(ignored_error_);
        ignored_counted_ = true;
        in = {};
        break;
      case State::kStartLine:
        StepStartLine(in, ts);
        break;
      case State::kResync:
        StepResync(in, ts);
        break;
      case State::kHeaders:
        if (!ReadLine(in, limits_.max_header_line, line)) break;
        head_bytes_ += line.raw;
        NoteLineEnding(line);
        if (!block_overflow_ && head_bytes_ > limits_.max_header_block) {
          block_overflow_ = true;
          info_.head_truncated = true;
          counters_.Count(HttpError::kHeaderBlockTooLarge);
        }
        if (line.text.empty() && !line.overflow) {
          FinishHead(ts);
        } else {
          HeaderLine(line);
        }
        break;
      case State::kBodyLength:
      case State::kChunkData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size()));
        sink_.OnBody(dir_, in.first(n));
        in = in.subspan(n);
        remaining_ -= n;
        body_wire_ += n;
        body_content_ += n;
        if (remaining_ == 0) {
          if (state_ == State::kBodyLength) {
            EndMessage(MessageEnd::kComplete, ts);
          } else if (state_ == State::kChunkData) {
            state_ = State::kChunkDataEnd;
          }
        }
        break;
      }
      case State::kBodyUntilEnd:
        sink_.OnBody(dir_, in);
        body_wire_ += in.size();
        body_content_ += in.size();
        in = {};
        break;
      case State::kChunkSize:
        if (!ReadLine(in, limits_.max_header_line, line)) break;
        body_wire_ += line.raw;
        ChunkSizeLine(line, ts);
        break;
      case State::kChunkDataEnd:
        if (!ReadLine(in, limits_.max_header_line, line)) break;
        body_wire_ += line.raw;
        if (!line.text.empty() || line.overflow) {
          counters_.Count(HttpError::kBadChunkTerminator);
          EndMessage(MessageEnd::kTruncated, ts);
          FramingError(ts);
        } else {
          state_ = State::kChunkSize;
        }
        break;
      case State::kTrailers:
        // Trailer fields are framed and counted but not stored: nothing downstream uses them.
        if (!ReadLine(in, limits_.max_header_line, line)) break;
        body_wire_ += line.raw;
        if (line.overflow) counters_.Count(HttpError::kLineTooLong);
        if (line.text.empty() && !line.overflow) EndMessage(MessageEnd::kComplete, ts);
        break;
    }
  }
}

bool MessageParser::StepHeadlessPeek(ByteView& in, TimestampNs ts) {
  // A server that refused HTTP/0.9 answers with a status line; anything else is the body. The
  // bytes are held here one by one so that the verdict does not depend on packetisation.
  while (!in.empty() && peek_len_ < kStatusPrefix.size()) {
    if (peek_len_ == 0) peek_ts_ = ts;
    char c = static_cast<char>(in[0]);
    peek_[peek_len_++] = c;
    in = in.subspan(1);
    if (c != kStatusPrefix[peek_len_ - 1]) {
      uint8_t n = peek_len_;
      peek_len_ = 0;
      if (line_done_) ResetLine();
      StartHeadless(peek_ts_);
      if (state_ != State::kBodyUntilEnd) return true;
      sink_.OnBody(dir_, AsBytes(std::string_view(peek_, n)));
      body_wire_ += n;
      return true;
    }
  }
  if (peek_len_ < kStatusPrefix.size()) return true;  // wait for more bytes
  // A status line after all: its first bytes go to the line reader.
  peek_len_ = 0;
  headless_next_ = false;
  line_first_ts_ = peek_ts_;
  ByteView held = AsBytes(std::string_view(peek_, kStatusPrefix.size()));
  Line unused;
  if (line_done_) ResetLine();
  ReadLine(held, limits_.max_start_line, unused);
  return false;
}

void MessageParser::StepStartLine(ByteView& in, TimestampNs ts) {
  if (headless_next_ && line_len_ == 0 && StepHeadlessPeek(in, ts)) return;
  if (line_len_ == 0 || line_done_) line_first_ts_ = ts;
  Line line;
  if (!ReadLine(in, limits_.max_start_line, line)) {
    // Decide as soon as the prefix cannot become a start line, so that binary or foreign
    // protocols are not buffered up to the limit; the verdict equals the whole line's.
    std::string_view prefix(line_buf_.data(), std::min(line_buf_.size(), limits_.max_start_line));
    if (!StartLinePrefixPlausible(dir_, prefix)) {
      counters_.Count(HttpError::kBadStartLine);
      LoseSync(SyncLoss::kBadStartLine, ts);
    }
    return;
  }
  if (line.text.empty() && !line.overflow) return;  // empty lines before a start line: ignored
  StartMessage(line, ts);
}

void MessageParser::StepResync(ByteView& in, TimestampNs ts) {
  if (line_len_ == 0 || line_done_) line_first_ts_ = ts;
  Line line;
  if (!ReadLine(in, limits_.max_start_line, line)) return;
  if (line.overflow) return;
  bool found =
      dir_ == Direction::kToServer ? IsResyncRequestLine(line.text) : IsResyncStatusLine(line.text);
  if (!found) return;
  HttpCounters::Add(counters_.resyncs);
  state_ = State::kStartLine;
  sink_.OnResync(dir_, ts);
  if (state_ == State::kStopped) return;
  StartMessage(line, ts);
}

void MessageParser::ResetMessage(uint64_t head_bytes) {
  info_ = FramingInfo{};
  head_bytes_ = head_bytes;
  stored_headers_ = 0;
  last_header_foldable_ = false;
  last_header_te_ = false;
  too_many_counted_ = false;
  block_overflow_ = false;
  bare_lf_counted_ = false;
  remaining_ = 0;
  body_wire_ = 0;
  body_content_ = 0;
  missing_ = false;
  http09_ = false;
  http09_headers_counted_ = false;
  headless_next_ = false;
  state_ = State::kHeaders;
}

void MessageParser::StartMessage(const Line& line, TimestampNs ts) {
  StartLine start{};
  bool ok = dir_ == Direction::kToServer ? ParseRequestLine(line.text, line.overflow, start.request)
                                         : ParseStatusLine(line.text, start.status);
  if (!ok) {
    counters_.Count(HttpError::kBadStartLine);
    LoseSync(SyncLoss::kBadStartLine, ts);
    return;
  }
  // Counted only for start lines that parse: an invalid one may be rejected from its prefix
  // before its length is known, and counts must not depend on packetisation.
  if (line.overflow) counters_.Count(HttpError::kLineTooLong);
  ResetMessage(line.raw);
  info_.head_truncated = line.overflow;
  NoteLineEnding(line);
  if (dir_ == Direction::kToServer) {
    if (start.request.space_in_target) counters_.Count(HttpError::kSpaceInTarget);
    if (start.request.odd_version) counters_.Count(HttpError::kOddVersion);
    if (start.request.refused) {
      counters_.Count(start.request.target.empty() ? HttpError::kNoTarget
                                                   : HttpError::kHttp09Method);
    } else if (start.request.http09) {
      counters_.Count(HttpError::kHttp09);
    }
    http09_ = start.request.http09;
  }
  if (head_bytes_ > limits_.max_header_block) {
    block_overflow_ = true;
    info_.head_truncated = true;
    counters_.Count(HttpError::kHeaderBlockTooLarge);
  }
  // An HTTP/0.9 request is complete with its line for nginx and Apache httpd, which answer at
  // once and read nothing more; llhttp (Node) reads header lines after it up to an empty line.
  // Both are followed: the request can be answered from its line on (the owner pairs an early
  // answer), and header lines that do come are read into it (http09_headers).
  sink_.OnStartLine(dir_, start, line.overflow, line_first_ts_);
}

void MessageParser::StartHeadless(TimestampNs ts) {
  ResetMessage(0);
  StartLine start{};
  start.status.version_major = 0;
  start.status.version_minor = 9;
  sink_.OnStartLine(dir_, start, false, ts);
  if (state_ == State::kHeaders) FinishHead(ts);
}

void MessageParser::NoteLineEnding(const Line& line) {
  // A line of the head ended by LF alone: accepted (RFC 9112 section 2.2 lets a recipient), but
  // strict servers answer 400, so a request that relies on it may never have been served.
  // Counted once per message; the raw length includes the LF, and a CR would be one more byte.
  if (bare_lf_counted_ || line.overflow || line.raw != line.text.size() + 1) return;
  bare_lf_counted_ = true;
  counters_.Count(HttpError::kBareLf);
}

void MessageParser::HeaderLine(const Line& line) {
  if (http09_ && !http09_headers_counted_) {
    http09_headers_counted_ = true;
    counters_.Count(HttpError::kHttp09Headers);
  }
  if (line.overflow) {
    counters_.Count(HttpError::kLineTooLong);
    info_.head_truncated = true;
    last_header_foldable_ = false;
    last_header_te_ = false;
    return;
  }
  std::string_view text = line.text;
  if (IsSpace(text.front())) {
    // obs-fold (RFC 9112 section 5.2): joined to the previous header with one SP, as a proxy
    // would, unless that header steers framing or pairing, or was not stored.
    std::string_view more = Trim(text);
    if (last_header_te_) {
      // Folded onto Transfer-Encoding: servers that accept obs-fold (Go's textproto, Apache
      // httpd, llhttp when lenient) join the line, so its codings continue the list and the
      // last one decides the framing. Reading it as they do is what shows the request they
      // see after the body; the strict ones answer 400.
      counters_.Count(HttpError::kObsFold);
      if (!more.empty()) Interpret("transfer-encoding", more);
      return;
    }
    if (!last_header_foldable_) {
      counters_.Count(HttpError::kBadHeader);
      return;
    }
    counters_.Count(HttpError::kObsFold);
    if (!more.empty() && !block_overflow_) sink_.OnHeaderContinuation(dir_, more);
    return;
  }
  last_header_foldable_ = false;
  last_header_te_ = false;
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    counters_.Count(HttpError::kBadHeader);
    return;
  }
  std::string_view name = text.substr(0, colon);
  // Whitespace between name and colon must be rejected (RFC 9112 section 5.1): the header is
  // dropped, which is also what makes "Content-Length :" harmless.
  for (char c : name) {
    if (!IsTokenChar(static_cast<uint8_t>(c))) {
      counters_.Count(HttpError::kBadHeader);
      return;
    }
  }
  std::string_view value = Trim(text.substr(colon + 1));
  for (char c : value) {
    auto u = static_cast<uint8_t>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      counters_.Count(HttpError::kBadHeader);
      return;
    }
  }
  Interpret(name, value);
  last_header_te_ = EqualsIgnoreCase(name, "transfer-encoding");
  if (stored_headers_ >= limits_.max_headers) {
    if (!too_many_counted_) {
      too_many_counted_ = true;
      counters_.Count(HttpError::kTooManyHeaders);
    }
    info_.head_truncated = true;
    return;
  }
  if (block_overflow_) return;
  ++stored_headers_;
  last_header_foldable_ = !IsSteeringHeader(name);
  sink_.OnHeader(dir_, name, value);
}

void MessageParser::Interpret(std::string_view name, std::string_view value) {
  if (EqualsIgnoreCase(name, "content-length")) {
    bool first = !info_.has_content_length;
    info_.has_content_length = true;
    bool any = false;
    ForEachListElement(value, [&](std::string_view item) {
      uint64_t v = 0;
      any = true;
      if (!ParseDecimal(item, v)) {
        info_.content_length_invalid = true;
      } else if (first) {
        info_.content_length = v;
        first = false;
      } else if (v != info_.content_length) {
        info_.content_length_conflict = true;
      } else {
        info_.content_length_repeated = true;
      }
    });
    if (!any) info_.content_length_invalid = true;
  } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
    info_.has_transfer_encoding = true;
    // A later Transfer-Encoding header continues the list: its last coding decides.
    std::string_view last;
    ForEachListElement(value, [&](std::string_view item) { last = item; });
    last = Trim(last.substr(0, last.find(';')));
    info_.chunked_last = EqualsIgnoreCase(last, "chunked");
  } else if (EqualsIgnoreCase(name, "connection")) {
    ForEachListElement(value, [&](std::string_view item) {
      if (EqualsIgnoreCase(item, "close")) info_.connection_close = true;
      if (EqualsIgnoreCase(item, "keep-alive")) info_.connection_keep_alive = true;
    });
  } else if (EqualsIgnoreCase(name, "expect")) {
    if (EqualsIgnoreCase(value, "100-continue")) info_.expect_continue = true;
  }
}

void MessageParser::FinishHead(TimestampNs ts) {
  BodyRule rule = sink_.OnHeadComplete(dir_, info_, head_bytes_, ts);
  if (state_ == State::kStopped) return;
  if (rule == BodyRule::kNone) {
    EndMessage(MessageEnd::kComplete, ts);
    return;
  }
  if (rule == BodyRule::kTunnel) {
    EndMessage(MessageEnd::kComplete, ts);
    Stop();
    return;
  }
  const bool request = dir_ == Direction::kToServer;
  if (http09_) {
    EndMessage(MessageEnd::kComplete, ts);
    IgnoreRest(HttpError::kDataAfterHttp09);
    return;
  }
  if (info_.content_length_repeated && !info_.content_length_conflict &&
      !info_.content_length_invalid) {
    // Go's net/http serves it, nginx and llhttp answer 400: counted, framed by the one value.
    counters_.Count(HttpError::kDuplicateContentLength);
  }
  if (info_.has_transfer_encoding) {
    // RFC 9112 section 6.3: Transfer-Encoding overrides Content-Length.
    if (info_.has_content_length) counters_.Count(HttpError::kTeAndCl);
    if (info_.chunked_last) {
      state_ = State::kChunkSize;
    } else if (request) {
      counters_.Count(HttpError::kBadTransferEncoding);
      missing_ = true;
      EndMessage(MessageEnd::kTruncated, ts);
      FramingError(ts);
    } else {
      state_ = State::kBodyUntilEnd;
    }
    return;
  }
  if (info_.has_content_length) {
    if (info_.content_length_invalid || info_.content_length_conflict) {
      counters_.Count(info_.content_length_invalid ? HttpError::kBadContentLength
                                                   : HttpError::kConflictingContentLength);
      missing_ = true;
      EndMessage(MessageEnd::kTruncated, ts);
      FramingError(ts);
      return;
    }
    if (info_.content_length == 0) {
      EndMessage(MessageEnd::kComplete, ts);
    } else {
      remaining_ = info_.content_length;
      state_ = State::kBodyLength;
    }
    return;
  }
  // No framing headers: a request has no body, a response runs to the end of the stream.
  if (request) {
    EndMessage(MessageEnd::kComplete, ts);
  } else {
    state_ = State::kBodyUntilEnd;
  }
}

void MessageParser::ChunkSizeLine(const Line& line, TimestampNs ts) {
  // chunk-size [BWS ; chunk-ext] ; extensions are ignored.
  std::string_view text = line.text;
  uint64_t size = 0;
  size_t i = 0;
  bool ok = !line.overflow;
  // Leading zeros are allowed (nginx, llhttp); a value past 64 bits is refused, never wrapped:
  // nginx and llhttp answer 400 and close, so nothing after it on the connection is read.
  while (ok && i < text.size() && HexValue(text[i]) >= 0) {
    if (size >> 60 != 0) {
      ok = false;
      break;
    }
    size = (size << 4) | static_cast<uint64_t>(HexValue(text[i]));
    ++i;
  }
  if (ok && i == 0) ok = false;
  if (ok) {
    std::string_view rest = Trim(text.substr(i));
    if (!rest.empty() && rest.front() != ';') ok = false;
  }
  if (!ok) {
    counters_.Count(line.overflow ? HttpError::kLineTooLong : HttpError::kBadChunkSize);
    EndMessage(MessageEnd::kTruncated, ts);
    FramingError(ts);
    return;
  }
  if (size == 0) {
    state_ = State::kTrailers;
  } else {
    remaining_ = size;
    state_ = State::kChunkData;
  }
}

void MessageParser::EndMessage(MessageEnd end, TimestampNs ts) {
  // The state changes first: the owner may Stop() this parser from inside the callback.
  state_ = State::kStartLine;
  sink_.OnMessageEnd(dir_, end, body_wire_, missing_, ts);
}

void MessageParser::IgnoreRest(HttpError counted_as) {
  if (state_ == State::kStopped) return;
  state_ = State::kIgnoreRest;
  ignored_error_ = counted_as;
}

void MessageParser::FramingError(TimestampNs ts) {
  // Both sides look for the next start line. A server that cannot frame a request body answers
  // 400 (or 501) and closes, so a request line found after it was never acted on by that server;
  // but it is exactly what a request-smuggling attempt puts there for a front end that frames
  // differently, so the sensor records it (answered or, more often, not: no_response) rather
  // than hide it. Such a request is never a successful read, so it raises no read alert.
  LoseSync(SyncLoss::kBadFraming, ts);
}

void MessageParser::LoseSync(SyncLoss why, TimestampNs ts) {
  if (state_ == State::kStopped) return;
  state_ = State::kResync;
  sink_.OnSyncLost(dir_, why, ts);
}

void MessageParser::Gap(uint64_t length, TimestampNs ts) {
  if (state_ == State::kStopped || length == 0) return;
  switch (state_) {
    case State::kBodyLength:
    case State::kChunkData: {
      uint64_t skipped = std::min(length, remaining_);
      HttpCounters::Add(counters_.body_bytes_skipped_in_gap, skipped);
      remaining_ -= skipped;
      body_wire_ += skipped;
      body_content_ += skipped;
      missing_ = true;
      if (length <= skipped) {
        if (remaining_ > 0) return;
        if (state_ == State::kChunkData) {
          state_ = State::kChunkDataEnd;
        } else {
          EndMessage(MessageEnd::kComplete, ts);
        }
        return;
      }
      // The hole runs past the end of the known length: this body is accounted for, but where
      // the next message starts is unknown. Past a chunk the next chunk size is lost too.
      EndMessage(state_ == State::kBodyLength ? MessageEnd::kComplete : MessageEnd::kTruncated, ts);
      ResetLine();
      LoseSync(SyncLoss::kGap, ts);
      return;
    }
    case State::kBodyUntilEnd:
      HttpCounters::Add(counters_.body_bytes_skipped_in_gap, length);
      body_wire_ += length;
      body_content_ += length;
      missing_ = true;
      return;
    case State::kHeaders:
    case State::kChunkSize:
    case State::kChunkDataEnd:
    case State::kTrailers:
      missing_ = true;
      EndMessage(MessageEnd::kTruncated, ts);
      ResetLine();
      LoseSync(SyncLoss::kGap, ts);
      return;
    case State::kStartLine:
      ResetLine();
      peek_len_ = 0;
      LoseSync(SyncLoss::kGap, ts);
      return;
    case State::kResync:
      ResetLine();  // the bytes after the hole may start a line
      return;
    case State::kIgnoreRest:
    case State::kStopped:
      return;
  }
}

void MessageParser::End(TimestampNs ts) { Finish(/*clean=*/true, ts); }
void MessageParser::Abort(TimestampNs ts) { Finish(/*clean=*/false, ts); }

void MessageParser::Finish(bool clean, TimestampNs ts) {
  if (state_ == State::kStartLine && peek_len_ > 0) {
    // The answer to HTTP/0.9 ended inside what could have been "HTTP/": it was all body.
    uint8_t n = peek_len_;
    peek_len_ = 0;
    StartHeadless(peek_ts_);
    if (state_ == State::kBodyUntilEnd) {
      sink_.OnBody(dir_, AsBytes(std::string_view(peek_, n)));
      body_wire_ += n;
    }
  }
  if (state_ == State::kHeaders && http09_) {
    // nginx and Apache served it on its line: whatever headers followed, it is complete.
    EndMessage(MessageEnd::kComplete, ts);
  }
  switch (state_) {
    case State::kBodyUntilEnd:
      if (clean) {
        EndMessage(MessageEnd::kComplete, ts);
      } else {
        counters_.Count(HttpError::kTruncatedAtEnd);
        EndMessage(MessageEnd::kTruncated, ts);
      }
      break;
    case State::kHeaders:
    case State::kBodyLength:
    case State::kChunkSize:
    case State::kChunkData:
    case State::kChunkDataEnd:
    case State::kTrailers:
      counters_.Count(HttpError::kTruncatedAtEnd);
      missing_ = true;
      EndMessage(MessageEnd::kTruncated, ts);
      break;
    case State::kStartLine:
    case State::kResync:
    case State::kIgnoreRest:
    case State::kStopped:
      break;
  }
  state_ = State::kStopped;
}

}  // namespace bw::http
