#pragma once
// One delivery attempt over the network, as Asio C++20 coroutines on the
// dispatcher's io_context: an HTTP(S) POST on a kept-alive connection (certificate
// and host name verified for https) or an RFC 5424 message over UDP or TCP. Every attempt, name
// resolution included, is bounded by a timeout. Errors are returned, never
// thrown, and never mention the URL's path or query (webhook URLs may carry
// tokens).

// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange, never includes it
// clang-format on

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sensor/config/http_url.h"
#include "sensor/output/sinks/payload.h"

namespace bw::output::sinks {

// The URL syntax lives with the config, which refuses a malformed sink URL at load.
using config::HttpUrl;
using config::ParseHttpUrl;

struct AttemptResult {
  bool ok = false;
  unsigned status = 0;  // HTTP status (0 if none)
  std::string error;    // why it failed, for logs
};

// A receiver's reply head is read within kMaxReplyHead bytes and its body within kMaxReplyBody,
// into a fixed scratch buffer that is thrown away: whatever the reply announces
// (Content-Length: 10^11, an endless body) nothing is allocated for its body. A body that is
// longer, unbounded (delimited by the close) or cut only costs the connection: the head decides.
constexpr size_t kMaxReplyHead = 16 * 1024;
constexpr size_t kMaxReplyBody = 64 * 1024;

// The same parsing over bytes already received (tests, fuzz_sink_reply): the status of the
// complete head at the start of `bytes`, or 0 with `error` set (head cut, too long, malformed).
unsigned ParseSinkReplyHead(std::string_view bytes, std::string& error);

// One keep-alive connection to an HTTP(S) sink, reused across deliveries: opening a connection
// (and a TLS handshake) per alert held a sink to a few dozen alerts per second. The connection
// is closed, and the next Post opens a new one, when the reply says close, its body is
// unbounded or beyond kMaxReplyBody, after any error, and when the idle connection turns out
// closed by the peer (checked before reuse). A request on a reused connection that fails before
// any byte of reply (the peer closed it while the request was on its way: the idle-close race)
// is sent again at once on a new connection, within the same timeout. Not thread-safe: one
// coroutine at a time.
class HttpConnection {
 public:
  // `tls` is required for https; both must outlive the connection.
  HttpConnection(boost::asio::any_io_executor ex, const HttpUrl& url,
                 boost::asio::ssl::context* tls);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // POSTs `payload` as application/json; ok on a 2xx reply. The whole attempt (resolve,
  // connect, handshake, request, reply, the one retry) is bounded by `timeout`.
  boost::asio::awaitable<AttemptResult> Post(const HttpPayload& payload,
                                             std::chrono::milliseconds timeout);
  void Close();
  bool open() const;
  uint64_t connections_opened() const { return opened_; }

 private:
  struct Streams;
  boost::asio::awaitable<AttemptResult> Connect(std::chrono::steady_clock::time_point deadline);
  template <typename Stream>
  boost::asio::awaitable<AttemptResult> Exchange(Stream& stream, const HttpPayload& payload,
                                                 bool& reply_started);

  boost::asio::any_io_executor ex_;
  const HttpUrl url_;
  boost::asio::ssl::context* tls_;
  std::unique_ptr<Streams> streams_;
  uint64_t opened_ = 0;
};

// Sends one syslog message: a datagram (udp) or an octet-counted frame on a
// fresh connection (tcp). ok once the bytes were handed to the kernel.
boost::asio::awaitable<AttemptResult> SyslogSend(const std::string& host, uint16_t port, bool tcp,
                                                 const std::string& message,
                                                 std::chrono::milliseconds timeout);

}  // namespace bw::output::sinks
