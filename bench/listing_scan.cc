// bw_bench_listing_scan: the listing scanner's throughput on listings shaped like the providers'
// (S3 ListObjectsV2, Azure List Blobs, GCS JSON objects.list), fed in segment-sized chunks as
// reassembly delivers them. Each format is timed against a memchr pass over the same chunks
// for the byte the format is made of ('<' or '"'), run in the same invocation: the floor of
// any scanner that looks at every structural byte. Prints one JSON line; exits 1 if a scan
// does not count every key (the numbers would then measure a broken scanner).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "dissectors/storage/listing_scanner.h"

namespace {

constexpr size_t kKeys = 1000;
constexpr size_t kChunk = 1448;  // one TCP segment's payload on a 1500-byte MTU

std::string Key(size_t i) {
  return "logs/2026/12/06/host-" + std::to_string(i % 37) + "/part-" + std::to_string(i) +
         ".json.gz";
}

std::string S3Listing() {
  std::string x =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>bench</Name><Prefix></Prefix>"
      "<KeyCount>1000</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>";
  for (size_t i = 0; i < kKeys; ++i) {
    x += "<Contents><Key>" + Key(i) +
         "</Key><LastModified>2026-12-06T10:11:12.000Z</LastModified><ETag>&quot;"
         "9b2cf535f27731c974343645a3985328&quot;</ETag><Size>" +
         std::to_string(1000 + i) + "</Size><StorageClass>STANDARD</StorageClass></Contents>";
  }
  return x + "</ListBucketResult>";
}

std::string AzureListing() {
  std::string x =
      "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults "
      "ServiceEndpoint=\"https://bench.blob.core.windows.net/\" ContainerName=\"bench\">"
      "<MaxResults>5000</MaxResults><Blobs>";
  for (size_t i = 0; i < kKeys; ++i) {
    x += "<Blob><Name>" + Key(i) +
         "</Name><Properties><Creation-Time>Sun, 06 Dec 2026 10:11:12 GMT</Creation-Time>"
         "<Last-Modified>Sun, 06 Dec 2026 10:11:12 GMT</Last-Modified><Etag>0x8DB1234567890AB"
         "</Etag><Content-Length>" +
         std::to_string(1000 + i) +
         "</Content-Length><Content-Type>application/gzip</Content-Type><Content-MD5>"
         "mzz1NfJ3Mcl0NDZFo5hTKA==</Content-MD5><BlobType>BlockBlob</BlobType><AccessTier>Hot"
         "</AccessTier><AccessTierInferred>true</AccessTierInferred><LeaseStatus>unlocked"
         "</LeaseStatus><LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted>"
         "</Properties><OrMetadata /></Blob>";
  }
  return x + "</Blobs><NextMarker /></EnumerationResults>";
}

std::string GcsListing() {
  std::string j = "{\n  \"kind\": \"storage#objects\",\n  \"items\": [";
  for (size_t i = 0; i < kKeys; ++i) {
    std::string gen = std::to_string(1700000000000000ULL + i);
    j += i ? ",\n    {" : "\n    {";
    j += "\"kind\": \"storage#object\", \"id\": \"bench/" + Key(i) + "/" + gen +
         "\", \"selfLink\": \"https://www.googleapis.com/storage/v1/b/bench/o/x\", \"name\": \"" +
         Key(i) + "\", \"bucket\": \"bench\", \"generation\": \"" + gen +
         "\", \"metageneration\": \"1\", \"contentType\": \"application/gzip\", "
         "\"storageClass\": \"STANDARD\", \"size\": \"" +
         std::to_string(1000 + i) +
         "\", \"md5Hash\": \"mzz1NfJ3Mcl0NDZFo5hTKA==\", \"crc32c\": \"AAAAAA==\", \"etag\": "
         "\"CJjK2b7X0/ICEAE=\", \"timeCreated\": \"2026-12-06T10:11:12.000Z\", \"updated\": "
         "\"2026-12-06T10:11:12.000Z\"}";
  }
  return j + "\n  ]\n}\n";
}

std::vector<bw::ByteView> Chunks(const std::string& body) {
  std::vector<bw::ByteView> out;
  const auto* p = reinterpret_cast<const uint8_t*>(body.data());
  for (size_t at = 0; at < body.size(); at += kChunk) {
    out.emplace_back(p + at, std::min(kChunk, body.size() - at));
  }
  return out;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = argc > 1 ? std::max(1, std::atoi(argv[1])) : 300;
  struct Format {
    const char* name;
    std::string body;
    uint8_t structural;
  };
  Format formats[] = {{"s3_xml", S3Listing(), '<'},
                      {"azure_xml", AzureListing(), '<'},
                      {"gcs_json", GcsListing(), '"'}};
  bool ok = true;
  std::printf("{\"iterations\": %d, \"chunk_bytes\": %zu", iterations, kChunk);
  for (const Format& f : formats) {
    std::vector<bw::ByteView> chunks = Chunks(f.body);
    // Interleaved so that drift in the machine's speed hits both sides alike.
    double scan_s = 0, floor_s = 0;
    uint64_t floor_hits = 0;
    int64_t keys = 0;
    for (int it = 0; it < iterations; ++it) {
      auto t0 = std::chrono::steady_clock::now();
      bw::storage::ListingScanner scanner(8);
      for (bw::ByteView c : chunks) scanner.Feed(c);
      keys = scanner.summary().keys;
      scan_s += Seconds(t0);
      t0 = std::chrono::steady_clock::now();
      for (bw::ByteView c : chunks) {
        const uint8_t* p = c.data();
        const uint8_t* end = p + c.size();
        while (const void* hit = std::memchr(p, f.structural, static_cast<size_t>(end - p))) {
          ++floor_hits;
          p = static_cast<const uint8_t*>(hit) + 1;
        }
      }
      floor_s += Seconds(t0);
    }
    if (keys != static_cast<int64_t>(kKeys)) {
      std::fprintf(stderr, "listing_scan: %s counted %lld keys, expected %zu\n", f.name,
                   static_cast<long long>(keys), kKeys);
      ok = false;
    }
    double bytes = static_cast<double>(f.body.size()) * iterations;
    std::printf(
        ", \"%s\": {\"bytes\": %zu, \"keys\": %lld, \"ns_per_key\": %.1f, \"mb_per_s\": %.0f, "
        "\"memchr_floor_mb_per_s\": %.0f, \"vs_floor\": %.3f, \"floor_hits\": %llu}",
        f.name, f.body.size(), static_cast<long long>(keys),
        scan_s * 1e9 / (static_cast<double>(kKeys) * iterations), bytes / scan_s / 1e6,
        bytes / floor_s / 1e6, floor_s / scan_s, static_cast<unsigned long long>(floor_hits));
  }
  std::printf("}\n");
  return ok ? 0 : 1;
}
