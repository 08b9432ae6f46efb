"""lnctl as scripts use it: exit codes, one JSON document, files on disk (issue 2)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import coincurve
import pytest

from lnctl import bolt11
from tests.conftest import Result, popen

SPEC_INVOICE = (
    "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqf"
    "qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0rl77nj30yxdy8j9vdx"
    "85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpfna3rh"
)


def test_version(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("--version")
    assert r.code == 0 and r.out.startswith("lnctl ")


def test_home_and_key_are_created_private(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("info", "--json")
    assert r.code == 0, r.err
    doc = r.json
    assert doc["network"] == "regtest" and doc["backend"] == "simulated"
    assert doc["home"] == str(home)
    key = home / "secrets" / "node.key"
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "secrets").stat().st_mode) == 0o700
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    secret = bytes.fromhex(key.read_text().strip())
    assert coincurve.PrivateKey(secret).public_key.format().hex() == doc["node_id"]
    assert cli("info", "--json").json["node_id"] == doc["node_id"]  # stable


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_key_readable_by_others_is_refused(cli, home: Path, mode: int) -> None:  # type: ignore[no-untyped-def]
    assert cli("info").code == 0
    key = home / "secrets" / "node.key"
    before = key.read_bytes()
    key.chmod(mode)
    r = cli("info", "--json")
    assert r.code == 1
    err = r.json["error"]
    assert err["code"] == "UNSAFE_PERMISSIONS" and "chmod 600" in err["hint"]
    r = cli("invoice", "--amount", "1")
    assert r.code == 1 and r.out == ""
    assert len(r.err.strip().splitlines()) == 1 and "too open" in r.err
    assert key.read_bytes() == before


def test_corrupt_key_is_refused_not_replaced(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("info").code == 0
    key = home / "secrets" / "node.key"
    key.write_text("not a key\n")
    r = cli("info", "--json")
    assert r.code == 1 and r.json["error"]["code"] == "CORRUPT_STATE"
    assert key.read_text() == "not a key\n"


def test_invoice_is_real_bolt11_signed_by_the_node_key(cli) -> None:  # type: ignore[no-untyped-def]
    node_id = cli("info", "--json").json["node_id"]
    r = cli("invoice", "--amount", "100000", "--description", "coffee", "--json")
    assert r.code == 0, r.err
    doc = r.json
    assert doc["invoice"].startswith("lnbcrt1m1")  # 100,000 sat, shortest encoding
    assert doc["amount_msat"] == 100_000_000 and doc["id"] == doc["payment_hash"]
    inv = bolt11.decode(doc["invoice"])
    assert inv.payee == node_id and inv.amount_msat == 100_000_000
    assert inv.description == "coffee" and inv.payment_hash == doc["payment_hash"]
    assert inv.min_final_cltv_expiry >= 18 and inv.features == [8, 14]
    assert inv.expiry == 3600 and doc["expires_at"] == inv.expires_at
    assert doc["encrypted_memo"] is None


def test_invoice_options(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("invoice", "--amount-msat", "1", "--expiry", "60", "--json")
    inv = bolt11.decode(r.json["invoice"])
    assert (inv.network, inv.amount_msat, inv.expiry, inv.description) == ("regtest", 1, 60, "")
    # the node issues invoices for its own network only
    other = cli("invoice", "--amount", "1", "--network", "testnet", "--json")
    assert other.code == 2 and other.json["error"]["code"] == "WRONG_NETWORK"
    moved = cli("--network", "testnet", "invoice", "--amount", "1", "--json")
    assert moved.code == 2 and moved.json["error"]["code"] == "WRONG_NETWORK"
    elsewhere = cli("--home", str(tmp_path / "t"), "--network", "testnet", "invoice", "--json")
    assert bolt11.decode(elsewhere.json["invoice"]).network == "testnet"
    r = cli("invoice", "--json")
    assert bolt11.decode(r.json["invoice"]).amount_msat is None
    assert r.json["invoice"].startswith("lnbcrt1p")


def test_memo_is_never_in_the_invoice_nor_stored_in_clear(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    memo = "rent for flat 4B, do not tell"
    r = cli("invoice", "--amount", "5", "--memo", memo, "--json")
    doc = r.json
    inv = bolt11.decode(doc["invoice"])
    # nothing in the invoice lets its holder test a guess of the memo (no hash of it)
    assert inv.description == "" and inv.description_hash is None
    assert hashlib.sha256(memo.encode()).hexdigest() not in r.out
    assert doc["encrypted_memo"] and memo not in r.out
    for path in home.rglob("*"):
        if path.is_file():
            assert memo.encode() not in path.read_bytes(), path
    listed = cli("invoices", "--json").json["invoices"]
    assert listed[0]["memo"] == memo


def test_invoice_refuses_bad_input_with_exit_2(cli) -> None:  # type: ignore[no-untyped-def]
    for args in (
        ["--amount", "0"],
        ["--amount", "-5"],
        ["--amount", "abc"],
        ["--amount", "1", "--amount-msat", "1000"],
        ["--network", "mainnet"],
        ["--description", "x" * 700],
        ["--expiry", "0"],
        ["--amount", "99999999999999999999"],
        ["--amount-msat", "9223372036854775807"],
        ["--amount-msat", str(21_000_000 * 10**11 + 1)],
    ):
        r = cli("invoice", *args, "--json")
        assert r.code == 2, args
        assert set(r.json["error"]) >= {"code", "message", "hint"}
        assert "Traceback" not in r.err


def test_decode_json_fields(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("decode", SPEC_INVOICE, "--json")
    assert r.code == 0
    d = r.json
    assert d["amount_msat"] == 250_000_000 and d["network"] == "bitcoin"
    assert d["payee"] == "03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad"
    assert d["description"] == "1 cup coffee" and d["description_hash"] is None
    assert d["expiry"] == 60 and d["expired"] is True
    assert d["expires_at"] == d["timestamp"] + 60
    for key in (
        "payment_hash",
        "payment_secret",
        "min_final_cltv_expiry",
        "features",
        "route_hints",
        "fallback_addresses",
        "metadata",
    ):
        assert key in d


def test_decode_errors(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("decode", SPEC_INVOICE[:-1] + "q", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "INVALID_INVOICE"
    r = cli("decode", "hello")
    assert r.code == 2 and r.out == "" and len(r.err.splitlines()) == 1
    r = cli("decode")
    assert r.code == 2


def test_decode_reads_stdin(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("decode", "--json", input=f"here: {SPEC_INVOICE}\n")
    assert r.code == 0 and r.json["amount_msat"] == 250_000_000


def _hostile_invoice(description: str) -> str:
    key = coincurve.PrivateKey()
    return bolt11.encode(
        network="regtest",
        amount_msat=1000,
        payment_hash=bytes(32),
        payment_secret=bytes(32),
        description=description,
        sign=lambda m: key.sign_recoverable(m, hasher=None),
    )


def test_untrusted_description_never_reaches_the_terminal_raw(cli) -> None:  # type: ignore[no-untyped-def]
    hostile = "pay me\x1b[2J\x1b]0;pwned\x07 [bold red]FREE[/bold red] \u202eevil\x9b31m"
    r = cli("decode", _hostile_invoice(hostile))
    assert r.code == 0
    assert "\x1b" not in r.out and "\x07" not in r.out and "\x9b" not in r.out
    assert "\u202e" not in r.out
    assert "[bold red]FREE[/bold red]" in r.out  # markup shown literally
    r = cli("decode", _hostile_invoice(hostile), "--json")
    assert r.json["description"] == hostile  # JSON carries the exact text, escaped
    assert "\x1b" not in r.out


def test_usage_errors_exit_2_with_json(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("invoice", "--nope", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "USAGE"
    r = cli("frobnicate")
    assert r.code == 2 and "Traceback" not in r.err
    for args in ([], ["channel"]):
        r = cli(*args)
        assert r.code == 2 and r.err.startswith("Usage: lnctl") and "\nCommands:\n" in r.err


def test_traceback_flag_shows_the_real_error(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("info").code == 0
    (home / "history.sqlite").write_bytes(b"garbage" * 100)
    r = cli("invoices", "--json")
    assert r.code == 1 and r.json["error"]["code"] == "CORRUPT_STATE"
    assert (home / "history.sqlite").read_bytes() == b"garbage" * 100
    r = cli("--traceback", "invoices")
    assert "Traceback" in r.err
    r = cli("invoices", env={"LNCTL_DEBUG": "1"})
    assert "Traceback" in r.err


def test_invoices_listing_filters_and_pages(cli) -> None:  # type: ignore[no-untyped-def]
    hashes = [
        cli("invoice", "--amount", str(i + 1), "--json").json["payment_hash"] for i in range(5)
    ]
    cli("invoice", "--amount", "9", "--expiry", "1", "--json")
    import time

    time.sleep(1.1)
    page = cli("invoices", "--limit", "2", "--status", "open", "--json").json
    assert [i["payment_hash"] for i in page["invoices"]] == hashes[::-1][:2]
    nxt = cli(
        "invoices",
        "--limit",
        "2",
        "--status",
        "open",
        "--cursor",
        str(page["next_cursor"]),
        "--json",
    ).json
    assert [i["payment_hash"] for i in nxt["invoices"]] == hashes[::-1][2:4]
    last = cli(
        "invoices",
        "--limit",
        "1",
        "--status",
        "open",
        "--cursor",
        str(nxt["next_cursor"]),
        "--json",
    ).json
    assert [i["payment_hash"] for i in last["invoices"]] == hashes[:1]
    assert last["next_cursor"] is None  # the last page says so, no empty page follows
    expired = cli("invoices", "--status", "expired", "--json").json["invoices"]
    assert len(expired) == 1 and expired[0]["status"] == "EXPIRED"
    assert cli("invoices", "--status", "settled", "--json").json["invoices"] == []
    assert cli("invoices", "--limit", "5000").code == 2


def test_fifty_concurrent_invoices_are_all_recorded(home: Path) -> None:
    procs = [
        popen(home, "invoice", "--amount", str(i + 1), "--memo", f"m{i}", "--json")
        for i in range(50)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        results.append(Result(p.returncode, out, err))
    assert all(r.code == 0 for r in results), [r.err for r in results if r.code]
    made = {r.json["payment_hash"] for r in results}
    assert len(made) == 50
    import sqlite3

    conn = sqlite3.connect(home / "history.sqlite")
    stored = {row[0] for row in conn.execute("SELECT payment_hash FROM invoices")}
    assert stored == made
    # one node key, one memo keyring: every process agreed
    payees = {bolt11.decode(r.json["invoice"]).payee for r in results}
    assert len(payees) == 1
    conn.close()


def test_wallet_home_option_overrides_environment(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other"
    r = cli("--home", str(other), "info", "--json")
    assert r.json["home"] == str(other) and os.path.isdir(other)


def test_qr_code(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("invoice", "--amount", "1", "--qr")
    assert r.code == 0
    lines = r.out.splitlines()
    assert lines[0].startswith("lnbcrt")
    assert sum("█" in line or "▀" in line or "▄" in line for line in lines) > 10


def test_logs_never_carry_secrets(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("-vv", "--log-format", "json", "invoice", "--amount", "1", "--memo", "hush", "--json")
    created = r.json
    import json as _json
    import sqlite3

    lines = [_json.loads(line) for line in r.err.splitlines()]
    assert any(e["event"] == "invoice_created" for e in lines)
    conn = sqlite3.connect(home / "simnet" / "network.sqlite")
    preimage = conn.execute(
        "SELECT preimage FROM invoices WHERE payment_hash = ?", (created["payment_hash"],)
    ).fetchone()[0]
    conn.close()
    key = (home / "secrets" / "node.key").read_text().strip()
    paid = cli("-vv", "--log-format", "json", "pay", created["invoice"], "--json")
    for text in (r.err, paid.err):
        assert preimage not in text and "hush" not in text and key not in text
    events = [_json.loads(line)["event"] for line in paid.err.splitlines()]
    assert "payment_attempt" in events and "payment_result" in events
    quiet = cli("-q", "invoice", "--amount", "1")
    assert quiet.err == ""


def test_stores_are_private_files(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("invoice", "--amount", "1", "--memo", "m").code == 0
    assert cli("simulate", "invoice", "--amount", "1").code == 0
    for path in [
        home / "history.sqlite",
        home / "simnet" / "network.sqlite",
        *home.glob("*.sqlite-wal"),
        home / "simnet" / "channels.json",
    ]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
