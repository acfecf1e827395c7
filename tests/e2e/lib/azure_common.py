"""Shared by the azure_* scenarios: Azurite seeded through the SDK before the capture, and the
SDK client's report (one JSON line per request) checked against what a scenario intended."""

from __future__ import annotations

import json
from typing import Any

from harness import E2E_DIR, Harness, azure_list_count
from servers import AZURITE_ACCOUNT, Endpoint, start_azurite

CLIENT = E2E_DIR / "clients" / "azure_blob.mjs"
AZ = {"provider": "azure_blob", "account": AZURITE_ACCOUNT}


def start_seeded_azurite(h: Harness) -> tuple[Endpoint, str]:
    """Azurite with containers public-container (access: container), public-blobs (access: blob)
    and private (no public access), and their blobs (see clients/azure_blob.mjs SEED)."""
    ep = start_azurite(h)
    base = f"{ep.base}/{AZURITE_ACCOUNT}"
    h.run(["node", str(CLIENT), "seed", base], name="azure_blob.mjs")
    return ep, base


def run_client(h: Harness, mode: str, base: str, *extra: str) -> list[dict[str, Any]]:
    cp = h.run(["node", str(CLIENT), mode, base, *extra], name="azure_blob.mjs")
    return [json.loads(x) for x in cp.stdout.decode().splitlines() if x.strip()]


def verify(h: Harness, got: dict[str, Any], label: str, **want: Any) -> None:
    """Checks one line of the client's report against the intention."""
    h.check(got.get("label") == label, f"client reported {got.get('label')!r}, intended {label!r}")
    for k, v in want.items():
        h.check(got.get(k) == v, f"{label}: {k}={got.get(k)!r}, intended {v!r} ({got})")


def error_header(res) -> str | None:
    return res.headers.get("x-ms-error-code")


def list_parser(body: bytes):
    return azure_list_count(body)
