#pragma once
// The words of alerts: bucket URLs, byte and window amounts in summaries, dedup keys.
// Guarantees: pure functions of their arguments, so a summary or dedup key is the same
// whichever rule or path (plaintext, TLS) builds it.

#include <cstdint>
#include <string>

#include "dissectors/common/timestamp.h"
#include "dissectors/storage/storage_event.h"
#include "sensor/common/human_bytes.h"
#include "sensor/detect/alert.h"

namespace bw::detect {

// "s3://bucket", "gs://bucket", "az://account/container" ("az://account" without one).
std::string BucketUrl(storage::Provider p, const std::string& account, const std::string& bucket);
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
std::string RuleKey(Rule rule, const std::string& client, storage::Provider p,
                    const std::string& account, const std::string& bucket,
                    const std::string& endpoint = "");

}  // namespace bw::detect
