#pragma once
// The documented default configuration (config/bucketwatch.yaml), compiled into the binary so
// the sensor runs, and --print-config prints, without any file on disk.

#include <string_view>

namespace bw::config {

std::string_view EmbeddedDefaultConfig();

}  // namespace bw::config
