#pragma once
// The command-line options that override configuration keys (--bpf, --workers, --ledger, ...).
// Kept apart from the file so that a SIGHUP, which reads the file again, applies them again:
// the running sensor started with them, and a reload must compare like with like.

#include <cstdint>
#include <string>
#include <vector>

#include "sensor/config/config.h"

namespace bw::config {

struct CliOverrides {
  std::string bpf;                      // capture.bpf
  uint32_t workers = 0;                 // workers (0: not given)
  uint32_t snaplen = 0;                 // capture.snaplen (0: not given)
  std::string ledger;                   // output.ledger
  std::string alerts;                   // output.alerts
  std::string metrics_listen;           // metrics.listen
  std::string state_dir;                // state.dir
  std::string log_level;                // log.level
  std::vector<std::string> tls_keylog;  // tls.keylog (--tls-keylog, repeatable; empty: not given)

  void ApplyTo(Config& config) const;
};

}  // namespace bw::config
