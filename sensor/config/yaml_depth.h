#pragma once
// A linear pre-scan that bounds how deeply a YAML text nests before yaml-cpp sees it.
// yaml-cpp parses (and our Merge/Extract walk) nested collections by recursion, so an input
// such as `[[[[…` 100k deep, or `- - - - …`, would overflow the stack. The scan never
// recurses, reads each byte once, and over-approximates: it may count a level yaml-cpp would
// not build, never the reverse, so any text it accepts nests at most `max_depth` levels.

#include <cstddef>
#include <string>
#include <string_view>

namespace bw::config {

inline constexpr size_t kMaxYamlDepth = 64;

struct YamlDepthResult {
  bool ok = true;
  size_t depth = 0;   // the deepest nesting seen (stops counting at max_depth + 1)
  size_t line = 0;    // 1-based line where the bound was first exceeded
  std::string error;  // "nesting deeper than 64 (line N)"
};

// Flow collections ([ {) and block levels (indentation steps, and `- `/`? ` indicators
// that open a nested node on the same line) both count as one level each.
[[nodiscard]] YamlDepthResult CheckYamlDepth(std::string_view text,
                                             size_t max_depth = kMaxYamlDepth);

}  // namespace bw::config
