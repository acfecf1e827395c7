#pragma once
// Emptied transactions, with their buffers, waiting for the next request on any connection.
//
// A keep-alive connection that kept its own message buffers between requests would hold them
// while it idles, and a sensor sees many more idle connections than busy ones: memory would grow
// with connections, not with requests in flight. Connections instead hand a transaction's
// buffers here when they go idle and take them back for their next request, so one worker's
// retained buffers are bounded by the pool's capacity, whatever the number of connections.
//
// Guarantees: at most `capacity` transactions are kept, each within the bounds of
// HttpTransaction::Reset; one that does not fit is freed. Put and Take swap buffers and never
// allocate. One pool per worker thread; not thread-safe.

#include <cstddef>
#include <vector>

#include "dissectors/http/http_transaction.h"

namespace bw::http {

class TransactionPool {
 public:
  explicit TransactionPool(size_t capacity);

  // Empties `tx` (HttpTransaction::Reset) and keeps its buffers when there is room; `tx` is left
  // empty either way, holding no heap memory.
  void Put(HttpTransaction& tx);
  // Gives `tx` a kept transaction's buffers; false when none is kept or `tx` holds buffers of its
  // own (it is then left as it is).
  bool Take(HttpTransaction& tx);

  size_t size() const { return size_; }
  // Heap bytes held by the kept transactions, for memory accounting.
  size_t held_bytes() const { return held_bytes_; }

 private:
  std::vector<HttpTransaction> kept_;
  size_t size_ = 0;
  size_t held_bytes_ = 0;
};

}  // namespace bw::http
