#pragma once
// The words of alerts: bucket URLs, byte and window amounts in summaries, dedup keys.
// Guarantees: pure functions of their arguments, so a summary or dedup key is the same
// whichever rule or path (plaintext, TLS) builds it.

#include <cstdint>
#include <string>
#include <string_view>

#include "dissectors/common/timestamp.h"
#include "dissectors/storage/storage_event.h"
#include "sensor/common/human_bytes.h"
#include "sensor/detect/alert.h"
#include "sensor/detect/piece_key.h"

namespace bw::detect {

// "s3://bucket", "gs://bucket", "az://account/container" ("az://account" without one).
std::string BucketUrl(storage::Provider p, std::string_view account, std::string_view bucket);
// The same as pieces (views of `account` and `bucket`), to look a probed name up.
PieceKey BucketUrlKey(storage::Provider p, std::string_view account, std::string_view bucket);
// What an activity read from: its bucket URL, or, when only the endpoint is known, "the S3
// endpoint s3.amazonaws.com (bucket not visible)".
std::string SourceText(storage::Provider p, const std::string& account, const std::string& bucket,
                       const std::string& endpoint);
using common::HumanBytes;
// "2 h", "10 min", "90 s".
std::string HumanWindow(TimestampNs window);
// "1 page", "3 pages".
std::string Plural(uint64_t n, const char* one, const char* many);
// The auth class of an activity from its bit set of AuthClass values: the one seen, "mixed"
// for several, "unknown" for none.
std::string AuthClassesName(uint8_t mask);
// "<rule>[/<client>]/<provider>/<account>/<bucket>"; no client part when `client` is empty.
// With an endpoint (bucket not visible): "<rule>[/<client>]/<provider>/endpoint/<endpoint>".
// As pieces (views of the arguments): Text() is the key, built only for an alert.
PieceKey RuleKey(Rule rule, std::string_view client, storage::Provider p, std::string_view account,
                 std::string_view bucket, std::string_view endpoint = {});

}  // namespace bw::detect
