#pragma once
// One delivery attempt over the network, as Asio C++20 coroutines on the
// dispatcher's io_context: an HTTP(S) POST (certificate and host name verified
// for https) or an RFC 5424 message over UDP or TCP. Every attempt, name
// resolution included, is bounded by a timeout. Errors are returned, never
// thrown, and never mention the URL's path or query (webhook URLs may carry
// tokens).

// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange, never includes it
// clang-format on

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
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

// A receiver's reply is read up to the end of its head only (the status is all a delivery
// needs; the request said Connection: close), within kMaxReplyHead bytes: whatever the reply
// announces (Content-Length: 10^11, an endless body) nothing is allocated for its body.
constexpr size_t kMaxReplyHead = 16 * 1024;

// The same parsing over bytes already received (tests, fuzz_sink_reply): the status of the
// complete head at the start of `bytes`, or 0 with `error` set (head cut, too long, malformed).
unsigned ParseSinkReplyHead(std::string_view bytes, std::string& error);

// POSTs `payload` as application/json; ok on a 2xx response. `tls` is required
// for https.
boost::asio::awaitable<AttemptResult> HttpPost(const HttpUrl& url, boost::asio::ssl::context* tls,
                                               const HttpPayload& payload,
                                               std::chrono::milliseconds timeout);

// Sends one syslog message: a datagram (udp) or an octet-counted frame on a
// fresh connection (tcp). ok once the bytes were handed to the kernel.
boost::asio::awaitable<AttemptResult> SyslogSend(const std::string& host, uint16_t port, bool tcp,
                                                 const std::string& message,
                                                 std::chrono::milliseconds timeout);

}  // namespace bw::output::sinks
