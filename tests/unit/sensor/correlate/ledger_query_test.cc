// The central ledger's queries (ledger_query.h): pages after the cursor in the reading order,
// under FINAL, pruned to their days; values quoted.
#include "sensor/correlate/ledger_query.h"

#include <gtest/gtest.h>

namespace bw::correlate {
namespace {

TEST(LedgerQueryTest, PagesAfterTheCursorUnderFinal) {
  state::LedgerCursor start{true, 1700000000000000000, ""};
  std::string q = PageQuery("bucketwatch.ledger", start, 1700000600000000000, 500);
  EXPECT_NE(q.find("FROM bucketwatch.ledger FINAL WHERE date >= '2023-11-14' AND date <= "
                   "'2023-11-14' AND ts_ns >= 1700000000000000000 AND ts_ns < "
                   "1700000600000000000 ORDER BY ts_ns, line_sha256 LIMIT 500 FORMAT JSONEachRow"),
            std::string::npos)
      << q;
  state::LedgerCursor mid{true, 1700000000000000001, "ab'c"};
  q = PageQuery("bucketwatch.ledger", mid, 1700000600000000000, 500);
  EXPECT_NE(q.find("AND (ts_ns > 1700000000000000001 OR line_sha256 > 'ab\\'c')"),
            std::string::npos)
      << q;
}

TEST(LedgerQueryTest, SensorsOfABulkAlertAreThoseThatSawItsReads) {
  detect::Alert a;
  a.rule = detect::Rule::kBulkExfiltration;
  a.timestamp = 1700000600000000000;
  a.source_ip = "198.51.100.7";
  a.provider = "s3";
  a.bucket = "le'aky";
  std::string q = SensorsQuery("bucketwatch.ledger", a, 600 * kNsPerSecond, 32);
  EXPECT_NE(q.find("SELECT DISTINCT observer_name FROM bucketwatch.ledger FINAL WHERE"),
            std::string::npos)
      << q;
  EXPECT_NE(q.find("ts_ns >= 1699999990000000000 AND ts_ns < 1700000600000000001"),
            std::string::npos)
      << q;
  EXPECT_NE(q.find("source_ip = '198.51.100.7'"), std::string::npos) << q;
  EXPECT_NE(q.find("bucket = 'le\\'aky'"), std::string::npos) << q;
  EXPECT_NE(q.find("'GetObject'"), std::string::npos) << q;
  EXPECT_NE(q.find("outcome = 'success'"), std::string::npos) << q;
  a.rule = detect::Rule::kBucketEnumeration;
  q = SensorsQuery("bucketwatch.ledger", a, 300 * kNsPerSecond, 32);
  EXPECT_EQ(q.find("bucket = "), std::string::npos) << q;
  EXPECT_NE(q.find("(bucket != '' OR account != '')"), std::string::npos) << q;
}

}  // namespace
}  // namespace bw::correlate
