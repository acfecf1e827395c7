// HTTPS delivery against a real TLS receiver whose CA and server certificate
// are generated with the openssl command line at test time: verified delivery
// with the custom CA file, refusal of an untrusted CA and of a certificate for
// another name.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "sensor/output/sinks/alert_dispatcher.h"
#include "tests/unit/sensor/output/sinks/http_receiver.h"
#include "tests/unit/sensor/output/sinks/test_alert.h"

namespace bw::output {
namespace {

namespace fs = std::filesystem;
using sinks::testing::HttpReceiver;
using std::chrono::milliseconds;

template <typename Pred>
bool WaitFor(Pred pred, milliseconds limit = milliseconds(15000)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return pred();
}

class HttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bw-https-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    MakeCa("ca");
    MakeCa("other_ca");
    MakeServerCert("server", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1");
    MakeServerCert("wrong_name", "ca", "subjectAltName=DNS:elsewhere.example");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Run(const std::string& cmd) {
    ASSERT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0) << cmd;
  }
  void MakeCa(const std::string& name) {
    Run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bw-test-" + name +
        " -keyout " + dir_ + "/" + name + ".key -out " + dir_ + "/" + name + ".pem");
  }
  void MakeServerCert(const std::string& name, const std::string& ca, const std::string& san) {
    std::string p = dir_ + "/" + name;
    Run("openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout " + p + ".key -out " + p +
        ".csr");
    std::ofstream(p + ".ext") << san << "\n";
    Run("openssl x509 -req -in " + p + ".csr -CA " + dir_ + "/" + ca + ".pem -CAkey " + dir_ + "/" +
        ca + ".key -CAcreateserial -days 2 -extfile " + p + ".ext -out " + p + ".pem");
  }
  std::unique_ptr<boost::asio::ssl::context> ServerContext(const std::string& name) {
    auto ctx = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    ctx->use_certificate_chain_file(dir_ + "/" + name + ".pem");
    ctx->use_private_key_file(dir_ + "/" + name + ".key", boost::asio::ssl::context::pem);
    return ctx;
  }
  config::AlertingConfig Config(const std::string& host, uint16_t port, const std::string& ca) {
    config::AlertingConfig cfg;
    cfg.spool_dir = dir_ + "/spool";
    config::SinkConfig s;
    s.name = "tls";
    s.type = "webhook";
    s.url = "https://" + host + ":" + std::to_string(port) + "/in";
    s.ca_file = dir_ + "/" + ca + ".pem";
    s.initial_backoff_ms = 20;
    s.max_backoff_ms = 50;
    cfg.sinks = {s};
    return cfg;
  }

  std::string dir_;
};

TEST_F(HttpsTest, DeliversWithCustomCa) {
  auto ctx = ServerContext("server");
  HttpReceiver rx(
      0, [] { return 202u; }, ctx.get());
  for (const std::string host : {"localhost", "127.0.0.1"}) {
    AlertDispatcher d(Config(host, rx.port(), "ca"));
    std::string error;
    ASSERT_TRUE(d.Start(error)) << error;
    ASSERT_TRUE(d.SubmitJson(sinks::testing::SampleAlertJson()));
    ASSERT_TRUE(WaitFor([&] { return d.Idle(); })) << host;
    EXPECT_EQ(d.Counters().sinks[0].last_status, 202u);
    d.Drain(milliseconds(100));
  }
  ASSERT_EQ(rx.received().size(), 2u);
  EXPECT_EQ(rx.received()[0].body, sinks::testing::SampleAlertJson());
}

// The TLS connection is kept alive too: one handshake for many alerts.
TEST_F(HttpsTest, KeepsTheTlsConnectionAlive) {
  auto ctx = ServerContext("server");
  HttpReceiver rx(
      0, [] { return 200u; }, ctx.get());
  AlertDispatcher d(Config("localhost", rx.port(), "ca"));
  std::string error;
  ASSERT_TRUE(d.Start(error)) << error;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(d.SubmitJson(sinks::testing::SampleAlertJson()));
  ASSERT_TRUE(WaitFor([&] { return d.Idle(); }));
  EXPECT_EQ(rx.received().size(), 20u);
  EXPECT_EQ(rx.connections(), 1u);
  EXPECT_EQ(rx.handshake_failures(), 0u);
  d.Drain(milliseconds(100));
}

TEST_F(HttpsTest, RefusesUntrustedCaAndWrongName) {
  auto good = ServerContext("server");
  auto wrong_name = ServerContext("wrong_name");
  HttpReceiver rx_untrusted(
      0, [] { return 200u; }, good.get());
  HttpReceiver rx_wrong_name(
      0, [] { return 200u; }, wrong_name.get());
  struct Case {
    uint16_t port;
    std::string ca;
  };
  for (const Case& c : {Case{rx_untrusted.port(), "other_ca"}, Case{rx_wrong_name.port(), "ca"}}) {
    AlertDispatcher d(Config("localhost", c.port, c.ca));
    std::string error;
    ASSERT_TRUE(d.Start(error)) << error;
    d.SubmitJson(sinks::testing::SampleAlertJson());
    ASSERT_TRUE(WaitFor([&] { return d.Counters().sinks[0].failed_attempts >= 2; }));
    EXPECT_FALSE(d.Idle());
    EXPECT_EQ(d.Counters().sinks[0].delivered, 0u);
    d.Drain(milliseconds(10));
    fs::remove_all(dir_ + "/spool");
  }
  EXPECT_TRUE(rx_untrusted.received().empty());
  EXPECT_TRUE(rx_wrong_name.received().empty());
}

}  // namespace
}  // namespace bw::output
