#include "dissectors/storage/operation.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace bw::storage {
namespace {

std::string_view NameAt(size_t i) { return OperationName(static_cast<Operation>(i)); }

TEST(Operation, NamesAreUniqueAndNonEmpty) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < kOperationCount; ++i) {
    EXPECT_FALSE(NameAt(i).empty()) << i;
    EXPECT_TRUE(names.insert(NameAt(i)).second) << NameAt(i);
  }
}

TEST(Operation, NameLookupIsTheInverse) {
  for (size_t i = 0; i < kOperationCount; ++i) {
    auto op = static_cast<Operation>(i);
    EXPECT_EQ(OperationFromName(OperationName(op)), op) << NameAt(i);
  }
  EXPECT_EQ(OperationFromName("Unknown"), Operation::kUnknown);
  for (std::string_view bad : {"", "other", "listobjectsv2", "GetObject ", "objects.list2"}) {
    EXPECT_EQ(OperationFromName(bad), std::nullopt) << bad;
  }
  static_assert(OperationFromName("ListObjectsV2") == Operation::kListObjectsV2);
}

TEST(Operation, UnknownAndOutOfRangeValues) {
  EXPECT_EQ(OperationName(Operation::kUnknown), "Unknown");
  EXPECT_EQ(OperationProvider(Operation::kUnknown), std::nullopt);
  EXPECT_EQ(OperationKindOf(Operation::kUnknown), OperationKind::kOther);
  auto bad = static_cast<Operation>(kOperationCount + 7);
  EXPECT_EQ(OperationName(bad), "Unknown");
  EXPECT_EQ(OperationProvider(bad), std::nullopt);
  EXPECT_EQ(OperationName(Operation::kCount), "Unknown");
}

TEST(Operation, EveryProviderHasItsApi) {
  std::map<Provider, int> rows;
  std::map<Provider, std::set<OperationKind>> kinds;
  for (size_t i = 1; i < kOperationCount; ++i) {
    auto op = static_cast<Operation>(i);
    std::optional<Provider> p = OperationProvider(op);
    ASSERT_TRUE(p.has_value()) << NameAt(i);
    // S3-compatible stores speak the S3 API: their requests report S3 rows.
    EXPECT_NE(*p, Provider::kS3Compatible) << NameAt(i);
    ++rows[*p];
    kinds[*p].insert(OperationKindOf(op));
  }
  for (Provider p : {Provider::kS3, Provider::kAzureBlob, Provider::kGcs}) {
    EXPECT_GT(rows[p], 10) << ProviderName(p);
    // Detection needs each provider's listings and reads.
    for (OperationKind k : {OperationKind::kListBuckets, OperationKind::kList, OperationKind::kRead,
                            OperationKind::kHead, OperationKind::kWrite, OperationKind::kDelete}) {
      EXPECT_TRUE(kinds[p].count(k)) << ProviderName(p) << " " << OperationKindName(k);
    }
  }
  EXPECT_EQ(OperationProvider(Operation::kListObjectsV2), Provider::kS3);
  EXPECT_EQ(OperationProvider(Operation::kListBlobs), Provider::kAzureBlob);
  EXPECT_EQ(OperationProvider(Operation::kGcsObjectsList), Provider::kGcs);
}

// The verb a provider puts in its names agrees with the kind: a Get or a list never writes or
// deletes, a Put/Create/Set never reads or lists, a Delete never reads or writes data.
TEST(Operation, KindsAgreeWithTheNames) {
  auto starts = [](std::string_view n, std::string_view p) { return n.starts_with(p); };
  auto verb = [](std::string_view n) {  // GCS: "objects.get" -> "get"
    size_t dot = n.rfind('.');
    return dot == std::string_view::npos ? n : n.substr(dot + 1);
  };
  for (size_t i = 1; i < kOperationCount; ++i) {
    auto op = static_cast<Operation>(i);
    std::string_view n = OperationName(op);
    std::string_view v = verb(n);
    OperationKind k = OperationKindOf(op);
    bool reads = starts(n, "Get") || starts(n, "Head") || starts(n, "List") || v == "get" ||
                 v == "list" || v == "listParts";
    bool writes = starts(n, "Put") || starts(n, "Create") || starts(n, "Set") || v == "insert" ||
                  v == "update" || v == "patch" || v == "create";
    bool deletes = starts(n, "Delete") || v == "delete";
    if (reads) {
      EXPECT_NE(k, OperationKind::kWrite) << n;
      EXPECT_NE(k, OperationKind::kDelete) << n;
    }
    if (writes) {
      EXPECT_NE(k, OperationKind::kRead) << n;
      EXPECT_NE(k, OperationKind::kList) << n;
      EXPECT_NE(k, OperationKind::kListBuckets) << n;
    }
    if (deletes) {
      EXPECT_TRUE(k == OperationKind::kDelete || k == OperationKind::kConfig) << n;
    }
    // Listings of objects and of buckets carry "List"/"list"/"Find" in their names.
    if (k == OperationKind::kList || k == OperationKind::kListBuckets) {
      EXPECT_TRUE(n.find("List") != n.npos || n.find("list") != n.npos || starts(n, "Find")) << n;
    }
  }
  EXPECT_EQ(OperationKindOf(Operation::kListObjectsV2), OperationKind::kList);
  EXPECT_EQ(OperationKindOf(Operation::kListBuckets), OperationKind::kListBuckets);
  EXPECT_EQ(OperationKindOf(Operation::kGetBlob), OperationKind::kRead);
  EXPECT_EQ(OperationKindOf(Operation::kGcsObjectsGet), OperationKind::kRead);
}

}  // namespace
}  // namespace bw::storage
