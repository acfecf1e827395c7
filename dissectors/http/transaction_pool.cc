#include "dissectors/http/transaction_pool.h"

#include <utility>

#include "dissectors/common/buffer_capacity.h"

namespace bw::http {
TransactionPool::TransactionPool(size_t capacity) : kept_(capacity) {}

void TransactionPool::Put(HttpTransaction& tx) {
  tx.Reset();
  const size_t bytes = HeapBytes(tx);
  if (bytes == 0) return;
  if (size_ == kept_.size()) {
    ReleaseHeap(tx);
    return;
  }
  // Slots past size_ hold no heap memory, so tx comes back empty.
  std::swap(tx, kept_[size_++]);
  held_bytes_ += bytes;
}

bool TransactionPool::Take(HttpTransaction& tx) {
  if (size_ == 0 || HeapBytes(tx) != 0) return false;
  HttpTransaction& kept = kept_[--size_];
  held_bytes_ -= HeapBytes(kept);
  std::swap(tx, kept);
  return true;
}

}  // namespace bw::http
