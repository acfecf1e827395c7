#pragma once
// `bucketwatch correlate`: the fleet-wide rules (bucket_enumeration, bulk_exfiltration) over the
// central ledger in ClickHouse (correlator.h), on a schedule or once.
//
//   bucketwatch correlate --source clickhouse://HOST[:PORT][/DB] [--config FILE] [--set k=v]...
//                         [--once] [--since T] [--until T] [--interval 60s] [--settle 120s]
//                         [--state FILE] [--alerts PATH] [--password-file FILE]
//
// Scheduled (the default): every --interval, reads the rows from the cursor up to now - settle,
// then waits; SIGTERM or SIGINT ends it after the page being read (exit 0). --once reads
// [since, until) and exits (until defaults to now - settle). The password comes from
// --password-file or $BUCKETWATCH_CLICKHOUSE_PASSWORD. Exit codes as the sensor's: 0 success, 1
// runtime failure (ClickHouse unreachable or failing in --once, alerts not spooled, state not
// saved), 2 usage or config error; --once stopped by SIGINT/SIGTERM exits 130/143. SIGHUP is
// ignored (restart to apply a new config).

namespace bw::correlate {

// argv[0] is "correlate".
int RunCorrelateCommand(int argc, char** argv);

}  // namespace bw::correlate
