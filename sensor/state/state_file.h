#pragma once
// The state directory's file, `state.json` (learned_state.h is its content). Saving writes the
// whole document to a temporary file, fsyncs it, renames it over the old one and fsyncs the
// directory: a crash at any moment leaves the previous state or the new one, never a mix.
// Loading reads at most max_bytes + 1 bytes of a regular file; a file that is too big, not
// regular, unparsable or of another version is renamed to `state.json.rejected` (kept for the
// operator, replacing an older one) and the sensor starts without state, saying why.

#include <cstdint>
#include <string>

#include "sensor/state/learned_state.h"

namespace bw::state {

class StateFile {
 public:
  // `file_name` in `dir`: the sensor's is state.json; `correlate --state FILE` names its own.
  StateFile(std::string dir, uint64_t max_bytes, std::string file_name = "state.json");

  // Creates the directory (0700) when it is missing; an existing one must be a directory the
  // process can write.
  bool Prepare(std::string& error);

  enum class LoadStatus { kNone, kLoaded, kRejected };
  // kNone: no file (first start). kLoaded: `out` holds it (out.skipped entries were refused).
  // kRejected: `message` says why and where the file went.
  LoadStatus Load(ParseResult& out, std::string& message);

  bool Save(const std::string& document, std::string& error);

  const std::string& path() const { return path_; }
  uint64_t max_bytes() const { return max_bytes_; }

 private:
  std::string dir_;
  std::string path_;
  uint64_t max_bytes_;
};

}  // namespace bw::state
