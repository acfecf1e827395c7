#include "dissectors/storage/listing_scanner.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <string_view>

#include "dissectors/storage/text.h"
#include "dissectors/storage/url.h"

namespace bw::storage {
namespace {

// XML element names the scanner acts on; everything else is kOther.
enum Tag : uint8_t {
  kOther,
  kListBucketResult,
  kListVersionsResult,
  kListAllMyBucketsResult,
  kListMultipartUploadsResult,
  kListPartsResult,
  kEnumerationResults,
  kErrorTag,
  kContents,
  kCommonPrefixes,
  kVersion,
  kDeleteMarker,
  kUpload,
  kPart,
  kBuckets,
  kBucket,
  kBlobs,
  kBlob,
  kBlobPrefix,
  kContainers,
  kContainer,
  kKey,
  kName,
  kIsTruncated,
  kNextMarker,
  kContinuationToken,
  kCode,
  kEncodingType,
};

struct TagName {
  std::string_view name;
  Tag tag;
};

constexpr TagName kTags[] = {
    {"ListBucketResult", kListBucketResult},
    {"ListVersionsResult", kListVersionsResult},
    {"ListAllMyBucketsResult", kListAllMyBucketsResult},
    {"ListMultipartUploadsResult", kListMultipartUploadsResult},
    {"ListPartsResult", kListPartsResult},
    {"EnumerationResults", kEnumerationResults},
    {"Error", kErrorTag},
    {"Contents", kContents},
    {"CommonPrefixes", kCommonPrefixes},
    {"Version", kVersion},
    {"DeleteMarker", kDeleteMarker},
    {"Upload", kUpload},
    {"Part", kPart},
    {"Buckets", kBuckets},
    {"Bucket", kBucket},
    {"Blobs", kBlobs},
    {"Blob", kBlob},
    {"BlobPrefix", kBlobPrefix},
    {"Containers", kContainers},
    {"Container", kContainer},
    {"Key", kKey},
    {"Name", kName},
    {"IsTruncated", kIsTruncated},
    {"NextMarker", kNextMarker},
    {"ContinuationToken", kContinuationToken},
    {"Code", kCode},
    {"EncodingType", kEncodingType},
};

// Names are looked up for every element and key of a listing, so candidates are first
// narrowed by length: bit i of by_length[n] says entry i of the table is n bytes long.
constexpr size_t kMaxLookupLength = 31;

template <typename Entry, size_t N>
constexpr std::array<uint32_t, kMaxLookupLength + 1> ByLength(const Entry (&table)[N]) {
  static_assert(N <= 32, "one bit per entry");
  std::array<uint32_t, kMaxLookupLength + 1> by_length{};
  for (size_t i = 0; i < N; ++i) by_length[table[i].name.size()] |= uint32_t{1} << i;
  return by_length;
}

template <typename Entry, size_t N>
const Entry* FindName(const Entry (&table)[N],
                      const std::array<uint32_t, kMaxLookupLength + 1>& by_length,
                      std::string_view name) {
  if (name.size() > kMaxLookupLength) return nullptr;
  for (uint32_t m = by_length[name.size()]; m != 0; m &= m - 1) {
    const Entry& e = table[std::countr_zero(m)];
    if (e.name == name) return &e;
  }
  return nullptr;
}

constexpr auto kTagsByLength = ByLength(kTags);

Tag LookupTag(std::string_view name) {
  const TagName* t = FindName(kTags, kTagsByLength, name);
  return t != nullptr ? t->tag : kOther;
}

// Bytes that end an element name in a start tag.
constexpr std::array<bool, 256> kNameStop = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[c] = c == '>' || c == '/' || c == '<' || IsAsciiSpace(static_cast<char>(c));
  return t;
}();

// The first byte in [p, end) equal to `a` or `b`, or `end`. Eight bytes at a time where loads are
// little-endian: the lowest byte flagged by the has-zero-byte test is exact (later flags may be
// borrows), and string contents between JSON quotes are short runs where a call to memchr costs
// more than the search.
const uint8_t* FindEither(const uint8_t* p, const uint8_t* end, uint8_t a, uint8_t b) {
  if constexpr (std::endian::native == std::endian::little) {
    constexpr uint64_t kOnes = 0x0101010101010101ULL;
    constexpr uint64_t kHighs = 0x8080808080808080ULL;
    const uint64_t fill_a = kOnes * a;
    const uint64_t fill_b = kOnes * b;
    while (end - p >= 8) {
      uint64_t v;
      std::memcpy(&v, p, sizeof v);
      uint64_t xa = v ^ fill_a;
      uint64_t xb = v ^ fill_b;
      uint64_t hit = (((xa - kOnes) & ~xa) | ((xb - kOnes) & ~xb)) & kHighs;
      if (hit != 0) return p + std::countr_zero(hit) / 8;
      p += 8;
    }
  }
  while (p < end && *p != a && *p != b) ++p;
  return p;
}

bool IsObjectListRoot(uint8_t root) {
  return root == kListBucketResult || root == kListVersionsResult ||
         root == kListMultipartUploadsResult || root == kListPartsResult;
}

// JSON keys and container contexts.
enum JsonKey : uint8_t {
  kJkOther,
  kJkItems,
  kJkPrefixes,
  kJkPaths,
  kJkNextPageToken,
  kJkKind,
  kJkName,
  kJkError,
  kJkErrors,
  kJkReason,
  kJkCode,
  kJkStatus,
};

struct JsonKeyName {
  std::string_view name;
  JsonKey key;
};

constexpr JsonKeyName kJsonKeys[] = {
    {"items", kJkItems},
    {"prefixes", kJkPrefixes},
    {"paths", kJkPaths},        // ADLS Gen2 listings
    {"filesystems", kJkPaths},  // ADLS Gen2 listings
    {"nextPageToken", kJkNextPageToken},
    {"kind", kJkKind},
    {"name", kJkName},
    {"error", kJkError},
    {"errors", kJkErrors},
    {"reason", kJkReason},
    {"code", kJkCode},
    {"status", kJkStatus},
};

constexpr auto kJsonKeysByLength = ByLength(kJsonKeys);

JsonKey LookupJsonKey(std::string_view k) {
  const JsonKeyName* j = FindName(kJsonKeys, kJsonKeysByLength, k);
  return j != nullptr ? j->key : kJkOther;
}

enum JsonCtx : uint8_t {
  kJcNone,
  kJcRoot,
  kJcItems,
  kJcItem,
  kJcPrefixes,
  kJcPaths,
  kJcPath,
  kJcError,
  kJcErrors,
  kJcErrorItem,
};

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// &amp; &lt; &gt; &quot; &apos; &#N; &#xN; — unknown or malformed references stay as written.
std::string DecodeXmlText(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '&') {
      out.push_back(in[i]);
      continue;
    }
    size_t semi = in.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) {
      out.push_back('&');
      continue;
    }
    std::string_view ent = in.substr(i + 1, semi - i - 1);
    bool ok = true;
    if (ent == "amp") {
      out.push_back('&');
    } else if (ent == "lt") {
      out.push_back('<');
    } else if (ent == "gt") {
      out.push_back('>');
    } else if (ent == "quot") {
      out.push_back('"');
    } else if (ent == "apos") {
      out.push_back('\'');
    } else if (ent.size() >= 2 && ent[0] == '#') {
      bool hex = ent[1] == 'x' || ent[1] == 'X';
      std::string_view digits = ent.substr(hex ? 2 : 1);
      uint32_t cp = 0;
      ok = !digits.empty();
      for (char d : digits) {
        int v = -1;
        if (IsAsciiDigit(d)) {
          v = d - '0';
        } else if (hex && d >= 'a' && d <= 'f') {
          v = d - 'a' + 10;
        } else if (hex && d >= 'A' && d <= 'F') {
          v = d - 'A' + 10;
        }
        if (v < 0 || cp > 0x10FFFF) {
          ok = false;
          break;
        }
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
      }
      if (ok) AppendUtf8(out, cp);
    } else {
      ok = false;
    }
    if (ok) {
      i = semi;
    } else {
      out.push_back('&');
    }
  }
  return out;
}

}  // namespace

ListingScanner::ListingScanner(size_t max_sample_keys)
    : max_sample_keys_(std::min(max_sample_keys, kMaxSampleKeys)) {
  capture_buf_.reserve(kMaxCaptureBytes);
}

void ListingScanner::Gap() {
  if (mode_ != Mode::kDone && mode_ != Mode::kIgnore) summary_.incomplete = true;
  mode_ = Mode::kDone;
  capture_ = Capture::kNone;
}

// Element names, attribute values and end tags are runs whose only interesting byte is the one
// that ends them (text between tags is ScanXml's). They are consumed whole and the state machine
// sees only the byte that ends them, which is exactly what feeding them byte by byte would have
// done (FeedXml ignores, or only collects, every other byte there).
size_t ListingScanner::SkipXmlRun(const uint8_t* p, size_t n) {
  char stop;
  switch (xs_) {
    case XmlState::kStartName: {
      // An element name runs to '>', '/', '<' or white space; its bytes are only collected.
      size_t run = 0;
      while (run < n && !kNameStop[p[run]]) ++run;
      size_t take = std::min(run, kMaxNameBytes - std::min(kMaxNameBytes, name_len_));
      std::memcpy(name_.data() + name_len_, p, take);
      name_len_ += take;
      if (take < run) name_overflow_ = true;
      return run;
    }
    case XmlState::kInTagQuote:
      stop = quote_;
      break;
    case XmlState::kEndName:
      stop = '>';
      break;
    default:
      return 0;
  }
  const void* hit = std::memchr(p, stop, n);
  return hit ? static_cast<size_t>(static_cast<const uint8_t*>(hit) - p) : n;
}

// A JSON listing is mostly string contents (names, dates, checksums), which FeedJson only
// appends to the capture; a run of them ends at '"' or '\\'. Scalars run to a delimiter and
// white space between tokens is skipped. After an unpaired high surrogate the next string byte
// must go through FeedJson (it writes the replacement first).
size_t ListingScanner::SkipJsonRun(const uint8_t* p, size_t n) {
  size_t run = 0;
  switch (js_) {
    case JsonState::kString:
      if (pending_high_ != 0) return 0;
      run = static_cast<size_t>(FindEither(p, p + n, '"', '\\') - p);
      if (run > 0 && capturing()) {
        AppendCapture(std::string_view(reinterpret_cast<const char*>(p), run));
      }
      return run;
    case JsonState::kScalar:
      while (run < n) {
        char c = static_cast<char>(p[run]);
        if (c == ',' || c == '}' || c == ']' || c == ':' || IsAsciiSpace(c)) break;
        ++run;
      }
      return run;
    case JsonState::kIdle:
      while (run < n && IsAsciiSpace(static_cast<char>(p[run]))) ++run;
      return run;
    default:
      return 0;
  }
}

void ListingScanner::Feed(ByteView chunk) {
  const uint8_t* p = chunk.data();
  const uint8_t* end = p + chunk.size();
  while (p < end) {
    switch (mode_) {
      case Mode::kXml:
        p = ScanXml(p, end);
        continue;
      case Mode::kJson:
        p = ScanJson(p, end);
        continue;
      case Mode::kIgnore:
      case Mode::kDone:
        return;
      case Mode::kStart:
        break;
    }
    uint8_t b = *p++;
    char c = static_cast<char>(b);
    // Skip a UTF-8 byte order mark and leading whitespace; the first real byte decides.
    if (bom_seen_ < 3 && b == std::array<uint8_t, 3>{0xEF, 0xBB, 0xBF}[bom_seen_]) {
      ++bom_seen_;
    } else if (IsAsciiSpace(c)) {
      // still before the document
    } else if (c == '<') {
      mode_ = Mode::kXml;
      xs_ = XmlState::kTagOpen;
    } else if (c == '{' || c == '[') {
      mode_ = Mode::kJson;
      summary_.json = true;
      FeedJson(c);
    } else {
      mode_ = Mode::kIgnore;
    }
  }
}

const uint8_t* ListingScanner::ScanXml(const uint8_t* p, const uint8_t* end) {
  while (p < end && mode_ == Mode::kXml) {
    if (xs_ == XmlState::kText) {
      // SkipXmlRun and FeedXml's '<', fused: text is what lies between nearly every two tags.
      const void* hit = std::memchr(p, '<', static_cast<size_t>(end - p));
      const uint8_t* lt = hit != nullptr ? static_cast<const uint8_t*>(hit) : end;
      if (lt > p && capturing()) {
        AppendCapture(
            std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(lt - p)));
      }
      if (lt == end) return end;
      p = lt + 1;
      xs_ = XmlState::kTagOpen;
      if (p == end) return end;
    }
    if (xs_ == XmlState::kTagOpen) {
      size_t used = WholeTag(p, end);
      if (used != 0) {
        p += used;
        continue;
      }
    }
    p += SkipXmlRun(p, static_cast<size_t>(end - p));
    if (p == end) break;
    FeedXml(static_cast<char>(*p++));
  }
  return p;
}

// Exactly what the byte steps do for the same bytes (kTagOpen, kStartName or kEndName, then
// the closing '>'), without a dispatch per byte. A tag with attributes, one cut by the chunk's
// end, and everything that is not an element tag go to the byte steps.
size_t ListingScanner::WholeTag(const uint8_t* p, const uint8_t* end) {
  uint8_t first = *p;
  if (first == '/') {
    const void* gt = std::memchr(p + 1, '>', static_cast<size_t>(end - p - 1));
    if (gt == nullptr) return 0;
    xs_ = XmlState::kText;
    CloseElement();
    return static_cast<size_t>(static_cast<const uint8_t*>(gt) + 1 - p);
  }
  if (first == '?' || first == '!' || kNameStop[first]) return 0;
  const uint8_t* q = p + 1;
  while (q < end && !kNameStop[*q]) ++q;
  if (q == end) return 0;
  bool self_closing = false;
  const uint8_t* after = q + 1;
  if (*q == '/') {
    if (end - q < 2 || q[1] != '>') return 0;
    self_closing = true;
    after = q + 2;
  } else if (*q != '>') {
    return 0;
  }
  size_t len = static_cast<size_t>(q - p);
  name_len_ = std::min(len, kMaxNameBytes);
  name_overflow_ = name_len_ < len;
  std::memcpy(name_.data(), p, name_len_);
  xs_ = XmlState::kText;
  OpenElement(self_closing);
  return static_cast<size_t>(after - p);
}

const uint8_t* ListingScanner::ScanJson(const uint8_t* p, const uint8_t* end) {
  while (p < end && mode_ == Mode::kJson) {
    p += SkipJsonRun(p, static_cast<size_t>(end - p));
    if (p == end) break;
    char c = static_cast<char>(*p++);
    if (c == '"' && js_ == JsonState::kIdle) {
      BeginJsonString();
      p += WholeJsonString(p, end);
      continue;
    }
    FeedJson(c);
  }
  return p;
}

static_assert(ListingScanner::kMaxCaptureBytes >= kMaxLookupLength,
              "a key that fits the lookup also fits the capture");

// What SkipJsonRun and FeedJson's closing quote would do, in one step.
size_t ListingScanner::WholeJsonString(const uint8_t* p, const uint8_t* end) {
  const uint8_t* q = FindEither(p, end, '"', '\\');
  if (q == end || *q != '"') return 0;
  js_ = JsonState::kIdle;
  if (capture_ == Capture::kJsonKey) {
    // An object key: looked up where it lies, not copied (a key longer than the capture would
    // overflow it and count as no key; no known key is that long).
    pending_key_ = LookupJsonKey(
        std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(q - p)));
    capture_ = Capture::kNone;
    return static_cast<size_t>(q + 1 - p);
  }
  if (q > p && capturing()) {
    AppendCapture(std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(q - p)));
  }
  FinishJsonString();
  return static_cast<size_t>(q + 1 - p);
}

size_t ListingScanner::held_bytes() const {
  size_t n = capture_buf_.capacity() + summary_.error_code.capacity() + summary_.root.capacity() +
             summary_.sample_keys.capacity() * sizeof(std::string);
  for (const std::string& k : summary_.sample_keys) n += k.capacity();
  return n;
}

// ---- capture --------------------------------------------------------------------------------

void ListingScanner::StartCapture(Capture what) {
  capture_ = what;
  capture_buf_.clear();
  capture_overflow_ = false;
}

void ListingScanner::AppendCapture(char c) { AppendCapture(std::string_view(&c, 1)); }

void ListingScanner::AppendCapture(std::string_view text) {
  if (capture_ == Capture::kNone || capture_ == Capture::kJsonSkip) return;
  size_t room = kMaxCaptureBytes - std::min(kMaxCaptureBytes, capture_buf_.size());
  if (text.size() > room) {
    capture_overflow_ = true;
    text = text.substr(0, room);
  }
  capture_buf_.append(text);
}

void ListingScanner::AddSampleKey(std::string key) {
  if (summary_.sample_keys.size() >= max_sample_keys_) return;
  if (encoding_url_) key = PercentDecode(key, true);
  TruncateUtf8(key, kMaxSampleKeyBytes);
  summary_.sample_keys.push_back(std::move(key));
}

// Priority: a JSON errors[].reason beats error.code beats error.status; XML has one <Code>.
void ListingScanner::SetErrorCode(std::string_view code, int priority) {
  code = TrimAscii(code);
  if (code.empty() || priority <= error_priority_) return;
  error_priority_ = priority;
  summary_.error_code = std::string(code);
  TruncateUtf8(summary_.error_code, kMaxErrorCodeBytes);
}

// ---- XML ------------------------------------------------------------------------------------

void ListingScanner::FeedXml(char c) {
  switch (xs_) {
    case XmlState::kText:
      return;  // never here: ScanXml takes text, and the '<' that ends it, in one step
    case XmlState::kTagOpen:
      if (c == '/') {
        xs_ = XmlState::kEndName;
      } else if (c == '?') {
        xs_ = XmlState::kPi;
        prev_ = 0;
      } else if (c == '!') {
        xs_ = XmlState::kBang;
        bang_match_ = 0;
      } else if (c == '<') {
        // "<<": the first was stray; this one may still open a tag.
      } else if (IsAsciiSpace(c) || c == '>') {
        xs_ = XmlState::kText;  // a stray '<' in text
      } else {
        name_len_ = 0;
        name_overflow_ = false;
        name_[name_len_++] = c;
        xs_ = XmlState::kStartName;
      }
      return;
    case XmlState::kStartName:
      if (c == '>') {
        xs_ = XmlState::kText;
        OpenElement(false);
      } else if (c == '/') {
        slash_ = true;
        xs_ = XmlState::kInTag;
      } else if (IsAsciiSpace(c)) {
        slash_ = false;
        xs_ = XmlState::kInTag;
      } else if (c == '<') {
        xs_ = XmlState::kTagOpen;  // malformed; start over
      } else if (name_len_ < kMaxNameBytes) {
        name_[name_len_++] = c;
      } else {
        name_overflow_ = true;
      }
      return;
    case XmlState::kInTag:
      if (c == '>') {
        xs_ = XmlState::kText;
        OpenElement(slash_);
      } else if (c == '"' || c == '\'') {
        quote_ = c;
        slash_ = false;
        xs_ = XmlState::kInTagQuote;
      } else if (c == '/') {
        slash_ = true;
      } else if (!IsAsciiSpace(c)) {
        slash_ = false;
      }
      return;
    case XmlState::kInTagQuote:
      if (c == quote_) xs_ = XmlState::kInTag;
      return;
    case XmlState::kEndName:
      if (c == '>') {
        xs_ = XmlState::kText;
        CloseElement();
      }
      return;
    case XmlState::kPi:
      if (c == '>' && prev_ == '?') xs_ = XmlState::kText;
      prev_ = c;
      return;
    case XmlState::kBang: {
      static constexpr std::string_view kCdataOpen = "[CDATA[";
      if (bang_match_ == 0) {
        if (c == '-') {
          bang_cdata_ = false;
          bang_match_ = 1;
        } else if (c == '[') {
          bang_cdata_ = true;
          bang_match_ = 1;
        } else {
          xs_ = c == '>' ? XmlState::kText : XmlState::kDecl;
        }
      } else if (!bang_cdata_) {
        if (c == '-') {
          xs_ = XmlState::kComment;
          dashes_ = 0;
        } else {
          xs_ = c == '>' ? XmlState::kText : XmlState::kDecl;
        }
      } else if (c == kCdataOpen[bang_match_]) {
        if (++bang_match_ == kCdataOpen.size()) {
          xs_ = XmlState::kCdata;
          brackets_ = 0;
        }
      } else {
        xs_ = c == '>' ? XmlState::kText : XmlState::kDecl;
      }
      return;
    }
    case XmlState::kDecl:
      if (c == '>') xs_ = XmlState::kText;
      return;
    case XmlState::kComment:
      if (c == '-') {
        ++dashes_;
      } else if (c == '>' && dashes_ >= 2) {
        xs_ = XmlState::kText;
      } else {
        dashes_ = 0;
      }
      return;
    case XmlState::kCdata:
      if (c == ']') {
        if (brackets_ < kMaxCaptureBytes) ++brackets_;
        return;
      }
      if (c == '>' && brackets_ >= 2) {
        for (size_t i = 2; i < brackets_; ++i) AppendCapture(']');
        brackets_ = 0;
        xs_ = XmlState::kText;
        return;
      }
      for (size_t i = 0; i < brackets_; ++i) AppendCapture(']');
      brackets_ = 0;
      // CDATA is literal: escape '&' so the entity decoding of the capture restores it.
      if (c == '&') {
        for (char e : std::string_view("&amp;")) AppendCapture(e);
      } else {
        AppendCapture(c);
      }
      return;
  }
}

// Whether the element now opening at depth_ can matter below: the root, the root's children in
// a document we know, entries at depth 3, and at depth 4 only the names still sampled. Most of
// a listing's elements are an entry's properties, which are then never looked up.
bool ListingScanner::TagMatters() const {
  uint8_t root = tags_[1];
  if (depth_ <= 2) return depth_ == 1 || root != kOther;
  if (depth_ > 4) return false;
  bool sampling = summary_.sample_keys.size() < max_sample_keys_;
  bool named_entries = root == kListAllMyBucketsResult || root == kEnumerationResults;
  if (depth_ == 3) return named_entries || (IsObjectListRoot(root) && sampling);
  return named_entries && sampling;
}

void ListingScanner::OpenElement(bool self_closing) {
  // A child inside a captured leaf means it was not a leaf: drop the capture.
  capture_ = Capture::kNone;
  ++depth_;
  std::string_view name(name_.data(), name_len_);
  Tag tag = kOther;
  if (TagMatters()) {
    // A namespace prefix; a loop, as names are short.
    for (size_t i = 0; i < name.size(); ++i) {
      if (name[i] == ':') {
        name.remove_prefix(i + 1);
        break;
      }
    }
    if (!name_overflow_) tag = LookupTag(name);
  }
  if (depth_ <= static_cast<int64_t>(kMaxXmlDepth)) tags_[depth_] = tag;
  uint8_t root = tags_[1];
  uint8_t parent = kOther;
  if (depth_ >= 2 && depth_ <= static_cast<int64_t>(kMaxXmlDepth)) parent = tags_[depth_ - 1];
  if (depth_ == 1) {
    summary_.root = std::string(name.substr(0, kMaxNameBytes));
    summary_.is_listing =
        IsObjectListRoot(tag) || tag == kListAllMyBucketsResult || tag == kEnumerationResults;
  } else if (depth_ > static_cast<int64_t>(kMaxXmlDepth)) {
    // Too deep to matter.
  } else if (IsObjectListRoot(root)) {
    if (depth_ == 2) {
      if (tag == kContents || tag == kCommonPrefixes || tag == kVersion || tag == kDeleteMarker ||
          tag == kUpload || tag == kPart) {
        ++summary_.keys;
      } else if (tag == kIsTruncated) {
        StartCapture(Capture::kTruncatedFlag);
      } else if (tag == kEncodingType) {
        StartCapture(Capture::kEncodingType);
      }
    } else if (depth_ == 3 && tag == kKey &&
               (parent == kContents || parent == kVersion || parent == kDeleteMarker ||
                parent == kUpload)) {
      if (summary_.sample_keys.size() < max_sample_keys_) StartCapture(Capture::kSampleKey);
    }
  } else if (root == kListAllMyBucketsResult) {
    if (depth_ == 2 && tag == kContinuationToken) {
      StartCapture(Capture::kNonEmptyTruncates);
    } else if (depth_ == 3 && tag == kBucket && parent == kBuckets) {
      ++summary_.keys;
    } else if (depth_ == 4 && tag == kName && parent == kBucket) {
      if (summary_.sample_keys.size() < max_sample_keys_) StartCapture(Capture::kSampleKey);
    }
  } else if (root == kEnumerationResults) {
    if (depth_ == 2 && tag == kNextMarker) {
      StartCapture(Capture::kNonEmptyTruncates);
    } else if (depth_ == 3 && (((tag == kBlob || tag == kBlobPrefix) && parent == kBlobs) ||
                               (tag == kContainer && parent == kContainers))) {
      ++summary_.keys;
    } else if (depth_ == 4 && tag == kName && (parent == kBlob || parent == kContainer)) {
      if (summary_.sample_keys.size() < max_sample_keys_) StartCapture(Capture::kSampleKey);
    }
  } else if (root == kErrorTag) {
    if (depth_ == 2 && tag == kCode) StartCapture(Capture::kErrorCode);
  }
  if (capture_ != Capture::kNone) capture_depth_ = depth_;
  if (self_closing) CloseElement();
}

void ListingScanner::CloseElement() {
  if (depth_ <= 0) return;  // stray end tag
  if (capture_ != Capture::kNone && capture_depth_ == depth_) FinishXmlCapture();
  capture_ = Capture::kNone;
  --depth_;
  if (depth_ == 0) mode_ = Mode::kDone;  // the document element closed
}

void ListingScanner::FinishXmlCapture() {
  std::string text = DecodeXmlText(capture_buf_);
  switch (capture_) {
    case Capture::kSampleKey:
      AddSampleKey(std::move(text));
      break;
    case Capture::kTruncatedFlag:
      if (EqualsIgnoreCase(TrimAscii(text), "true")) summary_.truncated = true;
      break;
    case Capture::kNonEmptyTruncates:
      if (!TrimAscii(text).empty()) summary_.truncated = true;
      break;
    case Capture::kErrorCode:
      SetErrorCode(text, 1);
      break;
    case Capture::kEncodingType:
      if (EqualsIgnoreCase(TrimAscii(text), "url") && !encoding_url_) {
        encoding_url_ = true;
        // Keys sampled before the EncodingType element were still encoded.
        for (std::string& k : summary_.sample_keys) k = PercentDecode(k, true);
      }
      break;
    default:
      break;
  }
  capture_ = Capture::kNone;
}

// ---- JSON -----------------------------------------------------------------------------------

void ListingScanner::JsonOpen(bool is_array, uint8_t ctx) {
  if (frame_count_ >= kMaxJsonDepth || overflow_depth_ > 0) {
    ++overflow_depth_;
    return;
  }
  JsonFrame& f = frames_[frame_count_++];
  f = JsonFrame{};
  f.is_array = is_array;
  f.expect_key = !is_array;
  f.ctx = ctx;
}

void ListingScanner::JsonClose() {
  if (overflow_depth_ > 0) {
    --overflow_depth_;
    return;
  }
  if (frame_count_ == 0) {
    mode_ = Mode::kDone;
    return;
  }
  --frame_count_;
  if (frame_count_ == 0) mode_ = Mode::kDone;  // the top-level value closed
}

// A value begins: decide what it means from the enclosing container and the key before it.
void ListingScanner::JsonValueStart(char kind) {
  uint8_t key = pending_key_;
  pending_key_ = kJkOther;
  bool is_obj = kind == '{';
  bool is_arr = kind == '[';
  bool is_str = kind == '"';
  if (frame_count_ == 0 && overflow_depth_ == 0) {
    if (is_obj) {
      JsonOpen(false, kJcRoot);
    } else {
      mode_ = Mode::kDone;  // a bare array or scalar is not a storage document
    }
    return;
  }
  if (overflow_depth_ > 0) {
    if (is_obj || is_arr) JsonOpen(is_arr, kJcNone);
    if (is_str) StartCapture(Capture::kJsonSkip);
    return;
  }
  JsonFrame& top = frames_[frame_count_ - 1];
  uint8_t ctx = kJcNone;
  Capture cap = Capture::kJsonSkip;
  if (!top.is_array) {
    switch (top.ctx) {
      case kJcRoot:
        if (key == kJkItems && is_arr) {
          ctx = kJcItems;
          summary_.is_listing = true;
        } else if (key == kJkPrefixes && is_arr) {
          ctx = kJcPrefixes;
          summary_.is_listing = true;
        } else if (key == kJkPaths && is_arr) {
          ctx = kJcPaths;
          summary_.is_listing = true;
        } else if (key == kJkError && is_obj) {
          ctx = kJcError;
        } else if (key == kJkNextPageToken && is_str) {
          cap = Capture::kNonEmptyTruncates;
        } else if (key == kJkKind && is_str) {
          cap = Capture::kJsonKind;
        }
        break;
      case kJcItem:
      case kJcPath:
        if (key == kJkName && is_str && summary_.sample_keys.size() < max_sample_keys_) {
          cap = Capture::kSampleKey;
        }
        break;
      case kJcError:
        if (key == kJkErrors && is_arr) {
          ctx = kJcErrors;
        } else if (key == kJkCode && is_str) {
          cap = Capture::kJsonErrorCode;
        } else if (key == kJkStatus && is_str) {
          cap = Capture::kJsonErrorStatus;
        }
        break;
      case kJcErrorItem:
        if (key == kJkReason && is_str) cap = Capture::kJsonErrorReason;
        break;
      default:
        break;
    }
  } else {
    switch (top.ctx) {
      case kJcItems:
        if (is_obj) {
          ++summary_.keys;
          ctx = kJcItem;
        }
        break;
      case kJcPaths:
        if (is_obj) {
          ++summary_.keys;
          ctx = kJcPath;
        }
        break;
      case kJcPrefixes:
        if (is_str) ++summary_.keys;
        break;
      case kJcErrors:
        if (is_obj && !top.first_error_seen) {
          top.first_error_seen = true;
          ctx = kJcErrorItem;
        }
        break;
      default:
        break;
    }
  }
  if (is_obj || is_arr) {
    JsonOpen(is_arr, ctx);
  } else if (is_str) {
    StartCapture(cap);
  }
}

void ListingScanner::AppendCodePoint(uint32_t cp) {
  if (capture_ == Capture::kNone || capture_ == Capture::kJsonSkip) return;
  std::string tmp;
  AppendUtf8(tmp, cp);
  for (char c : tmp) AppendCapture(c);
}

void ListingScanner::FinishJsonString() {
  if (pending_high_ != 0) {
    AppendCodePoint(0xFFFD);
    pending_high_ = 0;
  }
  std::string_view text = capture_buf_;
  if (capture_overflow_ && capture_ == Capture::kJsonKey) text = {};  // an oversized key
  switch (capture_) {
    case Capture::kJsonKey:
      pending_key_ = LookupJsonKey(text);
      break;
    case Capture::kSampleKey:
      AddSampleKey(std::string(text));
      break;
    case Capture::kNonEmptyTruncates:
      if (!text.empty()) summary_.truncated = true;
      break;
    case Capture::kJsonKind:
      if (text == "storage#objects" || text == "storage#buckets") summary_.is_listing = true;
      break;
    case Capture::kJsonErrorReason:
      SetErrorCode(text, 3);
      break;
    case Capture::kJsonErrorCode:
      SetErrorCode(text, 2);
      break;
    case Capture::kJsonErrorStatus:
      SetErrorCode(text, 1);
      break;
    default:
      break;
  }
  capture_ = Capture::kNone;
}

void ListingScanner::BeginJsonString() {
  js_ = JsonState::kString;
  pending_high_ = 0;
  JsonFrame* top = frame_count_ > 0 && overflow_depth_ == 0 ? &frames_[frame_count_ - 1] : nullptr;
  if (top != nullptr && !top->is_array && top->expect_key) {
    top->expect_key = false;
    StartCapture(Capture::kJsonKey);
  } else {
    JsonValueStart('"');
  }
}

void ListingScanner::FeedJson(char c) {
  switch (js_) {
    case JsonState::kScalar:
      if (c == ',' || c == '}' || c == ']' || c == ':' || IsAsciiSpace(c)) {
        js_ = JsonState::kIdle;
        break;  // the delimiter is handled below
      }
      return;
    case JsonState::kString:
      if (c == '"') {
        js_ = JsonState::kIdle;
        FinishJsonString();
      } else if (c == '\\') {
        js_ = JsonState::kEscape;
      } else {
        if (pending_high_ != 0) {
          AppendCodePoint(0xFFFD);
          pending_high_ = 0;
        }
        AppendCapture(c);
      }
      return;
    case JsonState::kEscape:
      js_ = JsonState::kString;
      if (c == 'u') {
        js_ = JsonState::kUnicode;
        hex_digits_ = 0;
        hex_value_ = 0;
        return;
      }
      if (pending_high_ != 0) {
        AppendCodePoint(0xFFFD);
        pending_high_ = 0;
      }
      switch (c) {
        case 'n':
          AppendCapture('\n');
          break;
        case 't':
          AppendCapture('\t');
          break;
        case 'r':
          AppendCapture('\r');
          break;
        case 'b':
          AppendCapture('\b');
          break;
        case 'f':
          AppendCapture('\f');
          break;
        default:
          AppendCapture(c);  // \" \\ \/ and anything invalid, literally
          break;
      }
      return;
    case JsonState::kUnicode: {
      int v = -1;
      if (IsAsciiDigit(c)) {
        v = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        v = c - 'A' + 10;
      }
      if (v < 0) {
        // Malformed escape: emit a replacement and treat the byte as string content.
        js_ = JsonState::kString;
        pending_high_ = 0;
        AppendCodePoint(0xFFFD);
        FeedJson(c);
        return;
      }
      hex_value_ = hex_value_ * 16 + static_cast<uint32_t>(v);
      if (++hex_digits_ < 4) return;
      js_ = JsonState::kString;
      uint32_t cp = hex_value_;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (pending_high_ != 0) AppendCodePoint(0xFFFD);
        pending_high_ = cp;
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        if (pending_high_ != 0) {
          AppendCodePoint(0x10000 + ((pending_high_ - 0xD800) << 10) + (cp - 0xDC00));
          pending_high_ = 0;
        } else {
          AppendCodePoint(0xFFFD);
        }
      } else {
        if (pending_high_ != 0) AppendCodePoint(0xFFFD);
        pending_high_ = 0;
        AppendCodePoint(cp);
      }
      return;
    }
    case JsonState::kIdle:
      break;
  }
  // Between tokens.
  if (IsAsciiSpace(c)) return;
  JsonFrame* top = frame_count_ > 0 && overflow_depth_ == 0 ? &frames_[frame_count_ - 1] : nullptr;
  switch (c) {
    case '{':
    case '[':
      JsonValueStart(c);
      return;
    case '}':
    case ']':
      JsonClose();
      return;
    case ',':
      if (top != nullptr && !top->is_array) top->expect_key = true;
      pending_key_ = kJkOther;
      return;
    case ':':
      if (top != nullptr) top->expect_key = false;
      return;
    case '"':
      BeginJsonString();
      return;
    default:
      js_ = JsonState::kScalar;
      JsonValueStart('s');
      return;
  }
}

}  // namespace bw::storage
