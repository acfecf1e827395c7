#include "sensor/config/yaml_document.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "sensor/config/config.h"
#include "sensor/config/embedded_config.h"

namespace bw::config {
namespace {

// The case of issue 18 scaled down: one anchored string, repeated by aliases in a list.
std::string AliasBomb(size_t string_bytes, size_t aliases) {
  std::string text = "detection:\n  allowlist:\n    crawler_user_agents: [&ua ";
  text += std::string(string_bytes, 'x');
  for (size_t i = 0; i < aliases; ++i) text += ", *ua";
  text += "]\n";
  return text;
}

TEST(YamlDocument, AliasBombIsStoppedAtTheBoundNamingTheKey) {
  // 64 KiB x 200 = 12.5 MiB expanded from a 65 KiB text; item 127 passes 8 MiB (with the keys).
  auto r = LoadYamlDocument(AliasBomb(64 << 10, 200));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error,
            "detection.allowlist.crawler_user_agents[127]: the document's values grow past "
            "8 MiB through alias *ua (aliases count as what they repeat) (line 3)");
  // It stopped there: it did not walk the rest.
  EXPECT_LE(r.value_bytes, (8u << 20) + (64u << 10));
}

TEST(YamlDocument, AliasesOfAliasesAreCountedExpanded) {
  // Billion laughs: ten levels of ten aliases each, 10^10 leaves from a few hundred bytes.
  std::string text = "a0: &a0 x\n";
  for (int i = 1; i <= 10; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) text += std::string(j ? ", " : "") + "*a" + std::to_string(i - 1);
    text += "]\n";
  }
  auto start = std::chrono::steady_clock::now();
  auto r = LoadYamlDocument(text);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("grows past 65536 values through alias *a4"), std::string::npos)
      << r.error;
  EXPECT_EQ(r.error.rfind("a5[", 0), 0u) << r.error;
}

TEST(YamlDocument, NodeCountIncludesPlainLists) {
  std::string text = "trusted: [";
  for (int i = 0; i < 70000; ++i) text += "1,";
  text += "1]\n";
  auto r = LoadYamlDocument(text);
  ASSERT_FALSE(r.ok);
  // No alias involved: the message does not talk about aliases.
  EXPECT_EQ(r.error, "trusted[65533]: the document grows past 65536 values (line 1)");
}

TEST(YamlDocument, ModestAliasesPass) {
  auto r = LoadYamlDocument("a: &a [1, 2]\nb: *a\nc: &c {x: *a}\nd: *c\n");
  ASSERT_TRUE(r.ok) << r.error;
  // a: 1 + 2, b: 3, c: 1 + x (key) + 3, d: 5, the top mapping and its 4 keys.
  EXPECT_EQ(r.nodes, 3u + 3u + 5u + 5u + 1u + 4u);
}

TEST(YamlDocument, AliasInsideItsOwnAnchorIsACycle) {
  auto r = LoadYamlDocument("detection: &d\n  allowlist: *d\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error,
            "detection.allowlist: alias *d refers to a list or mapping that contains it (line 2)");
}

TEST(YamlDocument, DuplicateKeysAreErrors) {
  auto r = LoadYamlDocument("workers: 2\nflows:\n  max_flows: 10\n  max_flows: 20\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "flows.max_flows: duplicate key (only one of them would count) (line 4)");
  r = LoadYamlDocument("workers: 2\nworkers: 3\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "workers: duplicate key (only one of them would count) (line 2)");
  // The same key in two different mappings is fine.
  EXPECT_TRUE(LoadYamlDocument("a: {x: 1}\nb: {x: 1}\n").ok);
}

TEST(YamlDocument, KeysMustBePlainValues) {
  auto r = LoadYamlDocument("detection:\n  ? [a, b]\n  : 1\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error,
            "detection: a key must be a plain value, not a list, a mapping or null (line 2)");
  r = LoadYamlDocument("? {a: 1}\n: 1\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("(top level): a key must be a plain value", 0), 0u) << r.error;
  r = LoadYamlDocument("~: 1\n");
  EXPECT_FALSE(r.ok);
  // An alias of a plain value is a plain key.
  r = LoadYamlDocument("a: &k workers\n*k : 2\n");
  EXPECT_TRUE(r.ok) << r.error;
  r = LoadYamlDocument("a: &k [1]\n*k : 2\n");
  EXPECT_FALSE(r.ok);
}

TEST(YamlDocument, SecondDocumentIsAnError) {
  auto r = LoadYamlDocument("workers: 2\n---\nworkers: 3\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error,
            "line 2: a second YAML document (after '---') is not allowed; put the whole "
            "configuration in one");
  EXPECT_TRUE(LoadYamlDocument("---\nworkers: 2\n...\n").ok);
  EXPECT_TRUE(LoadYamlDocument("# only a comment\n").ok);
}

TEST(YamlDocument, BuildsTheTreeYamlCppWould) {
  std::vector<std::string> texts = {
      "",
      "# only a comment\n",
      "---\n",
      "a: 1\nb: [x, 'y', \"z\"]\nc: {d: ~, e: null, f: }\n",
      "a: &a [1, {k: v}]\nb: *a\nc: &s text\n*s : 3\n",
      "- 1\n- - 2\n  - 3\n- k: |\n    block\n    text\n",
      std::string(EmbeddedDefaultConfig()),
  };
  std::ifstream in(std::string(BW_SOURCE_DIR) + "/tests/fuzz/corpus/config/sinks_json.yaml");
  texts.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  for (const auto& text : texts) {
    auto r = LoadYamlDocument(text);
    ASSERT_TRUE(r.ok) << r.error << "\n" << text;
    EXPECT_EQ(YAML::Dump(r.root), YAML::Dump(YAML::Load(text))) << text;
    EXPECT_EQ(r.root.Type(), YAML::Load(text).Type()) << text;
  }
  // An alias is the anchored node itself, not a copy (as with YAML::Load): nothing is expanded.
  auto r = LoadYamlDocument("a: &a [1, 2]\nb: *a\n");
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.root["a"].is(r.root["b"]));
}

TEST(YamlDocument, SyntaxErrorsKeepTheirLine) {
  auto r = LoadYamlDocument("a: [1, 2\nb: 3\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("line ", 0), 0u) << r.error;
}

}  // namespace
}  // namespace bw::config
