"""The example CI script runs as a user's CI job would, and branches on lnctl's exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import lnctl_env
from tests.helpers import foreign_invoice

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "ci-pay.sh"


def _run(home: Path, tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    shim = tmp_path / "bin"
    shim.mkdir(exist_ok=True)
    lnctl = shim / "lnctl"
    lnctl.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m lnctl "$@"\n')
    lnctl.chmod(0o755)
    full = {**lnctl_env(home), "PATH": f"{shim}:{os.environ['PATH']}", **env}
    return subprocess.run(
        ["bash", str(SCRIPT), *args], env=full, capture_output=True, text=True, timeout=120
    )


def test_ci_script_pays_then_treats_a_rerun_as_done(home: Path, tmp_path: Path) -> None:
    first = _run(home, tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("paid: preimage ")
    invoice = subprocess.run(
        [sys.executable, "-m", "lnctl", "payments", "--json"],
        env=lnctl_env(home),
        capture_output=True,
        text=True,
    )
    import json

    paid = json.loads(invoice.stdout)["payments"][0]
    again = _run(home, tmp_path, paid["invoice"])
    assert again.returncode == 0, again.stderr  # already paid: done (--if-paid ok)
    assert paid["preimage"] in again.stdout
    # a payment still in flight is not success: the dry run says so (exit 5)
    pending_invoice = json.loads(
        subprocess.run(
            [sys.executable, "-m", "lnctl", "simulate", "invoice", "--amount", "7", "--json"],
            env=lnctl_env(home), capture_output=True, text=True,
        ).stdout
    )["invoice"]  # fmt: skip
    slow = {**lnctl_env(home), "LNCTL_SIM_LATENCY_MS": "3000"}
    r = subprocess.run(
        [sys.executable, "-m", "lnctl", "pay", pending_invoice, "--timeout", "0.1", "--json"],
        env=slow, capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 6, r.stdout
    in_flight = _run(home, tmp_path, pending_invoice)
    assert in_flight.returncode == 5 and "ALREADY_IN_FLIGHT" in in_flight.stderr


def test_ci_script_branches_on_failures(home: Path, tmp_path: Path) -> None:
    no_route = _run(home, tmp_path, foreign_invoice())
    assert no_route.returncode == 3 and "would not go through" in no_route.stderr
    bad = _run(home, tmp_path, "lnbcrt1garbage")
    assert bad.returncode == 2 and "(exit 2, INVALID_INVOICE)" in bad.stderr, bad.stderr
    flaky = _run(home, tmp_path, LNCTL_SIM_FAILURE_RATE="1")
    assert flaky.returncode == 4 and "after retries" in flaky.stderr
