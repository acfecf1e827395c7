#pragma once
// `bucketwatch ledger-import`: loads existing ledger files into the central ClickHouse ledger,
// the same rows the ledger sink sends for the same requests (one formatter, ledger_row.h).
//
//   bucketwatch ledger-import --ledger FILE [--ledger FILE...] --to clickhouse://HOST:PORT/DB
//                             [--table ledger] [--batch-rows N] [--password-file FILE]
//
// Ledgers may be plain or gzip-compressed and are read in rotation order, as the report reads
// them. Rows go in batches of --batch-rows (and at most 16 MiB); each row carries the hash of
// its line, so importing a ledger again, or after a failure part way, adds no row that counts
// under FINAL (ReplacingMergeTree). The password comes from --password-file or the environment
// variable BUCKETWATCH_CLICKHOUSE_PASSWORD, never from the command line. Lines that are not
// ledger records are counted, and the first one's reason printed, as the report does. Exit
// codes as the sensor's: 0 success, 1 runtime failure (unreadable ledger, an insert that failed
// after its retries), 2 usage.

namespace bw::clickhouse {

// argv[0] is "ledger-import". Prints one summary line to stderr.
int RunLedgerImportCommand(int argc, char** argv);

}  // namespace bw::clickhouse
