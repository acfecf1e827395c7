#include "sensor/config/yaml_depth.h"

#include <vector>

namespace bw::config {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool IsBreak(char c) { return c == '\n' || c == '\r'; }

}  // namespace

YamlDepthResult CheckYamlDepth(std::string_view text, size_t max_depth) {
  YamlDepthResult r;
  // Block levels: the columns of the open block nodes, strictly increasing. Bounded by the
  // check below (we fail as soon as the stack plus the flow depth passes max_depth).
  std::vector<size_t> block;
  size_t flow = 0;
  size_t line = 1;
  // A block scalar (| or >) owns every following line indented deeper than its parent.
  bool in_block_scalar = false;
  size_t block_scalar_parent = 0;

  auto exceeded = [&](size_t depth) {
    if (depth > r.depth) r.depth = depth;
    if (depth <= max_depth) return false;
    r.ok = false;
    r.line = line;
    r.error =
        "nesting deeper than " + std::to_string(max_depth) + " (line " + std::to_string(line) + ")";
    return true;
  };
  auto push_block = [&](size_t col) {
    while (!block.empty() && block.back() >= col) block.pop_back();
    block.push_back(col);
    return exceeded(block.size() + flow);
  };

  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    // Start of a line: measure its indentation.
    size_t line_start = i;
    while (i < n && text[i] == ' ') ++i;
    size_t col = i - line_start;
    while (i < n && IsSpace(text[i])) ++i;
    bool blank = i >= n || IsBreak(text[i]) || text[i] == '#';
    if (in_block_scalar) {
      if (blank || col > block_scalar_parent) {
        while (i < n && !IsBreak(text[i])) ++i;
        if (i < n && text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
        if (i < n) ++i;
        ++line;
        continue;
      }
      in_block_scalar = false;
    }
    if (!blank && flow == 0) {
      if (text.substr(i, 3) == "---" || text.substr(i, 3) == "...") {
        block.clear();
      } else if (push_block(col)) {
        return r;
      }
    }
    // The rest of the line: flow brackets, quoted scalars, comments, same-line indicators.
    bool token_start = true;
    char last_significant = 0;
    while (i < n && !IsBreak(text[i])) {
      char c = text[i];
      if (IsSpace(c)) {
        token_start = true;
        ++i;
        continue;
      }
      if (c == '#' && token_start) {
        while (i < n && !IsBreak(text[i])) ++i;
        break;
      }
      if ((c == '"' || c == '\'') && (token_start || flow > 0)) {
        // Quoted scalar, possibly over several lines.
        ++i;
        while (i < n) {
          if (c == '"' && text[i] == '\\') {
            i += 2;
            continue;
          }
          if (text[i] == c) {
            if (c == '\'' && i + 1 < n && text[i + 1] == '\'') {
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (text[i] == '\n') ++line;
          ++i;
        }
        token_start = false;
        last_significant = c;
        continue;
      }
      if ((c == '[' || c == '{') && (token_start || flow > 0)) {
        ++flow;
        if (exceeded(block.size() + flow)) return r;
        ++i;
        token_start = true;
        last_significant = c;
        continue;
      }
      if ((c == ']' || c == '}') && flow > 0) {
        --flow;
        ++i;
        token_start = false;
        last_significant = c;
        continue;
      }
      if (c == ',' && flow > 0) {
        ++i;
        token_start = true;
        last_significant = c;
        continue;
      }
      // `- ` and `? ` open a nested block node on the same line (`- - - x`).
      if ((c == '-' || c == '?') && flow == 0 && token_start &&
          (i + 1 >= n || IsSpace(text[i + 1]) || IsBreak(text[i + 1]))) {
        size_t j = i + 1;
        while (j < n && IsSpace(text[j])) ++j;
        if (j < n && !IsBreak(text[j]) && text[j] != '#') {
          if (push_block(j - line_start)) return r;
        }
        i = j;
        token_start = true;
        last_significant = c;
        continue;
      }
      token_start = false;
      last_significant = c;
      ++i;
    }
    // A line ending in a block scalar header (`key: |`, `- >-`, `|2`).
    if (flow == 0 && last_significant != 0) {
      size_t e = i;
      while (e > line_start && IsSpace(text[e - 1])) --e;
      size_t h = e;
      while (h > line_start && (text[h - 1] == '+' || text[h - 1] == '-' ||
                                (text[h - 1] >= '0' && text[h - 1] <= '9'))) {
        --h;
      }
      if (h > line_start && (text[h - 1] == '|' || text[h - 1] == '>') &&
          (h - 1 == line_start || IsSpace(text[h - 2]))) {
        in_block_scalar = true;
        block_scalar_parent = col;
      }
    }
    if (i < n && text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
    if (i < n) {
      ++i;
      ++line;
    }
  }
  return r;
}

}  // namespace bw::config
