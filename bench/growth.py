"""Cost growth: `invoice`, `pay` and `payments --limit 50` with 0, 10,000 and 100,000 payments
already stored (issue 11's target: within 1.2x of an empty wallet).

    python bench/growth.py [--runs 10] [--sizes 0 10000 100000]

The stored payments are real: paid to the simulated peer with ``pay --file`` (so the history and
the node's record both hold them; 100,000 take about a minute); the commands run as a script
runs them, median of RUNS.
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
from collections.abc import Callable

from common import batch_file  # bench/common.py


def fill(lnctl: list[str], env: dict[str, str], count: int) -> None:
    """``count`` real payments of 1 sat to the simulated peer, paid in batches of 10,000: the
    wallet's history and the node's record both grow as they would in use."""
    while count > 0:
        n = min(count, 10_000)
        path = batch_file(lnctl, env, n, 1, "fill.txt")
        paid = subprocess.run(
            lnctl + ["pay", "--file", path, "--concurrency", "16", "--json"],
            env=env, capture_output=True,
        )  # fmt: skip
        if paid.returncode != 0:
            sys.exit(f"filling the wallet failed: {paid.stderr.decode()[-500:]}")
        count -= n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 10_000, 100_000])
    args = parser.parse_args()
    lnctl = [sys.executable, "-m", "lnctl"]
    sizes = args.sizes
    rows: dict[str, list[float]] = {}
    for size in sizes:
        home = tempfile.mkdtemp(prefix="lnctl-bench-growth-")
        env = {**os.environ, "LNCTL_HOME": home}
        subprocess.run(lnctl + ["info"], env=env, check=True, capture_output=True)
        fill(lnctl, env, size)
        peer = subprocess.run(
            lnctl + ["simulate", "invoice", "--amount", "1", "--count", str(args.runs), "--json"],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        to_pay = iter(d["invoice"] for d in json.loads(peer.stdout))
        cases: dict[str, Callable[[], list[str]]] = {
            "invoice --json": lambda: lnctl + ["invoice", "--amount", "1", "--json"],
            "pay --json": lambda it=to_pay: lnctl + ["pay", next(it), "--json"],  # type: ignore[misc]
            "payments --limit 50 --json": lambda: lnctl + ["payments", "--limit", "50", "--json"],
        }
        for name, make in cases.items():
            times = []
            for _ in range(args.runs):
                cmd = make()
                began = time.perf_counter()
                subprocess.run(cmd, env=env, capture_output=True)
                times.append(time.perf_counter() - began)
            rows.setdefault(name, []).append(statistics.median(times))
        shutil.rmtree(home, ignore_errors=True)
    header = "".join(f"{n:>14,}" for n in sizes)
    print(f"{'command (median ms)':28}{header}   vs {sizes[0]:,} at {sizes[-1]:,}")
    for name, meds in rows.items():
        cells = "".join(f"{m * 1000:14.1f}" for m in meds)
        print(f"{name:28}{cells}   {meds[-1] / meds[0]:.2f}x")


if __name__ == "__main__":
    main()
