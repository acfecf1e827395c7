#pragma once
// One CSV cell (RFC 4180 quoting) that a spreadsheet opens as text: a value starting with =, +,
// -, @, tab or carriage return (which a spreadsheet would run as a formula) gets a leading
// single quote, so opening a report cannot execute attacker-chosen names.

#include <string>

namespace bw::report {

std::string CsvCell(const std::string& value);

}  // namespace bw::report
