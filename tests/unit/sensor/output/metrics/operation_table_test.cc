#include "sensor/output/metrics/operation_table.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace bw::metrics {
namespace {

TEST(OperationTable, KnownNamesRoundTrip) {
  for (std::string_view op : {"ListObjectsV2", "GetObject", "ListBlobs", "GetBlob", "objects.list",
                              "objects.get", "ListBuckets", "batch"}) {
    size_t i = OperationIndex(op);
    EXPECT_NE(i, kOtherOperationIndex) << op;
    EXPECT_LT(i, OperationCount());
    EXPECT_EQ(OperationName(i), op);
  }
}

TEST(OperationTable, UnknownNamesFoldToOther) {
  for (std::string_view op :
       {"", "Unknown", "my-bucket", "GetObjectX", "listobjectsv2", "objects.list2", "\xff\xfe"}) {
    EXPECT_EQ(OperationIndex(op), kOtherOperationIndex) << op;
  }
  EXPECT_EQ(OperationName(kOtherOperationIndex), "other");
  EXPECT_EQ(OperationName(OperationCount()), "other");
  EXPECT_EQ(OperationName(size_t{1} << 40), "other");
}

TEST(OperationTable, IndicesAreDistinct) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < OperationCount(); ++i) names.insert(OperationName(i));
  EXPECT_EQ(names.size(), OperationCount());
  EXPECT_LT(OperationCount(), 400u);  // the label set stays small
}

std::string ReadSource(const std::string& rel) {
  std::ifstream f(std::string(BW_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Every literal operation name the recognisers assign must be in the table, so that a new
// operation added to a dissector cannot silently be exported as "other".
TEST(OperationTable, CoversEveryOperationTheRecognisersAssign) {
  const std::regex set_op(R"re(SetOp\(\s*r,\s*"([^"]+)")re");
  const std::regex ternary(R"re(\?\s*"([A-Za-z.]+)"\s*:\s*"([A-Za-z.]+)")re");
  size_t checked = 0;
  for (const char* file :
       {"dissectors/storage/s3.cc", "dissectors/storage/azure.cc", "dissectors/storage/gcs.cc"}) {
    std::string text = ReadSource(file);
    ASSERT_FALSE(text.empty()) << file;
    for (std::sregex_iterator it(text.begin(), text.end(), set_op), end; it != end; ++it) {
      std::string op = (*it)[1];
      if (op == "Unknown") continue;  // deliberately "other"
      EXPECT_NE(OperationIndex(op), kOtherOperationIndex) << file << ": " << op;
      ++checked;
    }
    // SetOp(r, cond ? "A" : "B", ...) on one or two lines.
    for (std::sregex_iterator it(text.begin(), text.end(), ternary), end; it != end; ++it) {
      for (int g : {1, 2}) {
        std::string op = (*it)[g];
        if (op == "Unknown" || op[0] == '.') continue;  // "other" on purpose; a suffix
        EXPECT_NE(OperationIndex(op), kOtherOperationIndex) << file << ": " << op;
        ++checked;
      }
    }
  }
  // S3 subresource table rows: {"key", "Get...", "Put...", "Delete...", "List..."}.
  std::string s3 = ReadSource("dissectors/storage/s3.cc");
  const std::regex row(
      R"re(\{"[A-Za-z-]+",\s*"([A-Za-z]*)",\s*"([A-Za-z]*)",\s*"([A-Za-z]*)",\s*"([A-Za-z]*)"\})re");
  for (std::sregex_iterator it(s3.begin(), s3.end(), row), end; it != end; ++it) {
    for (int g = 1; g <= 4; ++g) {
      std::string op = (*it)[g];
      if (op.empty()) continue;
      EXPECT_NE(OperationIndex(op), kOtherOperationIndex) << "s3 subresource: " << op;
      ++checked;
    }
  }
  EXPECT_GT(checked, 150u);
}

}  // namespace
}  // namespace bw::metrics
