#!/usr/bin/env python3
"""Compares the flow logs (--flow-log --flow-digests) of an original capture and a variant.

lossless: every flow of the original is in the variant with the same client/server, the same
          number of bytes delivered in each direction, the same SHA-256, and no gap.
lossy:    every flow of the variant is one of the original's, and in each direction the bytes
          delivered plus the bytes declared lost (gaps) add up to the original stream exactly;
          at least --min-delivered of all original bytes are still delivered.
"""
import argparse
import json
import sys


def load(path):
    flows = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            key = (r["source"]["ip"], r["source"]["port"], r["destination"]["ip"],
                   r["destination"]["port"])
            if key in flows:
                # A reused 5-tuple: keep both, in order.
                key = key + (sum(1 for k in flows if k[:4] == key),)
            flows[key] = r["flow"]
    return flows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("original")
    ap.add_argument("variant")
    ap.add_argument("--mode", choices=["lossless", "lossy"], default="lossless")
    ap.add_argument("--min-delivered", type=float, default=0.0)
    args = ap.parse_args()
    orig = load(args.original)
    var = load(args.variant)
    errors = []
    if not orig:
        errors.append("original capture produced no flows")
    total = delivered = 0
    for key, o in orig.items():
        v = var.get(key)
        if args.mode == "lossless" and v is None:
            errors.append(f"flow {key} missing in variant")
            continue
        for d in ("to_server", "to_client"):
            ob = o[d]["delivered_bytes"]
            total += ob
            if v is None:
                continue
            vd = v[d]
            delivered += vd["delivered_bytes"]
            if args.mode == "lossless":
                if vd["delivered_bytes"] != ob or vd.get("sha256") != o[d].get("sha256"):
                    errors.append(f"flow {key} {d}: {vd['delivered_bytes']} bytes "
                                  f"sha {vd.get('sha256', '')[:12]} != original {ob} bytes "
                                  f"sha {o[d].get('sha256', '')[:12]}")
                if vd["gaps"] or o[d]["gaps"]:
                    errors.append(f"flow {key} {d}: gaps (variant {vd['gaps']}, original {o[d]['gaps']})")
            else:
                # Every byte of the original is either delivered or declared lost, never both,
                # never invented: a lost segment is followed by later data or the FIN.
                if vd["delivered_bytes"] + vd["gap_bytes"] != ob:
                    errors.append(f"flow {key} {d}: delivered {vd['delivered_bytes']} + lost "
                                  f"{vd['gap_bytes']} != original {ob}")
    for key in var:
        if key not in orig:
            errors.append(f"flow {key} only in variant")
    if args.mode == "lossy" and total and delivered / total < args.min_delivered:
        errors.append(f"delivered {delivered}/{total} bytes < {args.min_delivered:.2%}")
    if errors:
        print("\n".join(errors[:50]))
        print(f"FAIL: {len(errors)} differences over {len(orig)} flows")
        return 1
    print(f"ok: {len(orig)} flows, {delivered}/{total} bytes delivered ({args.mode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
