#pragma once
// The heap a reusable buffer holds, and emptying one while keeping its storage for the next use
// (up to a bound, so one huge message does not pin its memory). Shared by the messages and
// records that are refilled instead of rebuilt.

#include <cstddef>
#include <string>
#include <utility>

namespace bw {

// Heap bytes a string holds beyond the object: none while libstdc++ keeps it inline (up to 15
// characters), else its capacity and the terminating NUL.
inline size_t StringHeapBytes(const std::string& s) {
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

// Empties `buffer` (a string or vector), keeping its storage unless its capacity exceeds
// `max_capacity`, in which case the storage is released.
template <typename Buffer>
void ClearKeepingUpTo(Buffer& buffer, size_t max_capacity) {
  if (buffer.capacity() > max_capacity) {
    Buffer().swap(buffer);
  } else {
    buffer.clear();
  }
}

// Returns `value` to a default-constructed state and frees every buffer it held. Assigning a
// fresh object is not enough: moving a string that fits its inline buffer into one that has a
// heap buffer copies the characters and keeps the heap buffer.
template <typename T>
void ReleaseHeap(T& value) {
  T gone = std::move(value);  // takes the buffers, and frees them on return
  value = T{};
}

}  // namespace bw
