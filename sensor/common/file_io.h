#pragma once
// Whole-buffer file I/O for the output side's own files (the alert spool, the ClickHouse queue,
// the state file): a short write or read is continued, EINTR is retried, and any other failure
// is reported as false with errno set by the failing call.

#include <string>
#include <string_view>

namespace bw::common {

// Writes all of `data` to `fd`. False on an error, or when write(2) makes no progress.
[[nodiscard]] bool WriteAll(int fd, std::string_view data);
// Replaces `out` with the whole content of the file at `path`. False when it cannot be opened
// or read.
[[nodiscard]] bool ReadFile(const std::string& path, std::string& out);

}  // namespace bw::common
