#include "sensor/output/sinks/transport.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
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
// restart, since the spool is delivered first. buffer_body reserves nothing: the body, when it
// is read at all, goes through a fixed scratch buffer and is counted against kMaxReplyBody.
using ReplyParser = http::response_parser<http::buffer_body>;

void Configure(ReplyParser& parser) {
  parser.header_limit(static_cast<std::uint32_t>(kMaxReplyHead));
  // What the body announces is no reason to refuse the status: a body beyond kMaxReplyBody
  // only costs the connection. (Not boost::none: Boost 1.74 compares the length with the
  // optional, and none is below any.)
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
  for (const auto& [name, value] : payload.headers) req.set(name, value);
  req.body() = payload.body;
  req.prepare_payload();
  return req;
}

// True when an idle kept-alive socket is readable: the peer closed it (or sent what no request
// asked for); either way it is not fit for the next request.
bool IdleSocketClosed(tcp::socket& socket) {
  pollfd p{};
  p.fd = socket.native_handle();
  p.events = POLLIN;
  return ::poll(&p, 1, 0) != 0;
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

struct HttpConnection::Streams {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  std::array<char, 4096> scratch;  // where reply bodies go, to be thrown away

  beast::tcp_stream* lowest() {
    if (plain) return plain.get();
    if (secure) return &beast::get_lowest_layer(*secure);
    return nullptr;
  }
};

HttpConnection::HttpConnection(asio::any_io_executor ex, const HttpUrl& url,
                               asio::ssl::context* tls)
    : ex_(std::move(ex)), url_(url), tls_(tls), streams_(std::make_unique<Streams>()) {}

HttpConnection::~HttpConnection() { Close(); }

bool HttpConnection::open() const { return streams_->plain || streams_->secure; }

void HttpConnection::Close() {
  if (auto* lowest = streams_->lowest()) {
    boost::system::error_code ec;
    lowest->socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest->socket().close(ec);
  }
  streams_->plain.reset();
  streams_->secure.reset();
}

asio::awaitable<AttemptResult> HttpConnection::Connect(
    std::chrono::steady_clock::time_point deadline) {
  AttemptResult result;
  boost::system::error_code ec;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) {
    result.error = "connect: timed out";
    co_return result;
  }
  auto endpoints = co_await Resolve<tcp>(url_.host, url_.port, left, ec);
  if (ec) {
    result.error = Describe("resolve", ec);
    co_return result;
  }
  if (!url_.tls) {
    auto stream = std::make_unique<beast::tcp_stream>(ex_);
    stream->expires_at(deadline);
    co_await stream->async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      result.error = Describe("connect", ec);
      co_return result;
    }
    stream->socket().set_option(tcp::no_delay(true), ec);
    streams_->plain = std::move(stream);
    ++opened_;
    result.ok = true;
    co_return result;
  }
  if (!tls_) {
    result.error = "https without a TLS context";
    co_return result;
  }
  auto stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ex_, *tls_);
  beast::get_lowest_layer(*stream).expires_at(deadline);
  // SNI and certificate host name check, like any HTTPS client.
  if (!SSL_set_tlsext_host_name(stream->native_handle(), url_.host.c_str())) {
    result.error = "tls: cannot set server name";
    co_return result;
  }
  stream->set_verify_mode(asio::ssl::verify_peer);
  stream->set_verify_callback(asio::ssl::host_name_verification(url_.host));
  co_await beast::get_lowest_layer(*stream).async_connect(
      endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.error = Describe("connect", ec);
    co_return result;
  }
  beast::get_lowest_layer(*stream).socket().set_option(tcp::no_delay(true), ec);
  co_await stream->async_handshake(asio::ssl::stream_base::client,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.error = Describe("tls handshake", ec);
    co_return result;
  }
  streams_->secure = std::move(stream);
  ++opened_;
  result.ok = true;
  co_return result;
}

template <typename Stream>
asio::awaitable<AttemptResult> HttpConnection::Exchange(Stream& stream, const HttpPayload& payload,
                                                        bool& reply_started) {
  AttemptResult result;
  boost::system::error_code ec;
  auto req = BuildRequest(url_, payload);
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.error = Describe("send", ec);
    co_return result;
  }
  // A receiver that writes its reply's head and body in two segments without TCP_NODELAY (Python's
  // http.server) holds the body until the head is acknowledged; a delayed ACK made that 40 ms per
  // alert on a kept-alive connection. Acknowledge at once instead.
  int quick = 1;
  ::setsockopt(beast::get_lowest_layer(stream).socket().native_handle(), IPPROTO_TCP, TCP_QUICKACK,
               &quick, sizeof quick);
  beast::flat_buffer buffer(kMaxReplyHead);
  ReplyParser parser;
  Configure(parser);
  co_await http::async_read_header(stream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    reply_started = buffer.size() > 0 || parser.got_some();
    result.error = Describe("response", ec);
    co_return result;
  }
  reply_started = true;
  result.status = parser.get().result_int();
  result.ok = result.status >= 200 && result.status < 300;
  if (!result.ok) result.error = "HTTP " + std::to_string(result.status);

  // The head decides the delivery; the body is read only to reuse the connection, and only
  // when it is bounded: announced within kMaxReplyBody, or chunked and ending within it.
  bool reusable = parser.keep_alive() && !parser.need_eof();
  if (reusable && parser.content_length() && *parser.content_length() > kMaxReplyBody) {
    reusable = false;
  }
  auto& scratch = streams_->scratch;
  uint64_t body = 0;
  while (reusable && !parser.is_done()) {
    parser.get().body().data = scratch.data();
    parser.get().body().size = scratch.size();
    co_await http::async_read_some(stream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    body += scratch.size() - parser.get().body().size;
    if (ec || body > kMaxReplyBody) reusable = false;
  }
  // Bytes beyond the reply would be read as the next reply's: out of step.
  if (buffer.size() != 0) reusable = false;
  if (!reusable) Close();
  co_return result;
}

asio::awaitable<AttemptResult> HttpConnection::Post(const HttpPayload& payload,
                                                    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  AttemptResult result;
  for (int round = 0; round < 2; ++round) {
    if (open() && IdleSocketClosed(streams_->lowest()->socket())) Close();
    const bool reused = open();
    if (!reused) {
      result = co_await Connect(deadline);
      if (!result.ok) {
        Close();
        co_return result;
      }
    }
    streams_->lowest()->expires_at(deadline);
    bool reply_started = false;
    if (streams_->secure) {
      result = co_await Exchange(*streams_->secure, payload, reply_started);
    } else {
      result = co_await Exchange(*streams_->plain, payload, reply_started);
    }
    if (result.status == 0) Close();  // no complete head: the connection is out of step
    // Only a request the peer cannot have answered is sent again: nothing of a reply came,
    // the connection was an idle one, and there is time left.
    if (reply_started || !reused || std::chrono::steady_clock::now() >= deadline) break;
  }
  if (open()) streams_->lowest()->expires_never();
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
