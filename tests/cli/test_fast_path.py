"""The fast path for decode/invoice behaves exactly like the Typer commands it shortcuts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lnctl.cli.commands import NAMES
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
        ["invoice", "--network", "moon"],
        ["invoice", "--description"],
        ["invoice", "--memo", "--json"],
        ["pay", "x", "--induce-failure"],
        [],
        ["invoice", "--expiry", "-5"],
        ["decode", "a", "--", "x"],
        ["decode", "a", "b"],
    ],
)
def test_anything_unusual_is_left_to_typer(args: list[str]) -> None:
    assert parse(args) is None


def test_accepted_forms() -> None:
    from lnctl.cli.commands import GlobalOptions
    from lnctl.cli.commands.decode import DecodeOptions
    from lnctl.cli.commands.invoice import InvoiceOptions

    call = parse(["--home=/x", "--traceback", "invoice", "--amount=5", "--json"])
    assert call is not None and call.command.name == "invoice"
    assert call.start == GlobalOptions(home="/x", traceback=True)
    assert call.options == InvoiceOptions(amount=5, as_json=True)
    call = parse(["decode", SPEC_INVOICE])
    assert call is not None and call.options == DecodeOptions(invoice=SPEC_INVOICE)
    call = parse(["-q", "--log-format", "json", "channel", "open", "--peer", "p", "--capacity=9"])
    assert call is not None and call.command.name == "open"
    assert call.start == GlobalOptions(quiet=True, log_format="json")


def _same(a_home: Path, b_home: Path, *args: str) -> tuple[dict[str, Any], dict[str, Any]]:
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
        ["-q", "decode", SPEC_INVOICE, "--json"],
        ["--quiet", "--log-format", "json", "decode", "nonsense"],
        ["--log-format=json", "decode", SPEC_INVOICE[:-2] + "qq", "--json"],
        ["--log-format", "xml", "decode", SPEC_INVOICE, "--json"],
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
    assert parse(args) is not None
    fast, slow = _same(tmp_path / "a", tmp_path / "b", *args)
    assert fast.keys() == slow.keys()
    if "decode" in args:
        assert fast == slow
    for key in ("amount_msat", "network", "description", "description_hash", "error"):
        if key in fast and key != "description_hash":
            assert fast[key] == slow[key], key
    if "created_at" in fast:
        assert fast["expires_at"] - fast["created_at"] == slow["expires_at"] - slow["created_at"]


def test_only_the_command_run_is_built_and_help_lists_every_command() -> None:
    from lnctl.cli.app import get_command

    one = get_command(["--home", "x", "payments", "--json"])
    assert set(one.commands) == {"payments"}
    every = get_command(["--help"])
    assert set(every.commands) == set(NAMES)
    assert set(get_command(["no-such-command"]).commands) == set(NAMES)


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


READS = [
    ["info", "--json"],
    ["info"],
    ["payments", "--json"],
    ["payments", "--status", "failed", "--limit", "1", "--json"],
    ["payments"],
    ["invoices", "--json"],
    ["invoices", "--status", "open", "--limit", "2", "--cursor", "9999", "--json"],
    ["invoices"],
    ["channel", "list", "--json"],
    ["channel", "balance", "--json"],
    ["channel", "balance"],
    ["lookup", "00" * 32, "--json"],
    ["lookup", "nothex", "--json"],
    ["metrics"],
    ["metrics", "--json"],
]


@pytest.mark.parametrize("args", READS, ids=[" ".join(a)[:40] for a in READS])
def test_read_commands_take_the_fast_path_with_the_very_same_output(
    tmp_path: Path, args: list[str]
) -> None:
    """On one wallet with an invoice, a paid and a failed payment: every byte the same."""
    home = tmp_path / "h"
    inv = run(home, "simulate", "invoice", "--amount", "5").out.strip()
    assert run(home, "pay", inv).code == 0
    assert run(home, "invoice", "--amount", "7", "--memo", "m").code == 0
    assert parse(args) is not None
    fast = run(home, *args)
    slow = run(home, *args, env=SLOW)
    assert (fast.code, fast.out, fast.err) == (slow.code, slow.out, slow.err)


def test_lookup_of_a_payment_is_the_same_on_both_paths(tmp_path: Path) -> None:
    home = tmp_path / "h"
    inv = run(home, "simulate", "invoice", "--amount", "5", "--json").json
    assert run(home, "pay", inv["invoice"]).code == 0
    fast = run(home, "lookup", inv["payment_hash"])
    slow = run(home, "lookup", inv["payment_hash"], env=SLOW)
    assert fast.code == 0 and (fast.out, fast.err) == (slow.out, slow.err)
    assert "SUCCEEDED" in fast.out


@pytest.mark.parametrize(
    "args",
    [
        ["payments", "--status", "FAILED"],  # Typer takes any case
        ["payments", "--limit", "0"],
        ["payments", "--limit", "1001"],
        ["invoices", "--cursor", "-1"],
        ["lookup"],
        ["lookup", "a", "b"],
        ["channel"],
        ["channel", "open", "--peer", "x"],  # a required option missing
        ["channel", "close"],
        ["memo", "verify", "00" * 32],
        ["invoice", "wait"],
        ["invoice", "wait", "x", "--timeout", "0"],
        ["channel", "--json", "list"],
        ["info", "-v"],
    ],
)
def test_reads_the_fast_path_does_not_fully_understand_go_to_typer(args: list[str]) -> None:
    assert parse(args) is None


@pytest.mark.parametrize(
    "extra",
    [
        ["--json"],
        ["--dry-run", "--json"],
        ["--dry-run", "--max-fee", "0", "--json"],
        ["--max-fee", "0", "--json"],
        ["--timeout", "2.5", "--retries", "2", "--memo", "m", "--json"],
        ["--induce-failure", "1", "--json"],
        ["--amount", "3", "--json"],
        ["--idempotency-key", "ci-1", "--json"],
        [],
    ],
)
def test_pay_takes_the_fast_path_with_the_same_result(tmp_path: Path, extra: list[str]) -> None:
    """Each path pays an invoice of its own wallet's peer: the same exit code, error and
    document (hashes, preimages and times aside)."""
    results = []
    for name, env in (("fast", None), ("slow", SLOW)):
        home = tmp_path / name
        text = run(home, "simulate", "invoice", "--amount", "5").out.strip()
        assert parse(["pay", text, *extra]) is not None
        got = run(home, "pay", text, *extra, env=env)
        again = run(home, "pay", text, "--if-paid", "ok", "--json", env=env)
        results.append((got, again))
    (fast, fast_again), (slow, slow_again) = results
    assert (fast.code, fast.err) == (slow.code, slow.err)
    assert (fast_again.code, fast_again.err) == (slow_again.code, slow_again.err)
    if "--json" in extra:
        varying = {"id", "payment_hash", "preimage", "payee", "invoice", "created_at", "latency_ms"}

        def same(doc: dict[str, Any]) -> dict[str, Any]:
            inner = doc.get("payment") or {}
            return {k: v for k, v in {**doc, **inner}.items() if k not in varying | {"payment"}}

        assert same(fast.json) == same(slow.json)


def test_metrics_textfile_takes_the_fast_path_with_the_same_result(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert run(home, "invoice", "--amount", "1").code == 0
    results = []
    for name, env in (("fast", None), ("slow", SLOW)):
        path = tmp_path / f"{name}.prom"
        assert parse(["metrics", "--textfile", str(path)]) is not None
        got = run(home, "metrics", "--textfile", str(path), env=env)
        results.append((got.code, got.out, got.err.replace(name, "X"), path.read_text()))
    assert results[0] == results[1]


def test_a_table_page_ends_with_the_next_cursor(tmp_path: Path) -> None:
    from tests.conftest import run_here

    home = tmp_path / "h"
    for _ in range(3):
        assert run_here(home, "invoice", "--amount", "1").code == 0
    page = run_here(home, "invoices", "--limit", "2")
    cursor = run_here(home, "invoices", "--limit", "2", "--json").json["next_cursor"]
    assert page.code == 0 and page.err == f"more: --cursor {cursor}\n"  # piped: on stderr
    last = run_here(home, "invoices", "--limit", "2", "--cursor", str(cursor))
    assert last.code == 0 and "more: --cursor" not in last.out + last.err


def _norm(value: Any, home: Path, key: str = "") -> Any:
    """A document with what differs between two wallets (keys, hashes, invoices, times, the
    home's path) replaced by placeholders."""
    import re

    if key in ("latency_ms", "wall_ms"):
        return "<time>"
    if isinstance(value, dict):
        return {k: _norm(v, home, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v, home) for v in value]
    if key == "encrypted_memo":
        return "<ciphertext>"
    if isinstance(value, str):
        value = value.replace(str(home), "HOME")
        value = re.sub(r"[0-9a-f]{16,}", "<hex>", value)
        value = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "<time>", value)
        return re.sub(r"lnbcrt[0-9a-z]+", "<invoice>", value)
    if isinstance(value, int | float) and (key.endswith("_at") or key == "latency_ms"):
        return "<time>"
    return value


def test_every_other_command_takes_the_fast_path_with_the_same_result(tmp_path: Path) -> None:
    """The same sequence of commands on two wallets, one through the fast path and one through
    Typer: the same exit codes, stderr, and documents (keys, hashes and times aside)."""
    seen: list[list[tuple[int, Any, str]]] = []
    for name, env in (("fast", None), ("slow", SLOW)):
        home = tmp_path / name
        got: list[tuple[int, Any, str]] = []

        def step(
            *args: str,
            home: Path = home,
            env: dict[str, str] | None = env,
            got: list[tuple[int, Any, str]] = got,
        ) -> Any:
            if env is None:
                assert parse(list(args)) is not None, args
            r = run(home, *args, env=env)
            if "--jsonl" in args:
                doc: Any = [json.loads(line) for line in r.out.splitlines()]
            else:
                doc = r.json if r.out.startswith(("{", "[")) else r.out
            got.append((r.code, _norm(doc, home), _norm(r.err, home)))
            return doc

        peer = step("simulate", "invoice", "--amount", "100000", "--json")
        step("pay", peer["invoice"], "--json")
        two = step("simulate", "invoice", "--amount", "3", "--count", "2", "--description", "d",
                   "--expiry", "60", "--json")  # fmt: skip
        batch = home / "batch.txt"
        batch.write_text("\n".join([two[0]["invoice"], "# a comment", two[1]["invoice"],
                                    two[0]["invoice"]]) + "\n")  # fmt: skip
        step("pay", "--file", str(batch), "--concurrency", "2", "--json")  # a duplicate: exit 5
        step("pay", "--file", str(batch), "--jsonl")  # all three duplicates now
        step("simulate", "invoice")
        opened = step("channel", "open", "--peer", peer["payee"], "--capacity", "50000", "--push",
                      "1000", "--json")  # fmt: skip
        step("channel", "close", opened["channel_id"], "--json")
        step("channel", "close", opened["channel_id"], "--json")  # already closed: exit 2
        step("channel", "open", "--peer", peer["payee"], "--capacity", "70000")
        ours = step("invoice", "--amount", "2", "--memo", "for lunch", "--json")
        step("invoice", "wait", ours["payment_hash"], "--timeout", "0.2", "--json")  # exit 6
        step("simulate", "pay", ours["invoice"], "--json")
        step("simulate", "pay", ours["invoice"], "--json")  # already paid: exit 5
        step("invoice", "wait", ours["payment_hash"], "--json")
        step("invoice", "wait", ours["payment_hash"])
        step("memo", "show", ours["payment_hash"], "--json")
        step("memo", "show", ours["payment_hash"])
        step("memo", "verify", ours["payment_hash"], "for lunch", "--json")
        step("memo", "verify", ours["payment_hash"], "for dinner", "--json")  # exit 2
        step("memo", "verify", ours["payment_hash"], "for lunch")
        step("memo", "rotate-key", "--json")
        step("memo", "rotate-key")
        step("config", "show", "--json")
        step("config", "show")
        seen.append(got)
    fast, slow = seen
    assert [c for c, _, _ in fast] == [0, 0, 0, 5, 5, 0, 0, 0, 2, 0, 0, 6, 0, 5, 0, 0, 0, 0, 0,
                                       2, 0, 0, 0, 0, 0]  # fmt: skip
    for a, b in zip(fast, slow, strict=True):
        assert a == b


def test_commands_import_only_what_they_use(tmp_path: Path) -> None:
    """Start-up guards: a listing does not read the channel ledger (no json) and `info` checks
    the node key by its recorded digest (no libsecp256k1); none loads Typer, click, typing or
    Rich; decode and config show open no store."""
    from tests.conftest import run_probed

    home = tmp_path / "h"
    inv = run(home, "simulate", "invoice", "--amount", "5", "--json").json
    assert run(home, "pay", inv["invoice"]).code == 0
    expected = {
        ("payments", "--json"): set(),
        ("lookup", inv["payment_hash"], "--json"): set(),  # nothing in flight: no ledger read
        ("info", "--json"): {"json"},  # the balance is read from the ledger
        ("channel", "balance", "--json"): {"json"},
        ("decode", SPEC_INVOICE, "--json"): set(),  # no wallet, no store
        ("-q", "config", "show", "--json"): set(),
    }
    watched = ("json", "coincurve", "typer", "click", "rich", "typing", "sqlite3")
    for args, loaded in expected.items():
        r, seen = run_probed(home, watched, *args)
        if args[0] not in ("decode", "-q"):  # the wallet's history is SQLite
            loaded = loaded | {"sqlite3"}
        assert r.code == 0 and seen == loaded, (args, seen, r.err)
    # a single payment's lifecycle runs in one thread: the batch's rate limit brings none; and
    # a BOLT 11 invoice loads nothing of LNURL-pay (issue 23), with or without a dry run
    lnurl = ("lnctl.lnurl", "lnctl.core.lnurlpay", "lnctl.core.idempotency")
    for extra in ((), ("--dry-run",)):
        other = run(home, "simulate", "invoice", "--amount", "5", "--json").json
        r, seen = run_probed(
            home, ("threading", "typer", "rich", *lnurl), "pay", other["invoice"], *extra, "--json"
        )
        assert r.code == 0 and seen == set(), (seen, r.err)
    # a call left to Typer (-v: a count) declares only the command it runs
    commands = tuple(f"lnctl.cli.commands.{name.replace('-', '_')}" for name in NAMES)
    r, seen = run_probed(home, commands, "-v", "config", "show", "--json")
    assert r.code == 0 and seen == {"lnctl.cli.commands.config"}, (seen, r.err)
