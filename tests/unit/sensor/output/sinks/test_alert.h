#pragma once
// A realistic alert JSON (the nested ECS shape of DESIGN.md "Detection rules")
// for sink tests.

#include <string>

namespace bw::output::sinks::testing {

inline std::string SampleAlertJson(const std::string& severity = "high",
                                   const std::string& summary =
                                       "anonymous ListObjectsV2 of s3://contracts-2022 from "
                                       "203.0.113.9 succeeded (5 pages, 240 keys)") {
  return std::string(R"({"rule":"anonymous_list","severity":")") + severity + R"(","summary":")" +
         summary +
         R"(","@timestamp":"2026-11-23T10:16:15.123456789Z",)"
         R"("first_seen":"2026-11-23T10:16:00.000000001Z","last_seen":"2026-11-23T10:16:15Z",)"
         R"("source":{"ip":"203.0.113.9"},"destination":{"ip":"198.51.100.7","port":443},)"
         R"("storage":{"provider":"s3","account":"","bucket":"contracts-2022",)"
         R"("auth":{"class":"anonymous"}},"encrypted":false,)"
         R"("counts":{"requests":5,"objects":0,"bytes":123456,"pages":5,"denied":0},)"
         R"("sample_keys":["a.pdf","b.pdf"],"user_agent":{"original":"curl/8.0"},)"
         R"("dedup_key":"anonymous_list|203.0.113.9|s3||contracts-2022"})";
}

}  // namespace bw::output::sinks::testing
