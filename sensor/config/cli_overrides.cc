#include "sensor/config/cli_overrides.h"

namespace bw::config {

void CliOverrides::ApplyTo(Config& config) const {
  if (!bpf.empty()) config.capture.bpf = bpf;
  if (workers) config.workers = workers;
  if (snaplen) config.capture.snaplen = snaplen;
  if (!ledger.empty()) config.output.ledger = ledger;
  if (!alerts.empty()) config.output.alerts = alerts;
  if (!metrics_listen.empty()) config.metrics.listen = metrics_listen;
  if (!state_dir.empty()) config.state.dir = state_dir;
  if (!log_level.empty()) config.log.level = log_level;
  if (!tls_keylog.empty()) config.tls.keylog = tls_keylog;
}

}  // namespace bw::config
