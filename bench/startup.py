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

    made = subprocess.run(
        [lnctl, "invoice", "--amount", "1", "--json"], env=env, check=True, capture_output=True
    )
    payment_hash = json.loads(made.stdout)["payment_hash"]
    peer = subprocess.run(
        [lnctl, "simulate", "invoice", "--amount", "1", "--count", str(args.runs + 5), "--json"],
        env=env,
        check=True,
        capture_output=True,
    )
    to_pay = iter(d["invoice"] for d in json.loads(peer.stdout))
    cases: dict[str, list[str] | None] = {
        "python -c pass": [python, "-c", "pass"],
        "lnctl --version": [lnctl, "--version"],
        "lnctl decode --json": [lnctl, "decode", SPEC_INVOICE, "--json"],
        "lnctl decode (table)": [lnctl, "decode", SPEC_INVOICE],
        "lnctl invoice --json": [lnctl, "invoice", "--amount", "100000", "--json"],
        "lnctl invoice (human)": [lnctl, "invoice", "--amount", "100000"],
        "lnctl pay --json": None,  # a fresh invoice of the simulated peer each run
        "lnctl info --json": [lnctl, "info", "--json"],
        "lnctl payments --json": [lnctl, "payments", "--limit", "10", "--json"],
        "lnctl payments (table)": [lnctl, "payments", "--limit", "10"],
        "lnctl invoices --json": [lnctl, "invoices", "--limit", "10", "--json"],
        "lnctl lookup --json": [lnctl, "lookup", payment_hash, "--json"],
        "lnctl channel list --json": [lnctl, "channel", "list", "--json"],
        "lnctl channel balance": [lnctl, "channel", "balance"],
        "lnctl metrics": [lnctl, "metrics"],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}

    def command(name: str) -> list[str]:
        cmd = cases[name]
        return cmd if cmd is not None else [lnctl, "pay", next(to_pay), "--json"]

    for _ in range(2):  # warm the page cache
        for name in cases:
            subprocess.run(command(name), env=env, capture_output=True)
    for _ in range(args.runs):
        for name in cases:
            cmd = command(name)
            start = time.perf_counter()
            subprocess.run(cmd, env=env, capture_output=True)
            times[name].append(time.perf_counter() - start)
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
