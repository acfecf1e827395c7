#pragma once
// A loopback HTTP server run by a script, for what a real ClickHouse does not do on demand
// (stall, fail one INSERT, send an endless row, drop a kept-alive connection).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "sensor/clickhouse/clickhouse_client.h"

namespace bw::clickhouse::testing {

// A loopback server that answers each accepted connection with `script(connection index,
// request)`; the script writes on the fd and returns whether to keep the connection for another
// request.
class ScriptedServer {
 public:
  using Script = std::function<bool(int conn, const std::string& request, int fd)>;
  explicit ScriptedServer(Script script) : script_(std::move(script)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 8);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  Endpoint endpoint() const {
    Endpoint e;
    e.host = "127.0.0.1";
    e.port = std::to_string(port_);
    e.user = "reader";
    e.password = "s3cret-pass";
    return e;
  }
  int connections() const { return connections_; }
  std::string last_request() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_request_;
  }

 private:
  static bool ReadRequest(int fd, std::string& out) {
    out.clear();
    char buf[4096];
    for (;;) {
      size_t head = out.find("\r\n\r\n");
      if (head != std::string::npos) {
        size_t cl = out.find("Content-Length: ");
        size_t len = cl == std::string::npos ? 0 : std::stoul(out.substr(cl + 16));
        if (out.size() >= head + 4 + len) return true;
      }
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) return false;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  void Serve() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      int index = connections_++;
      std::string request;
      while (ReadRequest(c, request)) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          last_request_ = request;
        }
        if (!script_(index, request, c)) break;
      }
      ::close(c);
    }
  }

  Script script_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::string last_request_;
  std::thread thread_;
};

inline void Send(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

inline std::string Reply(const std::string& status, const std::string& body) {
  return "HTTP/1.1 " + status + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: Keep-Alive\r\n\r\n" + body;
}

}  // namespace bw::clickhouse::testing
