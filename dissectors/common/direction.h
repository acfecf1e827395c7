#pragma once
// Which way bytes travel on a connection, fixed by who opened it (the SYN), or by the port
// heuristic when the handshake was not seen.

#include <cstdint>

namespace bw {

enum class Direction : uint8_t { kToServer = 0, kToClient = 1 };

constexpr Direction Opposite(Direction d) {
  return d == Direction::kToServer ? Direction::kToClient : Direction::kToServer;
}
constexpr int Index(Direction d) { return static_cast<int>(d); }

}  // namespace bw
