#include "sensor/output/metrics/metrics_server.h"

// clang-format off
// Boost 1.74's asio uses std::exchange without including <utility>: it must come first.
#include <utility>
// clang-format on

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <list>
#include <optional>
#include <thread>

#include "sensor/output/metrics/exposition.h"
#include "sensor/output/metrics/snapshot_builder.h"

namespace bw::metrics {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

bool ParseListenAddress(const std::string& text, std::string& host, uint16_t& port,
                        std::string& error) {
  std::string_view t = text;
  std::string_view port_text;
  if (t.starts_with("[")) {
    size_t close = t.find(']');
    if (close == std::string_view::npos || close + 1 >= t.size() || t[close + 1] != ':') {
      error = "expected [IPv6]:PORT, got '" + text + "'";
      return false;
    }
    host = std::string(t.substr(1, close - 1));
    port_text = t.substr(close + 2);
  } else {
    size_t colon = t.rfind(':');
    if (colon == std::string_view::npos || t.find(':') != colon) {
      error = "expected HOST:PORT or [IPv6]:PORT, got '" + text + "'";
      return false;
    }
    host = std::string(t.substr(0, colon));
    port_text = t.substr(colon + 1);
  }
  if (host.empty()) {
    error = "missing host in '" + text + "' (use 0.0.0.0 or [::] to listen everywhere)";
    return false;
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (port_text.empty() || ec != std::errc() || ptr != port_text.data() + port_text.size() ||
      value > 65535) {
    error = "bad port in '" + text + "'";
    return false;
  }
  boost::system::error_code bec;
  asio::ip::make_address(host, bec);
  if (bec) {
    error = "'" + host + "' is not an IP address";
    return false;
  }
  port = static_cast<uint16_t>(value);
  return true;
}

class MetricsServer::Impl {
 public:
  Impl(MetricsServerOptions options, std::function<SensorSnapshot()> snapshot)
      : options_(std::move(options)),
        snapshot_(std::move(snapshot)),
        slots_(options_.max_connections),
        acceptor_(io_) {}

  bool Start(std::string& error) {
    std::string host;
    uint16_t port = 0;
    if (!ParseListenAddress(options_.listen, host, port, error)) return false;
    boost::system::error_code ec;
    tcp::endpoint ep(asio::ip::make_address(host, ec), port);
    if (acceptor_.open(ep.protocol(), ec) ||
        acceptor_.set_option(asio::socket_base::reuse_address(true), ec) ||
        acceptor_.bind(ep, ec) || acceptor_.listen(asio::socket_base::max_listen_connections, ec)) {
      error = "cannot listen on " + options_.listen + ": " + ec.message();
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      return false;
    }
    port_.store(acceptor_.local_endpoint(ec).port());
    Accept();
    thread_ = std::thread([this] { io_.run(); });
    return true;
  }

  void Stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      backoff_.cancel();
    });
    // Open connections end at their deadline at the latest; stopping the context ends them now.
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return port_.load(); }
  uint64_t scrapes() const { return scrapes_.load(); }
  MetricsServerSnapshot counters() const {
    MetricsServerSnapshot m;
    m.connections = static_cast<uint64_t>(std::max(0, open_.load()));
    m.evicted = evicted_.load();
    m.refused = refused_.load();
    m.timed_out = timed_out_.load();
    m.accept_errors = accept_errors_.load();
    return m;
  }

 private:
  static constexpr size_t kHeadLimit = 8 * 1024;
  static constexpr size_t kBodyLimit = 8 * 1024;
  // Head and body plus what a pipelining client sent after them: more closes the connection.
  static constexpr size_t kBufferLimit = 32 * 1024;

  struct Connection;
  // Connections waiting for a request head, the longest-waiting first: the eviction order.
  using WaitList = std::list<Connection*>;

  struct Connection : std::enable_shared_from_this<Connection> {
    Connection(Impl& owner, tcp::socket socket) : impl(owner), stream(std::move(socket)) {
      impl.open_.fetch_add(1);
    }
    ~Connection() {
      StopWaiting();
      Release();
    }

    void Read() {
      parser.emplace();
      parser->header_limit(kHeadLimit);
      parser->body_limit(kBodyLimit);
      // One deadline for the whole head, set once: a client dripping a byte at a time gains
      // nothing, and a keep-alive connection waiting for its next request is held no longer.
      stream.expires_after(impl.HeadTimeout());
      waiting = impl.waiting_.insert(impl.waiting_.end(), this);
      is_waiting = true;
      http::async_read(stream, buffer, *parser,
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         self->StopWaiting();
                         if (ec == beast::error::timeout) self->impl.timed_out_.fetch_add(1);
                         // Evicted after its head arrived: nobody to answer.
                         if (!ec && self->counted) self->Respond();
                       });
    }

    void Respond() {
      const auto& req = parser->get();
      response = impl.Handle(req);
      response.keep_alive(req.keep_alive());
      stream.expires_after(std::chrono::seconds(impl.options_.request_timeout_seconds));
      http::async_write(stream, response,
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (ec == beast::error::timeout) self->impl.timed_out_.fetch_add(1);
                          if (ec) return;
                          if (self->response.keep_alive()) {
                            self->Read();
                          } else {
                            beast::error_code ignored;
                            self->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
                          }
                        });
    }

    // Closes the socket now (its descriptor is free at once); the pending read then ends with
    // operation_aborted and the object goes with its last handler.
    void Evict() {
      StopWaiting();
      Release();
      stream.close();
    }

    void StopWaiting() {
      if (!is_waiting) return;
      impl.waiting_.erase(waiting);
      is_waiting = false;
    }

    // An evicted connection no longer takes a slot, though its handler has yet to run.
    void Release() {
      if (!counted) return;
      counted = false;
      impl.open_.fetch_sub(1);
    }

    Impl& impl;
    beast::tcp_stream stream;
    beast::flat_buffer buffer{kBufferLimit};
    std::optional<http::request_parser<http::string_body>> parser;
    http::response<http::string_body> response;
    WaitList::iterator waiting;
    bool is_waiting = false;
    bool counted = true;
  };

  std::chrono::milliseconds HeadTimeout() const {
    return std::clamp(
        std::chrono::milliseconds(options_.head_timeout_ms), std::chrono::milliseconds(1),
        std::chrono::milliseconds(
            std::chrono::seconds(std::max<int64_t>(1, options_.request_timeout_seconds))));
  }

  bool EvictOldestWaiting() {
    if (waiting_.empty()) return false;
    waiting_.front()->Evict();
    evicted_.fetch_add(1);
    return true;
  }

  // Out of descriptors, the listener holds kDescriptorReserve fewer connections than it had, so
  // the rest of the sensor (ledger rotation, sink connections, /proc reads) still finds some; the
  // full count returns kSlotsRestoreAfter after the last shortage.
  static constexpr int kDescriptorReserve = 16;
  static constexpr auto kSlotsRestoreAfter = std::chrono::seconds(10);

  int Slots() {
    if (slots_ < options_.max_connections &&
        std::chrono::steady_clock::now() - last_shortage_ >= kSlotsRestoreAfter) {
      slots_ = options_.max_connections;
    }
    return std::max(1, slots_);
  }

  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (ec) {
        // EMFILE, ENFILE, ENOBUFS, ...: the connection stays queued and accepting again at once
        // fails the same way. Free descriptors of ours if any wait, else pause briefly.
        accept_errors_.fetch_add(1);
        bool freed = false;
        if (ec == asio::error::no_descriptors || ec.value() == ENFILE) {
          last_shortage_ = std::chrono::steady_clock::now();
          slots_ = std::max(1, open_.load() - kDescriptorReserve);
          for (int i = 0; i <= kDescriptorReserve && open_.load() >= slots_; ++i) {
            if (!EvictOldestWaiting()) break;
            freed = true;
          }
        }
        if (freed || EvictOldestWaiting()) {
          Accept();
        } else {
          backoff_.expires_after(std::chrono::milliseconds(50));
          backoff_.async_wait([this](beast::error_code wait_ec) {
            if (!wait_ec && acceptor_.is_open()) Accept();
          });
        }
        return;
      }
      if (open_.load() >= Slots() && !EvictOldestWaiting()) {
        refused_.fetch_add(1);
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Connection>(*this, std::move(socket))->Read();
      }
      Accept();
    });
  }

  http::response<http::string_body> Handle(const http::request<http::string_body>& req) {
    http::response<http::string_body> res;
    res.version(req.version());
    res.set(http::field::server, "bucketwatch");
    std::string_view target(req.target().data(), req.target().size());
    target = target.substr(0, target.find('?'));
    bool head = req.method() == http::verb::head;
    if (req.method() != http::verb::get && !head) {
      res.result(http::status::method_not_allowed);
      res.set(http::field::allow, "GET, HEAD");
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.body() = "method not allowed\n";
    } else if (target == "/metrics") {
      scrapes_.fetch_add(1);
      res.result(http::status::ok);
      res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      SensorSnapshot s = snapshot_();
      s.metrics_server = counters();
      res.body() = RenderText(s);
    } else if (target == "/healthz") {
      SensorSnapshot s = snapshot_();
      HealthVerdict v = EvaluateHealth(s.capture, s.spool, SteadyNowNs(),
                                       options_.stall_seconds * int64_t{1000000000});
      res.result(v.healthy ? http::status::ok : http::status::service_unavailable);
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.body() = v.reason + "\n";
    } else {
      res.result(http::status::not_found);
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.body() = "not found: try /metrics or /healthz\n";
    }
    if (head) {
      // HEAD: the length of what GET would send, no body.
      auto size = res.body().size();
      res.body().clear();
      res.content_length(size);
    } else {
      res.prepare_payload();
    }
    return res;
  }

  MetricsServerOptions options_;
  std::function<SensorSnapshot()> snapshot_;
  // Declared before io_: pending handlers destroyed with io_ still update open_ and waiting_.
  std::atomic<uint16_t> port_{0};
  std::atomic<uint64_t> scrapes_{0};
  std::atomic<int> open_{0};
  std::atomic<uint64_t> evicted_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> timed_out_{0};
  std::atomic<uint64_t> accept_errors_{0};
  WaitList waiting_;  // the io thread's only
  int slots_ = 0;     // the io thread's: max_connections, or fewer after a descriptor shortage
  std::chrono::steady_clock::time_point last_shortage_{};
  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  asio::steady_timer backoff_{io_};
  std::thread thread_;
};

MetricsServer::MetricsServer(MetricsServerOptions options, std::function<SensorSnapshot()> snapshot)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(snapshot))) {}

MetricsServer::~MetricsServer() { Stop(); }

bool MetricsServer::Start(std::string& error) { return impl_->Start(error); }
void MetricsServer::Stop() { impl_->Stop(); }
uint16_t MetricsServer::port() const { return impl_->port(); }
uint64_t MetricsServer::scrapes() const { return impl_->scrapes(); }
MetricsServerSnapshot MetricsServer::counters() const { return impl_->counters(); }

}  // namespace bw::metrics
