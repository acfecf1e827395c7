#pragma once
// Streaming scan of a storage response body (decoded: de-chunked, not compressed) for what a
// listing or an error document discloses: how many keys, whether more pages exist, the first few
// key names, and the provider's error code. Understands S3 ListBucketResult (v1 and v2),
// ListVersionsResult, ListAllMyBucketsResult, ListMultipartUploadsResult, ListPartsResult, Azure
// EnumerationResults (blobs and containers), XML <Error> documents, and GCS / ADLS Gen2 JSON
// listings and errors.
//
// Guarantees: no DOM and no lookahead past the chunk — one state machine step per byte (runs of
// text that only end at a known byte, and simple tags and JSON strings that lie whole inside the
// chunk, are taken in one step that does what the byte steps would), so the summary is the same
// however the body is split into chunks; memory is fixed at construction (a small tag stack,
// one capture buffer, and at most max_sample_keys keys of at most kMaxSampleKeyBytes each)
// whatever the input; hostile input (unterminated tags, endless nesting, huge names) only makes
// the scanner ignore what it cannot use. Nothing here throws or asserts on body content.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dissectors/common/bytes.h"
#include "dissectors/storage/storage_event.h"

namespace bw::storage {

struct ListingSummary {
  bool is_listing = false;  // the document is a listing (possibly empty)
  int64_t keys = 0;         // entries returned: objects, prefixes, versions, blobs, buckets, ...
  bool truncated = false;   // the listing says more pages exist
  std::string error_code;   // <Error><Code>, JSON error reason/code; at most kMaxErrorCodeBytes
  std::vector<std::string> sample_keys;  // first keys (object, blob or bucket names), bounded

  std::string root;         // XML root element local name (bounded); "" for JSON or unknown
  bool json = false;        // the body is a JSON document
  bool incomplete = false;  // a gap cut the scan short: counts are lower bounds
};

class ListingScanner {
 public:
  static constexpr size_t kMaxErrorCodeBytes = 128;
  static constexpr size_t kMaxNameBytes = 64;  // element names and JSON keys we compare
  static constexpr size_t kMaxXmlDepth = 16;   // tags tracked; deeper nesting is only counted
  static constexpr size_t kMaxJsonDepth = 32;
  static constexpr size_t kMaxCaptureBytes = 8 * kMaxSampleKeyBytes;  // raw text, pre-decoding

  // max_sample_keys is clamped to kMaxSampleKeys.
  explicit ListingScanner(size_t max_sample_keys);

  void Feed(ByteView chunk);
  // Bytes of the body are missing: what follows cannot be parsed reliably, so the scan stops and
  // the summary is marked incomplete.
  void Gap();
  const ListingSummary& summary() const { return summary_; }
  // Heap bytes held (capture buffer, sampled keys and codes), for memory accounting.
  size_t held_bytes() const;

 private:
  enum class Mode : uint8_t { kStart, kXml, kJson, kIgnore, kDone };
  enum class XmlState : uint8_t {
    kText,
    kTagOpen,
    kStartName,
    kInTag,
    kInTagQuote,
    kEndName,
    kPi,
    kBang,
    kDecl,
    kComment,
    kCdata
  };
  enum class JsonState : uint8_t { kIdle, kString, kEscape, kUnicode, kScalar };
  enum class Capture : uint8_t {
    kNone,
    kSampleKey,
    kTruncatedFlag,
    kNonEmptyTruncates,
    kErrorCode,
    kEncodingType,
    kJsonKey,
    kJsonKind,
    kJsonErrorReason,
    kJsonErrorCode,
    kJsonErrorStatus,
    kJsonSkip
  };

  struct JsonFrame {
    bool is_array = false;
    bool expect_key = false;
    uint8_t ctx = 0;
    bool first_error_seen = false;
  };

  // Consumes XML from p until the chunk ends or the document is done; returns where it stopped.
  const uint8_t* ScanXml(const uint8_t* p, const uint8_t* end);
  // A whole simple tag ("/name>", "name>" or "name/>", p just past its '<') that lies inside the
  // chunk, handled in one step; returns the bytes consumed, 0 to leave the tag to the byte steps.
  size_t WholeTag(const uint8_t* p, const uint8_t* end);
  size_t SkipXmlRun(const uint8_t* p, size_t n);
  // The same for JSON: string contents, scalars and white space between tokens.
  size_t SkipJsonRun(const uint8_t* p, size_t n);
  void FeedXml(char c);
  bool TagMatters() const;
  void OpenElement(bool self_closing);
  void CloseElement();
  void FinishXmlCapture();

  const uint8_t* ScanJson(const uint8_t* p, const uint8_t* end);
  // A whole string token without escapes (p just past its opening quote) that lies inside the
  // chunk; returns the bytes consumed, 0 to leave it to the byte steps.
  size_t WholeJsonString(const uint8_t* p, const uint8_t* end);
  void BeginJsonString();
  void FeedJson(char c);
  void JsonValueStart(char kind);  // '{', '[', '"', or 's' for scalars
  void JsonOpen(bool is_array, uint8_t ctx);
  void JsonClose();
  void FinishJsonString();
  void AppendCodePoint(uint32_t cp);

  void StartCapture(Capture what);
  void AppendCapture(char c);
  void AppendCapture(std::string_view text);
  bool capturing() const { return capture_ != Capture::kNone && capture_ != Capture::kJsonSkip; }
  void AddSampleKey(std::string key);
  void SetErrorCode(std::string_view code, int priority);

  size_t max_sample_keys_;
  ListingSummary summary_;
  Mode mode_ = Mode::kStart;
  uint8_t bom_seen_ = 0;

  // Shared capture buffer (reserved once).
  Capture capture_ = Capture::kNone;
  std::string capture_buf_;
  bool capture_overflow_ = false;

  // XML.
  XmlState xs_ = XmlState::kText;
  std::array<char, kMaxNameBytes> name_{};
  size_t name_len_ = 0;
  bool name_overflow_ = false;
  bool slash_ = false;
  char quote_ = 0;
  char prev_ = 0;
  uint8_t bang_match_ = 0;
  bool bang_cdata_ = false;
  size_t dashes_ = 0;
  size_t brackets_ = 0;
  int64_t depth_ = 0;
  std::array<uint8_t, kMaxXmlDepth + 1> tags_{};
  int64_t capture_depth_ = 0;
  bool encoding_url_ = false;

  // JSON.
  JsonState js_ = JsonState::kIdle;
  std::array<JsonFrame, kMaxJsonDepth> frames_{};
  size_t frame_count_ = 0;
  int64_t overflow_depth_ = 0;
  uint8_t pending_key_ = 0;
  uint8_t hex_digits_ = 0;
  uint32_t hex_value_ = 0;
  uint32_t pending_high_ = 0;
  int error_priority_ = 0;
};

}  // namespace bw::storage
