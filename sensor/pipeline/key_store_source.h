#pragma once
// The sensor's shared key store (sensor/tls) as the key source application sessions look
// connections up in (sensor/app/tls_key_source.h).

#include "sensor/app/tls_key_source.h"
#include "sensor/tls/shared_key_store.h"

namespace bw::pipeline {

class KeyStoreSource final : public app::TlsKeySource {
 public:
  explicit KeyStoreSource(tls::SharedKeyStore& store) : store_(store) {}
  uint64_t generation() const override { return store_.generation(); }
  bool Lookup(const tls::ClientRandom& client_random, tls::ConnectionKeys& out) const override {
    return store_.CopyKeys(client_random, out);
  }
  void Forget(const tls::ClientRandom& client_random) override { store_.Erase(client_random); }

 private:
  tls::SharedKeyStore& store_;
};

}  // namespace bw::pipeline
