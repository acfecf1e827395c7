#include "sensor/output/sinks/transport.h"

#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstdint>
#include <limits>
#include <memory>

namespace bw::output::sinks {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

namespace {

// Beast's string_body reserves a Content-Length before body_limit applies (Boost 1.74), so a
// receiver announcing 10^11 bytes aborted the sensor with bad_alloc, and again after every
// restart, since the spool is delivered first. The body is never read: empty_body, header only.
using ReplyParser = http::response_parser<http::empty_body>;

void Configure(ReplyParser& parser) {
  parser.header_limit(static_cast<std::uint32_t>(kMaxReplyHead));
  // The body is not read, so what it announces is no reason to refuse the status. (Not
  // boost::none: Boost 1.74 compares the length with the optional, and none is below any.)
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  parser.eager(false);
}

// Resolves with a deadline: a resolver has no timeout of its own, so a timer
// cancels it. Both live in a shared state the timer's handler keeps alive.
template <typename Protocol>
asio::awaitable<typename Protocol::resolver::results_type> Resolve(
    const std::string& host, const std::string& port, std::chrono::milliseconds timeout,
    boost::system::error_code& ec) {
  auto ex = co_await asio::this_coro::executor;
  struct State {
    explicit State(asio::any_io_executor e) : resolver(e), timer(e) {}
    typename Protocol::resolver resolver;
    asio::steady_timer timer;
  };
  auto state = std::make_shared<State>(ex);
  state->timer.expires_after(timeout);
  state->timer.async_wait([state](boost::system::error_code wait_ec) {
    if (!wait_ec) state->resolver.cancel();
  });
  auto results = co_await state->resolver.async_resolve(
      host, port, asio::redirect_error(asio::use_awaitable, ec));
  state->timer.cancel();
  co_return results;
}

std::string Describe(std::string_view step, const boost::system::error_code& ec) {
  if (ec == asio::error::operation_aborted || ec == beast::error::timeout) {
    return std::string(step) + ": timed out";
  }
  return std::string(step) + ": " + ec.message();
}

http::request<http::string_body> BuildRequest(const HttpUrl& url, const HttpPayload& payload) {
  http::request<http::string_body> req{http::verb::post, url.target, 11};
  req.set(http::field::host, url.host_header);
  req.set(http::field::user_agent, "bucketwatch");
  req.set(http::field::content_type, "application/json");
  req.set(http::field::connection, "close");
  for (const auto& [name, value] : payload.headers) req.set(name, value);
  req.body() = payload.body;
  req.prepare_payload();
  return req;
}

template <typename Stream>
asio::awaitable<AttemptResult> Exchange(Stream& stream, const HttpUrl& url,
                                        const HttpPayload& payload) {
  AttemptResult result;
  boost::system::error_code ec;
  auto req = BuildRequest(url, payload);
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.error = Describe("send", ec);
    co_return result;
  }
  beast::flat_buffer buffer(kMaxReplyHead);
  ReplyParser parser;
  Configure(parser);
  co_await http::async_read_header(stream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.error = Describe("response", ec);
    co_return result;
  }
  result.status = parser.get().result_int();
  result.ok = result.status >= 200 && result.status < 300;
  if (!result.ok) result.error = "HTTP " + std::to_string(result.status);
  co_return result;
}

}  // namespace

unsigned ParseSinkReplyHead(std::string_view bytes, std::string& error) {
  ReplyParser parser;
  Configure(parser);
  boost::system::error_code ec;
  // put() consumes what it can; a head split anywhere is fed again from where it stopped.
  while (!parser.is_header_done()) {
    if (bytes.empty()) {
      error = "response: head cut short";
      return 0;
    }
    const size_t used = parser.put(asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec == http::error::need_more) {
      error = "response: head cut short";
      return 0;
    }
    if (ec) {
      error = Describe("response", ec);
      return 0;
    }
    if (used == 0) {
      error = "response: head cut short";
      return 0;
    }
    bytes.remove_prefix(used);
  }
  // Beast reads any three digits; "000" is no status (fuzz_sink_reply found it).
  const unsigned status = parser.get().result_int();
  if (status < 100) {
    error = "response: no valid status";
    return 0;
  }
  return status;
}

asio::awaitable<AttemptResult> HttpPost(const HttpUrl& url, asio::ssl::context* tls,
                                        const HttpPayload& payload,
                                        std::chrono::milliseconds timeout) {
  AttemptResult result;
  auto ex = co_await asio::this_coro::executor;
  boost::system::error_code ec;
  auto endpoints = co_await Resolve<tcp>(url.host, url.port, timeout, ec);
  if (ec) {
    result.error = Describe("resolve", ec);
    co_return result;
  }
  if (!url.tls) {
    beast::tcp_stream stream(ex);
    stream.expires_after(timeout);
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      result.error = Describe("connect", ec);
      co_return result;
    }
    result = co_await Exchange(stream, url, payload);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    co_return result;
  }
  if (!tls) {
    result.error = "https without a TLS context";
    co_return result;
  }
  beast::ssl_stream<beast::tcp_stream> stream(ex, *tls);
  beast::get_lowest_layer(stream).expires_after(timeout);
  // SNI and certificate host name check, like any HTTPS client.
  if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
    result.error = "tls: cannot set server name";
    co_return result;
  }
  stream.set_verify_mode(asio::ssl::verify_peer);
  stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
  co_await beast::get_lowest_layer(stream).async_connect(
      endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.error = Describe("connect", ec);
    co_return result;
  }
  co_await stream.async_handshake(asio::ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.error = Describe("tls handshake", ec);
    co_return result;
  }
  result = co_await Exchange(stream, url, payload);
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
  co_return result;
}

asio::awaitable<AttemptResult> SyslogSend(const std::string& host, uint16_t port, bool use_tcp,
                                          const std::string& message,
                                          std::chrono::milliseconds timeout) {
  AttemptResult result;
  auto ex = co_await asio::this_coro::executor;
  boost::system::error_code ec;
  std::string service = std::to_string(port);
  if (!use_tcp) {
    auto endpoints = co_await Resolve<udp>(host, service, timeout, ec);
    if (ec || endpoints.empty()) {
      result.error = ec ? Describe("resolve", ec) : "resolve: no address";
      co_return result;
    }
    udp::endpoint target = *endpoints.begin();
    udp::socket socket(ex);
    socket.open(target.protocol(), ec);
    if (!ec) {
      co_await socket.async_send_to(asio::buffer(message), target,
                                    asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      result.error = Describe("send", ec);
      co_return result;
    }
    result.ok = true;
    co_return result;
  }
  auto endpoints = co_await Resolve<tcp>(host, service, timeout, ec);
  if (ec) {
    result.error = Describe("resolve", ec);
    co_return result;
  }
  beast::tcp_stream stream(ex);
  stream.expires_after(timeout);
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.error = Describe("connect", ec);
    co_return result;
  }
  std::string frame = OctetCountingFrame(message);
  co_await asio::async_write(stream, asio::buffer(frame),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.error = Describe("send", ec);
    co_return result;
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  result.ok = true;
  co_return result;
}

}  // namespace bw::output::sinks
