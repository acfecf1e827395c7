#include "sensor/config/reload_scope.h"

#include <gtest/gtest.h>

#include "sensor/config/cli_overrides.h"

namespace bw::config {
namespace {

Config Load(const std::vector<std::string>& sets) {
  LoadResult r = LoadConfigText("{}", sets);
  EXPECT_TRUE(r.ok) << r.error;
  return r.config;
}

using Keys = std::vector<std::string>;

Keys RestartOnlyChanges(const Config& a, const Config& b) {
  return CompareForReload(a, b).restart_only;
}
Keys ReloadableChanges(const Config& a, const Config& b) {
  return CompareForReload(a, b).reloadable;
}

TEST(ReloadScope, SameConfigChangesNothing) {
  Config a = Load({});
  EXPECT_EQ(RestartOnlyChanges(a, a), Keys{});
  EXPECT_EQ(ReloadableChanges(a, a), Keys{});
}

TEST(ReloadScope, ReloadableSectionsAreNamed) {
  Config a = Load({});
  Config b = Load(
      {"detection.bucket_enumeration.min_buckets=7", "log.level=debug", "storage.sample_keys=3"});
  EXPECT_EQ(RestartOnlyChanges(a, b), Keys{});
  EXPECT_EQ(ReloadableChanges(a, b), (Keys{"storage", "detection", "log"}));
  Config c = Load({"ledger.rotate_bytes=2097152", "ledger.compression=none"});
  EXPECT_EQ(RestartOnlyChanges(a, c), Keys{});
  EXPECT_EQ(ReloadableChanges(a, c), Keys{"ledger"});
  // The chain setting cannot change under an open file.
  EXPECT_EQ(RestartOnlyChanges(a, Load({"ledger.hash_chain=false"})), Keys{"ledger.hash_chain"});
}

TEST(ReloadScope, RestartOnlyKeysAreNamedOneByOne) {
  Config a = Load({});
  Config b = Load({"workers=2", "capture.snaplen=1500", "flows.max_flows=1000",
                   "metrics.listen=127.0.0.1:9999", "detection.memory_mib=64",
                   "alerting.spool_dir=/tmp/x", "state.dir=/tmp/s", "sensor.name=tap-2"});
  EXPECT_EQ(RestartOnlyChanges(a, b),
            (Keys{"sensor.name", "capture.snaplen", "workers", "flows.max_flows", "state.dir",
                  "metrics.listen", "alerting.spool_dir", "detection.memory_mib"}));
}

TEST(ReloadScope, CommandLineOverridesAreNoChange) {
  CliOverrides cli;
  cli.bpf = "tcp port 9000";
  cli.workers = 3;
  Config running = Load({});
  cli.ApplyTo(running);
  Config next = Load({"capture.bpf=tcp", "workers=1"});  // the file says otherwise
  cli.ApplyTo(next);
  EXPECT_EQ(RestartOnlyChanges(running, next), Keys{});
}

}  // namespace
}  // namespace bw::config
