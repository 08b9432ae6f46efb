"""Issue #22 (the command line): what a new user trips over in the first hour."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from lnctl.cli.output import msat, when
from tests.conftest import Result, lnctl_env, run, run_here, shell
from tests.helpers import rows

LNCTL = f"{sys.executable} -m lnctl"


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


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

    from lnctl.cli import output

    class Gone(Terminal):
        def write(self, text: str) -> int:
            raise BrokenPipeError

        def fileno(self) -> int:
            return 1

    monkeypatch.setattr(output, "_consoles", {})
    monkeypatch.setattr(output, "silence_stdout", lambda: None)
    monkeypatch.setattr(sys, "stdout", Gone())
    with pytest.raises(output.PipeClosed):
        output.console().print("x")


# -- 3, 4, 10: tables on a terminal of 80 and 100 columns, and for a pipe -----------------------


def tty(home: Path, *args: str, columns: int = 80, colour: bool = False) -> Result:
    """lnctl in this process with stdout a terminal of ``columns`` (the text it shows)."""
    import contextlib
    import os

    from lnctl.cli import output
    from lnctl.cli.entry import main

    wanted = {**lnctl_env(home), "COLUMNS": str(columns), "TERM": "xterm-256color"}
    if not colour:
        wanted["NO_COLOR"] = "1"
    wanted.pop("FORCE_COLOR", None)
    saved = dict(os.environ)
    out, err = Terminal(), io.StringIO()
    try:
        os.environ.clear()
        os.environ.update(wanted)
        output._consoles.clear()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        output._consoles.clear()
        os.environ.clear()
        os.environ.update(saved)
    return Result(code, out.getvalue(), err.getvalue())


def _shown(text: str) -> str:
    """What the terminal shows: without the escape sequences of bold and colour."""
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.fixture
def used(home: Path) -> Path:
    """A wallet with a payment of each kind and an invoice with a long memo."""
    memo = "table 4 by the window, with a memo long enough to wrap"
    assert run_here(home, "invoice", "--amount", "5", "--memo", memo).code == 0
    for args in ((), ("--max-fee", "0"), ("--induce-failure", "5")):
        made = run_here(home, "simulate", "invoice", "--amount", "1500")
        run_here(home, "pay", made.out.strip(), *args)
    return home


@pytest.mark.parametrize("columns", [80, 100])
def test_channel_list_never_cuts_an_amount(used: Path, columns: int) -> None:
    doc = run_here(used, "channel", "list", "--json").json["channels"][0]
    r = tty(used, "channel", "list", columns=columns)
    shown = _shown(r.out)
    assert r.code == 0 and all(len(line) <= columns for line in shown.splitlines()), shown
    for key in ("local_msat", "remote_msat", "capacity_msat"):
        whole = msat(doc[key]).removesuffix(" sat")
        assert whole in shown, (key, whole, shown)  # the number on one line, never cut
    rows = [line for line in shown.splitlines() if " OPEN " in line]
    assert len(rows) == 2 and all("…" not in row.split(" OPEN ")[1] for row in rows), shown


@pytest.mark.parametrize("columns", [80, 100])
def test_payments_and_invoices_fit_with_a_date_column(used: Path, columns: int) -> None:
    for listing in ("payments", "invoices"):
        doc = run_here(used, listing, "--json").json[listing]
        shown = _shown(tty(used, listing, columns=columns).out)
        lines = shown.splitlines()
        assert all(len(line) <= columns for line in lines), shown
        assert "created" in lines[0] + lines[1] and "(UTC)" in lines[0] + lines[1]
        for item in doc:
            assert item["payment_hash"][:12] in shown  # a usable prefix, no dots
            assert when(item["created_at"])[:10] in shown
            amount = msat(item["amount_msat"]).removesuffix(" sat")
            assert amount in shown
    shown = _shown(tty(used, "payments", columns=80).out)
    assert "1.15" in shown and "1.150" not in shown  # a fee that cannot be misread


def test_states_are_coloured_on_a_terminal_unless_no_color(used: Path) -> None:
    r = tty(used, "payments", colour=True)
    assert "\x1b[32mSUCCEEDED" in r.out and "\x1b[31mFAILED" in r.out
    assert "\x1b[3" not in tty(used, "payments").out  # NO_COLOR: no colour (bold stays)
    assert "\x1b[" not in run_here(used, "payments").out  # piped: nothing


def test_an_empty_listing_says_so(home: Path) -> None:
    assert tty(home, "payments").out == "no payments yet\n"
    assert tty(home, "invoices").out == "no invoices yet\n"
    assert tty(home, "payments", "--status", "failed").out == "no payments match\n"
    piped = run_here(home, "payments")  # a program reading the pipe: the header alone
    assert piped.out.startswith("created (UTC)") and len(piped.out.splitlines()) == 1


def test_piped_tables_show_whole_hashes_and_the_next_cursor_on_stderr(used: Path) -> None:
    doc = run_here(used, "payments", "--limit", "2", "--json").json
    r = run_here(used, "payments", "--limit", "2")
    assert r.code == 0 and r.err == f"more: --cursor {doc['next_cursor']}\n"
    header, *rows_ = r.out.splitlines()
    assert all(p["payment_hash"] in row for p, row in zip(doc["payments"], rows_, strict=True))
    assert all(p["payment_hash"] in r.out for p in doc["payments"]) and ".." not in r.out
    t = tty(used, "payments", "--limit", "2")
    assert f"more: --cursor {doc['next_cursor']}" in t.out and t.err == ""  # a terminal: stdout


def test_batch_rows_duplicate_without_amounts_and_error_with_its_message(
    home: Path, tmp_path: Path
) -> None:
    paid = run_here(home, "simulate", "invoice", "--amount", "7").out.strip()
    assert run_here(home, "pay", paid).code == 0
    batch = tmp_path / "b.txt"
    batch.write_text(f"{paid}\nlnbcrt1bogus\n")
    doc = run_here(home, "pay", "--file", str(batch), "--if-paid", "error", "--json").json
    statuses = [r["status"] for r in doc["payments"]]
    assert statuses == ["DUPLICATE", "ERROR"], statuses
    shown = run_here(home, "pay", "--file", str(batch), "--if-paid", "error").out
    duplicate = next(line for line in shown.splitlines() if "DUPLICATE" in line)
    error = next(line for line in shown.splitlines() if "ERROR" in line)
    assert "7 sat" not in duplicate and " - " in duplicate
    message = doc["payments"][1]["error"]["message"]
    assert message[:30] in error, (error, message)
    assert _shown(tty(home, "pay", "--file", str(batch)).out).count("\n") > 3


def test_errors_are_red_on_a_terminals_stderr_unless_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lnctl.cli.output import print_error
    from lnctl.errors import InvalidInputError

    error = InvalidInputError("bad", code="USAGE", hint="see lnctl pay --help")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for stream, coloured in ((Terminal(), True), (io.StringIO(), False)):
        monkeypatch.setattr(sys, "stderr", stream)
        print_error(error, False)
        assert stream.getvalue().startswith("\x1b[31mlnctl: error:\x1b[0m bad") == coloured
        assert stream.getvalue().endswith("bad (hint: see lnctl pay --help)\n")
    monkeypatch.setenv("NO_COLOR", "1")
    stream = Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    print_error(error, False)
    assert stream.getvalue().startswith("lnctl: error: bad")


def test_a_payments_state_is_coloured_on_a_terminal(home: Path) -> None:
    made = run_here(home, "simulate", "invoice", "--amount", "3").out.strip()
    r = tty(home, "pay", made, colour=True)
    assert r.code == 0 and "\x1b[32mSUCCEEDED" in r.out


# -- 10: --help ---------------------------------------------------------------------------------


def test_help_lists_commands_in_order_with_whole_descriptions(home: Path) -> None:
    from lnctl.cli.commands import NAMES, declared

    r = run(home, "--help")
    assert r.code == 0
    listing = r.out.split("Commands:\n", 1)[1]
    firsts = [line.split()[0] for line in listing.splitlines() if line.startswith("  ") and
              not line.startswith("   ")]  # fmt: skip
    assert tuple(firsts) == NAMES and NAMES[:2] == ("invoice", "pay")
    assert "..." not in listing
    flat = " ".join(listing.split())
    for name in NAMES:  # each description whole: its first sentence, not cut
        first = " ".join(declared(name).help.split()).split(". ")[0].removesuffix(".")
        assert f"{name} {first}" in flat, name


def test_invoice_help_shows_that_options_work_alone(home: Path) -> None:
    r = run(home, "invoice", "--help")
    assert r.code == 0 and "Usage: lnctl invoice [OPTIONS] [COMMAND [ARGS]...]" in r.out
    assert "[OPTIONS] COMMAND [ARGS]" not in r.out


# -- 8: messages --------------------------------------------------------------------------------


@pytest.mark.parametrize("fast", ["1", "0"])
def test_option_errors_name_the_option_and_hint_the_commands_help(home: Path, fast: str) -> None:
    env = {"LNCTL_FAST_PATH": fast}
    cases = [
        (["invoices", "--limit", "abc"], "--limit takes a whole number from 1 to 1000, not 'abc'",
         "see lnctl invoices --help"),
        (["pay", "--timeout", "abc", "x"], "--timeout takes a number of at least 0.001, not 'abc'",
         "see lnctl pay --help"),
        (["invoice", "--amount", "0"], "--amount takes a whole number of at least 1, not 0",
         "see lnctl invoice --help"),
        (["channel", "list", "--bogus"], "No such option: --bogus",
         "see lnctl channel list --help"),
    ]  # fmt: skip
    for args, message, hint in cases:
        r = run_here(home, *args, "--json", env=env)
        assert r.code == 2 and r.json["error"]["code"] == "USAGE", args
        assert r.json["error"]["message"] == message and r.json["error"]["hint"] == hint
        assert "valid integer range" not in run_here(home, *args, env=env).err


def test_a_bad_backend_or_network_hints_at_how_it_was_given(home: Path) -> None:
    r = run_here(home, "--backend", "foo", "info", "--json")
    assert r.code == 2 and r.json["error"]["hint"].startswith("--backend is one of")
    r = run_here(home, "info", "--json", env={"LNCTL_BACKEND": "foo"})
    assert r.code == 2 and r.json["error"]["hint"].startswith("LNCTL_BACKEND is one of")
    r = run_here(home, "--network", "moon", "info", "--json")
    assert r.code == 2 and r.json["error"]["hint"].startswith("--network is one of")


def test_mainnet_is_bitcoin(tmp_path: Path) -> None:
    for how in (["--network", "mainnet"], ["--network", "MAINNET"]):
        r = run_here(tmp_path / how[1], *how, "info", "--json")
        assert r.code == 0 and r.json["network"] == "bitcoin", r.out
    r = run_here(tmp_path / "env", "info", "--json", env={"LNCTL_NETWORK": "mainnet"})
    assert r.code == 0 and r.json["network"] == "bitcoin"
    (tmp_path / "file").mkdir()
    (tmp_path / "file" / "config.toml").write_text('network = "mainnet"\n')
    r = run_here(tmp_path / "file", "info", "--json")
    assert r.code == 0 and r.json["network"] == "bitcoin", r.out


def test_the_wrong_network_hints_at_another_home(home: Path) -> None:
    assert run_here(home, "info").code == 0  # a regtest wallet
    r = run_here(home, "--network", "bitcoin", "info", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "WRONG_NETWORK"
    assert "another LNCTL_HOME" in r.json["error"]["hint"]
    assert "set LNCTL_NETWORK" not in r.json["error"]["hint"]


def test_a_simulator_setting_out_of_bounds_is_named_alone(home: Path) -> None:
    r = run_here(home, "info", "--json", env={"LNCTL_SIM_FAILURE_RATE": "2"})
    assert r.code == 2 and r.json["error"]["code"] == "INVALID_SETTING"
    assert "LNCTL_SIM_FAILURE_RATE" in r.json["error"]["message"]
    assert "LATENCY" not in r.json["error"]["message"] + r.json["error"]["hint"]


def test_a_bad_config_value_says_what_it_must_be(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "config.toml").write_text("timeout_s = 'abc'\n")
    r = run_here(home, "info", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "CONFIG_INVALID"
    message = r.json["error"]["message"]
    assert message.endswith(
        "timeout_s = 'abc': timeout_s is a number of seconds, more than 0 and at most 86400 "
        "(the default of --timeout)"
    ), message
    assert r.json["error"]["hint"]


def test_config_show_never_prints_none(home: Path) -> None:
    r = run_here(home, "config", "show")
    assert r.code == 0 and "None" not in r.out and "not set  (default)" in r.out


def test_verbose_lines_read_as_logs_without_empty_fields(home: Path) -> None:
    import re

    made = run_here(home, "simulate", "invoice", "--amount", "3").out.strip()
    r = run_here(home, "-v", "pay", made)
    lines = r.err.splitlines()
    assert r.code == 0 and lines, r.err
    for line in lines:
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (INFO|DEBUG) \w+ ", line), line
        assert not line.startswith("lnctl") and "=None" not in line


@pytest.mark.parametrize("fast", ["1", "0"])
def test_json_before_the_command_means_the_same(home: Path, fast: str) -> None:
    env = {"LNCTL_FAST_PATH": fast}
    before = run_here(home, "--json", "info", env=env)
    after = run_here(home, "info", "--json", env=env)
    assert before.code == 0 and before.json == after.json
    r = run_here(home, "--json", "channel", "list", env=env)
    assert r.code == 0 and "channels" in r.json
    r = run_here(home, "--json", "lookup", "zz", env=env)
    assert r.code == 2 and r.json["error"]["code"] == "INVALID_HASH"
    r = run_here(home, "-q", "--json", "invoices", "--limit", "abc", env=env)
    assert r.code == 2 and r.json["error"]["code"] == "USAGE"


def test_every_common_error_has_a_real_hint(home: Path, tmp_path: Path) -> None:
    zeros = "0" * 64
    cases = [
        ["lookup", "zz"], ["lookup", zeros], ["pay", "lnbcrt1bogus"], ["decode", "garbage"],
        ["memo", "show", zeros], ["memo", "verify", zeros, "x"], ["channel", "close", "nope"],
        ["invoice", "--amount", "1", "--amount-msat", "1"], ["pay", "--file", str(tmp_path / "no")],
        ["--log-format", "xml", "info"], ["metrics", "--textfile", "x.txt"],
        ["channel", "open", "--peer", "xx", "--capacity", "100000"], ["pay", "--bogus"],
        ["invoice", "wait", zeros, "--timeout", "0.01"], ["simulate", "pay", "lnbcrt1bogus"],
        ["nosuch"],
    ]  # fmt: skip
    for args in cases:
        r = run_here(home, *args, "--json")
        assert r.code != 0, args
        error = r.json["error"]
        assert error["hint"].strip() and set(error) >= {"code", "message", "hint", "exit_code"}
        human = run_here(home, *args)
        assert "(hint: " in human.err, (args, human.err)


def test_ctrl_c_in_invoice_wait_speaks_of_the_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    from lnctl.cli import entry

    assert entry._waits(["invoice", "wait", "ab"]) and entry._waits(["-q", "invoice", "wait"])
    assert not entry._waits(["pay", "x"]) and not entry._waits(["invoice", "--amount", "1"])

    def interrupted(args: list[str]) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(entry, "_run", interrupted)
    monkeypatch.setenv("LNCTL_FAST_PATH", "0")
    import contextlib

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert entry.main(["invoice", "wait", "0" * 64]) == 130
    assert "in flight" not in err.getvalue() and "invoice wait" in err.getvalue()
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert entry.main(["pay", "x"]) == 130
    assert "in flight" in err.getvalue()


def test_decode_piped_shows_route_hint_node_ids_whole(home: Path) -> None:
    from lnctl import bolt11
    from tests.unit.test_bolt11 import BASE, craft, f

    pubkey = "029e03a901b85534ff1e92c43c74431f7ce72046060fcf7a95c37e148f78c77255"
    hop = bytes.fromhex(pubkey) + bytes(8) + (1).to_bytes(4, "big") + bytes(4) + bytes(2)
    text = craft("lnbc2500u", BASE + [f("r", hop)])
    assert bolt11.decode(text).route_hints
    r = run_here(home, "decode", text)
    assert r.code == 0 and f"{pubkey} 0x0x0" in r.out, r.out
    shown = _shown(tty(home, "decode", text, columns=100).out)
    assert f"{pubkey[:16]}… 0x0x0" in shown


def test_invoice_network_mainnet_is_bitcoin(home: Path) -> None:
    r = run_here(home, "invoice", "--amount", "1", "--network", "mainnet", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "WRONG_NETWORK"  # a regtest wallet
    assert "not bitcoin" in r.json["error"]["message"]
