"""A payment hash may be given as a unique prefix (as git takes a commit's), at least 8 hex
characters: ``lookup``, ``memo show``, ``memo verify``, ``invoice wait`` (issue #22)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import run_here


def _invoice(home: Path, *args: str) -> dict[str, str]:
    r = run_here(home, "invoice", "--amount", "2", *args, "--json")
    assert r.code == 0, r.err
    doc: dict[str, str] = r.json
    return doc


def _twin(home: Path, payment_hash: str, keep: int, table: str = "invoices") -> str:
    """A record whose hash shares the first ``keep`` characters of ``payment_hash`` (found by
    chance once in 2**32 at 8: made here by copying a row)."""
    tail = "".join("0123456789abcdef"[(int(c, 16) + 1) % 16] for c in payment_hash[keep:])
    other = payment_hash[:keep] + tail
    with sqlite3.connect(home / "history.sqlite") as db:
        cols = [r[1] for r in db.execute(f"PRAGMA table_info({table})") if r[1] != "id"]
        picked = ", ".join("?" if c == "payment_hash" else c for c in cols)
        db.execute(
            f"INSERT INTO {table} ({', '.join(cols)}) SELECT {picked} FROM {table} "
            "WHERE payment_hash = ?",
            (other, payment_hash),
        )
    return other


def test_a_unique_prefix_of_8_or_more_names_the_hash(home: Path) -> None:
    inv = _invoice(home, "--memo", "for the prefix")
    full = inv["payment_hash"]
    for prefix in (full[:8], full[:16].upper(), f"  {full[:40]} "):
        r = run_here(home, "lookup", prefix, "--json")
        assert r.code == 0 and r.json["payment_hash"] == full, (prefix, r.out)
    r = run_here(home, "memo", "show", full[:16], "--json")
    assert r.code == 0 and r.json["memo"] == "for the prefix" and r.json["payment_hash"] == full
    r = run_here(home, "memo", "verify", full[:16], "for the prefix", "--json")
    assert r.code == 0, r.out
    assert run_here(home, "simulate", "pay", inv["invoice"], "--json").code == 0
    r = run_here(home, "invoice", "wait", full[:12], "--timeout", "5", "--json")
    assert r.code == 0 and r.json["payment_hash"] == full, r.out
    # a payment's hash too (paid to the peer: no invoice of ours)
    peer = run_here(home, "simulate", "invoice", "--amount", "3", "--json").json
    assert run_here(home, "pay", peer["invoice"], "--json").code == 0
    r = run_here(home, "lookup", peer["payment_hash"][:8], "--json")
    assert r.code == 0 and r.json["payment"]["payment_hash"] == peer["payment_hash"]


def test_too_short_or_not_hex_is_invalid_hash(home: Path) -> None:
    full = _invoice(home)["payment_hash"]
    for bad in (full[:7], "g" * 8, full + "0", ""):
        r = run_here(home, "lookup", bad, "--json")
        assert r.code == 2 and r.json["error"]["code"] == "INVALID_HASH", (bad, r.out)
        assert "at least 8" in r.json["error"]["hint"]


def test_a_prefix_of_nothing_is_not_found(home: Path) -> None:
    full = _invoice(home)["payment_hash"]
    other = "0" * 8 if not full.startswith("0" * 8) else "f" * 8
    for args in (["lookup", other], ["memo", "show", other], ["invoice", "wait", other]):
        r = run_here(home, *args, "--json")
        assert r.code == 2 and r.json["error"]["code"] == "NOT_FOUND", (args, r.out)


def test_an_ambiguous_prefix_is_refused_naming_the_candidates(home: Path) -> None:
    full = _invoice(home)["payment_hash"]
    twin = _twin(home, full, 12)
    for args in (["lookup"], ["memo", "show"], ["invoice", "wait"]):
        r = run_here(home, *args, full[:10], "--json")
        assert r.code == 2, (args, r.out)
        error = r.json["error"]
        assert error["code"] == "AMBIGUOUS_HASH" and error["candidates"] == sorted([full, twin])
        assert full in error["message"] and twin in error["message"]
    r = run_here(home, "lookup", full[:10])
    assert r.code == 2 and full in r.err and twin in r.err and "give more characters" in r.err
    # one more character than they share tells them apart; the whole hash is never ambiguous
    assert run_here(home, "lookup", full[:13], "--json").json["payment_hash"] == full
    assert run_here(home, "lookup", full, "--json").json["payment_hash"] == full


def test_payments_hashes_are_candidates_too(home: Path) -> None:
    peer = run_here(home, "simulate", "invoice", "--amount", "3", "--json").json
    assert run_here(home, "pay", peer["invoice"], "--json").code == 0
    twin = _twin(home, peer["payment_hash"], 9, table="payments")
    r = run_here(home, "lookup", twin[:9], "--json")
    assert r.json["error"]["candidates"] == sorted([peer["payment_hash"], twin]), r.out


def test_help_says_a_prefix_is_taken(home: Path) -> None:
    for args in (["lookup"], ["memo", "show"], ["memo", "verify"], ["invoice", "wait"]):
        r = run_here(home, *args, "--help")
        assert r.code == 0 and "unique prefix (8 or more)" in " ".join(r.out.split()), args
