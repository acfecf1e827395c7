#include "dissectors/storage/bucket_key.h"

#include <gtest/gtest.h>

namespace bw::storage {
namespace {

void Expect(std::string_view path, std::string_view host_bucket, std::string_view bucket,
            std::string_view key) {
  BucketKey bk = SplitBucketKey(path, host_bucket);
  EXPECT_EQ(bk.bucket, bucket) << path << " host bucket " << host_bucket;
  EXPECT_EQ(bk.key, key) << path << " host bucket " << host_bucket;
}

TEST(SplitBucketKey, PathStyle) {
  Expect("/", "", "", "");
  Expect("", "", "", "");
  Expect("/bucket", "", "bucket", "");
  Expect("/bucket/", "", "bucket", "");
  Expect("/bucket/key", "", "bucket", "key");
  Expect("/bucket/dir/sub/file.csv", "", "bucket", "dir/sub/file.csv");
  Expect("/bucket//double", "", "bucket", "/double");
  Expect("//key", "", "", "key");
}

TEST(SplitBucketKey, VirtualHostedStyleTakesTheWholePathAsKey) {
  Expect("/", "my-bucket", "my-bucket", "");
  Expect("", "my-bucket", "my-bucket", "");
  Expect("/key", "my-bucket", "my-bucket", "key");
  Expect("/other-bucket/key", "my-bucket", "my-bucket", "other-bucket/key");
  // The host's bucket is used as given: the Host name is not percent-encoded.
  Expect("/k", "a%20b", "a%20b", "k");
}

TEST(SplitBucketKey, DecodesPercentEscapesButNotPlus) {
  Expect("/my%2Dbucket/a%20b%2Fc+d", "", "my-bucket", "a b/c+d");
  Expect("/a%20b", "b", "b", "a b");
  Expect("/b/100%", "", "b", "100%");  // a malformed escape is kept
  Expect("/b/%e2%82%ac", "", "b", "\xe2\x82\xac");
}

}  // namespace
}  // namespace bw::storage
