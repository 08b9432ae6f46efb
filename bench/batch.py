"""Batch payment throughput on the simulated node: ``lnctl pay --file`` at concurrency 1, 4, 16.

    python bench/batch.py [--count 10000] [--concurrency 1 4 16]

Each run uses a fresh wallet home and pays COUNT invoices of the simulated peer (10 sat each),
durably (every claim and result committed before it is reported). Prints payments per second
and the latency percentiles lnctl reports (issue 11's target: 1,000 per second at 16).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from common import batch_file  # bench/common.py


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args()
    lnctl = [sys.executable, "-m", "lnctl"]
    print(f"{'concurrency':>11} {'payments':>9} {'wall s':>8} {'per s':>8} {'p50 ms':>7} "
          f"{'p95 ms':>7} {'max ms':>7}")  # fmt: skip
    for concurrency in args.concurrency:
        home = tempfile.mkdtemp(prefix="lnctl-bench-batch-")
        env = {**os.environ, "LNCTL_HOME": home}
        # the first channel (990,000 sat spendable) holds 90,000 payments of 10 sat + fee
        path = batch_file(lnctl, env, args.count, 10, "batch.txt")
        began = time.perf_counter()
        out = subprocess.run(
            lnctl + ["pay", "--file", path, "--concurrency", str(concurrency), "--json"],
            env=env, capture_output=True,
        )  # fmt: skip
        wall = time.perf_counter() - began
        summary = json.loads(out.stdout)["summary"]
        lat = summary["latency_ms"]
        print(f"{concurrency:>11} {summary['paid']:>9} {wall:>8.2f} {summary['paid'] / wall:>8.0f} "
              f"{lat['p50']:>7} {lat['p95']:>7} {lat['max']:>7}")  # fmt: skip
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
