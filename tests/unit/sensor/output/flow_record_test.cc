// The flow log line: the tls object appears only where decryption was tried, with the ledger's
// names for version and cipher, and says why decryption stopped.

#include "sensor/output/flow_record.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace bw::output {
namespace {

FlowRecord Tls() {
  FlowRecord r;
  r.proto = 6;
  r.app_layer = "tls";
  r.server_name = "minio.corp.internal";
  r.alpn = "h2,http/1.1";
  return r;
}

TEST(FlowRecord, NoTlsObjectWithoutDecryption) {
  const auto j = nlohmann::json::parse(FormatFlowLine(Tls()));
  EXPECT_FALSE(j.contains("tls"));
  EXPECT_EQ(j["flow"]["alpn"], "h2,http/1.1");
}

TEST(FlowRecord, DecryptedHttp2) {
  FlowRecord r = Tls();
  r.tls = {true, true, 0x0304, "TLS_AES_128_GCM_SHA256", "", true};
  const auto j = nlohmann::json::parse(FormatFlowLine(r));
  EXPECT_EQ(j["tls"], nlohmann::json::parse(R"({"decrypted": true, "version": "1.3",
      "cipher": "TLS_AES_128_GCM_SHA256", "http2": true})"));
}

TEST(FlowRecord, FailureBeforeTheServerHello) {
  FlowRecord r = Tls();
  r.tls = {true, false, 0, "", "no_keys", false};
  const auto j = nlohmann::json::parse(FormatFlowLine(r));
  EXPECT_EQ(j["tls"],
            nlohmann::json::parse(R"({"decrypted": false, "decrypt_failure": "no_keys"})"));
}

TEST(FlowRecord, Tls12FailureAfterTheHandshake) {
  FlowRecord r = Tls();
  r.tls = {true, false, 0x0303, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "bad_record_mac", false};
  const auto j = nlohmann::json::parse(FormatFlowLine(r));
  EXPECT_EQ(j["tls"]["version"], "1.2");
  EXPECT_EQ(j["tls"]["decrypt_failure"], "bad_record_mac");
  EXPECT_FALSE(j["tls"].contains("http2"));
}

}  // namespace
}  // namespace bw::output
