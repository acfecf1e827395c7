#!/usr/bin/env python3
"""faults.hostile_config: the command line and config loader against hostile input (issue 18).
Each case runs bucketwatch with a hostile --config/--set/--user/--bpf and checks the exit code
(2: usage or config error), that the message names the file or key path and the reason, and
that time and peak memory stay bounded (no hang on a FIFO, no read of /dev/zero, no expansion
of an alias bomb). Nothing here needs root or the network.

usage: hostile_config_test.py BUCKETWATCH WORKDIR
"""
import os
import shutil
import subprocess
import sys
import time

BW = os.path.abspath(sys.argv[1])
WORK = sys.argv[2]
TIMEOUT = 20
failures = []


def run_measured(args):
    """As run(), with the child's peak RSS from wait4 (subprocess would reap it first)."""
    start = time.monotonic()
    out_path = os.path.join(WORK, "out.txt")
    err_path = os.path.join(WORK, "err.txt")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        pid = os.fork()
        if pid == 0:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            try:
                os.chdir(WORK)
                os.execv(BW, [BW] + args)
            finally:
                os._exit(127)
    rc = None
    deadline = start + TIMEOUT
    while time.monotonic() < deadline:
        wpid, status, usage = os.wait4(pid, os.WNOHANG)
        if wpid == pid:
            rc = os.waitstatus_to_exitcode(status)
            break
        time.sleep(0.02)
    else:
        os.kill(pid, 9)
        _, _, usage = os.wait4(pid, 0)
    seconds = time.monotonic() - start
    return (rc, open(out_path).read(), open(err_path, errors="replace").read(), seconds,
            usage.ru_maxrss / 1024)


# Bounds hold under ASan too (CI runs this there); each is far below what the defect cost.
def case(name, args, rc=2, contains=(), max_seconds=5, max_rss_mib=200, stdout_has=None):
    got_rc, out, err, seconds, rss = run_measured(args)
    problems = []
    if got_rc != rc:
        problems.append("exit %s, expected %d" % (got_rc, rc))
    for text in contains:
        if text not in err:
            problems.append("stderr lacks %r" % text)
    if stdout_has is not None and stdout_has not in out:
        problems.append("stdout lacks %r" % stdout_has)
    if seconds > max_seconds:
        problems.append("took %.1f s (bound %d s)" % (seconds, max_seconds))
    if rss > max_rss_mib:
        problems.append("peak RSS %.0f MiB (bound %d MiB)" % (rss, max_rss_mib))
    if len(err) > 4096:
        problems.append("stderr is %d bytes long" % len(err))
    status = "FAIL" if problems else "ok"
    print("%s: %s: exit %s, %.2f s, %.0f MiB: %s" % (status, name, got_rc, seconds, rss,
                                                     (err.strip() or out.strip())[:200]
                                                     .replace("\n", " | ")))
    for p in problems:
        print("    " + p)
    if problems:
        failures.append(name)


def write(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)

    # Item 3: special files are refused, never read or waited on.
    case("config /dev/zero", ["--check-config", "--config", "/dev/zero"],
         contains=["/dev/zero: is a character device, not a regular file"])
    fifo = os.path.join(WORK, "fifo.yaml")
    os.mkfifo(fifo)
    case("config FIFO without a writer", ["--check-config", "--config", fifo],
         contains=[fifo + ": is a named pipe (FIFO), not a regular file"])
    case("config directory", ["--check-config", "--config", WORK],
         contains=[WORK + ": is a directory, not a config file"])
    big = os.path.join(WORK, "big.yaml")
    with open(big, "wb") as f:
        f.truncate(100 << 20)  # sparse: costs no disk
    case("config of 100 MB", ["--check-config", "--config", big], max_rss_mib=150,
         contains=[big + ": larger than 16 MiB (104857600 bytes)"])
    case("config missing", ["--check-config", "--config", os.path.join(WORK, "none.yaml")],
         contains=["none.yaml: cannot open file: No such file or directory"])

    # Item 2: the alias bomb of issue 18 (2 MB: a 1 MiB string and 200,000 aliases of it) is
    # refused while counting, naming the key; before, 20 s and 6 GB, then std::bad_alloc.
    with open(os.path.join(WORK, "bomb.yaml"), "w") as f:
        f.write("detection:\n  allowlist:\n    crawler_user_agents: [&ua " + "x" * (1 << 20))
        f.write(", *ua" * 200000 + "]\n")
    case("alias bomb", ["--check-config", "--config", "bomb.yaml"], max_seconds=10,
         max_rss_mib=300,
         contains=["config error: detection.allowlist.crawler_user_agents[",
                   "the document's values grow past 8 MiB through alias *ua"])
    # A 500k-entry CIDR list (11 MB): before, accepted after 3 s and 546 MB.
    with open(os.path.join(WORK, "cidrs.yaml"), "w") as f:
        f.write("detection:\n  allowlist:\n    trusted_cidrs:\n")
        f.writelines("      - 10.%d.%d.%d/32\n" % (i >> 16, (i >> 8) & 255, i & 255)
                     for i in range(500000))
    case("500k CIDRs", ["--check-config", "--config", "cidrs.yaml"], max_seconds=10,
         max_rss_mib=300,
         contains=["config error: detection.allowlist.trusted_cidrs["])
    # The same bomb in one --set value.
    case("alias bomb in --set", ["--check-config", "--set",
                                 "detection.allowlist.crawler_user_agents=[&a " + "y" * 65536 +
                                 ", *a" * 200 + "]"],
         max_rss_mib=300, contains=["config error: detection.allowlist.crawler_user_agents: "
                                    "value: [128]: the document's values grow past 8 MiB"])

    # Item 8: what yaml-cpp silently drops is an error naming the key (was: last key wins,
    # second document ignored, "bad conversion").
    case("duplicate key", ["--check-config", "--config",
                           write("dup.yaml", "flows:\n  max_flows: 10\n  max_flows: 20\n")],
         contains=["config error: flows.max_flows: duplicate key"])
    case("second document", ["--check-config", "--config",
                             write("docs.yaml", "workers: 2\n---\nworkers: 3\n")],
         contains=["docs.yaml: line 2: a second YAML document"])
    case("complex key", ["--check-config", "--config",
                         write("complex.yaml", "detection:\n  ? [a, b]\n  : 1\n")],
         contains=["config error: detection: a key must be a plain value"])

    # Item 8: --check-config refuses what start-up refuses: an invalid filter (it said
    # "config ok"), naming the key; a 14 MB one is not echoed whole.
    case("invalid capture.bpf", ["--check-config", "--set", "capture.bpf=tcp prot 80"],
         contains=["config error: capture.bpf: invalid BPF filter (", "'tcp prot 80'"])
    case("invalid --bpf", ["--check-config", "--bpf", "tcp prot 80"],
         contains=["config error: --bpf: invalid BPF filter ("])
    case("huge --bpf", ["--check-config", "--bpf", "tcp port " + "8" * 100000],
         contains=["config error: --bpf: at most 65536 bytes, got 100009"])
    case("14 MB capture.bpf", ["--check-config", "--config",
                               write("bpf.yaml", "capture:\n  bpf: '" + "x" * (14 << 20) + "'\n")],
         max_seconds=10, max_rss_mib=300, contains=["config error: capture.bpf: "])

    # A malformed sink URL was "config ok", then exit 1 at start; the URL (a token) not shown.
    sink = write("sink.yaml", "alerting:\n  sinks:\n    - name: hook\n"
                              "      url: 'http://user:s3cr3t@hooks.example/x'\n")
    case("malformed sink url", ["--check-config", "--config", sink],
         contains=["config error: alerting.sinks[0].url: malformed"])
    case("malformed sink url at start", ["--config", sink, "--read", "/dev/null"],
         contains=["config error: alerting.sinks[0].url: malformed"])
    case("sink url secret", ["--check-config", "--config", sink], contains=[])
    if "s3cr3t" in open(os.path.join(WORK, "err.txt")).read():
        failures.append("sink url secret echoed")

    # --user: an unknown or empty user is a usage error found before any file is created (was:
    # exit 1 after the ledger and alerts files existed; '' ran as root).
    capture = os.path.join(WORK, "empty.pcap")
    with open(capture, "wb") as f:  # a pcap header, no packets
        f.write(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
    outputs = ["--ledger", "user_ledger.jsonl", "--alerts", "user_alerts.jsonl"]
    case("--user nosuchuser", ["--user", "bw-no-such-user", "--read", capture] + outputs,
         contains=["--user: no such user: bw-no-such-user"])
    case("--user ''", ["--user", "", "--read", capture] + outputs,
         contains=["--user: empty user name"])
    for name in ("user_ledger.jsonl", "user_alerts.jsonl"):
        if os.path.exists(os.path.join(WORK, name)):
            print("FAIL: --user: %s was created before the user was checked" % name)
            failures.append("--user created " + name)

    # --set of an IPv6 listen address was read as a YAML flow list ("expected a single value").
    case("--set metrics.listen=[::1]:9580", ["--print-config", "--set", "metrics.listen=[::1]:9580"],
         rc=0, stdout_has='listen: "[::1]:9580"')

    if failures:
        print("FAILED: " + ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
