"""Tables read by a program (stdout not a terminal): plain aligned lines, untrusted text made
safe, and Rich never loaded (its import alone is 45 ms)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run, run_probed


def _piped(home: Path, *args: str) -> tuple[list[str], bool]:
    """stdout's lines, and whether Rich was imported."""
    r, loaded = run_probed(home, ("rich",), *args)
    assert r.code == 0, r.err
    return r.out.splitlines(), "rich" in loaded


def test_tables_for_a_pipe_are_plain_aligned_lines(home: Path) -> None:
    memo = "\x1b[31mred[/] [bold]x"
    made = run(
        home, "invoice", "--amount", "5", "--memo", memo, "--description", "d\x07d", "--json"
    )
    assert made.code == 0, made.err
    assert run(home, "pay", made.json["invoice"], "--json").code == 0
    assert run(home, "invoice", "--amount", "7", "--json").code == 0

    r, loaded = run_probed(home, ("rich", "lnctl"), "invoices", "--limit", "1")
    assert r.code == 0 and "rich" not in loaded, r.err
    header, row = r.out.splitlines()  # the header and the rows alone (issue #22)
    assert header.split() == ["created", "(UTC)", "payment", "hash", "status", "amount",
                              "description", "memo", "expires", "(UTC)"]  # fmt: skip
    made_hash = row.split("  ")[1]
    assert len(made_hash) == 64 and "OPEN" in row and "7 sat" in row  # the hash whole
    assert r.err == "more: --cursor 2"  # how to go on: on stderr
    lines, rich = _piped(home, "invoices", "--cursor", "2")
    [_, settled] = lines
    # the untrusted memo and description: no escape or bell reaches the reader, no markup read
    assert "\x1b" not in settled and "\x07" not in settled
    assert "\ufffd[31mred[/] [bold]x" in settled and "d\ufffdd" in settled
    assert settled.index("SETTLED") == lines[0].index("status")  # the columns are aligned

    lines, rich = _piped(home, "payments")
    assert not rich
    assert lines[0].startswith("created (UTC)") and "SUCCEEDED" in lines[1]
    assert made.json["payment_hash"] in lines[1]  # the hash whole
    assert all(line == line.rstrip() for line in lines)
    lines, rich = _piped(home, "channel", "list")
    assert not rich
    assert lines[0].split("  ")[0] == "channel" and "█" in lines[1] and "OPEN" in lines[1]
    assert len(lines[1].split("  ")[1]) == 66  # the peer's node id whole
    assert not any(ch in "".join(lines) for ch in "┃│━─┏")  # no Rich box drawing


def test_help_is_plain_text_without_rich(home: Path) -> None:
    """Help is for people but needs no Rich: plain click formatting, no stray markup escapes."""
    lines, rich = _piped(home, "channel", "open", "--help")
    assert not rich
    text = "\n".join(lines)
    assert "[default: 0; x>=0]" in text and "\\[" not in text
    assert "--capacity SATS" in text
