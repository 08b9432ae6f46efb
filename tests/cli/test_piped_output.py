"""Tables read by a program (stdout not a terminal): plain aligned lines, untrusted text made
safe, and Rich never loaded (its import alone is 45 ms)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import lnctl_env, run

# lnctl as a process whose stderr ends with whether Rich was imported
PROBE = (
    "import sys\n"
    "from lnctl.cli.entry import main\n"
    "code = main()\n"
    "sys.stderr.write('rich=%s' % ('rich' in sys.modules))\n"
    "sys.exit(code)\n"
)


def _piped(home: Path, *args: str) -> tuple[list[str], str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], env=lnctl_env(home), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines(), proc.stderr


def test_tables_for_a_pipe_are_plain_aligned_lines(home: Path) -> None:
    memo = "\x1b[31mred[/] [bold]x"
    made = run(
        home, "invoice", "--amount", "5", "--memo", memo, "--description", "d\x07d", "--json"
    )
    assert made.code == 0, made.err
    assert run(home, "pay", made.json["invoice"], "--json").code == 0
    assert run(home, "invoice", "--amount", "7", "--json").code == 0

    lines, err = _piped(home, "invoices", "--limit", "1")
    assert err.endswith("rich=False")
    header, row, more = lines
    assert header.split() == ["payment", "hash", "status", "amount", "description", "memo",
                              "expires", "at"]  # fmt: skip
    assert row.split("  ")[0].endswith("..") and "OPEN" in row and "7 sat" in row
    assert more == "more: --cursor 2"
    lines, err = _piped(home, "invoices", "--cursor", "2")
    [_, settled] = lines
    # the untrusted memo and description: no escape or bell reaches the reader, no markup read
    assert "\x1b" not in settled and "\x07" not in settled
    assert "\ufffd[31mred[/] [bold]x" in settled and "d\ufffdd" in settled
    assert settled.index("SETTLED") == lines[0].index("status")  # the columns are aligned

    lines, err = _piped(home, "payments")
    assert err.endswith("rich=False")
    assert lines[0].startswith("payment hash") and "SUCCEEDED" in lines[1]
    assert all(line == line.rstrip() for line in lines)
    lines, err = _piped(home, "channel", "list")
    assert err.endswith("rich=False")
    assert lines[0].split("  ")[0] == "channel" and "█" in lines[1] and "OPEN" in lines[1]
    assert not any(ch in "".join(lines) for ch in "┃│━─┏")  # no Rich box drawing


def test_help_is_plain_text_without_rich(home: Path) -> None:
    """Help is for people but needs no Rich: plain click formatting, no stray markup escapes."""
    lines, err = _piped(home, "channel", "open", "--help")
    assert err.endswith("rich=False")
    text = "\n".join(lines)
    assert "[default: 0; x>=0]" in text and "\\[" not in text
    assert "--capacity SATS" in text
