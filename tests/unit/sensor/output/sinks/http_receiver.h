#pragma once
// A real HTTP/1.1 receiver on loopback for dispatcher tests: answers every POST
// with the status the test chooses and records what arrived. Connections are
// kept alive like any HTTP/1.1 server's, unless the test has the receiver close
// them after a number of requests or after an idle time (what proxies and
// servers do), and the receiver counts the connections it accepted.

// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange, never includes it
// clang-format on

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bw::output::sinks::testing {

struct Received {
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  size_t connection = 0;  // which accepted connection (1, 2, ...) carried it
};

struct ReceiverOptions {
  size_t requests_per_connection = 0;       // 0: no limit; else close after that many
  std::chrono::milliseconds idle_close{0};  // 0: never; else close a connection idle that long
  bool announce_close = true;  // say "Connection: close" on the last reply of a connection
};

class HttpReceiver {
 public:
  // port 0 picks a free port. With `tls` (a server context holding the
  // certificate and key) every connection is served over TLS.
  explicit HttpReceiver(
      uint16_t port, std::function<unsigned()> status = [] { return 200u; },
      boost::asio::ssl::context* tls = nullptr, ReceiverOptions options = {})
      : acceptor_(io_), status_(std::move(status)), tls_(tls), options_(options) {
    namespace asio = boost::asio;
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, Accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~HttpReceiver() {
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return port_; }
  std::vector<Received> received() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  size_t handshake_failures() const {
    std::lock_guard lock(mu_);
    return handshake_failures_;
  }
  size_t requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  size_t connections() const {
    std::lock_guard lock(mu_);
    return connections_;
  }

 private:
  using tcp = boost::asio::ip::tcp;
  template <typename T>
  using awaitable = boost::asio::awaitable<T>;

  awaitable<void> Accept() {
    namespace asio = boost::asio;
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket =
          co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      size_t n;
      {
        std::lock_guard lock(mu_);
        n = ++connections_;
      }
      asio::co_spawn(io_, Connection(std::move(socket), n), asio::detached);
    }
  }

  awaitable<void> Connection(tcp::socket socket, size_t n) {
    namespace asio = boost::asio;
    if (!tls_) {
      boost::beast::tcp_stream stream(std::move(socket));
      co_await Serve(stream, n);
      co_return;
    }
    boost::beast::ssl_stream<boost::beast::tcp_stream> stream(std::move(socket), *tls_);
    boost::system::error_code ec;
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      std::lock_guard lock(mu_);
      ++handshake_failures_;
      co_return;
    }
    co_await Serve(stream, n);
  }

  template <typename Stream>
  awaitable<void> Serve(Stream& stream, size_t n) {
    namespace asio = boost::asio;
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    for (size_t served = 1;; ++served) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      auto& lowest = boost::beast::get_lowest_layer(stream);
      if (options_.idle_close.count() > 0) {
        lowest.expires_after(options_.idle_close);
      } else {
        lowest.expires_never();
      }
      co_await http::async_read(stream, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;  // closed by the client, or idle too long: close
      lowest.expires_never();
      unsigned status = status_();
      {
        std::lock_guard lock(mu_);
        ++requests_;
        if (status >= 200 && status < 300) {
          Received r;
          r.target = std::string(req.target());
          r.body = req.body();
          r.connection = n;
          for (const auto& f : req) {
            r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
          }
          received_.push_back(std::move(r));
        }
      }
      const bool last =
          options_.requests_per_connection != 0 && served >= options_.requests_per_connection;
      http::response<http::string_body> res{static_cast<http::status>(status), 11};
      res.body() = "{}";
      res.keep_alive(!(last && options_.announce_close) && req.keep_alive());
      res.prepare_payload();
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || last || !req.keep_alive()) co_return;
    }
  }

  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::function<unsigned()> status_;
  boost::asio::ssl::context* tls_;
  ReceiverOptions options_;
  size_t handshake_failures_ = 0;
  uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Received> received_;
  size_t requests_ = 0;
  size_t connections_ = 0;
};

}  // namespace bw::output::sinks::testing
