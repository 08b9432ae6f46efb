"""Every benchmark, one after the other, and docs/performance.md written from their figures.

    python bench/run_all.py [--quick] [--against REF] [--out docs/performance.md]

Run it with the test environment's interpreter (``.venv-test/bin/python``: it has every
benchmark's dependencies; ``tests/run.sh`` makes it). Each script prints its figures; they are
shown as they come and written to OUT under one heading per benchmark, with the date, the
commit and the machine (CPU count, Python, platform, load average when it started).

- ``--quick`` runs smaller workloads (a few minutes instead of more than half an hour: a batch
  of 2,000 instead of 10,000, growth up to 10,000 stored payments instead of 100,000, ...); the
  file says so and gives each script's arguments, so the figures are never taken for the full
  ones.
- ``--against REF`` measures start-up against REF too (``bench/startup.py --against``): both
  versions installed side by side, interleaved, and the commands above 1.10x measured again
  with more runs.
- What follows the line ``KEEP`` in OUT (a hand-written log of past measurements and what they
  taught) is kept as it is.

Figures, not tests: a script that fails is reported in the file with its exit code and the end
of its stderr, and the others still run.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KEEP = "<!-- run_all.py keeps what follows as it is: a hand-written log -->"

# (title, script, full arguments, --quick arguments)
SCRIPTS: list[tuple[str, str, list[str], list[str]]] = [
    ("Start-up of every command", "startup.py", ["--runs", "15"], ["--runs", "15"]),
    (
        "Batch throughput (simulated node)",
        "batch.py",
        ["--count", "10000"],
        ["--count", "2000"],
    ),
    ("Scrape cost", "scrape.py", [], ["--payments", "20000", "--scrapes", "100"]),
    ("Decodes per second against PyPI bolt11", "decode.py", [], []),
    (
        "Cost growth with stored payments",
        "growth.py",
        ["--runs", "8"],
        ["--runs", "5", "--sizes", "0", "10000"],
    ),
    (
        "LNbits: lnctl pay against curl, a batch against a bare client",
        "lnbits.py",
        [],
        ["--runs", "5", "--batch", "50"],
    ),
    (
        "Lightspark (SDK against the local double): whole commands",
        "lightspark.py",
        [],
        ["--runs", "5"],
    ),
]
RECHECK_RUNS = "41"


def machine() -> list[str]:
    """What the figures were measured on, one fact a line."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"commit: {commit or 'unknown'}",
        f"CPUs: {os.cpu_count()}",
        f"Python: {platform.python_implementation()} {platform.python_version()}",
        f"platform: {platform.platform()}",
        f"load average at the start (1, 5, 15 min): {load}",
    ]


def document(
    facts: list[str],
    sections: list[tuple[str, str, str]],
    quick: bool,
    kept: str,
    against: str | None = None,
) -> str:
    """docs/performance.md: the facts, then (title, command, output) per benchmark, then what
    was kept of the old file."""
    how = "python bench/run_all.py" + (" --quick" if quick else "")
    how += f" --against {against}" if against else ""
    lines = [
        "# Performance",
        "",
        f"Written by `{how}`: run it again rather than edit by hand (the log at the end is",
        "hand-written and kept). Figures, not tests: medians of real processes on the machine",
        "below. Start-up is a regular `pip install`, not an editable one (whose import hook adds",
        "its own cost).",
        "",
    ]
    if quick:
        lines += [
            "**Quick mode**: smaller workloads than the full run (each benchmark's arguments are",
            "in its heading), so throughput and growth figures are of smaller histories and",
            "batches than `python bench/run_all.py` measures.",
            "",
        ]
    lines += [f"- {fact}" for fact in facts]
    for title, command, output in sections:
        lines += ["", f"## {title}", "", f"`{command}`", "", "```", output.rstrip("\n"), "```"]
    lines.append("")
    if kept:
        lines += [KEEP, kept.lstrip("\n")]
    return "\n".join(lines).rstrip("\n") + "\n"


def kept_part(path: Path) -> str:
    """What follows KEEP in the file at ``path`` ('' when there is none)."""
    if not path.exists():
        return ""
    _, found, after = path.read_text("utf-8").partition(KEEP)
    return after if found else ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller workloads (minutes)")
    parser.add_argument("--against", metavar="REF", help="start-up against this git ref too")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    facts = machine()
    sections = []
    for title, script, full, quick in SCRIPTS:
        extra = quick if args.quick else full
        if script == "startup.py" and args.against:
            extra = [*extra, "--against", args.against, "--recheck-runs", RECHECK_RUNS]
        command = " ".join(["python", f"bench/{script}", *extra])
        print(f"\n## {title} ({command})", flush=True)
        done = subprocess.run(
            [sys.executable, str(HERE / script), *extra], capture_output=True, text=True
        )
        output = done.stdout
        if done.returncode:
            output += f"\nexit {done.returncode}: {done.stderr[-1000:]}"
        print(output, flush=True)
        sections.append((title, command, output))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = document(facts, sections, args.quick, kept_part(args.out), args.against)
    args.out.write_text(text, "utf-8")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
