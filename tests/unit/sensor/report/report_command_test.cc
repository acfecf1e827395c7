#include "sensor/report/report_command.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "report_test_util.h"
#include "sensor/output/ledger_file.h"

namespace bw::report {
namespace {

namespace fs = std::filesystem;
using testing::Line;

class ReportCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bw-report-cmd-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    ledger_ = (dir_ / "ledger.jsonl").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static TimestampNs T(int64_t s) { return (1'763'900'000 + s) * kNsPerSecond; }

  // Writes lines through the real LedgerFile (chained, rotating when asked).
  void WriteLedger(const std::vector<Line>& lines, uint64_t rotate_bytes = 1 << 20) {
    output::LedgerFileOptions o;
    o.rotate_bytes = rotate_bytes;
    o.compress = true;
    output::LedgerFile f;
    std::string error;
    ASSERT_TRUE(f.Open(ledger_, o, error)) << error;
    for (const auto& l : lines) f.Write(l.Json());
  }

  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "report");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    return RunReportCommand(static_cast<int>(args.size()), argv.data());
  }

  std::string Slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  nlohmann::json Json(std::vector<std::string> extra = {}) {
    std::string out = (dir_ / "r.json").string();
    std::vector<std::string> args = {"--format", "json", "--output", out, "--no-progress"};
    for (const auto& f : LedgerFiles()) {
      args.push_back("--ledger");
      args.push_back(f);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    EXPECT_EQ(Run(args), 0);
    return nlohmann::json::parse(Slurp(out));
  }

  std::vector<std::string> LedgerFiles() {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir_)) {
      std::string p = e.path().string();
      if (p.find("ledger.jsonl") != std::string::npos) files.push_back(p);
    }
    std::sort(files.begin(),
              files.end());  // lexical: the command must reorder them
    return files;
  }

  std::vector<Line> Scenario() {
    std::vector<Line> v;
    Line l;
    l.ts = T(0), l.operation = "ListObjectsV2", l.list_keys = 3;
    v.push_back(l);
    for (int i = 0; i < 30; ++i) {
      l = Line{};
      l.ts = T(10 + i);
      l.key = "obj/" + std::to_string(i % 12);
      l.ip = "203.0.113." + std::to_string(i % 3);
      l.bytes = 1000 + i;
      l.range = i % 5 == 0;
      v.push_back(l);
    }
    l = Line{};
    l.ts = T(100), l.bucket = "other", l.key = "<script>alert(1)</script>", l.bytes = 7;
    v.push_back(l);
    l = Line{};
    l.ts = T(101), l.bucket = "other", l.key = "=HYPERLINK(\"x\")", l.bytes = 8;
    v.push_back(l);
    l = Line{};
    l.ts = T(200), l.auth = "signed", l.access_key = "AKIAOWNER";
    v.push_back(l);
    return v;
  }

  fs::path dir_;
  std::string ledger_;
};

TEST_F(ReportCommandTest, JsonObjectTableAcrossRotatedCompressedFiles) {
  WriteLedger(Scenario(), 2000);  // several rotated .gz files
  ASSERT_GT(LedgerFiles().size(), 3u);
  auto j = Json();
  ASSERT_EQ(j["buckets"].size(), 2u);
  auto& other = j["buckets"][0];
  EXPECT_EQ(other["bucket"], "other");
  auto& b = j["buckets"][1];
  EXPECT_EQ(b["bucket"], "public-data");
  EXPECT_TRUE(b["exposed"]);
  EXPECT_EQ(b["exposure"]["first"], "2025-11-23T12:13:20.000000000Z");
  EXPECT_EQ(b["objects"].size(), 12u);
  EXPECT_EQ(b["objects_total"]["reads"], 30);
  EXPECT_EQ(b["objects"][0]["key"], "obj/0");
  EXPECT_EQ(b["objects"][0]["reads"], 3);        // i = 0, 12, 24
  EXPECT_EQ(b["objects"][0]["range_reads"], 1);  // i = 0
  EXPECT_EQ(b["objects"][0]["bytes"], 1000 + 1012 + 1024);
  EXPECT_EQ(b["objects"][0]["readers"], nlohmann::json::array({"203.0.113.0"}));
  EXPECT_EQ(b["authenticated"]["outcomes"]["requests"], 1);
  EXPECT_EQ(b["authenticated"]["access_key_ids"], nlohmann::json::array({"AKIAOWNER"}));
  EXPECT_EQ(j["input"]["lines"], 34);
  EXPECT_EQ(j["input"]["bad_lines"], 0);
}

TEST_F(ReportCommandTest, SpillingDoesNotChangeTheReport) {
  WriteLedger(Scenario());
  auto in_memory = Json();
  auto spilled = Json({"--objects-in-memory", "1"});
  EXPECT_GT(spilled["input"]["object_spills"].get<int>(), 5);
  EXPECT_EQ(in_memory["buckets"], spilled["buckets"]);
}

TEST_F(ReportCommandTest, FiltersByTimeAndBucket) {
  WriteLedger(Scenario());
  auto j = Json({"--since", "2025-11-23T12:13:30Z", "--until", "1763900015"});
  ASSERT_EQ(j["buckets"].size(), 1u);
  EXPECT_EQ(j["buckets"][0]["objects_total"]["reads"], 5);  // i = 0..4
  EXPECT_EQ(j["input"]["outside_period"], 29);
  j = Json({"--bucket", "oth*"});
  ASSERT_EQ(j["buckets"].size(), 1u);
  EXPECT_EQ(j["buckets"][0]["bucket"], "other");
  j = Json({"--bucket", "s3//public-*"});
  ASSERT_EQ(j["buckets"].size(), 1u);
  EXPECT_EQ(j["buckets"][0]["bucket"], "public-data");
}

TEST_F(ReportCommandTest, CsvNeutralisesFormulasAndHtmlEscapes) {
  WriteLedger(Scenario());
  std::string csv = (dir_ / "r.csv").string();
  ASSERT_EQ(Run({"--ledger", ledger_, "--format", "csv", "--output", csv}), 0);
  std::string text = Slurp(csv);
  EXPECT_NE(text.find(",\"'=HYPERLINK(\"\"x\"\")\","), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'),
            15);  // header + 14 objects
  struct stat st {};
  ASSERT_EQ(::stat(csv.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);

  std::string html = (dir_ / "r.html").string();
  ASSERT_EQ(Run({"--ledger", ledger_, "--format", "html", "--output", html}), 0);
  text = Slurp(html);
  EXPECT_EQ(text.find("<script>alert"), std::string::npos);
  EXPECT_NE(text.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(text.find("<svg class=timeline"), std::string::npos);
  EXPECT_EQ(text.find("http://"), std::string::npos);
  EXPECT_EQ(text.find("https://"), std::string::npos);
}

TEST_F(ReportCommandTest, HtmlListsAtMostTheConfiguredObjectRows) {
  WriteLedger(Scenario());
  std::string html = (dir_ / "r.html").string();
  ASSERT_EQ(
      Run({"--ledger", ledger_, "--format", "html", "--output", html, "--html-object-rows", "5"}),
      0);
  std::string text = Slurp(html);
  EXPECT_NE(text.find("7 more objects not shown"), std::string::npos);
}

TEST_F(ReportCommandTest, VerifyPassesThenDetectsTampering) {
  WriteLedger(Scenario(), 2000);
  std::vector<std::string> args = {"--verify", "--output", (dir_ / "v.txt").string()};
  for (const auto& f : LedgerFiles()) {
    args.push_back("--ledger");
    args.push_back(f);
  }
  EXPECT_EQ(Run(args), 0) << Slurp((dir_ / "v.txt").string());
  EXPECT_NE(Slurp((dir_ / "v.txt").string()).find("chain intact"), std::string::npos);

  // Edit one byte of the first line of the active (uncompressed) file: the next
  // line breaks.
  std::string content = Slurp(ledger_);
  auto pos = content.find("\"port\":40000");
  ASSERT_NE(pos, std::string::npos);
  ASSERT_NE(content.find('\n', pos), content.size() - 1) << "needs a line after the edit";
  content[pos + 11] = '1';
  std::ofstream(ledger_, std::ios::trunc) << content;
  EXPECT_EQ(Run(args), 1);
  EXPECT_NE(Slurp((dir_ / "v.txt").string()).find("BROKEN " + ledger_), std::string::npos);
}

TEST_F(ReportCommandTest, InventoryAsJsonCsvAndTextHonoursTheFilters) {
  std::vector<Line> lines = Scenario();
  for (size_t i = 0; i < lines.size(); ++i) lines[i].observer = i % 2 ? "tap-a" : "tap-b";
  lines[0].observer.clear();  // the listing comes from a ledger without observer.name
  WriteLedger(lines, 2000);   // rotated and compressed: several files, given in lexical order
  auto inventory = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), "--inventory");
    return Json(extra);
  };
  auto j = inventory({});
  ASSERT_EQ(j["buckets"].size(), 2u);
  const auto& other = j["buckets"][0];
  EXPECT_EQ(other["bucket"], "other");
  EXPECT_EQ(other["objects"], 2);
  EXPECT_EQ(other["object_bytes"], 15);
  const auto& pub = j["buckets"][1];
  EXPECT_EQ(pub["provider"], "s3");
  EXPECT_EQ(pub["account"], "");
  EXPECT_EQ(pub["bucket"], "public-data");
  EXPECT_EQ(pub["first_success"], "2025-11-23T12:13:20.000000000Z");
  EXPECT_EQ(pub["last_success"], "2025-11-23T12:13:59.000000000Z");
  EXPECT_EQ(pub["anonymous_successes"], 31);
  EXPECT_EQ(pub["operations"], (nlohmann::json{{"GetObject", 30}, {"ListObjectsV2", 1}}));
  EXPECT_EQ(pub["clients"], 4);  // 203.0.113.0-2 and the lister
  EXPECT_EQ(pub["clients_lower_bound"], false);
  EXPECT_EQ(pub["objects"], 12);
  EXPECT_EQ(pub["object_reads"], 30);
  EXPECT_EQ(pub["object_bytes"], 30 * 1000 + 29 * 30 / 2);
  EXPECT_EQ(pub["sensors"], (nlohmann::json{"tap-a", "tap-b"}));
  EXPECT_EQ(pub["unattributed"], 1);
  EXPECT_EQ(j["input"]["entries"], 34);
  EXPECT_EQ(j["input"]["anonymous_successes"], 33);

  j = inventory({"--since", "2025-11-23T12:13:30Z", "--until", "1763900015", "--bucket", "pub*"});
  ASSERT_EQ(j["buckets"].size(), 1u);
  EXPECT_EQ(j["buckets"][0]["object_reads"], 5);  // i = 0..4
  EXPECT_EQ(j["input"]["outside_period"], 29);
  EXPECT_EQ(j["input"]["other_buckets"], 0);
  EXPECT_EQ(j["inventory"]["bucket_pattern"], "pub*");

  std::string csv = (dir_ / "inv.csv").string();
  std::vector<std::string> args = {"--inventory", "--format", "csv", "--output", csv};
  for (const auto& f : LedgerFiles()) args.insert(args.end(), {"--ledger", f});
  ASSERT_EQ(Run(args), 0);
  std::string text = Slurp(csv);
  EXPECT_EQ(text.substr(0, text.find("\r\n")),
            "provider,account,bucket,first_success,last_success,anonymous_successes,operations,"
            "clients,clients_lower_bound,objects,objects_lower_bound,object_reads,object_bytes,"
            "sensors");
  EXPECT_NE(text.find(",GetObject=30 ListObjectsV2=1,4,false,12,false,30,30435,tap-a tap-b "
                      "unknown\r\n"),
            std::string::npos)
      << text;

  std::string txt = (dir_ / "inv.txt").string();
  args[2] = "text", args[4] = txt;
  ASSERT_EQ(Run(args), 0);
  text = Slurp(txt);
  EXPECT_NE(text.find("== s3 public-data ==\n"), std::string::npos) << text;
  EXPECT_NE(text.find("seen by: tap-a tap-b unknown (1 requests without observer.name)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("2 buckets answered anonymous requests successfully"), std::string::npos);

  args[2] = "html";
  EXPECT_EQ(Run(args), 2);  // the inventory has no HTML form
}

TEST_F(ReportCommandTest, UsageErrorsExitTwo) {
  WriteLedger(Scenario());
  EXPECT_EQ(Run({}), 2);
  EXPECT_EQ(Run({"--ledger", ledger_, "--format", "pdf"}), 2);
  EXPECT_EQ(Run({"--ledger", (dir_ / "missing").string()}), 2);
  EXPECT_EQ(Run({"--ledger", ledger_, "--since", "last tuesday"}), 2);
  EXPECT_EQ(Run({"--ledger", ledger_, "--objects-in-memory", "0"}), 2);
  EXPECT_EQ(Run({"--ledger", ledger_, "--output", (dir_ / "no/such/dir/x").string()}), 1);
}

TEST_F(ReportCommandTest, CountsLinesThatAreNotRecords) {
  std::ofstream(ledger_) << Line{}.Json() << "\nnot json\n{\"x\":1}\n";
  auto j = Json();
  EXPECT_EQ(j["input"]["lines"], 3);
  EXPECT_EQ(j["input"]["bad_lines"], 2);
  EXPECT_EQ(j["buckets"].size(), 1u);
}

}  // namespace
}  // namespace bw::report
