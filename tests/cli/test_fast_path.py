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
        ["invoice", "--qr"],
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
        {"--amount": 5, "--json": True},
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
