// libFuzzer target for the NSS key log reader (issue 19): the input is a key log file. Beyond
// memory safety it checks the contracts a followed key log relies on:
//  - the lines delivered do not depend on how the file arrives (whole vs. two pieces vs. 7-byte
//    chunks), and none is longer than kMaxKeyLogLine;
//  - a parsed entry has a secret of a size its label allows, a refused line names a reason;
//  - the store never holds more connections than its cap, and every connection it lets go is
//    counted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "dissectors/tls/key_log.h"

namespace {

std::vector<std::string> Lines(bw::ByteView input, size_t chunk) {
  bw::tls::KeyLogLineSplitter splitter;
  std::vector<std::string> lines;
  auto on_line = [&](std::string_view l) {
    if (l.size() > bw::tls::kMaxKeyLogLine) std::abort();
    lines.emplace_back(l);
  };
  for (size_t pos = 0; pos < input.size(); pos += chunk) {
    splitter.Feed(input.subspan(pos, std::min(chunk, input.size() - pos)), on_line);
  }
  splitter.Finish(on_line);
  if (splitter.pending() != 0) std::abort();
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bw::ByteView input(data, size);
  std::vector<std::string> whole = Lines(input, size == 0 ? 1 : size);
  if (Lines(input, 7) != whole) std::abort();
  if (size > 1 && Lines(input, size / 2 + 1) != whole) std::abort();

  bw::tls::KeyLogStore store(bw::tls::KeyLogStoreLimits{4});
  uint64_t entries = 0;
  for (const std::string& line : whole) {
    bw::tls::KeyLogEntry e;
    bw::tls::KeyLogLineResult r = bw::tls::ParseKeyLogLine(line, e);
    switch (r.status) {
      case bw::tls::KeyLogLineStatus::kEntry: {
        bool tls12 = e.label == bw::tls::KeyLogLabel::kClientRandom;
        size_t n = e.secret.size();
        if (r.error != bw::tls::KeyLogError::kNone || (tls12 ? n != 48 : n != 32 && n != 48)) {
          std::abort();
        }
        store.Insert(e);
        ++entries;
        if (store.Find(e.client_random) == nullptr || store.size() > 4) std::abort();
        break;
      }
      case bw::tls::KeyLogLineStatus::kMalformed:
        if (r.error == bw::tls::KeyLogError::kNone) std::abort();
        break;
      case bw::tls::KeyLogLineStatus::kIgnored:
        break;
    }
  }
  const bw::tls::KeyLogStoreCounts& c = store.counts();
  if (c.entries_added + c.entries_duplicate + c.entries_replaced != entries ||
      c.connections_added - c.connections_evicted != store.size()) {
    std::abort();
  }
  return 0;
}
