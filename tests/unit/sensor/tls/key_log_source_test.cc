#include "sensor/tls/key_log_source.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

namespace bw::tls {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Connection n's client random and secret as hex; the secret's pattern is what the tests grep
// the logs for.
std::string RandomHex(uint32_t n) {
  char text[65];
  std::snprintf(text, sizeof(text), "%08x%056x", n, 0);
  return text;
}
std::string SecretHex(uint32_t n) {
  char head[9];
  std::snprintf(head, sizeof(head), "%08x", n);
  return std::string(head) + std::string(88, 'c');  // 48 bytes
}
std::string Line(uint32_t n) { return "CLIENT_RANDOM " + RandomHex(n) + " " + SecretHex(n) + "\n"; }

ClientRandom Random(uint32_t n) {
  ClientRandom r{};
  r[0] = static_cast<uint8_t>(n >> 24);
  r[1] = static_cast<uint8_t>(n >> 16);
  r[2] = static_cast<uint8_t>(n >> 8);
  r[3] = static_cast<uint8_t>(n);
  return r;
}

// Waits, bounded, for `done`; polls every millisecond.
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

void Append(const fs::path& path, const std::string& text, mode_t mode = 0600) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::fchmod(fd, mode), 0);
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
}

class KeyLogSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "bw-keylog-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;  // mkdtemp: mode 0700, ours
    // Every log line of the test goes here, to be searched for key material.
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    previous_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
    spdlog::set_level(spdlog::level::trace);
  }
  void TearDown() override {
    source_.reset();
    spdlog::set_default_logger(previous_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  KeyLogSourceOptions Options(std::vector<std::string> paths) {
    KeyLogSourceOptions o;
    o.paths = std::move(paths);
    o.run_uid = ::geteuid();
    o.poll_interval = 5ms;
    o.rescan_interval = 50ms;
    return o;
  }
  bool OpenSource(KeyLogSourceOptions o, std::string* error = nullptr) {
    source_ = std::make_unique<KeyLogSource>(std::move(o), store_);
    std::string e;
    bool ok = source_->Open(e);
    if (error) *error = e;
    return ok;
  }
  bool Has(uint32_t n) {
    ConnectionKeys keys;
    return store_.CopyKeys(Random(n), keys) && keys.Has(KeyLogLabel::kClientRandom);
  }
  bool WaitKey(uint32_t n) {
    return WaitFor([&] { return Has(n); });
  }
  // No secret of connections [0, count) in anything logged, in either case.
  void ExpectNoSecretLogged(uint32_t count) {
    std::string text = log_.str();
    std::string lower = text;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (uint32_t n = 0; n < count; ++n) {
      EXPECT_EQ(lower.find(SecretHex(n).substr(0, 24)), std::string::npos) << text;
    }
    EXPECT_EQ(lower.find(std::string(24, 'c')), std::string::npos) << text;
  }

  fs::path dir_;
  std::ostringstream log_;
  std::shared_ptr<spdlog::logger> previous_;
  SharedKeyStore store_{KeyLogStoreLimits{1024}};
  std::unique_ptr<KeyLogSource> source_;
};

TEST_F(KeyLogSourceTest, LoadsAtStartThenFollowsAppendsAndSplitLines) {
  fs::path file = dir_ / "sslkeys.log";
  Append(file, "# written by curl\n" + Line(1) + Line(2));
  ASSERT_TRUE(OpenSource(Options({file.string()})));
  source_->LoadAll();
  EXPECT_TRUE(Has(1));
  EXPECT_TRUE(Has(2));
  source_->Start();

  Append(file, Line(3));
  EXPECT_TRUE(WaitKey(3));
  // One line in two writes: nothing until its end arrives.
  const std::string line = Line(4);
  const uint64_t before = source_->Counts().bytes_read;
  Append(file, line.substr(0, 70));
  ASSERT_TRUE(WaitFor([&] { return source_->Counts().bytes_read == before + 70; }));
  EXPECT_FALSE(Has(4));
  Append(file, line.substr(70));
  EXPECT_TRUE(WaitKey(4));

  source_->Stop();
  KeyLogSourceCounts c = source_->Counts();
  EXPECT_EQ(c.keys_loaded, 4u);
  EXPECT_EQ(c.lines_read, 5u);
  EXPECT_EQ(c.lines_ignored, 1u);
  EXPECT_EQ(c.malformed_lines, 0u);
  EXPECT_EQ(c.files_opened, 1u);
  ExpectNoSecretLogged(5);
}

TEST_F(KeyLogSourceTest, TruncationAndRenameRotationReadTheNewFileFromItsStart) {
  fs::path file = dir_ / "haproxy.keylog";
  Append(file, Line(1) + Line(2) + Line(3));
  ASSERT_TRUE(OpenSource(Options({file.string()})));
  source_->LoadAll();
  source_->Start();

  // Truncated and written again, shorter than what was read.
  {
    int fd = ::open(file.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    std::string text = Line(10);
    ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
  }
  EXPECT_TRUE(WaitKey(10));
  EXPECT_GE(source_->Counts().files_reopened, 1u);

  // Rotation by rename: the writer's last line into the old file, then a new file.
  fs::path old = dir_ / "haproxy.keylog.1";
  fs::rename(file, old);
  Append(old, Line(11));
  Append(file, Line(12));
  EXPECT_TRUE(WaitKey(12));
  EXPECT_TRUE(WaitKey(11));
  EXPECT_GE(source_->Counts().files_reopened, 2u);
  EXPECT_EQ(source_->Counts().malformed_lines, 0u);
  ExpectNoSecretLogged(13);
}

TEST_F(KeyLogSourceTest, DirectoryFilesCreatedLaterAreRead) {
  fs::path keys = dir_ / "keys";
  fs::create_directory(keys);
  fs::permissions(keys, fs::perms::owner_all);
  Append(keys / "curl-100.log", Line(1));
  auto o = Options({keys.string()});
  o.idle_close = 20ms;  // closed while idle and reopened when they grow
  ASSERT_TRUE(OpenSource(o));
  source_->LoadAll();
  EXPECT_TRUE(Has(1));
  source_->Start();

  Append(keys / "curl-200.log", Line(2));
  EXPECT_TRUE(WaitKey(2));
  std::this_thread::sleep_for(60ms);  // past idle_close: both files closed
  Append(keys / "curl-100.log", Line(3));
  EXPECT_TRUE(WaitKey(3));
  // Not a key log: a subdirectory and an insecure file are skipped; the latter counted.
  fs::create_directory(keys / "sub");
  Append(keys / "open-to-all.log", Line(4), 0644);
  EXPECT_TRUE(WaitFor([&] { return source_->Counts().files_refused == 1; }));
  Append(keys / "curl-300.log", Line(5));
  EXPECT_TRUE(WaitKey(5));
  EXPECT_FALSE(Has(4));
  // Fixed permissions are seen at the next scan.
  fs::permissions(keys / "open-to-all.log", fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_TRUE(WaitKey(4));
  EXPECT_EQ(source_->Counts().keys_loaded, 5u);
  EXPECT_NE(log_.str().find("open-to-all.log: world-readable (mode 0644)"), std::string::npos)
      << log_.str();
  ExpectNoSecretLogged(6);
}

TEST_F(KeyLogSourceTest, FifoWithTwoWritersInTurn) {
  fs::path fifo = dir_ / "keys.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ASSERT_TRUE(OpenSource(Options({fifo.string()})));
  source_->LoadAll();
  source_->Start();
  auto write_all = [&](const std::string& text) {
    // The source holds the read end open: this open does not block.
    int fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
  };
  // The first writer's last line has no newline: it ends when the writer closes.
  std::string second = Line(2);
  second.pop_back();
  write_all(Line(1) + second);
  EXPECT_TRUE(WaitKey(1));
  EXPECT_TRUE(WaitKey(2));
  write_all(Line(3));
  EXPECT_TRUE(WaitKey(3));
  EXPECT_EQ(source_->Counts().malformed_lines, 0u);
  ExpectNoSecretLogged(4);
}

TEST_F(KeyLogSourceTest, GarbageAndTruncatedLinesAreCountedByReason) {
  fs::path file = dir_ / "mixed.log";
  std::string truncated = Line(2).substr(0, 100) + "\n";  // cut inside the secret
  Append(file, Line(1) + "garbage here\n" + "CLIENT_RANDOM " + RandomHex(3) + "\n" +
                   "CLIENT_RANDOM zz" + RandomHex(3).substr(2) + " " + SecretHex(3) + "\n" +
                   "CLIENT_RANDOM abc " + SecretHex(3) + "\n" + truncated + std::string(600, 'A') +
                   "\n" + "SERVER_TRAFFIC_SECRET_N " + RandomHex(5) + " " + SecretHex(5) + "\n" +
                   Line(6) + Line(6) + Line(7).substr(0, Line(7).size() - 1));
  auto o = Options({file.string()});
  o.follow = false;  // as for --read: the last line without a newline counts
  ASSERT_TRUE(OpenSource(o));
  source_->LoadAll();
  KeyLogSourceCounts c = source_->Counts();
  auto reason = [&](KeyLogError e) { return c.malformed[static_cast<size_t>(e)]; };
  EXPECT_EQ(reason(KeyLogError::kUnknownLabel), 1u);
  EXPECT_EQ(reason(KeyLogError::kMissingField), 1u);
  EXPECT_EQ(reason(KeyLogError::kBadHex), 1u);
  EXPECT_EQ(reason(KeyLogError::kBadRandomLength), 1u);
  EXPECT_EQ(reason(KeyLogError::kBadSecretLength), 1u);
  EXPECT_EQ(c.malformed_lines, 5u);
  EXPECT_EQ(c.overlong_lines, 1u);
  EXPECT_EQ(c.lines_ignored, 1u);  // the unused label
  EXPECT_EQ(c.keys_loaded, 3u);    // 1, 6 and 7
  EXPECT_EQ(c.keys_duplicate, 1u);
  EXPECT_TRUE(Has(7));
  EXPECT_FALSE(Has(2));
  // One warning per file, with the line number and the reason only.
  EXPECT_NE(log_.str().find("mixed.log: line 2 skipped: unknown_label"), std::string::npos)
      << log_.str();
  ExpectNoSecretLogged(8);
}

TEST_F(KeyLogSourceTest, InsecurePermissionsRefuseTheStartUnlessAllowed) {
  struct Case {
    mode_t mode;
    const char* why;
  };
  const Case cases[] = {{0644, "world-readable (mode 0644)"},
                        {0620, "group-writable (mode 0620)"},
                        {0602, "world-writable (mode 0602)"}};
  fs::path file = dir_ / "keys.log";
  for (const Case& c : cases) {
    Append(file, Line(1), c.mode);
    std::string error;
    EXPECT_FALSE(OpenSource(Options({file.string()}), &error));
    EXPECT_NE(error.find("tls.keylog: " + file.string() + ": " + c.why), std::string::npos)
        << error;
    EXPECT_NE(error.find("tls.keylog_allow_insecure_permissions: true"), std::string::npos);
  }
  // Group-readable is fine (root:bucketwatch 0640).
  Append(file, "", 0640);
  EXPECT_TRUE(OpenSource(Options({file.string()})));
  std::string error;
  // A world-readable directory, and a directory holding an insecure file at start.
  fs::path keys = dir_ / "keys";
  fs::create_directory(keys);
  fs::permissions(keys, static_cast<fs::perms>(0755));
  EXPECT_FALSE(OpenSource(Options({keys.string()}), &error));
  EXPECT_NE(error.find(keys.string() + ": world-readable (mode 0755)"), std::string::npos) << error;
  fs::permissions(keys, static_cast<fs::perms>(0750));
  Append(keys / "a.log", Line(2), 0666);
  EXPECT_FALSE(OpenSource(Options({keys.string()}), &error));
  EXPECT_NE(error.find("a.log: world-writable (mode 0666)"), std::string::npos) << error;

  // The switch: warnings, and the keys are read.
  KeyLogSourceOptions o = Options({keys.string()});
  o.allow_insecure_permissions = true;
  ASSERT_TRUE(OpenSource(o, &error)) << error;
  source_->LoadAll();
  EXPECT_TRUE(Has(2));
  EXPECT_NE(log_.str().find("reading it anyway (tls.keylog_allow_insecure_permissions)"),
            std::string::npos);
  ExpectNoSecretLogged(3);

  // Owned by someone else than root and the sensor's user.
  if (::geteuid() != 0) GTEST_SKIP() << "the ownership case needs root (chown)";
  ASSERT_EQ(::chown(file.c_str(), 4242, static_cast<gid_t>(-1)), 0);
  o = Options({file.string()});
  o.run_uid = 4343;
  EXPECT_FALSE(OpenSource(o, &error));
  EXPECT_NE(error.find("owned by uid 4242, neither root nor the sensor's user (uid 4343)"),
            std::string::npos)
      << error;
  o.run_uid = 4242;  // the sensor's own user
  EXPECT_TRUE(OpenSource(o, &error)) << error;
}

TEST_F(KeyLogSourceTest, MissingPathsAreWaitedForOnlyWhenTheirDirectoryExists) {
  std::string error;
  fs::path later = dir_ / "later.log";
  EXPECT_FALSE(OpenSource(Options({(dir_ / "no-dir" / "k.log").string()}), &error));
  EXPECT_NE(error.find("no such file or directory, nor its directory"), std::string::npos) << error;
  auto offline = Options({later.string()});
  offline.follow = false;
  EXPECT_FALSE(OpenSource(offline, &error));
  EXPECT_EQ(error, "tls.keylog: " + later.string() + ": no such file or directory");

  ASSERT_TRUE(OpenSource(Options({later.string()}), &error)) << error;
  source_->LoadAll();
  source_->Start();
  Append(later, Line(1));
  EXPECT_TRUE(WaitKey(1));
  EXPECT_NE(log_.str().find("does not exist yet; waiting for it to appear"), std::string::npos);

  fs::path socket_like = "/dev/null";
  EXPECT_FALSE(OpenSource(Options({socket_like.string()}), &error));
  EXPECT_EQ(error, "tls.keylog: /dev/null: not a regular file, directory or FIFO");
}

TEST_F(KeyLogSourceTest, StopIsPromptAndRestartable) {
  fs::path file = dir_ / "k.log";
  Append(file, Line(1));
  auto o = Options({file.string()});
  o.poll_interval = 10s;  // Stop must not wait for it
  ASSERT_TRUE(OpenSource(o));
  source_->LoadAll();
  source_->Start();
  const auto start = std::chrono::steady_clock::now();
  source_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  source_->Stop();  // twice is harmless
}

}  // namespace
}  // namespace bw::tls
