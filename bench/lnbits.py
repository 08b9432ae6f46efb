"""Over LNbits: ``lnctl pay`` against the same HTTP request made directly with curl (issue 11's
target: lnctl adds at most its own start-up). Starts a throwaway LNbits (the one tests/run.sh
installs in .lnbits-venv) with two wallets on loopback.

    python bench/lnbits.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.lnbits_server import LnbitsServer, lnbits_python  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    python = lnbits_python()
    if python is None or shutil.which("curl") is None:
        print("skipped: needs LNbits (bash tests/run.sh installs it) and curl")
        return
    data = Path(tempfile.mkdtemp(prefix="lnctl-bench-lnbits-"))
    server = LnbitsServer(python, data)
    try:
        payee = server.wallet("payee")
        payer = server.wallet("payer", sats=1_000_000)
        home = tempfile.mkdtemp(prefix="lnctl-bench-home-")
        env = {
            **os.environ,
            "LNCTL_HOME": home,
            "LNCTL_BACKEND": "lnbits",
            "LNCTL_LNBITS_URL": server.url,
            "LNCTL_LNBITS_ADMIN_KEY": payer["adminkey"],
        }
        lnctl = [sys.executable, "-m", "lnctl"]
        subprocess.run(lnctl + ["info"], env=env, check=True, capture_output=True)
        times: dict[str, list[float]] = {
            "curl POST": [],
            "lnctl pay --json": [],
            "lnctl --version": [],
        }
        for _ in range(args.runs):
            body = json.dumps({"out": True, "bolt11": server.invoice(payee, 1)["bolt11"]})
            began = time.perf_counter()
            subprocess.run(
                ["curl", "-s", "-X", "POST", server.url + "/api/v1/payments",
                 "-H", f"X-Api-Key: {payer['adminkey']}", "-H", "Content-Type: application/json",
                 "-d", body],
                check=True, capture_output=True,
            )  # fmt: skip
            times["curl POST"].append(time.perf_counter() - began)
            invoice = server.invoice(payee, 1)["bolt11"]
            began = time.perf_counter()
            subprocess.run(
                lnctl + ["pay", invoice, "--json"], env=env, check=True, capture_output=True
            )
            times["lnctl pay --json"].append(time.perf_counter() - began)
            began = time.perf_counter()
            subprocess.run(lnctl + ["--version"], env=env, check=True, capture_output=True)
            times["lnctl --version"].append(time.perf_counter() - began)
        print(f"{'what':20} {'median ms':>10}   ({args.runs} runs, loopback, FakeWallet)")
        for name, xs in times.items():
            print(f"{name:20} {statistics.median(xs) * 1000:10.1f}")
        shutil.rmtree(home, ignore_errors=True)
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
