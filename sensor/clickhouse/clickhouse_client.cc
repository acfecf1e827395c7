#include "sensor/clickhouse/clickhouse_client.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>

namespace bw::clickhouse {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxErrorText = 1024;
constexpr size_t kReadChunk = 64 * 1024;

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

void AppendPercentEncoded(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : text) {
    if (IsUnreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
}

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

void AppendErrorText(std::string& out, std::string_view text) {
  size_t room = kMaxErrorText > out.size() ? kMaxErrorText - out.size() : 0;
  out.append(text.substr(0, room));
}

// ClickHouse ends its exception text with a newline and sometimes the stack trace marker.
std::string TrimServerError(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

}  // namespace

bool ParseSourceUrl(std::string_view url, Endpoint& out, std::string& error) {
  Endpoint e;
  std::string_view rest;
  if (url.substr(0, 13) == "clickhouse://") {
    rest = url.substr(13);
  } else if (url.substr(0, 14) == "clickhouses://") {
    rest = url.substr(14);
    e.tls = true;
    e.port = "8443";
  } else {
    error = "expected clickhouse://host[:port][/database] or clickhouses://...";
    return false;
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && db.back() == '/') db.remove_suffix(1);
    if (!db.empty()) e.database = std::string(db);
  }
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view user = authority.substr(0, at);
    if (user.find(':') != std::string_view::npos) {
      error = "no password in the URL: give it in the environment or a file";
      return false;
    }
    e.user = std::string(user);
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority, port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "unterminated IPv6 address";
      return false;
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        error = "junk after the IPv6 address";
        return false;
      }
      port = after.substr(1);
      has_port = true;
    }
  } else if (size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    has_port = true;
  }
  if (host.empty()) {
    error = "no host";
    return false;
  }
  if (has_port) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
      error = "bad port";
      return false;
    }
    e.port = std::string(port);
  }
  for (char c : e.database) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
      error = "database names are letters, digits and _";
      return false;
    }
  }
  e.host = std::string(host);
  out = std::move(e);
  return true;
}

std::string DisplayName(const Endpoint& e) {
  std::string host = e.host.find(':') != std::string::npos ? "[" + e.host + "]" : e.host;
  return std::string(e.tls ? "clickhouses://" : "clickhouse://") + host + ":" + e.port + "/" +
         e.database;
}

std::string QuoteString(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

struct Client::Connection {
  asio::io_context ioc;
  std::unique_ptr<asio::ssl::context> tls;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  uint64_t opened = 0;

  bool open() const { return plain || secure; }
  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  void Close() {
    if (open()) {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      lowest().socket().close(ignored);
    }
    secure.reset();
    plain.reset();
  }

  // Runs the operation started by `start` until it completes or `deadline` passes; a late
  // operation is cancelled by closing what it waits on (`cancel`), and reported as a timeout.
  template <typename Start, typename Cancel>
  beast::error_code Run(Clock::time_point deadline, Start&& start, Cancel&& cancel) {
    std::optional<beast::error_code> result;
    start(result);
    ioc.restart();
    ioc.run_until(deadline);
    if (!result) {
      cancel();
      ioc.restart();
      ioc.run();
      return asio::error::timed_out;
    }
    return *result;
  }
};

Client::Client(Endpoint endpoint, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout), conn_(std::make_unique<Connection>()) {}

Client::~Client() { conn_->Close(); }

uint64_t Client::connections_opened() const { return conn_->opened; }

Result Client::Execute(std::string_view sql) {
  std::string target = "/?database=";
  AppendPercentEncoded(target, endpoint_.database);
  return Exchange(target, sql, nullptr);
}

Result Client::Insert(std::string_view table, std::string_view clause, std::string_view rows) {
  std::string target = "/?database=";
  AppendPercentEncoded(target, endpoint_.database);
  target += "&query=";
  AppendPercentEncoded(target, "INSERT INTO " + std::string(table) + " " + std::string(clause));
  return Exchange(target, rows, nullptr);
}

Result Client::Query(std::string_view sql,
                     const std::function<bool(std::string_view row)>& on_row) {
  std::string target = "/?wait_end_of_query=1&database=";
  AppendPercentEncoded(target, endpoint_.database);
  return Exchange(target, sql, &on_row);
}

Result Client::Exchange(std::string_view target, std::string_view body,
                        const std::function<bool(std::string_view row)>* on_row) {
  const Clock::time_point deadline = Clock::now() + timeout_;
  Connection& c = *conn_;
  auto fail = [&](std::string what, beast::error_code ec) {
    c.Close();
    Result r;
    r.error = what + ": " + (ec == asio::error::timed_out ? "timed out" : ec.message());
    return r;
  };

  // The body is sent from the caller's memory: a batch of 10,000 rows is not copied.
  http::request<http::span_body<const char>> req{http::verb::post, std::string(target), 11};
  req.set(http::field::host, endpoint_.host);
  req.set(http::field::user_agent, "bucketwatch");
  req.set(http::field::content_type, "text/plain; charset=utf-8");
  if (!endpoint_.user.empty() || !endpoint_.password.empty()) {
    std::string user = endpoint_.user.empty() ? "default" : endpoint_.user;
    req.set(http::field::authorization, "Basic " + Base64(user + ":" + endpoint_.password));
  }
  req.keep_alive(true);
  req.body() = http::span_body<const char>::value_type(body.data(), body.size());
  req.prepare_payload();

  for (int attempt = 0;; ++attempt) {
    const bool reused = c.open();
    if (!c.open()) {
      tcp::resolver resolver(c.ioc);
      tcp::resolver::results_type endpoints;
      beast::error_code ec = c.Run(
          deadline,
          [&](std::optional<beast::error_code>& out) {
            resolver.async_resolve(endpoint_.host, endpoint_.port,
                                   [&](beast::error_code e, tcp::resolver::results_type r) {
                                     endpoints = std::move(r);
                                     out = e;
                                   });
          },
          [&] { resolver.cancel(); });
      if (ec) return fail("resolving " + endpoint_.host, ec);
      if (endpoint_.tls) {
        if (!c.tls) {
          c.tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
          c.tls->set_verify_mode(asio::ssl::verify_peer);
          beast::error_code load;
          if (!endpoint_.ca_file.empty()) {
            c.tls->load_verify_file(endpoint_.ca_file, load);
          } else {
            c.tls->set_default_verify_paths(load);
          }
          if (load) return fail("loading CA certificates", load);
        }
        c.secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(c.ioc, *c.tls);
        c.secure->set_verify_callback(asio::ssl::host_name_verification(endpoint_.host));
        SSL_set_tlsext_host_name(c.secure->native_handle(), endpoint_.host.c_str());
      } else {
        c.plain = std::make_unique<beast::tcp_stream>(c.ioc);
      }
      ++c.opened;
      ec = c.Run(
          deadline,
          [&](std::optional<beast::error_code>& out) {
            c.lowest().async_connect(endpoints,
                                     [&](beast::error_code e, const tcp::endpoint&) { out = e; });
          },
          [&] { c.Close(); });
      if (ec) return fail("connecting to " + endpoint_.host + ":" + endpoint_.port, ec);
      if (c.secure) {
        ec = c.Run(
            deadline,
            [&](std::optional<beast::error_code>& out) {
              c.secure->async_handshake(asio::ssl::stream_base::client,
                                        [&](beast::error_code e) { out = e; });
            },
            [&] { c.Close(); });
        if (ec) return fail("TLS handshake", ec);
      }
    }

    auto write = [&](auto& stream) {
      return c.Run(
          deadline,
          [&](std::optional<beast::error_code>& out) {
            http::async_write(stream, req, [&](beast::error_code e, size_t) { out = e; });
          },
          [&] { c.Close(); });
    };
    beast::error_code ec = c.secure ? write(*c.secure) : write(*c.plain);

    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    // Unlimited (rows are streamed); not boost::none, which Boost 1.74 compares as below any
    // length.
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    std::vector<char> chunk(kReadChunk);
    auto read_some = [&](auto& stream, size_t& got) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      beast::error_code e = c.Run(
          deadline,
          [&](std::optional<beast::error_code>& out) {
            http::async_read(stream, buffer, parser, [&](beast::error_code r, size_t) { out = r; });
          },
          [&] { c.Close(); });
      got = chunk.size() - parser.get().body().size;
      if (e == http::error::need_buffer) e = {};
      return e;
    };
    auto read_header = [&](auto& stream) {
      return c.Run(
          deadline,
          [&](std::optional<beast::error_code>& out) {
            http::async_read_header(stream, buffer, parser,
                                    [&](beast::error_code r, size_t) { out = r; });
          },
          [&] { c.Close(); });
    };
    if (!ec) ec = c.secure ? read_header(*c.secure) : read_header(*c.plain);
    if (ec) {
      // The idle-close race: the server dropped a kept-alive connection; nothing was answered.
      if (reused && attempt == 0 && !parser.got_some() && ec != asio::error::timed_out) {
        c.Close();
        continue;
      }
      return fail("request to " + endpoint_.host + ":" + endpoint_.port, ec);
    }

    Result r;
    r.status = parser.get().result_int();
    const bool ok_status = r.status == 200;
    std::string line;  // a row cut by a chunk boundary
    std::string error_text;
    bool stopped = false;
    while (!parser.is_done()) {
      size_t got = 0;
      ec = c.secure ? read_some(*c.secure, got) : read_some(*c.plain, got);
      if (ec) return fail("reading the reply", ec);
      std::string_view data(chunk.data(), got);
      if (!ok_status) {
        AppendErrorText(error_text, data);
        continue;
      }
      if (on_row == nullptr || stopped) continue;
      while (!data.empty()) {
        size_t nl = data.find('\n');
        if (nl == std::string_view::npos) {
          if (line.size() + data.size() > kMaxRowBytes) {
            c.Close();
            r.error = "a result row is longer than 16 MiB";
            return r;
          }
          line.append(data);
          break;
        }
        std::string_view row = data.substr(0, nl);
        data.remove_prefix(nl + 1);
        if (!line.empty()) {
          line.append(row);
          row = line;
        }
        ++r.rows;
        if (!(*on_row)(row)) {
          stopped = true;
          break;
        }
        line.clear();
      }
      if (stopped) {
        c.Close();
        r.ok = true;
        return r;
      }
    }
    if (on_row != nullptr && ok_status && !line.empty()) {
      ++r.rows;
      (*on_row)(line);
    }
    if (!parser.keep_alive()) c.Close();
    if (!ok_status) {
      r.error = "HTTP " + std::to_string(r.status) + ": " + TrimServerError(std::move(error_text));
      return r;
    }
    r.ok = true;
    return r;
  }
}

}  // namespace bw::clickhouse
