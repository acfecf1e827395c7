#pragma once
// A real HTTP/1.1 receiver on loopback for dispatcher tests: answers every POST
// with the status the test chooses and records what arrived.

// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange, never includes it
// clang-format on

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bw::output::sinks::testing {

struct Received {
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class HttpReceiver {
 public:
  // port 0 picks a free port. With `tls` (a server context holding the
  // certificate and key) every connection is served over TLS.
  explicit HttpReceiver(
      uint16_t port, std::function<unsigned()> status = [] { return 200u; },
      boost::asio::ssl::context* tls = nullptr)
      : acceptor_(io_), status_(std::move(status)), tls_(tls) {
    namespace asio = boost::asio;
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    Accept();
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

 private:
  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket s) {
      if (ec) return;
      if (tls_) {
        boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream(std::move(s), *tls_);
        boost::system::error_code hec;
        stream.handshake(boost::asio::ssl::stream_base::server, hec);
        if (hec) {
          std::lock_guard lock(mu_);
          ++handshake_failures_;
        } else {
          Serve(stream);
        }
      } else {
        Serve(s);
      }
      Accept();
    });
  }
  template <typename Stream>
  void Serve(Stream& socket) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> req;
    boost::system::error_code ec;
    http::read(socket, buffer, req, ec);
    if (ec) return;
    unsigned status = status_();
    {
      std::lock_guard lock(mu_);
      ++requests_;
      if (status >= 200 && status < 300) {
        Received r;
        r.target = std::string(req.target());
        r.body = req.body();
        for (const auto& f : req) {
          r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        }
        received_.push_back(std::move(r));
      }
    }
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.body() = "{}";
    res.prepare_payload();
    http::write(socket, res, ec);
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::function<unsigned()> status_;
  boost::asio::ssl::context* tls_;
  size_t handshake_failures_ = 0;
  uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Received> received_;
  size_t requests_ = 0;
};

}  // namespace bw::output::sinks::testing
