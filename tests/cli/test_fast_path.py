"""The fast path for decode/invoice behaves exactly like the Typer commands it shortcuts."""

from __future__ import annotations

from pathlib import Path

import pytest

from lnctl.cli.fast import parse
from tests.cli.test_basics import SPEC_INVOICE
from tests.conftest import run

SLOW = {"LNCTL_FAST_PATH": "0"}


@pytest.mark.parametrize(
    "args",
    [
        ["decode", "--help"],
        ["invoice", "--qr=yes"],
        ["invoice", "--amount", "0"],
        ["invoice", "--amount", "x"],
        ["invoice", "--amount", "1", "--amount", "2"],
        ["invoice", "--bogus"],
        ["invoice", "extra"],
        ["-v", "decode", "x"],
        ["--home"],
        ["decode", "--json=1"],
        ["invoice", "--network", "mainnet"],
        ["invoice", "--description"],
        ["invoice", "--memo", "--json"],
        ["pay", "x"],
        [],
        ["invoice", "--expiry", "-5"],
        ["decode", "a", "--", "x"],
        ["decode", "a", "b"],
    ],
)
def test_anything_unusual_is_left_to_typer(args: list[str]) -> None:
    assert parse(args) is None


def test_accepted_forms() -> None:
    assert parse(["--home=/x", "--traceback", "invoice", "--amount=5", "--json"]) == (
        {"--home": "/x", "--traceback": None},
        "invoice",
        {"amount": 5, "as_json": True},
        [],
    )
    assert parse(["decode", SPEC_INVOICE]) == ({}, "decode", {}, [SPEC_INVOICE])


def _same(a_home: Path, b_home: Path, *args: str) -> tuple[dict, dict]:
    fast = run(a_home, *args)
    slow = run(b_home, *args, env=SLOW)
    assert (fast.code, fast.err) == (slow.code, slow.err), (fast, slow)
    return fast.json if fast.out.startswith("{") else {}, slow.json if slow.out.startswith(
        "{"
    ) else {}


@pytest.mark.parametrize(
    "args",
    [
        ["decode", SPEC_INVOICE, "--json"],
        ["decode", SPEC_INVOICE[:-2] + "qq", "--json"],
        ["decode", "nonsense"],
        ["invoice", "--amount", "1", "--amount-msat", "1000", "--json"],
        ["invoice", "--description", "x" * 700, "--json"],
        ["invoice", "--network", "bitcoin", "--json"],
        [
            "invoice",
            "--amount",
            "21",
            "--description",
            "d",
            "--memo",
            "m",
            "--expiry",
            "99",
            "--json",
        ],
    ],
)
def test_fast_and_typer_paths_give_the_same_result(tmp_path: Path, args: list[str]) -> None:
    fast, slow = _same(tmp_path / "a", tmp_path / "b", *args)
    assert fast.keys() == slow.keys()
    if args[0] == "decode":
        assert fast == slow
    for key in ("amount_msat", "network", "description", "description_hash", "error"):
        if key in fast and key != "description_hash":
            assert fast[key] == slow[key], key
    if "created_at" in fast:
        assert fast["expires_at"] - fast["created_at"] == slow["expires_at"] - slow["created_at"]


def test_only_the_command_run_is_built_and_help_lists_every_command() -> None:
    from lnctl.cli.app import MODULES, get_command

    one = get_command(["--home", "x", "payments", "--json"])
    assert set(one.commands) == {"pay", "payments", "lookup"}
    every = get_command(["--help"])
    assert set(every.commands) == set(MODULES)
    assert set(get_command(["no-such-command"]).commands) == set(MODULES)


def test_the_fast_table_is_written_from_the_typer_declarations() -> None:
    """Options are declared once, in Typer: the fast path's table is generated from them."""
    from lnctl.cli import fast_gen

    assert fast_gen.TARGET.read_text() == fast_gen.render(), "run: python -m lnctl.cli.fast_gen"


def test_every_fast_option_reaches_the_action_the_typer_command_calls() -> None:
    import inspect

    from lnctl.cli.actions import decode_action, invoice_action
    from lnctl.cli.fast_table import COMMANDS

    decode = {param for param, _, _ in COMMANDS["decode"].values()}
    assert decode == set(inspect.signature(decode_action).parameters) - {"invoice"}
    invoice = {param for param, _, _ in COMMANDS["invoice"].values()} - {"memo_file"}
    assert invoice == set(inspect.signature(invoice_action).parameters) - {"state"}


def test_memo_file_and_qr_take_the_fast_path_with_the_same_result(tmp_path: Path) -> None:
    memo = tmp_path / "memo.txt"
    memo.write_text("table 4\n")
    assert parse(["invoice", "--memo-file", str(memo), "--qr"]) is not None
    fast, slow = _same(
        tmp_path / "a", tmp_path / "b", "invoice", "--amount", "2", "--memo-file", str(memo),
        "--json",
    )  # fmt: skip
    for home, doc in ((tmp_path / "a", fast), (tmp_path / "b", slow)):
        looked = run(home, "lookup", doc["payment_hash"], "--json").json
        assert looked["invoice"]["memo"] == "table 4"
    both = run(tmp_path / "a", "invoice", "--memo", "x", "--memo-file", str(memo), "--json")
    assert both.code == 2 and both.json["error"]["code"] == "USAGE"
    qr = run(tmp_path / "a", "invoice", "--amount", "2", "--qr")
    assert qr.code == 0 and qr.out.count("\n") > 10  # the invoice, its QR code, its details
