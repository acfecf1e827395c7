#pragma once
// Where application sessions find the TLS secrets a key log holds (sensor/tls keeps them, filled
// by a loader thread). Sessions look a connection up when its ClientHello is read and again only
// when generation() moved, so lookups cost per connection, not per packet.

#include <cstdint>

#include "dissectors/tls/key_log.h"

namespace bw::app {

class TlsKeySource {
 public:
  virtual ~TlsKeySource() = default;
  // Changes whenever keys were added; any thread.
  virtual uint64_t generation() const = 0;
  // Copies the secrets logged for `client_random` into `out`; false when there are none.
  virtual bool Lookup(const tls::ClientRandom& client_random, tls::ConnectionKeys& out) const = 0;
  // The connection ended: its secrets are no longer needed.
  virtual void Forget(const tls::ClientRandom& client_random) = 0;
};

}  // namespace bw::app
