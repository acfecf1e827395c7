"""Runs one scenario: see tests/e2e/run_scenario.sh for the command line and README.md."""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import E2E_DIR, REPO_ROOT, Harness, ScenarioError, progress  # noqa: E402
from reconcile import order_by_wire  # noqa: E402

SCENARIO_DIR = E2E_DIR / "scenarios"
SAVED_DIR = REPO_ROOT / "tests" / "pcap" / "e2e"


def scenario_names() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.py") if not p.stem.startswith("_"))


def load_scenario(name: str):
    path = SCENARIO_DIR / f"{name}.py"
    if not path.exists():
        raise SystemExit(f"unknown scenario {name!r}; known: {', '.join(scenario_names())}")
    spec = importlib.util.spec_from_file_location(f"scenario_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _on_signal(signum, _frame):
    # Turn TERM/INT/HUP into an exception so the finally blocks stop every process we started.
    raise SystemExit(128 + signum)


def main() -> int:
    ap = argparse.ArgumentParser(prog="run_scenario.sh")
    ap.add_argument("name", nargs="?")
    ap.add_argument("--capture-with", choices=["tcpdump", "bucketwatch"], default="tcpdump")
    ap.add_argument("--bucketwatch", help="path to the bucketwatch binary (implies --capture-with bucketwatch "
                                         "unless --capture-with is given)")
    ap.add_argument("--out", type=Path, help="output directory (default: build/e2e/NAME)")
    ap.add_argument("--save", action="store_true",
                    help="copy capture and manifest to tests/pcap/e2e/NAME.{pcap,expected.jsonl}")
    ap.add_argument("--list", action="store_true", help="list scenarios and exit")
    args = ap.parse_args()
    if args.list:
        print("\n".join(scenario_names()))
        return 0
    if not args.name:
        ap.error("scenario name required")
    capture_with = args.capture_with
    if args.bucketwatch and "--capture-with" not in sys.argv:
        capture_with = "bucketwatch"
    if capture_with == "bucketwatch":
        if not args.bucketwatch:
            ap.error("--capture-with bucketwatch needs --bucketwatch PATH")
        if not Path(args.bucketwatch).is_file():
            ap.error(f"{args.bucketwatch} does not exist")
        args.bucketwatch = str(Path(args.bucketwatch).resolve())

    module = load_scenario(args.name)
    out = (args.out or (REPO_ROOT / "build" / "e2e" / args.name)).resolve()
    if out.exists():
        shutil.rmtree(out)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _on_signal)

    h = Harness(args.name, out, capture_with, args.bucketwatch)
    started = time.monotonic()
    failure = None
    try:
        progress(f"{args.name}: starting ({capture_with}) -> {out}")
        module.run(h)
        h.stop_capture()
        if hasattr(module, "finish"):
            module.finish(h)
        order_by_wire(h)
    except ScenarioError as e:
        failure = str(e)
    except SystemExit:
        progress(f"{args.name}: interrupted; stopping servers and capture")
        raise
    finally:
        h.stop_capture()
        h.stop_all()
        h.write_manifest()
    if failure:
        progress(f"{args.name}: FAILED: {failure}")
        return 1
    elapsed = time.monotonic() - started

    # The capture must hold exactly what the manifest says (harness self-check). TLS ports are
    # decrypted by tshark with the scenario's key logs: an oracle independent of bucketwatch.
    tls_args = []
    if h.tls_ports:
        keylog = h.merged_keylog()
        tls_args = ["--tls-ports", ",".join(str(p) for p in sorted(set(h.tls_ports))), "--keylog", str(keylog)]
    check = subprocess.run([sys.executable, str(E2E_DIR / "check_capture.py"), str(out / "expected.jsonl"),
                            str(h.pcap), *tls_args], timeout=120)
    rc = check.returncode
    if h.capture_drops:
        rc = 1  # a saved capture must hold every packet; rerun (the machine was too busy)
    if capture_with == "bucketwatch":
        ledger = subprocess.run([sys.executable, str(E2E_DIR / "check_ledger.py"), "--ordered",
                                 str(out / "expected.jsonl"), str(out / "ledger.jsonl")], timeout=120)
        rc = rc or ledger.returncode
    for note in h.notes:
        progress(f"{args.name}: note: {note}")
    for fail in h.failures:
        progress(f"{args.name}: FAILED: {fail}")
        rc = 1
    size = h.pcap.stat().st_size if h.pcap.exists() else 0
    progress(f"{args.name}: {len(h.manifest)} requests, capture {size} bytes, {elapsed:.1f}s, "
             f"{'ok' if rc == 0 else 'CHECK FAILED'}")
    if rc == 0 and args.save:
        SAVED_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(h.pcap, SAVED_DIR / f"{args.name}.pcap")
        shutil.copyfile(out / "expected.jsonl", SAVED_DIR / f"{args.name}.expected.jsonl")
        progress(f"{args.name}: saved to {SAVED_DIR}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
