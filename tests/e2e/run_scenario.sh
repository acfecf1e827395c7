#!/usr/bin/env bash
# Runs one end-to-end scenario against real servers and real clients on loopback.
#
#   tests/e2e/run_scenario.sh NAME [--capture-with tcpdump|bucketwatch] [--bucketwatch PATH]
#                                  [--out DIR] [--save]
#   tests/e2e/run_scenario.sh --list
#
# Exit 0 when the scenario ran as intended and the checks passed (check_capture.py always;
# check_ledger.py too with bucketwatch). Needs root (tcpdump on lo) and scripts/install-e2e-deps.
# The Python runner traps TERM/INT/HUP and stops every server and capture it started; its
# children also carry PR_SET_PDEATHSIG, so none outlives it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/lib/runner.py" "$@"
