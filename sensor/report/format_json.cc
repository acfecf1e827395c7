// The machine format: one JSON document, written as a stream (objects are never
// collected).
#include <nlohmann/json.hpp>
#include <ostream>

#include "sensor/report/report_format.h"

namespace bw::report {

namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json Outcomes(const OutcomeCounts& c) {
  return {{"requests", c.requests},   {"success", c.success}, {"denied", c.denied},
          {"not_found", c.not_found}, {"error", c.error},     {"no_response", c.no_response}};
}

Json ClientJson(const ClientStats& c) {
  return {{"ip", c.ip},
          {"user_agent", c.user_agent},
          {"requests", c.requests},
          {"successes", c.successes},
          {"listings", c.listings},
          {"reads", c.reads},
          {"denied", c.denied},
          {"bytes", c.bytes},
          {"first", TimeText(c.first)},
          {"last", TimeText(c.last)}};
}

class JsonFormatter : public ReportFormatter {
 public:
  explicit JsonFormatter(std::ostream& out) : out_(out) {}

  void Begin(const ReportMeta& m) override {
    Json r;
    r["generated_at"] = TimeText(m.generated_at);
    r["ledgers"] = m.ledgers;
    r["since"] = m.since ? Json(TimeText(*m.since)) : Json(nullptr);
    r["until"] = m.until ? Json(TimeText(*m.until)) : Json(nullptr);
    r["bucket_pattern"] = m.bucket_pattern.empty() ? Json(nullptr) : Json(m.bucket_pattern);
    out_ << "{\"report\":" << Dump(r) << ",\"buckets\":[";
  }

  void BeginBucket(const BucketReport& b) override {
    Json j;
    j["provider"] = b.provider;
    j["account"] = b.account;
    j["bucket"] = b.bucket;
    j["exposed"] = b.exposed();
    j["exposure"] = b.exposed() ? Json{{"first", TimeText(b.exposure_first)},
                                       {"last", TimeText(b.exposure_last)}}
                                : Json(nullptr);
    j["anonymous"] = Outcomes(b.anonymous);
    Json ops = Json::object();
    for (const auto& [op, c] : b.anon_operations) ops[op] = Outcomes(c);
    j["anonymous_operations"] = std::move(ops);
    j["operations_overflow"] = b.operations_overflow;
    Json clients = Json::array();
    for (const ClientStats* c : b.SortedClients()) clients.push_back(ClientJson(*c));
    j["clients"] = std::move(clients);
    j["clients_overflow"] = b.clients_overflow ? ClientJson(b.other_clients) : Json(nullptr);
    Json listings = Json::array();
    for (const auto& l : b.listings) {
      listings.push_back({{"time", TimeText(l.ts)},
                          {"ip", l.ip},
                          {"user_agent", l.user_agent},
                          {"operation", l.operation},
                          {"query", l.query},
                          {"keys", l.keys},
                          {"truncated", l.truncated}});
    }
    j["listing"] = {{"pages", b.listing_pages},
                    {"keys", b.listed_keys},
                    {"truncated_pages", b.truncated_pages},
                    {"pages_listed", std::move(listings)},
                    {"pages_overflow", b.listings_overflow},
                    {"sample_keys", b.sample_keys},
                    {"sample_keys_truncated", b.sample_keys_truncated}};
    Json denied = Json::array();
    for (const auto& d : b.denied_rows) {
      denied.push_back({{"time", TimeText(d.ts)},
                        {"ip", d.ip},
                        {"user_agent", d.user_agent},
                        {"operation", d.operation},
                        {"key", d.key},
                        {"status", d.status},
                        {"error_code", d.error_code}});
    }
    j["denied"] = {{"count", b.anonymous.denied},
                   {"attempts", std::move(denied)},
                   {"attempts_overflow", b.denied_overflow}};
    const AuthenticatedStats& a = b.authenticated;
    j["authenticated"] = {{"outcomes", Outcomes(a.outcomes)},
                          {"bytes", a.bytes},
                          {"by_class", a.by_class},
                          {"access_key_ids", a.access_key_ids},
                          {"access_key_ids_truncated", a.access_keys_truncated},
                          {"first", a.outcomes.requests ? Json(TimeText(a.first)) : Json(nullptr)},
                          {"last", a.outcomes.requests ? Json(TimeText(a.last)) : Json(nullptr)}};
    Json bins = Json::array();
    for (const auto& [i, v] : b.timeline) {
      bins.push_back({{"start", TimeText(i * b.bin_width)},
                      {"anonymous_requests", v.anon_requests},
                      {"anonymous_success", v.anon_success},
                      {"anonymous_bytes", v.anon_bytes},
                      {"authenticated_requests", v.auth_requests}});
    }
    j["timeline"] = {{"bin_seconds", static_cast<double>(b.bin_width) / kNsPerSecond},
                     {"bins", std::move(bins)}};
    std::string text = Dump(j);
    text.pop_back();  // reopen the object for the streamed "objects" member
    out_ << (first_bucket_ ? "" : ",") << text << ",\"objects\":[";
    first_bucket_ = false;
    first_object_ = true;
  }

  void Object(const BucketReport&, const ObjectRow& r) override {
    Json j = {{"key", r.key},
              {"first_read", TimeText(r.first_read)},
              {"last_read", TimeText(r.last_read)},
              {"reads", r.reads},
              {"full_reads", r.full_reads},
              {"range_reads", r.range_reads},
              {"bytes", r.bytes},
              {"readers", r.readers},
              {"readers_truncated", r.readers_truncated}};
    out_ << (first_object_ ? "" : ",") << Dump(j) << "\n";
    first_object_ = false;
  }

  void EndBucket(const BucketReport&, const ObjectTotals& t) override {
    Json j = {{"objects", t.objects},
              {"reads", t.reads},
              {"bytes", t.bytes},
              {"range_only_objects", t.range_only_objects}};
    out_ << "],\"objects_total\":" << Dump(j) << "}\n";
  }

  void End(const ReportMeta& m) override {
    Json s;
    s["lines"] = m.lines;
    s["bad_lines"] = m.bad_lines;
    s["oversized_lines"] = m.oversized_lines;
    if (m.counters) {
      s["entries"] = m.counters->entries;
      s["outside_period"] = m.counters->filtered_time;
      s["other_buckets"] = m.counters->filtered_bucket;
      s["past_bucket_limit"] = m.counters->buckets_overflow;
    }
    s["object_spills"] = m.object_spills;
    s["authenticated_only_buckets"] = m.authenticated_only_buckets;
    if (m.limits) {
      s["limits"] = {{"max_buckets", m.limits->max_buckets},
                     {"max_clients_per_bucket", m.limits->max_clients_per_bucket},
                     {"max_listing_rows", m.limits->max_listing_rows},
                     {"max_denied_rows", m.limits->max_denied_rows},
                     {"max_sample_keys", m.limits->max_sample_keys},
                     {"max_readers_per_object", kMaxReaders},
                     {"objects_in_memory", m.limits->objects_in_memory}};
    }
    out_ << "],\"input\":" << Dump(s) << "}\n";
    out_.flush();
  }

 private:
  std::ostream& out_;
  bool first_bucket_ = true;
  bool first_object_ = true;
};

}  // namespace

std::unique_ptr<ReportFormatter> MakeJsonFormatter(std::ostream& out) {
  return std::make_unique<JsonFormatter>(out);
}

}  // namespace bw::report
