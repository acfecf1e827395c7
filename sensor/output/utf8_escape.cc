#include "sensor/output/utf8_escape.h"

#include <cstdint>

namespace bw::output {

namespace {

// UTF-8 validation as a byte-class state machine (the classic DFA formulation): state 0 accepts,
// state 1 rejects, others wait for continuation bytes. The classes separate the lead bytes whose
// second byte is restricted (E0, ED, F0, F4) so overlong forms, surrogates and code points above
// U+10FFFF are rejected at the same byte as nlohmann's decoder rejects them.
enum : uint8_t { kAccept = 0, kReject = 1 };

uint8_t ByteClass(uint8_t b) {
  if (b < 0x80) return 0;
  if (b < 0x90) return 1;  // continuation 80..8F
  if (b < 0xA0) return 9;  // continuation 90..9F
  if (b < 0xC0) return 7;  // continuation A0..BF
  if (b < 0xC2) return 8;  // C0, C1: overlong two-byte leads
  if (b < 0xE0) return 2;  // two-byte lead
  if (b == 0xE0) return 10;
  if (b == 0xED) return 4;
  if (b < 0xF0) return 3;  // other three-byte leads
  if (b == 0xF0) return 11;
  if (b < 0xF4) return 6;  // F1..F3
  if (b == 0xF4) return 5;
  return 8;  // F5..FF never appear
}

// States: 0 accept, 1 reject, 2 need 1 more, 3 need 2 more, 4 E0 (A0..BF next), 5 ED (80..9F
// next), 6 F0 (90..BF next), 7 F1..F3 (need 3), 8 F4 (80..8F next).
uint8_t Step(uint8_t state, uint8_t cls) {
  switch (state) {
    case kAccept:
      switch (cls) {
        case 0:
          return kAccept;
        case 2:
          return 2;
        case 3:
          return 3;
        case 10:
          return 4;
        case 4:
          return 5;
        case 11:
          return 6;
        case 6:
          return 7;
        case 5:
          return 8;
        default:
          return kReject;
      }
    case 2:  // one continuation byte left
      return (cls == 1 || cls == 9 || cls == 7) ? kAccept : kReject;
    case 3:
      return (cls == 1 || cls == 9 || cls == 7) ? 2 : kReject;
    case 4:
      return cls == 7 ? 2 : kReject;
    case 5:
      return (cls == 1 || cls == 9) ? 2 : kReject;
    case 6:
      return (cls == 9 || cls == 7) ? 3 : kReject;
    case 7:
      return (cls == 1 || cls == 9 || cls == 7) ? 3 : kReject;
    case 8:
      return cls == 1 ? 3 : kReject;
    default:
      return kReject;
  }
}

}  // namespace

// Runs of plain bytes, most of any field, are appended whole; only the bytes that end them go
// through the escaper or the UTF-8 state machine.
void AppendUtf8Escaped(std::string& out, std::string_view text, const AsciiPlainTable& plain,
                       AsciiEscaper escape) {
  const size_t n = text.size();
  uint8_t state = kAccept;
  size_t seq_start = 0;  // where the pending multi-byte sequence began
  for (size_t i = 0; i < n; ++i) {
    if (state == kAccept) {
      size_t run = i;
      while (run < n && plain[static_cast<uint8_t>(text[run])]) ++run;
      if (run > i) {
        out.append(text.data() + i, run - i);
        i = run;
        if (i == n) break;
      }
    }
    auto b = static_cast<uint8_t>(text[i]);
    if (state == kAccept && b < 0x80) {
      escape(out, text[i]);
      continue;
    }
    uint8_t next = Step(state, ByteClass(b));
    if (next == kReject) {
      // Drop the broken sequence, write one replacement character, and read this byte again
      // on its own unless it was the sequence's first byte (it may start a valid one).
      out += "\xEF\xBF\xBD";
      if (state != kAccept) --i;
      state = kAccept;
      continue;
    }
    if (state == kAccept) seq_start = i;
    state = next;
    if (state == kAccept) out.append(text.substr(seq_start, i + 1 - seq_start));
  }
  if (state != kAccept) out += "\xEF\xBF\xBD";  // cut inside a sequence
}

}  // namespace bw::output
