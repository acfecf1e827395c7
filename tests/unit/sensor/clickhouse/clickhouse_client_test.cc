// The client against scripted servers: what a real ClickHouse does not do on demand (stall,
// send an endless row, drop a kept-alive connection). The real server is exercised by the
// tests/clickhouse group.
#include "sensor/clickhouse/clickhouse_client.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/unit/sensor/clickhouse/scripted_server.h"

namespace bw::clickhouse {
namespace {

using testing::Reply;
using testing::ScriptedServer;
using testing::Send;

TEST(ClickHouseSourceUrl, ParsesHostPortDatabaseAndUser) {
  Endpoint e;
  std::string error;
  ASSERT_TRUE(ParseSourceUrl("clickhouse://reader@10.0.0.5:18123/fleet", e, error)) << error;
  EXPECT_EQ(e.host, "10.0.0.5");
  EXPECT_EQ(e.port, "18123");
  EXPECT_EQ(e.database, "fleet");
  EXPECT_EQ(e.user, "reader");
  EXPECT_FALSE(e.tls);
  ASSERT_TRUE(ParseSourceUrl("clickhouses://[::1]/", e, error)) << error;
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(e.port, "8443");
  EXPECT_EQ(e.database, "bucketwatch");
  EXPECT_TRUE(e.tls);
  EXPECT_EQ(DisplayName(e), "clickhouses://[::1]:8443/bucketwatch");
}

TEST(ClickHouseSourceUrl, RefusesPasswordsBadPortsAndOddDatabases) {
  Endpoint e;
  std::string error;
  EXPECT_FALSE(ParseSourceUrl("clickhouse://u:pw@h/db", e, error));
  EXPECT_NE(error.find("password"), std::string::npos);
  EXPECT_FALSE(ParseSourceUrl("clickhouse://h:0/db", e, error));
  EXPECT_FALSE(ParseSourceUrl("clickhouse://h:99999/db", e, error));
  EXPECT_FALSE(ParseSourceUrl("clickhouse://h:/db", e, error));
  EXPECT_FALSE(ParseSourceUrl("clickhouse:///db", e, error));
  EXPECT_FALSE(ParseSourceUrl("clickhouse://h/db;drop", e, error));
  EXPECT_FALSE(ParseSourceUrl("http://h:8123/", e, error));
}

TEST(ClickHouseQuote, EscapesQuotesAndBackslashes) {
  EXPECT_EQ(QuoteString("a'b\\c"), "'a\\'b\\\\c'");
}

TEST(ClickHouseClient, StreamsRowsCutAcrossWritesAndReusesTheConnection) {
  ScriptedServer server([](int, const std::string&, int fd) {
    std::string body = "{\"n\":1}\n{\"n\":2}\n{\"n\":";
    std::string rest = "3}\n";
    Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size() + rest.size()) +
                 "\r\n\r\n" + body);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    Send(fd, rest);
    return true;
  });
  Client client(server.endpoint(), std::chrono::seconds(5));
  for (int round = 0; round < 2; ++round) {
    std::vector<std::string> rows;
    Result r = client.Query("SELECT n FORMAT JSONEachRow", [&](std::string_view row) {
      rows.emplace_back(row);
      return true;
    });
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(rows, (std::vector<std::string>{"{\"n\":1}", "{\"n\":2}", "{\"n\":3}"}));
  }
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(client.connections_opened(), 1u);
  // The password travels as Basic authorisation, never in the request line.
  EXPECT_NE(server.last_request().find("Authorization: Basic cmVhZGVyOnMzY3JldC1wYXNz"),
            std::string::npos);
  EXPECT_EQ(server.last_request().find("s3cret"), std::string::npos);
  EXPECT_NE(server.last_request().find("wait_end_of_query=1"), std::string::npos);
}

TEST(ClickHouseClient, ReturnsTheServersErrorWithoutThePassword) {
  ScriptedServer server([](int, const std::string&, int fd) {
    Send(fd, Reply("500 Internal Server Error",
                   "Code: 60, e.displayText() = DB::Exception: Table bucketwatch.nope doesn't "
                   "exist.\n"));
    return true;
  });
  Client client(server.endpoint(), std::chrono::seconds(5));
  Result r = client.Execute("SELECT * FROM nope");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 500u);
  EXPECT_NE(r.error.find("Table bucketwatch.nope doesn't exist."), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("s3cret"), std::string::npos);
  EXPECT_EQ(r.error.find('\n'), std::string::npos);
}

TEST(ClickHouseClient, GivesUpOnAStalledServerByTheDeadline) {
  ScriptedServer server([](int, const std::string&, int fd) {
    Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"n\":");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return false;
  });
  Client client(server.endpoint(), std::chrono::milliseconds(300));
  auto start = std::chrono::steady_clock::now();
  Result r = client.Query("SELECT 1 FORMAT JSONEachRow", [](std::string_view) { return true; });
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
  EXPECT_LT(took, std::chrono::milliseconds(1200));
}

TEST(ClickHouseClient, RefusesARowPastTheBound) {
  ScriptedServer server([](int, const std::string&, int fd) {
    std::string big(kMaxRowBytes + 10, 'x');
    Send(fd, Reply("200 OK", big));
    return false;
  });
  Client client(server.endpoint(), std::chrono::seconds(10));
  uint64_t rows = 0;
  Result r = client.Query("SELECT 1 FORMAT JSONEachRow", [&](std::string_view) {
    ++rows;
    return true;
  });
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("longer than 16 MiB"), std::string::npos) << r.error;
  EXPECT_EQ(rows, 0u);
}

TEST(ClickHouseClient, RetriesOnceWhenAKeptAliveConnectionWasClosedWhileIdle) {
  // The first connection answers once and is then closed by the server: the next call finds it
  // dead before any reply byte and must go on over a new connection.
  ScriptedServer server([](int, const std::string&, int fd) {
    Send(fd, Reply("200 OK", ""));
    return false;
  });
  Client client(server.endpoint(), std::chrono::seconds(5));
  ASSERT_TRUE(client.Insert("ledger", "FORMAT JSONEachRow", "{\"a\":1}\n").ok);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  Result r = client.Insert("ledger", "FORMAT JSONEachRow", "{\"a\":2}\n");
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(server.connections(), 2);
  EXPECT_NE(server.last_request().find("INSERT%20INTO%20ledger%20FORMAT%20JSONEachRow"),
            std::string::npos);
  EXPECT_NE(server.last_request().find("{\"a\":2}"), std::string::npos);
}

TEST(ClickHouseClient, ReportsARefusedConnection) {
  Endpoint e;
  e.host = "127.0.0.1";
  e.port = "1";  // nothing listens on port 1 on loopback
  Client client(e, std::chrono::seconds(2));
  Result r = client.Execute("SELECT 1");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("connecting to 127.0.0.1:1"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace bw::clickhouse
