#pragma once
// File formats store LINKTYPE_ values; libpcap and the decoder speak DLT_ values. They are the
// same number except where BSDs and Linux disagreed historically.

#include <cstdint>

namespace bw::capture {

inline int LinktypeToDlt(uint32_t linktype) {
  if (linktype == 101) return 12;  // LINKTYPE_RAW -> DLT_RAW (Linux numbering)
  return static_cast<int>(linktype);
}

}  // namespace bw::capture
