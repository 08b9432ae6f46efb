"""Over Lightspark (its real SDK against the local double of its API, tests/lightspark_double.py):
whole ``lnctl`` processes against bare Python, and against the SDK's import alone, which only
this backend pays. Medians of interleaved runs.

    python bench/lightspark.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    try:
        from tests.lightspark_double import LightsparkDouble
    except ImportError:
        print("skipped: needs the lightspark extra and graphql-core (pip install -e '.[test]')")
        return
    double = LightsparkDouble()
    home = tempfile.mkdtemp(prefix="lnctl-bench-lightspark-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LNCTL_")}
    env.update(double.env(), LNCTL_HOME=home)
    lnctl = [sys.executable, "-m", "lnctl"]
    subprocess.run(lnctl + ["info", "--json"], env=env, check=True, capture_output=True)
    payable = [double.make_invoice(False, 1000, "bench")["bolt11"] for _ in range(args.runs)]
    cases: dict[str, list[str] | None] = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import lightspark'": [sys.executable, "-c", "import lightspark"],
        "lnctl info --json": lnctl + ["info", "--json"],
        "lnctl invoice --json": lnctl + ["invoice", "--amount", "1", "--json"],
        "lnctl pay --json": None,  # a fresh invoice each run
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for run in range(args.runs):
        for name, argv in cases.items():
            argv = argv or lnctl + ["pay", payable[run], "--json"]
            began = time.perf_counter()
            subprocess.run(argv, env=env, check=True, capture_output=True)
            times[name].append((time.perf_counter() - began) * 1000)
    bare = statistics.median(times["python -c pass"])
    print(f"{'command':<32} {'median ms':>10} {'vs bare':>8}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<32} {median:>10.1f} {median / bare:>7.1f}x")
    sent = double.calls["PayInvoice"]
    print(f"(PayInvoice requests: {sent} for {args.runs} payments. The double's signing key takes")
    print(" 1,000 PBKDF2 rounds to unlock; Lightspark's 500,000 add about 0.3 s to each pay)")
    double.close()


if __name__ == "__main__":
    main()
