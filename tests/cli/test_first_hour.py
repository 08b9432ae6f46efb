"""Issue #22 (the command line): what a new user trips over in the first hour."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import run, run_here, shell
from tests.helpers import rows

LNCTL = f"{sys.executable} -m lnctl"

# -- 1: several invoices piped into pay ---------------------------------------------------------


def test_several_invoices_piped_into_pay_are_refused_naming_pay_file(home: Path) -> None:
    many = run_here(home, "simulate", "invoice", "--amount", "5", "--count", "3").out
    assert len(many.split()) == 3
    r = run(home, "pay", "--json", input=many)
    assert r.code == 2 and r.json["error"]["code"] == "USAGE", r.out
    assert "3 invoices" in r.json["error"]["message"]
    assert "lnctl pay --file -" in r.json["error"]["hint"]
    listed = run_here(home, "simulate", "invoice", "--amount", "5", "--count", "2", "--json")
    r = run(home, "pay", input=listed.out)
    assert r.code == 2 and "pay --file -" in r.err
    assert rows(home, "SELECT * FROM payments") == []
    one = many.split()[0]
    r = run(home, "pay", "--json", input=f"{one}\n{one.upper()}\n")  # the same one twice: one
    assert r.code == 0 and r.json["status"] == "SUCCEEDED", r.out


# -- 5: --show-completion SHELL -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "marker"),
    [
        (["--show-completion", "zsh"], "#compdef lnctl"),
        (["--show-completion=fish"], "complete --command lnctl"),
        (["--show-completion", "bash"], "complete -o default"),
        (["-q", "--show-completion", "fish"], "complete --command lnctl"),
    ],
)
def test_show_completion_prints_the_named_shells_script(
    home: Path, args: list[str], marker: str
) -> None:
    r = run_here(home, *args)
    assert r.code == 0 and marker in r.out and "_LNCTL_COMPLETE" in r.out, r.err


def test_show_completion_of_an_unknown_shell_is_a_usage_error(home: Path) -> None:
    r = run_here(home, "--show-completion", "nonsense")
    assert r.code == 2 and r.out == ""
    assert "'nonsense'" in r.err and "bash, zsh, fish" in r.err
    r = run(home, "--show-completion", "nonsense", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "USAGE"


def test_install_completion_for_a_named_shell(home: Path, tmp_path: Path) -> None:
    r = run(home, "--install-completion", "bash", env={"HOME": str(tmp_path)})
    assert r.code == 0 and "bash completion installed" in r.out, r.err
    assert "_LNCTL_COMPLETE" in (tmp_path / ".bash_completions" / "lnctl.sh").read_text()


# -- 9: memo verify says what matched -----------------------------------------------------------


def test_memo_verify_says_whether_the_memo_or_the_description_matched(home: Path) -> None:
    private = run_here(
        home, "invoice", "--amount", "5", "--memo", "table 4", "--description", "tea", "--json"
    ).json["payment_hash"]
    public = run_here(home, "invoice", "--amount", "5", "--description", "tea", "--json")
    r = run_here(home, "memo", "verify", private, "table 4")
    assert r.code == 0 and "private memo" in r.out and "commits" not in r.out, r.out
    r = run_here(home, "memo", "verify", public.json["payment_hash"], "tea")
    assert r.code == 0 and "public description" in r.out and "memo" not in r.out, r.out


# -- 6 and 10: demo ends with a short summary, and exits 0 when its reader goes away ------------


def test_demo_is_a_short_summary_and_explain_shows_every_step(home: Path) -> None:
    r = run(home, "demo")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert len(lines) <= 8 and "SUCCEEDED" in r.out and "demo --explain" in r.out, r.out
    assert "# HELP" not in r.out and all(len(line) <= 80 for line in lines)
    r = run(home, "demo", "--explain")
    assert r.code == 0 and "ln_payment_success_total 2.0" in r.out and "preimage" in r.out
    assert r.out.splitlines()[1].startswith("lnbcrt")


def test_demo_into_head_exits_0(home: Path) -> None:
    for command in ("demo", "demo --explain"):
        r = shell(home, f"{LNCTL} {command} | head -1; exit ${{PIPESTATUS[0]}}")
        assert r.returncode == 0 and r.stderr == "", (command, r.stderr)
        assert r.stdout.startswith(("demo:", "1. invoice"))


def test_a_terminal_console_whose_reader_goes_away_is_pipe_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rich exits 1 itself on a broken pipe: lnctl's console says PipeClosed (exit 0)."""
    import io

    from lnctl.cli import output

    class Gone(io.StringIO):
        def isatty(self) -> bool:
            return True

        def write(self, text: str) -> int:
            raise BrokenPipeError

        def fileno(self) -> int:
            return 1

    monkeypatch.setattr(output, "_consoles", {})
    monkeypatch.setattr(output, "silence_stdout", lambda: None)
    monkeypatch.setattr(sys, "stdout", Gone())
    with pytest.raises(output.PipeClosed):
        output.console().print("x")
