#pragma once
// Where the ClickHouse password comes from: a file or the environment, never the command line,
// where process listings show it. One reading for the sensor's sink and every command, so that
// the same file gives the same password everywhere.

#include <string>

namespace bw::clickhouse {

// The password is the file's first line, without its line ending ("\n" or "\r\n"). False with
// `error` when the file cannot be opened or holds no line at all (an empty file is taken for a
// secret that was never written, not for an empty password).
bool ReadPasswordFile(const std::string& path, std::string& password, std::string& error);

// For the command-line tools: `file` when given (error prefixed with "--password-file: "),
// else $BUCKETWATCH_CLICKHOUSE_PASSWORD, else no password.
bool CommandPassword(const std::string& file, std::string& password, std::string& error);

}  // namespace bw::clickhouse
