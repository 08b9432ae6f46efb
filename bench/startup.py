"""Start-up time of lnctl against bare Python, interleaved so that machine noise hits all alike.

    python bench/startup.py [--runs 40]

Prints the median wall time of each command and its ratio to `python -c pass`. The commands run
with the same interpreter, on a throwaway wallet home, as a script would call them.
Every command is measured (issue 11: with --json within 2x of bare Python, decode 1.5x,
invoice 2x; human output within 3x).

Users install lnctl with `pip install .`; an editable install (what tests/run.sh makes) adds an
import hook to every start. When run from an editable install, this script first makes a
throwaway virtual environment with a regular install and measures that one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

SPEC_INVOICE = (
    "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqf"
    "qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0rl77nj30yxdy8j9vdx"
    "85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpfna3rh"
)


def _editable() -> bool:
    import json
    from importlib import metadata

    try:
        direct = metadata.distribution("lnctl").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return False
    return bool(direct and json.loads(direct).get("dir_info", {}).get("editable"))


def _regular_install() -> tuple[str, str, str]:
    """(python, lnctl, venv) of a throwaway venv with `pip install .` of this checkout."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    venv = tempfile.mkdtemp(prefix="lnctl-bench-venv-")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = os.path.join(venv, "bin", "python")
    print("editable install: measuring a regular install in", venv, file=sys.stderr)
    pip = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", root],
        capture_output=True,
        text=True,
    )
    if pip.returncode:
        sys.exit(f"pip install failed:\n{pip.stderr}")
    return python, os.path.join(venv, "bin", "lnctl"), venv


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    python, venv = sys.executable, None
    if _editable():
        python, lnctl, venv = _regular_install()
    else:
        found = shutil.which("lnctl", path=os.path.dirname(sys.executable))
        if found is None:
            sys.exit("install lnctl first (pip install .)")
        lnctl = found
    home = tempfile.mkdtemp(prefix="lnctl-bench-")
    env = {**os.environ, "LNCTL_HOME": home}
    subprocess.run([lnctl, "info"], env=env, check=True, capture_output=True)  # create the home
    import json

    def make(*args: str) -> Any:
        out = subprocess.run([lnctl, *args, "--json"], env=env, check=True, capture_output=True)
        return json.loads(out.stdout)

    count = str(2 * args.runs + 10)  # pay and pay --file each take one a run, warm-up included
    payment_hash = make("invoice", "--amount", "1")["payment_hash"]
    with_memo = make("invoice", "--amount", "1", "--memo", "bench")
    # inbound liquidity for `simulate pay`: pay the peer first
    make("pay", make("simulate", "invoice", "--amount", "100000")["invoice"])
    settled = make("invoice", "--amount", "1")
    make("simulate", "pay", settled["invoice"])
    peer_invoices = make("simulate", "invoice", "--amount", "1", "--count", count)
    to_pay = iter(d["invoice"] for d in peer_invoices)
    own = iter(make("invoice", "--amount", "1")["invoice"] for _ in range(args.runs + 5))
    dry = next(to_pay)
    peer_id = make("simulate", "invoice", "--amount", "1")["payee"]
    batch = os.path.join(home, "batch.txt")
    opened: list[str] = []

    def one_line_batch() -> list[str]:
        with open(batch, "w") as fh:
            fh.write(next(to_pay) + "\n")
        return [lnctl, "pay", "--file", batch, "--json"]

    def close_last() -> list[str]:
        return [lnctl, "channel", "close", opened.pop(), "--json"]

    cases: dict[str, list[str] | Callable[[], list[str]]] = {
        "python -c pass": [python, "-c", "pass"],
        "lnctl --version": [lnctl, "--version"],
        "lnctl --help": [lnctl, "--help"],
        "lnctl decode --json": [lnctl, "decode", SPEC_INVOICE, "--json"],
        "lnctl decode (table)": [lnctl, "decode", SPEC_INVOICE],
        "lnctl invoice --json": [lnctl, "invoice", "--amount", "100000", "--json"],
        "lnctl invoice (human)": [lnctl, "invoice", "--amount", "100000"],
        "lnctl invoice wait --json": [
            lnctl,
            "invoice",
            "wait",
            str(settled["payment_hash"]),
            "--json",
        ],  # fmt: skip
        "lnctl pay --json": lambda: [lnctl, "pay", next(to_pay), "--json"],
        "lnctl pay --dry-run --json": [lnctl, "pay", dry, "--dry-run", "--json"],
        "lnctl pay --file (1 line)": one_line_batch,
        "lnctl info --json": [lnctl, "info", "--json"],
        "lnctl payments --json": [lnctl, "payments", "--limit", "10", "--json"],
        "lnctl payments (table)": [lnctl, "payments", "--limit", "10"],
        "lnctl invoices --json": [lnctl, "invoices", "--limit", "10", "--json"],
        "lnctl lookup --json": [lnctl, "lookup", payment_hash, "--json"],
        "lnctl memo show --json": [
            lnctl,
            "memo",
            "show",
            str(with_memo["payment_hash"]),
            "--json",
        ],  # fmt: skip
        "lnctl channel list --json": [lnctl, "channel", "list", "--json"],
        "lnctl channel balance": [lnctl, "channel", "balance"],
        "lnctl channel open --json": [
            lnctl,
            "channel",
            "open",
            "--peer",
            peer_id,
            "--capacity",
            "1000",
            "--json",
        ],  # fmt: skip
        "lnctl channel close --json": close_last,
        "lnctl simulate invoice --json": [lnctl, "simulate", "invoice", "--amount", "1", "--json"],
        "lnctl simulate pay --json": lambda: [lnctl, "simulate", "pay", next(own), "--json"],
        "lnctl config show --json": [lnctl, "config", "show", "--json"],
        "lnctl metrics": [lnctl, "metrics"],
        "lnctl demo --json": [lnctl, "demo", "--json"],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}

    def command(name: str) -> list[str]:
        cmd = cases[name]
        return cmd if isinstance(cmd, list) else cmd()

    def measure(name: str) -> float:
        cmd = command(name)
        start = time.perf_counter()
        out = subprocess.run(cmd, env=env, capture_output=True)
        took = time.perf_counter() - start
        if out.returncode != 0:
            sys.exit(f"{' '.join(cmd[1:])} failed: {out.stderr.decode()[-300:]}")
        if name == "lnctl channel open --json":
            opened.append(json.loads(out.stdout)["channel_id"])
        return took

    for _ in range(2):  # warm the page cache
        for name in cases:
            measure(name)
    for _ in range(args.runs):
        for name in cases:
            times[name].append(measure(name))
    base = statistics.median(times["python -c pass"])
    print(
        f"{'command':24} {'median ms':>10} {'x bare python':>14}   ({args.runs} interleaved runs)"
    )
    for name, xs in times.items():
        med = statistics.median(xs)
        print(f"{name:24} {med * 1000:10.1f} {med / base:14.2f}")
    shutil.rmtree(home, ignore_errors=True)
    if venv:
        shutil.rmtree(venv, ignore_errors=True)


if __name__ == "__main__":
    main()
