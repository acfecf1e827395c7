#include "dissectors/storage/listing_scanner.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bw::storage {
namespace {

ListingSummary ScanChunks(const std::string& body, const std::vector<size_t>& cuts,
                          size_t samples) {
  ListingScanner s(samples);
  size_t pos = 0;
  for (size_t cut : cuts) {
    s.Feed(AsBytes(std::string_view(body).substr(pos, cut - pos)));
    pos = cut;
  }
  s.Feed(AsBytes(std::string_view(body).substr(pos)));
  return s.summary();
}

void ExpectSame(const ListingSummary& a, const ListingSummary& b, const std::string& how) {
  EXPECT_EQ(a.is_listing, b.is_listing) << how;
  EXPECT_EQ(a.keys, b.keys) << how;
  EXPECT_EQ(a.truncated, b.truncated) << how;
  EXPECT_EQ(a.error_code, b.error_code) << how;
  EXPECT_EQ(a.sample_keys, b.sample_keys) << how;
  EXPECT_EQ(a.root, b.root) << how;
  EXPECT_EQ(a.json, b.json) << how;
  EXPECT_EQ(a.incomplete, b.incomplete) << how;
}

// Feeds the body whole, byte by byte, and split in two at every offset; all must agree.
ListingSummary ScanEveryWay(const std::string& body, size_t samples = 20) {
  ListingSummary whole = ScanChunks(body, {}, samples);
  std::vector<size_t> every;
  for (size_t i = 1; i < body.size(); ++i) every.push_back(i);
  ExpectSame(whole, ScanChunks(body, every, samples), "byte by byte");
  for (size_t i = 0; i <= body.size(); ++i) {
    ExpectSame(whole, ScanChunks(body, {i}, samples), "split at " + std::to_string(i));
    if (::testing::Test::HasFailure()) break;
  }
  return whole;
}

constexpr char kListObjectsV2[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>example-bucket</Name>
  <Prefix></Prefix>
  <KeyCount>3</KeyCount>
  <MaxKeys>3</MaxKeys>
  <Delimiter>/</Delimiter>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents>
    <Key>backups/db-2024-01-01.sql.gz</Key>
    <LastModified>2024-01-01T03:00:00.000Z</LastModified>
    <ETag>&quot;599bab3ed2c697f1d26842727561fd94&quot;</ETag>
    <Size>857</Size>
    <StorageClass>STANDARD</StorageClass>
    <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></Owner>
  </Contents>
  <Contents>
    <Key>R&amp;D/plan &lt;v2&gt;.docx</Key>
    <Size>1</Size>
  </Contents>
  <CommonPrefixes>
    <Prefix>photos/</Prefix>
  </CommonPrefixes>
</ListBucketResult>)";

TEST(ListingScanner, S3ListObjectsV2) {
  ListingSummary s = ScanEveryWay(kListObjectsV2);
  EXPECT_TRUE(s.is_listing);
  EXPECT_FALSE(s.json);
  EXPECT_EQ(s.root, "ListBucketResult");
  EXPECT_EQ(s.keys, 3);
  EXPECT_TRUE(s.truncated);
  EXPECT_EQ(s.error_code, "");
  EXPECT_EQ(s.sample_keys,
            (std::vector<std::string>{"backups/db-2024-01-01.sql.gz", "R&D/plan <v2>.docx"}));
  EXPECT_FALSE(s.incomplete);
}

TEST(ListingScanner, S3ListObjectsUrlEncodedKeys) {
  // EncodingType=url: keys arrive percent-encoded; samples taken before and after the element
  // are decoded alike.
  const std::string body =
      "<ListBucketResult><Name>b</Name><Contents><Key>a%20b%2Fc</Key></Contents>"
      "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
      "<Contents><Key>caf%C3%A9+x</Key></Contents></ListBucketResult>";
  ListingSummary s = ScanEveryWay(body);
  EXPECT_EQ(s.keys, 2);
  EXPECT_FALSE(s.truncated);
  EXPECT_EQ(s.sample_keys, (std::vector<std::string>{"a b/c", "caf\xC3\xA9 x"}));
}

TEST(ListingScanner, S3ListObjectVersions) {
  const std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01">
  <Name>bucket</Name><Prefix>my</Prefix><KeyMarker/><VersionIdMarker/><MaxKeys>5</MaxKeys>
  <IsTruncated>false</IsTruncated>
  <Version><Key>my-image.jpg</Key><VersionId>3/L4kqtJl40Nr8X8gdRQBpUMLUo</VersionId>
    <IsLatest>true</IsLatest><Size>434234</Size></Version>
  <DeleteMarker><Key>my-second-image.jpg</Key><VersionId>03jpff543dhffds434rfdsFDN943fdsFkdmqnh892</VersionId>
    <IsLatest>true</IsLatest></DeleteMarker>
  <Version><Key>my-second-image.jpg</Key><VersionId>QUpfdndhfd8438MNFDN93jdnJFkdmqnh893</VersionId>
    <IsLatest>false</IsLatest></Version>
</ListVersionsResult>)";
  ListingSummary s = ScanEveryWay(body);
  EXPECT_TRUE(s.is_listing);
  EXPECT_EQ(s.keys, 3);
  EXPECT_FALSE(s.truncated);
  EXPECT_EQ(s.sample_keys, (std::vector<std::string>{"my-image.jpg", "my-second-image.jpg",
                                                     "my-second-image.jpg"}));
}

TEST(ListingScanner, S3ListAllMyBuckets) {
  const std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01">
  <Owner><ID>bcaf1ffd86f461ca5fb16fd081034f</ID><DisplayName>webfile</DisplayName></Owner>
  <Buckets>
    <Bucket><Name>quotes</Name><CreationDate>2006-02-03T16:45:09.000Z</CreationDate></Bucket>
    <Bucket><Name>samples</Name><CreationDate>2006-02-03T16:41:58.000Z</CreationDate></Bucket>
  </Buckets>
</ListAllMyBucketsResult>)";
  ListingSummary s = ScanEveryWay(body);
  EXPECT_TRUE(s.is_listing);
  EXPECT_EQ(s.keys, 2);
  EXPECT_FALSE(s.truncated);
  EXPECT_EQ(s.sample_keys, (std::vector<std::string>{"quotes", "samples"}));
}

TEST(ListingScanner, S3ListMultipartUploads) {
  const std::string body =
      "<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>True</IsTruncated>"
      "<Upload><Key>big.iso</Key><UploadId>VXBsb2FkIElE</UploadId></Upload>"
      "<Upload><Key>big2.iso</Key><UploadId>x</UploadId></Upload></ListMultipartUploadsResult>";
  ListingSummary s = ScanEveryWay(body);
  EXPECT_EQ(s.keys, 2);
  EXPECT_TRUE(s.truncated);
  EXPECT_EQ(s.sample_keys, (std::vector<std::string>{"big.iso", "big2.iso"}));
}

TEST(ListingScanner, AzureListBlobs) {
  const std::string body =
      "\xEF\xBB\xBF"
      R"(<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ServiceEndpoint="https://myaccount.blob.core.windows.net/" ContainerName="docs">
  <Prefix>2024/</Prefix>
  <MaxResults>2</MaxResults>
  <Delimiter>/</Delimiter>
  <Blobs>
    <Blob>
      <Name>2024/invoice-001.pdf</Name>
      <Properties><Content-Length>1024</Content-Length><BlobType>BlockBlob</BlobType></Properties>
      <Metadata><Name>not-a-blob</Name></Metadata>
    </Blob>
    <BlobPrefix><Name>2024/archive/</Name></BlobPrefix>
  </Blobs>
  <NextMarker>2!80!MDAwMDM1IWludm9pY2UtMDAzLnBkZiEwMDAwMjghOTk5OS0xMi0zMVQyMzo1OTo1OS45OTk5OTk5WiE-</NextMarker>
</EnumerationResults>)";
  ListingSummary s = ScanEveryWay(body);
  EXPECT_TRUE(s.is_listing);
  EXPECT_EQ(s.root, "EnumerationResults");
  EXPECT_EQ(s.keys, 2);
  EXPECT_TRUE(s.truncated);
  EXPECT_EQ(s.sample_keys, (std::vector<std::string>{"2024/invoice-001.pdf"}));
}

TEST(ListingScanner, AzureListContainersLastPage) {
  const std::string body =
      R"(<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://a.blob.core.windows.net/">)"
      "<Containers><Container><Name>$logs</Name><Properties/></Container>"
      "<Container><Name>public</Name></Container><Container><Name>private</Name></Container>"
      "</Containers><NextMarker /></EnumerationResults>";
  ListingSummary s = ScanEveryWay(body);
  EXPECT_EQ(s.keys, 3);
  EXPECT_FALSE(s.truncated);
  EXPECT_EQ(s.sample_keys, (std::vector<std::string>{"$logs", "public", "private"}));
}

TEST(ListingScanner, XmlErrorDocuments) {
  ListingSummary s = ScanEveryWay(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>
<BucketName>nope</BucketName><RequestId>4442587FB7D0A2F9</RequestId></Error>)");
  EXPECT_FALSE(s.is_listing);
  EXPECT_EQ(s.root, "Error");
  EXPECT_EQ(s.error_code, "NoSuchBucket");
  EXPECT_EQ(s.keys, 0);

  s = ScanEveryWay(
      "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>"
      "PublicAccessNotPermitted</Code><Message>Public access is not permitted on "
      "this storage account.\nRequestId:5c4f\nTime:2024-01-01T00:00:00Z</Message>"
      "</Error>");
  EXPECT_EQ(s.error_code, "PublicAccessNotPermitted");

  // <Code> elsewhere than directly under <Error> is not the error code.
  s = ScanEveryWay("<Error><Detail><Code>Inner</Code></Detail><Code> AccessDenied </Code></Error>");
  EXPECT_EQ(s.error_code, "AccessDenied");
}

TEST(ListingScanner, GcsJsonObjectsList) {
  const std::string body = R"({
  "kind": "storage#objects",
  "nextPageToken": "CgtleGFtcGxlLnR4dA==",
  "prefixes": ["logs/", "tmp/"],
  "items": [
    {
      "kind": "storage#object",
      "id": "data/a.txt/1",
      "name": "a.txt",
      "bucket": "data",
      "size": "12",
      "metadata": {"name": "not-a-key", "nested": [{"name": "nope"}]},
      "owner": {"entity": "user-x"}
    },
    {"kind": "storage#object", "name": "caf\u00e9 \ud83d\ude00 \"q\"\\x", "size": 3}
  ]
})";
  ListingSummary s = ScanEveryWay(body);
  EXPECT_TRUE(s.json);
  EXPECT_TRUE(s.is_listing);
  EXPECT_EQ(s.keys, 4);
  EXPECT_TRUE(s.truncated);
  EXPECT_EQ(s.sample_keys,
            (std::vector<std::string>{"a.txt", "caf\xC3\xA9 \xF0\x9F\x98\x80 \"q\"\\x"}));
}

TEST(ListingScanner, GcsJsonEmptyListingAndBucketList) {
  ListingSummary s = ScanEveryWay(R"({"kind": "storage#objects"})");
  EXPECT_TRUE(s.is_listing);
  EXPECT_EQ(s.keys, 0);
  EXPECT_FALSE(s.truncated);

  s = ScanEveryWay(R"({"kind":"storage#buckets","items":[{"kind":"storage#bucket","name":"b1",)"
                   R"("location":"US"},{"kind":"storage#bucket","name":"b2"}]})");
  EXPECT_TRUE(s.is_listing);
  EXPECT_EQ(s.keys, 2);
  EXPECT_EQ(s.sample_keys, (std::vector<std::string>{"b1", "b2"}));
}

TEST(ListingScanner, JsonErrors) {
  ListingSummary s = ScanEveryWay(R"({"error": {"code": 403,
    "message": "anonymous caller does not have storage.objects.list access",
    "errors": [{"message": "denied", "domain": "global", "reason": "forbidden"},
               {"reason": "second"}]}})");
  EXPECT_FALSE(s.is_listing);
  EXPECT_EQ(s.error_code, "forbidden");

  s = ScanEveryWay(
      R"({"error":{"code":"PathNotFound","message":"The specified path does not exist."}})");
  EXPECT_EQ(s.error_code, "PathNotFound");

  s = ScanEveryWay(R"({"error":{"code":401,"message":"x","status":"UNAUTHENTICATED"}})");
  EXPECT_EQ(s.error_code, "UNAUTHENTICATED");
}

TEST(ListingScanner, AdlsListPaths) {
  ListingSummary s =
      ScanEveryWay(R"({"paths":[{"contentLength":"10","name":"raw/a.json","isDirectory":"false"},)"
                   R"({"name":"raw/b","isDirectory":"true"}]})");
  EXPECT_TRUE(s.is_listing);
  EXPECT_EQ(s.keys, 2);
  EXPECT_EQ(s.sample_keys, (std::vector<std::string>{"raw/a.json", "raw/b"}));
}

TEST(ListingScanner, AdlsListFilesystems) {
  ListingSummary s = ScanEveryWay(
      R"({"filesystems":[{"etag":"0x8D","lastModified":"Mon, 01 Jan 2024 00:00:00 GMT",)"
      R"("name":"raw"},{"name":"curated"}]})");
  EXPECT_TRUE(s.is_listing);
  EXPECT_EQ(s.keys, 2);
  EXPECT_EQ(s.sample_keys, (std::vector<std::string>{"raw", "curated"}));
}

TEST(ListingScanner, XmlLexicalCorners) {
  // Comments, processing instructions, CDATA, quoted '>' and '/' in attributes, namespace
  // prefixes, self-closing elements.
  const std::string body =
      "<?xml version='1.0'?><!-- <Contents> in a comment --><!DOCTYPE x>"
      "<s3:ListBucketResult a=\"x>y/\" b='/'>"
      "<s3:Contents><s3:Key><![CDATA[a]]b&amp;<c>]]]></s3:Key></s3:Contents>"
      "<Contents/><Contents x='1'/>"
      "<IsTruncated><!-- c -->true</IsTruncated></s3:ListBucketResult>";
  ListingSummary s = ScanEveryWay(body);
  EXPECT_EQ(s.root, "ListBucketResult");
  EXPECT_EQ(s.keys, 3);
  EXPECT_TRUE(s.truncated);
  EXPECT_EQ(s.sample_keys, (std::vector<std::string>{"a]]b&amp;<c>]"}));
}

TEST(ListingScanner, SampleKeysAreBounded) {
  std::string body = "<ListBucketResult>";
  for (int i = 0; i < 50; ++i) body += "<Contents><Key>k" + std::to_string(i) + "</Key></Contents>";
  body += "<Contents><Key>" + std::string(5000, 'x') + "</Key></Contents></ListBucketResult>";
  ListingSummary s = ScanChunks(body, {}, 3);
  EXPECT_EQ(s.keys, 51);
  EXPECT_EQ(s.sample_keys, (std::vector<std::string>{"k0", "k1", "k2"}));

  std::string big = "<ListBucketResult><Contents><Key>" + std::string(20000, 'y') +
                    "</Key></Contents></ListBucketResult>";
  s = ScanChunks(big, {}, 3);
  ASSERT_EQ(s.sample_keys.size(), 1u);
  EXPECT_EQ(s.sample_keys[0].size(), kMaxSampleKeyBytes);

  // Multi-byte characters are not split by the cut.
  std::string euro;
  for (int i = 0; i < 400; ++i) euro += "\xE2\x82\xAC";
  s = ScanChunks(
      "<ListBucketResult><Contents><Key>" + euro + "</Key></Contents></ListBucketResult>", {}, 3);
  ASSERT_EQ(s.sample_keys.size(), 1u);
  EXPECT_EQ(s.sample_keys[0].size(), 1023u);

  s = ScanChunks(kListObjectsV2, {}, 0);
  EXPECT_EQ(s.keys, 3);
  EXPECT_TRUE(s.sample_keys.empty());
}

TEST(ListingScanner, GapStopsTheScanAndMarksIncomplete) {
  std::string body = kListObjectsV2;
  size_t half = body.find("<Contents>", body.find("<Contents>") + 1);
  ListingScanner s(20);
  s.Feed(AsBytes(std::string_view(body).substr(0, half)));
  s.Gap();
  s.Feed(AsBytes(std::string_view(body).substr(half)));
  EXPECT_TRUE(s.summary().incomplete);
  EXPECT_EQ(s.summary().keys, 1);
  EXPECT_TRUE(s.summary().truncated);
}

TEST(ListingScanner, NonDocumentsAreIgnored) {
  for (std::string body :
       {std::string("\x89PNG\r\n\x1a\n....", 12), std::string("hello <Contents>"),
        std::string("[{\"items\": [{}]}]"), std::string("")}) {
    ListingSummary s = ScanEveryWay(body);
    EXPECT_FALSE(s.is_listing) << body;
    EXPECT_EQ(s.keys, 0) << body;
    EXPECT_EQ(s.root, "") << body;
  }
  // Once the document element closes, later bytes are not part of it.
  ListingSummary s = ScanEveryWay("<Error><Code>A</Code></Error><ListBucketResult><Contents/>");
  EXPECT_EQ(s.error_code, "A");
  EXPECT_EQ(s.keys, 0);
  EXPECT_FALSE(s.is_listing);
}

void FeedInChunks(ListingScanner& s, const std::string& body) {
  constexpr size_t kChunk = 64 * 1024;
  for (size_t pos = 0; pos < body.size(); pos += kChunk) {
    s.Feed(AsBytes(std::string_view(body).substr(pos, kChunk)));
  }
}

TEST(ListingScanner, HostileBodiesStayBounded) {
  const size_t kTen = 10 * 1024 * 1024;
  {
    ListingScanner s(20);
    FeedInChunks(s, std::string(kTen, '<'));
    EXPECT_FALSE(s.summary().is_listing);
    EXPECT_EQ(s.summary().root, "");
  }
  {
    // A listing whose key never ends, then a flood of '<'.
    ListingScanner s(20);
    FeedInChunks(
        s, "<ListBucketResult><Contents><Key>" + std::string(kTen, 'k') + std::string(1024, '<'));
    EXPECT_EQ(s.summary().keys, 1);
    EXPECT_TRUE(s.summary().sample_keys.empty());
  }
  {
    // A huge element name and huge attribute.
    ListingScanner s(20);
    FeedInChunks(s, "<ListBucketResult><" + std::string(kTen / 2, 'C') + " a=\"" +
                        std::string(kTen / 4, '>') + "\"><Contents><Key>k</Key></Contents>");
    EXPECT_EQ(s.summary().root, "ListBucketResult");
    EXPECT_EQ(s.summary().keys, 0);  // the Contents sit inside the unknown element
  }
  {
    // Endless nesting, XML and JSON.
    std::string deep;
    for (int i = 0; i < 1'000'000; ++i) deep += "<a>";
    ListingScanner s(20);
    FeedInChunks(s, deep);
    EXPECT_EQ(s.summary().root, "a");
    ListingScanner j(20);
    FeedInChunks(j, "{\"items\":" + std::string(kTen, '['));
    EXPECT_TRUE(j.summary().is_listing);
    EXPECT_EQ(j.summary().keys, 0);
  }
  {
    // Endless JSON string and endless CDATA brackets.
    ListingScanner s(20);
    FeedInChunks(s, "{\"items\":[{\"name\":\"" + std::string(kTen, 'n'));
    EXPECT_EQ(s.summary().keys, 1);
    EXPECT_TRUE(s.summary().sample_keys.empty());
    ListingScanner c(20);
    FeedInChunks(c, "<ListBucketResult><Contents><Key><![CDATA[" + std::string(kTen, ']') +
                        "x]]></Key></Contents></ListBucketResult>");
    ASSERT_EQ(c.summary().sample_keys.size(), 1u);
    EXPECT_LE(c.summary().sample_keys[0].size(), kMaxSampleKeyBytes);
  }
  {
    // Many entries: counts grow, memory does not.
    std::string many = "<EnumerationResults><Blobs>";
    for (int i = 0; i < 100000; ++i) many += "<Blob><Name>n" + std::to_string(i) + "</Name></Blob>";
    many += "</Blobs></EnumerationResults>";
    ListingScanner s(5);
    FeedInChunks(s, many);
    EXPECT_EQ(s.summary().keys, 100000);
    EXPECT_EQ(s.summary().sample_keys.size(), 5u);
  }
}

TEST(ListingScanner, MalformedJsonEscapes) {
  ListingSummary s = ScanEveryWay(R"({"items":[{"name":"a\uZZ\ud800b\udc00c"}]})");
  EXPECT_EQ(s.keys, 1);
  ASSERT_EQ(s.sample_keys.size(), 1u);
  EXPECT_EQ(s.sample_keys[0],
            "a\xEF\xBF\xBDZZ\xEF\xBF\xBD"
            "b\xEF\xBF\xBD"
            "c");
}

// The scanner takes whole tags and whole JSON strings in one step when the chunk holds them, and
// byte steps otherwise. On thousands of damaged listings (bytes dropped, structural bytes and
// over-long names inserted, ranges repeated) the whole body and the body byte by byte must
// give the same summary.
TEST(ListingScanner, WholeTokenStepsMatchByteSteps) {
  const std::string seeds[] = {
      kListObjectsV2,
      R"({"kind":"storage#objects","nextPageToken":"t","prefixes":["a/"],"items":[)"
      R"({"kind":"storage#object","name":"a\"b","size":"1"},{"name":"c","x":[1,{"y":"z"}]}]})",
      "<EnumerationResults><Blobs><Blob><Name>a</Name><Properties><Etag>1</Etag></Properties>"
      "</Blob><BlobPrefix><Name>p/</Name></BlobPrefix></Blobs><NextMarker>m</NextMarker>"
      "</EnumerationResults>",
      R"({"error":{"code":403,"errors":[{"reason":"forbidden"}],"status":"PERMISSION_DENIED"}})",
  };
  const std::string inserts[] = {"<", ">", "/", "\"", "'", "\\", ":",  "!",  "?",
                                 " ", "{", "}", "[",  "]", ",",  "</", "/>", std::string(70, 'n')};
  uint64_t rng = 0x9E3779B97F4A7C15ULL;
  auto next = [&rng](size_t bound) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return static_cast<size_t>(rng % bound);
  };
  std::vector<size_t> every;
  for (int round = 0; round < 4000 && !::testing::Test::HasFailure(); ++round) {
    std::string body = seeds[round % std::size(seeds)];
    for (int edits = 1 + static_cast<int>(next(3)); edits > 0; --edits) {
      size_t at = next(body.size());
      switch (next(3)) {
        case 0:
          body.erase(at, 1 + next(3));
          break;
        case 1:
          body.insert(at, inserts[next(std::size(inserts))]);
          break;
        default:
          body.insert(at, body.substr(at, next(40)));
          break;
      }
    }
    every.clear();
    for (size_t i = 1; i < body.size(); ++i) every.push_back(i);
    for (size_t samples : {size_t{0}, size_t{2}}) {
      ExpectSame(ScanChunks(body, {}, samples), ScanChunks(body, every, samples),
                 "round " + std::to_string(round) + ": " + body);
    }
  }
}

}  // namespace
}  // namespace bw::storage
