#pragma once
// Bounds on the strings the engine stores. The caps on state count entries; what an entry holds
// comes from the packet (a Host header or a path segment of up to 8 KiB), so every stored string
// is bounded too: a name spray of 4 KB names would otherwise cost ~13 KB of state per name.
// Guarantees: results never split a UTF-8 sequence, and BoundedName keeps distinct names
// distinct (up to a 64-bit hash collision).

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace bw::detect {

// No provider allows a bucket, container or account name past 222 bytes (GCS; S3 and Azure:
// 63), so a longer name is kept as its first bytes plus a hash of the whole.
inline constexpr size_t kMaxNameBytes = 256;
inline constexpr size_t kLongNamePrefixBytes = 200;
// User agents and TLS server names only describe an activity in its alert.
inline constexpr size_t kMaxUserAgentBytes = 512;
inline constexpr size_t kMaxServerNameBytes = 256;
// An alert names the objects; it need not spell out 1 KiB keys, and 20 per activity stay small.
inline constexpr size_t kMaxSampleBytes = 256;

// The longest prefix of `s` of at most `max` bytes that does not split a UTF-8 sequence.
std::string_view Utf8Prefix(std::string_view s, size_t max);

// `name` itself up to kMaxNameBytes; beyond, its first kLongNamePrefixBytes (at a character
// boundary) plus "...#" and 16 hex digits of the whole name's hash.
std::string BoundedName(std::string_view name);
// The same as a view: `name` itself, or the bounded form written into `scratch`. For looking up
// state by name without a copy; valid while both `name` and `scratch` are.
using BoundedNameBuffer = std::array<char, kLongNamePrefixBytes + 21>;
std::string_view BoundedName(std::string_view name, BoundedNameBuffer& scratch);

// `text` cut to at most `max` bytes at a character boundary.
std::string Bounded(std::string_view text, size_t max);

// Makes `out` what `out = std::string(text)` would, capacity included (the byte budget counts
// capacity, heap_estimate.h), without allocating when `out` already has that capacity: the
// same user agent or address seen again costs nothing.
void AssignAsNew(std::string& out, std::string_view text);

}  // namespace bw::detect
