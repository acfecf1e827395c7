#include "sensor/config/tls_config.h"

#include <gtest/gtest.h>

#include "sensor/config/cli_overrides.h"
#include "sensor/config/config.h"
#include "sensor/config/reload_scope.h"

namespace bw::config {
namespace {

TEST(TlsConfigTest, DefaultsAreTheDocumentedOnes) {
  LoadResult r = LoadConfigText("", {});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.config.tls.keylog.empty());
  EXPECT_EQ(r.config.tls.key_wait, 10 * kNsPerSecond);
  EXPECT_EQ(r.config.tls.wait_buffer_bytes, 256u * 1024);
  EXPECT_EQ(r.config.tls.max_keys, 16384u);
  EXPECT_FALSE(r.config.tls.keylog_allow_insecure_permissions);
}

TEST(TlsConfigTest, KeylogIsAPathOrAList) {
  LoadResult r = LoadConfigText("tls:\n  keylog: /run/keys/haproxy.keylog\n", {});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.tls.keylog, std::vector<std::string>{"/run/keys/haproxy.keylog"});
  r = LoadConfigText("tls:\n  keylog: [/a, /b/]\n  key_wait_ms: 250\n  max_keys: 64\n", {});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.tls.keylog, (std::vector<std::string>{"/a", "/b/"}));
  EXPECT_EQ(r.config.tls.key_wait, kNsPerSecond / 4);
  EXPECT_EQ(r.config.tls.max_keys, 64u);
  r = LoadConfigText("", {"tls.keylog=/x", "tls.keylog_allow_insecure_permissions=true",
                          "tls.wait_buffer_bytes=4096"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.tls.keylog, std::vector<std::string>{"/x"});
  EXPECT_TRUE(r.config.tls.keylog_allow_insecure_permissions);
  EXPECT_EQ(r.config.tls.wait_buffer_bytes, 4096u);
  r = LoadConfigText("", {"tls.keylog=[/a, /b]"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.tls.keylog, (std::vector<std::string>{"/a", "/b"}));
  r = LoadConfigText("tls:\n  keylog: /a\n", {"tls.keylog="});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.config.tls.keylog.empty());
}

TEST(TlsConfigTest, ErrorsNameTheKeyAndTheReason) {
  auto error = [](const std::string& yaml) {
    LoadResult r = LoadConfigText(yaml, {});
    EXPECT_FALSE(r.ok) << yaml;
    return r.error;
  };
  EXPECT_EQ(error("tls:\n  keylogs: /a\n"), "tls.keylogs: unknown key");
  EXPECT_EQ(error("tls: 3\n"), "tls: expected a mapping");
  EXPECT_EQ(error("tls:\n  keylog: {a: 1}\n"), "tls.keylog: expected a path or a list of paths");
  EXPECT_EQ(error("tls:\n  keylog: [/a, '']\n"), "tls.keylog[1]: expected a non-empty path");
  EXPECT_EQ(error("tls:\n  keylog: [/a, [/b]]\n"), "tls.keylog[1]: expected a non-empty path");
  EXPECT_EQ(error("tls:\n  keylog: ''\n"), "tls.keylog: expected a non-empty path");
  EXPECT_EQ(error("tls:\n  keylog: /" + std::string(4096, 'k') + "\n"),
            "tls.keylog: at most 4096 bytes, got 4097");
  std::string many = "tls:\n  keylog:\n";
  for (int i = 0; i < 65; ++i) many += "    - /k" + std::to_string(i) + "\n";
  EXPECT_EQ(error(many), "tls.keylog: at most 64 paths, got 65");
  EXPECT_EQ(error("tls:\n  key_wait_ms: 0\n"),
            "tls.key_wait_ms: must be between 1 and 600000, got 0");
  EXPECT_EQ(error("tls:\n  key_wait_ms: 10s\n"),
            "tls.key_wait_ms: expected a non-negative integer, got '10s'");
  EXPECT_EQ(error("tls:\n  wait_buffer_bytes: 100\n"),
            "tls.wait_buffer_bytes: must be between 4096 and 67108864, got 100");
  EXPECT_EQ(error("tls:\n  max_keys: 0\n"), "tls.max_keys: must be between 16 and 1048576, got 0");
  EXPECT_EQ(error("tls:\n  keylog_allow_insecure_permissions: please\n"),
            "tls.keylog_allow_insecure_permissions: expected true or false, got 'please'");
}

TEST(TlsConfigTest, PrintedConfigLoadsBackTheSame) {
  LoadResult r = LoadConfigText("tls:\n  keylog: [/var/run/keys, \"/odd path: yes\"]\n", {});
  ASSERT_TRUE(r.ok) << r.error;
  const std::string dumped = DumpConfig(r.config);
  EXPECT_NE(dumped.find("tls:\n  keylog:\n    - \"/var/run/keys\"\n"), std::string::npos) << dumped;
  LoadResult again = LoadConfigText(dumped, {});
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(again.config.tls.keylog, r.config.tls.keylog);
  EXPECT_EQ(again.config.tls.key_wait, r.config.tls.key_wait);
}

TEST(TlsConfigTest, CommandLineReplacesTheListAndChangesNeedARestart) {
  LoadResult r = LoadConfigText("tls:\n  keylog: [/a, /b]\n", {});
  ASSERT_TRUE(r.ok) << r.error;
  Config running = r.config;
  CliOverrides cli;
  cli.tls_keylog = {"/c"};
  cli.ApplyTo(running);
  EXPECT_EQ(running.tls.keylog, std::vector<std::string>{"/c"});
  Config next = LoadConfigText("tls:\n  keylog: [/a]\n", {}).config;
  cli.ApplyTo(next);
  EXPECT_TRUE(CompareForReload(running, next).restart_only.empty());
  Config changed = LoadConfigText("tls:\n  max_keys: 32\n", {}).config;
  cli.ApplyTo(changed);
  EXPECT_EQ(CompareForReload(running, changed).restart_only,
            std::vector<std::string>{"tls.max_keys"});
}

}  // namespace
}  // namespace bw::config
