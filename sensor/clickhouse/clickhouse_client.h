#pragma once
// One connection to ClickHouse's HTTP interface, used synchronously by whoever owns a thread
// for it (the ledger sink's sender, `report --source`, `correlate`). Guarantees:
//  - every exchange (resolve, connect, TLS handshake, request, whole reply) ends by a deadline,
//    whatever the server does; a reply line longer than kMaxRowBytes ends it with an error;
//  - errors are returned, never thrown, and never contain the password (sent as HTTP Basic
//    authorisation, never in the URL); the server's exception text is kept, cut to 1 KiB;
//  - the connection is kept alive across calls and opened again after any error; a call on a
//    reused connection that fails before any byte of reply (the server closed it while idle)
//    is tried once more on a new connection within the same deadline;
//  - queries run with wait_end_of_query=1, so an error that happens while a result is produced
//    is an HTTP error, not a row.
// Not thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace bw::clickhouse {

// Rows of a query result are read one line at a time; none may be longer.
inline constexpr size_t kMaxRowBytes = 16 * 1024 * 1024;

struct Endpoint {
  bool tls = false;
  std::string host;  // without brackets for IPv6 literals
  std::string port = "8123";
  std::string database = "bucketwatch";
  std::string user;      // empty: ClickHouse's "default"
  std::string password;  // secret: never logged
  std::string ca_file;   // https: CA bundle; empty: the system's
};

// "clickhouse://[user@]host[:port][/database]" (HTTP, port 8123 by default) or
// "clickhouses://..." (HTTPS, 8443). The password never comes from the URL (it would show in
// process listings and shell history). False with `error` when malformed.
[[nodiscard]] bool ParseSourceUrl(std::string_view url, Endpoint& out, std::string& error);
// "clickhouse://host:port/database" for logs and reports: no user, no password.
std::string DisplayName(const Endpoint& e);

struct Result {
  bool ok = false;
  unsigned status = 0;  // HTTP status, 0 when none came
  std::string error;    // why it failed: transport error or the server's exception text
  uint64_t rows = 0;    // Query: lines passed to the callback
};

class Client {
 public:
  explicit Client(Endpoint endpoint, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // A statement without result (DDL, OPTIMIZE). ok on 200.
  Result Execute(std::string_view sql);
  // "INSERT INTO <table> <clause>" with `rows` as the body; `clause` names the columns and the
  // format ("(a,b) FORMAT TabSeparated"). `table` is "db.table" or a table of the endpoint's
  // database.
  Result Insert(std::string_view table, std::string_view clause, std::string_view rows);
  // Runs `sql` (which must end in FORMAT JSONEachRow, or another one-row-per-line format) and
  // passes each result line, without its newline, to `on_row`; returning false from it stops
  // reading (the connection is then closed). ok once the whole reply was read.
  Result Query(std::string_view sql, const std::function<bool(std::string_view row)>& on_row);

  void set_timeout(std::chrono::milliseconds t) { timeout_ = t; }
  const Endpoint& endpoint() const { return endpoint_; }
  uint64_t connections_opened() const;

 private:
  struct Connection;
  Result Exchange(std::string_view target, std::string_view body,
                  const std::function<bool(std::string_view row)>* on_row);

  Endpoint endpoint_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Connection> conn_;
};

// `text` quoted as a ClickHouse string literal ('...' with \ and ' escaped).
std::string QuoteString(std::string_view text);

}  // namespace bw::clickhouse
