#include "sensor/config/yaml_depth.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "sensor/config/config.h"

namespace bw::config {
namespace {

std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(YamlDepth, FlowNestingAtTheBoundPassesOneMoreFails) {
  // One block level for the line itself plus 63 flow levels = 64.
  EXPECT_TRUE(CheckYamlDepth(Repeat("[", 63) + Repeat("]", 63)).ok);
  YamlDepthResult r = CheckYamlDepth(Repeat("[", 64) + Repeat("]", 64));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "nesting deeper than 64 (line 1)");
  EXPECT_FALSE(CheckYamlDepth(Repeat("{a: ", 80)).ok);
}

TEST(YamlDepth, HundredThousandOpenBracketsAreRejectedByTheLoader) {
  for (const char* open : {"[", "{", "- ", "? "}) {
    std::string text = Repeat(open, 100000) + "x\n";
    LoadResult r = LoadConfigText(text, {});
    EXPECT_FALSE(r.ok) << open;
    EXPECT_EQ(r.error.rfind("config: nesting deeper than 64", 0), 0u) << r.error;
  }
}

TEST(YamlDepth, BlockIndentationCounts) {
  std::string deep;
  for (size_t i = 0; i < 70; ++i) deep += std::string(i, ' ') + "k" + std::to_string(i) + ":\n";
  YamlDepthResult r = CheckYamlDepth(deep);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.line, 65u);
  std::string shallow;
  for (size_t i = 0; i < 60; ++i) shallow += std::string(i, ' ') + "k:\n";
  EXPECT_TRUE(CheckYamlDepth(shallow).ok);
  // Dedenting closes levels: many siblings never add up.
  EXPECT_TRUE(CheckYamlDepth(Repeat("a:\n  b:\n    c: 1\n", 5000)).ok);
}

TEST(YamlDepth, BracketsInsideQuotesCommentsAndBlockScalarsDoNotCount) {
  std::string brackets = Repeat("[", 200);
  EXPECT_TRUE(CheckYamlDepth("bpf: \"" + brackets + "\"\n").ok);
  EXPECT_TRUE(CheckYamlDepth("bpf: '" + brackets + "'\n").ok);
  EXPECT_TRUE(CheckYamlDepth("# " + brackets + "\nlog: {level: info}\n").ok);
  EXPECT_TRUE(CheckYamlDepth("capture:\n  bpf: tcp" + brackets + "\n").ok);
  EXPECT_TRUE(CheckYamlDepth("text: |\n  " + brackets + "\n  more\nnext: 1\n").ok);
  EXPECT_FALSE(CheckYamlDepth("text: |\n  x\nnext: " + brackets + "\n").ok);
}

TEST(YamlDepth, RealConfigsPass) {
  for (const char* rel : {"/config/bucketwatch.yaml", "/deploy/kubernetes/configmap.yaml",
                          "/deploy/kubernetes/daemonset.yaml"}) {
    std::string text = ReadFile(std::string(BW_SOURCE_DIR) + rel);
    ASSERT_FALSE(text.empty()) << rel;
    YamlDepthResult r = CheckYamlDepth(text);
    EXPECT_TRUE(r.ok) << rel << ": " << r.error;
    EXPECT_LT(r.depth, 20u) << rel;
  }
  EXPECT_TRUE(
      LoadConfigText(ReadFile(std::string(BW_SOURCE_DIR) + "/config/bucketwatch.yaml"), {}).ok);
}

}  // namespace
}  // namespace bw::config
