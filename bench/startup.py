"""Start-up time of lnctl against bare Python, interleaved so that machine noise hits all alike.

    python bench/startup.py [--runs 40] [--against REF]

Prints the median wall time of each command and its ratio to `python -c pass`. With `--against
REF` (a git commit, tag or branch), REF is installed too, in a virtual environment of its own,
and every command runs against both versions, interleaved, each on its own wallet home: the
table then gives both medians and their ratio (a change's start-up cost, measured in one run).
The commands run with the same interpreter, on a throwaway wallet home, as a script would call
them.
Every command is measured (issue 11: with --json within 2x of bare Python, decode 1.5x,
invoice 2x; human output within 3x). With `--recheck-runs N` beside `--against`, the commands
that came out more than 1.10x slower than REF are measured again, N interleaved runs each, and
a second table gives those figures (on a loaded machine one run of 15 is noisy).

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


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _regular_install(root: str = ROOT) -> tuple[str, str, str]:
    """(python, lnctl, venv) of a throwaway venv with `pip install` of the checkout at root."""
    venv = tempfile.mkdtemp(prefix="lnctl-bench-venv-")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = os.path.join(venv, "bin", "python")
    print(f"measuring a regular install of {root} in {venv}", file=sys.stderr)
    pip = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", root],
        capture_output=True,
        text=True,
    )
    if pip.returncode:
        sys.exit(f"pip install failed:\n{pip.stderr}")
    return python, os.path.join(venv, "bin", "lnctl"), venv


class Install:
    """One installed version of lnctl, its own wallet home, and the commands to time."""

    def __init__(self, python: str, lnctl: str, runs: int) -> None:
        self.python, self.lnctl = python, lnctl
        self.home = tempfile.mkdtemp(prefix="lnctl-bench-")
        self.env = {**os.environ, "LNCTL_HOME": self.home}
        self.opened: list[str] = []
        self.cases = self._cases(runs)

    def _cases(self, runs: int) -> dict[str, list[str] | Callable[[], list[str]]]:
        python, lnctl, env, home = self.python, self.lnctl, self.env, self.home
        subprocess.run([lnctl, "info"], env=env, check=True, capture_output=True)  # the home
        import json

        def make(*args: str) -> Any:
            out = subprocess.run([lnctl, *args, "--json"], env=env, check=True, capture_output=True)
            return json.loads(out.stdout)

        count = str(2 * runs + 10)  # pay and pay --file each take one a run, warm-up included
        payment_hash = make("invoice", "--amount", "1")["payment_hash"]
        with_memo = make("invoice", "--amount", "1", "--memo", "bench")
        # inbound liquidity for `simulate pay`: pay the peer first
        make("pay", make("simulate", "invoice", "--amount", "100000")["invoice"])
        settled = make("invoice", "--amount", "1")
        make("simulate", "pay", settled["invoice"])
        peer_invoices = make("simulate", "invoice", "--amount", "1", "--count", count)
        to_pay = iter(d["invoice"] for d in peer_invoices)
        own = iter(make("invoice", "--amount", "1")["invoice"] for _ in range(runs + 5))
        dry = next(to_pay)
        peer_id = make("simulate", "invoice", "--amount", "1")["payee"]
        batch = os.path.join(home, "batch.txt")
        opened = self.opened

        def one_line_batch() -> list[str]:
            with open(batch, "w") as fh:
                fh.write(next(to_pay) + "\n")
            return [lnctl, "pay", "--file", batch, "--json"]

        def close_last() -> list[str]:
            return [lnctl, "channel", "close", opened.pop(), "--json"]

        return {
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
                "20000",
                "--json",
            ],  # fmt: skip
            "lnctl channel close --json": close_last,
            "lnctl simulate invoice --json": [
                lnctl,
                "simulate",
                "invoice",
                "--amount",
                "1",
                "--json",
            ],
            "lnctl simulate pay --json": lambda: [lnctl, "simulate", "pay", next(own), "--json"],
            "lnctl config show --json": [lnctl, "config", "show", "--json"],
            "lnctl metrics": [lnctl, "metrics"],
            "lnctl demo --json": [lnctl, "demo", "--json"],
        }

    def measure(self, name: str) -> float:
        cmd = self.cases[name]
        cmd = cmd if isinstance(cmd, list) else cmd()
        start = time.perf_counter()
        out = subprocess.run(cmd, env=self.env, capture_output=True)
        took = time.perf_counter() - start
        if out.returncode != 0:
            sys.exit(f"{' '.join(cmd[1:])} failed: {out.stderr.decode()[-300:]}")
        if name == "lnctl channel open --json":
            import json

            self.opened.append(json.loads(out.stdout)["channel_id"])
        return took


def _checkout(ref: str) -> str:
    """A folder holding the tree of ``ref`` (git archive), to install."""
    folder = tempfile.mkdtemp(prefix="lnctl-bench-ref-")
    archive = subprocess.run(
        ["git", "-C", ROOT, "archive", "--format=tar", ref], check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
    return folder


RECHECK = 1.10  # a command this much slower than REF is measured again with --recheck-runs


def _interleave(
    installs: dict[str, Install], names: list[str], runs: int
) -> dict[tuple[str, str], list[float]]:
    """Each command of ``names`` on every install in turn, ``runs`` rounds after two that warm
    the page cache: the times of each (install, command)."""
    times: dict[tuple[str, str], list[float]] = {(v, n): [] for v in installs for n in names}
    for round_ in range(runs + 2):
        for name in names:
            for version, install in installs.items():
                took = install.measure(name)
                if round_ >= 2:
                    times[version, name].append(took)
    return times


def _compare(
    times: dict[tuple[str, str], list[float]], versions: list[str], names: list[str], runs: int
) -> list[str]:
    """Print both versions' medians and their ratio; the commands above RECHECK."""
    old, new = versions
    print(f"{'command':28} {old[:12]:>12} {'this tree':>12} {'ratio':>7}   "
          f"(medians in ms, {runs} interleaved runs)")  # fmt: skip
    slower = []
    for name in names:
        a, b = statistics.median(times[old, name]), statistics.median(times[new, name])
        print(f"{name:28} {a * 1000:12.1f} {b * 1000:12.1f} {b / a:7.2f}", flush=True)
        if b / a > RECHECK and name != "python -c pass":
            slower.append(name)
    return slower


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--against", metavar="REF", help="a git ref to measure beside this tree")
    parser.add_argument(
        "--recheck-runs",
        type=int,
        default=0,
        metavar="N",
        help=f"with --against: measure again, N runs, what came out above {RECHECK}x",
    )
    args = parser.parse_args()
    python, venvs = sys.executable, []
    if _editable() or args.against:
        python, lnctl, venv = _regular_install()
        venvs.append(venv)
    else:
        found = shutil.which("lnctl", path=os.path.dirname(sys.executable))
        if found is None:
            sys.exit("install lnctl first (pip install .)")
        lnctl = found
    supply = args.runs + args.recheck_runs  # invoices to pay, channels to close
    installs = {"this tree": Install(python, lnctl, supply)}
    if args.against:
        source = _checkout(args.against)
        old_python, old_lnctl, venv = _regular_install(source)
        venvs.append(venv)
        shutil.rmtree(source, ignore_errors=True)
        installs = {args.against: Install(old_python, old_lnctl, supply), **installs}
    names = list(installs["this tree"].cases)
    times = _interleave(installs, names, args.runs)
    versions = list(installs)
    if len(versions) == 1:
        base = statistics.median(times["this tree", "python -c pass"])
        print(
            f"{'command':28} {'median ms':>10} {'x bare python':>14}   "
            f"({args.runs} interleaved runs)"
        )
        for name in names:
            med = statistics.median(times["this tree", name])
            print(f"{name:28} {med * 1000:10.1f} {med / base:14.2f}")
    else:
        slower = _compare(times, versions, names, args.runs)
        if args.recheck_runs and slower:
            if "lnctl channel close --json" in slower:  # it closes what `channel open` opened
                slower.append("lnctl channel open --json")
            again = [n for n in names if n in slower or n == "python -c pass"]
            print(f"\nmeasured again (above {RECHECK}x):")
            _compare(_interleave(installs, again, args.recheck_runs), versions, again,
                     args.recheck_runs)  # fmt: skip
    for install in installs.values():
        shutil.rmtree(install.home, ignore_errors=True)
    for venv in venvs:
        shutil.rmtree(venv, ignore_errors=True)


if __name__ == "__main__":
    main()
