"""Issue #20 (5): closed or failing stdout and stderr never give a traceback or an internal
error; the outcome decides the exit code, OUTPUT_FAILED only when nothing else went wrong; and
stdout holds exactly one JSON document, even with a second Ctrl-C. Real processes where the
streams are the process's own (closed descriptors), in-process elsewhere."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import lnctl_env, run, run_here, shell
from tests.helpers import foreign_invoice

LNCTL = f"{sys.executable} -m lnctl"


def _peer(home: Path, sats: int = 5) -> str:
    return str(run_here(home, "simulate", "invoice", "--amount", str(sats)).out.strip())


@pytest.fixture
def wallet_home(home: Path) -> Path:
    """A wallet with a paid payment, an invoice and a memo."""
    assert run_here(home, "pay", _peer(home)).code == 0
    assert run_here(home, "invoice", "--amount", "7", "--memo", "m").code == 0
    return home


COMMANDS = [
    "payments",
    "invoices",
    "info",
    "channel list",
    "channel balance",
    "config show",
    "metrics",
    "--version",
    "lookup {hash}",
    "decode {invoice}",
    "pay {new}",
    "pay --file {batch}",
]


@pytest.mark.parametrize("mode", ["", "--json"], ids=["human", "json"])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_closed_stdout_is_one_line_and_exit_1(
    wallet_home: Path, command: str, mode: str, tmp_path: Path
) -> None:
    home = wallet_home
    invoice = run_here(home, "invoices", "--json").json["invoices"][0]
    if command == "--version" and mode:
        return
    for path in ("1", "0"):  # the fast path, and Typer's
        batch = tmp_path / f"batch{path}.txt"
        batch.write_text(_peer(home) + "\n")
        line = command.format(
            hash=invoice["payment_hash"], invoice=invoice["invoice"], new=_peer(home), batch=batch
        )
        r = shell(home, f"{LNCTL} {line} {mode} >&-", LNCTL_FAST_PATH=path)
        assert r.returncode == 1, (line, path, r.stderr)
        assert r.stderr.count("\n") == 1 and "cannot write the output" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    if command.startswith("pay "):
        statuses = [p["status"] for p in run_here(home, "payments", "--json").json["payments"]]
        assert statuses.count("SUCCEEDED") == 1 + 2  # paid by each path, recorded


def test_a_closed_stderr_never_changes_the_exit_code(wallet_home: Path) -> None:
    home = wallet_home
    paid = run_here(home, "payments", "--json").json["payments"][0]["invoice"]
    cases = {
        f"pay {paid}": 5,  # already paid: the error line cannot be written, the code stands
        "lookup zz": 2,
        f"pay {foreign_invoice()}": 3,
        f"pay {_peer(home)} --induce-failure 3 --retries 1": 4,
    }
    for command, code in cases.items():
        for redirect in ("2>&-", "2>&- >&-", "2>/dev/full", "2>&- --json"):
            extra = "--json" if "--json" in redirect else ""
            r = shell(home, f"{LNCTL} {command} {extra} {redirect.replace('--json', '')}")
            assert r.returncode == code, (command, redirect, r.stdout, r.stderr)
            assert "Traceback" not in r.stdout + r.stderr


def test_the_outcome_decides_the_exit_code_when_stdout_fails(
    wallet_home: Path, tmp_path: Path
) -> None:
    home = wallet_home
    batch = tmp_path / "batch.txt"
    batch.write_text(_peer(home) + "\n" + foreign_invoice() + "\n")
    for redirect in (">&-", ">/dev/full"):
        r = shell(home, f"{LNCTL} pay --file {batch} --json {redirect}")
        assert r.returncode == 3, r.stderr  # a payment failed: that is the outcome
        assert "cannot write the output" in r.stderr and "Traceback" not in r.stderr
        r = shell(home, f"{LNCTL} pay {foreign_invoice()} --dry-run {redirect}")
        assert r.returncode == 3, r.stderr  # what pay would do
    paid = [p for p in run_here(home, "payments", "--json").json["payments"]]
    assert sum(p["status"] == "SUCCEEDED" for p in paid) == 2  # the batch's payment is recorded


def test_a_reader_that_goes_away_does_not_stop_a_batch(wallet_home: Path, tmp_path: Path) -> None:
    home = wallet_home
    batch = tmp_path / "batch.txt"
    batch.write_text("".join(_peer(home) + "\n" for _ in range(5)) + foreign_invoice() + "\n")
    r = shell(
        home,
        f"set -o pipefail; {LNCTL} pay --file {batch} --jsonl --concurrency 1 | head -1 >/dev/null",
    )
    assert r.returncode == 3, r.stderr  # every line was paid (the foreign one failed)
    assert "Traceback" not in r.stderr
    paid = run_here(home, "payments", "--json").json["payments"]
    assert sum(p["status"] == "SUCCEEDED" for p in paid) == 1 + 5


def test_a_closed_stdout_never_lends_its_descriptor_to_a_file(home: Path) -> None:
    """Python sets a closed stdout to None and leaves descriptor 1 free: the next file opened
    would get it, and a write meant for stdout would land in it. lnctl holds it with
    /dev/null."""
    probe = (
        "import os, sys\n"
        "from lnctl.cli.entry import main\n"
        "code = main()\n"
        "print(os.readlink('/proc/self/fd/1'), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    r = subprocess.run(
        ["bash", "-c", f'{sys.executable} -c "$PROBE" payments >&-'],
        env={**lnctl_env(home), "PROBE": probe}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 1 and r.stderr.splitlines()[-1] == os.devnull, r.stderr


# -- exactly one document ----------------------------------------------------------------------


def test_a_second_ctrl_c_while_the_batch_document_is_written(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Ctrl-C is held until the document is out; then lnctl exits 130 with no second
    document (the error goes to stderr)."""
    from lnctl.cli import output

    batch = tmp_path / "batch.txt"
    batch.write_text(_peer(home) + "\n")
    original = output.write_out

    def interrupted_write(text: str) -> None:
        if text.startswith("{"):
            os.kill(os.getpid(), signal.SIGINT)  # arrives while the document is written
        original(text)

    monkeypatch.setattr(output, "write_out", interrupted_write)
    r = run_here(home, "pay", "--file", str(batch), "--json")
    assert r.code == 130, (r.out, r.err)
    doc = json.loads(r.out)  # exactly one document: json.loads refuses anything after it
    assert doc["summary"]["paid"] == 1
    assert "interrupted" in r.err
    monkeypatch.setattr(output, "write_out", original)
    assert run_here(home, "payments", "--json").json["payments"][0]["status"] == "SUCCEEDED"


def test_an_error_after_a_document_goes_to_stderr(home: Path) -> None:
    """A document is written whole, or not at all, and never followed by another."""
    from lnctl.cli.output import _Written, print_error
    from lnctl.errors import StorageError

    r = run_here(home, "config", "show", "--json")
    assert r.code == 0 and _Written.document
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        print_error(StorageError("late"), True)
    assert out.getvalue() == "" and "late" in err.getvalue()
    assert run(home, "config", "show", "--json").code == 0  # a fresh process starts anew
    assert run_here(home, "lookup", "zz", "--json").json["error"]["code"] == "INVALID_HASH"


@pytest.mark.parametrize("args", [["--help"], ["pay", "--help"], ["--show-completion", "bash"]])
def test_help_on_a_stdout_that_fails_is_output_failed(home: Path, args: list[str]) -> None:
    """click writes help itself, and drops it without a word on a closed stdout."""
    line = " ".join(args)
    for redirect in (">&-", ">/dev/full"):
        r = shell(home, f"{LNCTL} {line} {redirect}")
        assert r.returncode == 1, (line, redirect, r.stderr)
        assert "cannot write the output" in r.stderr and "Traceback" not in r.stderr
