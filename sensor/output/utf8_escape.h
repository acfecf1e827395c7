#pragma once
// The escaping core the output formats share (JsonWriter for ledger lines, the ClickHouse row
// formatter for TabSeparated rows): text copied in runs, the ASCII bytes a format must escape
// passed to that format's escaper, and invalid UTF-8 replaced by U+FFFD exactly as
// nlohmann::json::dump(..., error_handler_t::replace) replaces it. Because the replacement is
// one function, a ledger line and the ClickHouse row of the same request carry the same string.

#include <array>
#include <string>
#include <string_view>

namespace bw::output {

// For each byte value: true when the format copies it as it is. Bytes 0x80..0xFF must be false
// (they go through the UTF-8 check).
using AsciiPlainTable = std::array<bool, 256>;
// Appends the escaped form of one ASCII byte that is not plain.
using AsciiEscaper = void (*)(std::string& out, char c);

void AppendUtf8Escaped(std::string& out, std::string_view text, const AsciiPlainTable& plain,
                       AsciiEscaper escape);

}  // namespace bw::output
