#pragma once
// `bucketwatch report`: turns ledgers into the exposure report, or verifies
// their hash chain.
//
//   bucketwatch report --ledger PATH [--ledger PATH...] [--since T] [--until T]
//                      [--bucket PATTERN] [--format text|json|csv|html]
//                      [--output PATH]
//   bucketwatch report --verify --ledger PATH...
//
// Ledgers may be plain or gzip-compressed and are read in rotation order
// (rotated files by rotation time, then the active file). Exit codes as the
// sensor's: 0 success (verify: chain intact), 1 runtime failure (unreadable
// input, unwritable output, broken chain), 2 usage.

namespace bw::report {

// argv[0] is "report". Writes the report to --output (or stdout), diagnostics
// to stderr and a progress line to stderr when it is a terminal.
int RunReportCommand(int argc, char** argv);

}  // namespace bw::report
