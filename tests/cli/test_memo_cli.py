"""Memos end to end: nothing in clear on disk or in logs, listings that never crash, rotation
that survives SIGKILL at each step (issue 4)."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_crash import ROTATION_POINTS
from tests.conftest import run
from tests.helpers import rows

MEMOS = ["pay rent to Alice ✓", "ünïcödé 🐈 secret", "x" * 300]


def _all_bytes(home: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in home.rglob("*") if p.is_file()]


def _encodings(text: str) -> list[bytes]:
    raw = text.encode()
    found = [raw]
    for shift in range(3):  # base64 of the text at every alignment
        chunk = base64.b64encode(b"\0" * shift + raw)[4 if shift else 0 : -4]
        if len(chunk) > 8:
            found.append(chunk)
    return found


def _make(home: Path) -> list[dict[str, Any]]:
    made = []
    for memo in MEMOS:
        doc = run(home, "invoice", "--amount", "10", "--memo", memo, "--json").json
        made.append({"payment_hash": doc["payment_hash"], "memo": memo})
    invoice = run(home, "simulate", "invoice", "--amount", "5", "--json").json["invoice"]
    paid = run(
        home, "-vv", "--log-format", "json", "pay", invoice, "--memo", "payment note 42", "--json"
    )
    assert paid.code == 0, paid.err
    made.append(
        {"payment_hash": paid.json["payment_hash"], "memo": "payment note 42", "log": paid.err}
    )
    return made


def test_no_memo_text_anywhere_on_disk_or_in_logs(home: Path) -> None:
    made = _make(home)
    logs = run(home, "-vv", "--log-format", "json", "invoices", "--json").err + made[-1]["log"]
    logs += run(home, "-vv", "invoice", "--amount", "1", "--memo", "in the log?").err
    for path, data in _all_bytes(home):
        for memo in MEMOS + ["payment note 42", "in the log?"]:
            for enc in _encodings(memo):
                assert enc not in data, (path, memo)
    for memo in MEMOS + ["payment note 42", "in the log?"]:
        assert memo not in logs
    listed = run(home, "invoices", "--json").json["invoices"]
    assert [i["memo"] for i in listed if i["memo"] not in (None, "in the log?")] == MEMOS[::-1]
    payments = run(home, "payments", "--json").json["payments"]
    assert payments[0]["memo"] == "payment note 42"


def test_memo_show_and_verify(home: Path) -> None:
    made = _make(home)
    shown = run(home, "memo", "show", made[0]["payment_hash"], "--json")
    assert shown.code == 0 and shown.json["memo"] == MEMOS[0]
    assert (
        run(home, "memo", "show", made[-1]["payment_hash"], "--json").json["memo"]
        == "payment note 42"
    )
    ok = run(home, "memo", "verify", made[1]["payment_hash"], MEMOS[1], "--json")
    assert ok.code == 0 and ok.json["match"] is True and ok.json["against"] == "memo"
    assert ok.json["text_sha256"] == hashlib.sha256(MEMOS[1].encode()).hexdigest()
    bad = run(home, "memo", "verify", made[1]["payment_hash"], MEMOS[1] + " ", "--json")
    assert bad.code == 2 and bad.json["error"]["code"] == "MEMO_MISMATCH"
    assert run(home, "memo", "show", "ab" * 32, "--json").code == 2


def test_missing_key_gives_a_marker_and_one_warning(home: Path) -> None:
    made = _make(home)
    (home / "secrets" / "memo.keys").unlink()
    r = run(home, "invoices", "--json")
    assert r.code == 0
    memos = [i["memo"] for i in r.json["invoices"]]
    assert memos == ["[memo unavailable]"] * 3
    assert r.err.count("warning") == 1
    human = run(home, "invoices")
    assert human.code == 0 and "memo unavailable" in human.out
    show = run(home, "memo", "show", made[0]["payment_hash"], "--json")
    assert show.code == 1 and show.json["error"]["code"] == "MEMO_KEY_MISSING"


def test_tampered_and_swapped_ciphertexts_are_detected(home: Path) -> None:
    made = _make(home)
    conn = sqlite3.connect(home / "history.sqlite")
    (a,), (b,) = conn.execute("SELECT memo FROM invoices ORDER BY id LIMIT 2").fetchall()
    conn.execute(
        "UPDATE invoices SET memo = ? WHERE payment_hash = ?", (b, made[0]["payment_hash"])
    )
    conn.execute(
        "UPDATE invoices SET memo = ? WHERE payment_hash = ?", (a, made[1]["payment_hash"])
    )
    raw = bytearray(base64.b64decode(a))
    raw[-1] ^= 1
    conn.execute(
        "UPDATE invoices SET memo = ? WHERE payment_hash = ?",
        (base64.b64encode(bytes(raw)).decode(), made[2]["payment_hash"]),
    )
    conn.commit()
    conn.close()
    listed = run(home, "invoices", "--json")
    assert listed.code == 0
    assert [i["memo"] for i in listed.json["invoices"]] == ["[memo unavailable]"] * 3
    for m in made[:3]:
        r = run(home, "memo", "show", m["payment_hash"], "--json")
        assert r.code == 1 and r.json["error"]["code"] == "MEMO_TAMPERED"
        assert "Traceback" not in r.err


def test_unsafe_keyring_and_bad_environment_key(home: Path) -> None:
    _make(home)
    (home / "secrets" / "memo.keys").chmod(0o640)
    r = run(home, "invoice", "--amount", "1", "--memo", "m", "--json")
    assert r.code == 1 and r.json["error"]["code"] == "UNSAFE_PERMISSIONS"
    assert "chmod 600" in r.json["error"]["hint"]
    (home / "secrets" / "memo.keys").chmod(0o600)
    r = run(
        home,
        "invoice",
        "--amount",
        "1",
        "--memo",
        "m",
        "--json",
        env={"LNCTL_MEMO_KEY": "bm90IDMyIGJ5dGVz"},
    )
    assert r.code == 2 and r.json["error"]["code"] == "INVALID_MEMO_KEY"


def _keyring(home: Path) -> dict[str, Any]:
    return dict(json.loads((home / "secrets" / "memo.keys").read_text()))


def test_rotation_reencrypts_everything_and_retires_the_old_key(home: Path) -> None:
    made = _make(home)
    old = _keyring(home)["primary"]
    r = run(home, "memo", "rotate-key", "--json")
    assert r.code == 0, r.err
    d = r.json
    assert d["primary_key_id"] != old and d["retired_key_ids"] == [old]
    assert d["reencrypted"] == 4 and d["unreadable"] == 0
    assert list(_keyring(home)["keys"]) == [d["primary_key_id"]]
    used = {
        r[0]
        for r in rows(
            home,
            "SELECT memo_key_id FROM invoices WHERE memo IS NOT NULL "
            "UNION SELECT memo_key_id FROM payments WHERE memo IS NOT NULL",
        )
    }
    assert used == {d["primary_key_id"]}
    for m in made:
        assert run(home, "memo", "show", m["payment_hash"], "--json").json["memo"] == m["memo"]
    again = run(home, "memo", "rotate-key", "--json").json
    assert again["retired_key_ids"] == [d["primary_key_id"]] and not again["resumed"]


@pytest.mark.parametrize("point", ROTATION_POINTS)
def test_rotation_killed_at_each_step_then_rerun(home: Path, point: str) -> None:
    made = _make(home)
    for i in range(600):  # more than one re-encryption batch
        run_args = ["invoice", "--amount", "1", "--memo", f"bulk {i}", "--json"]
        if i % 200 == 0:
            made.append(
                {"payment_hash": run(home, *run_args).json["payment_hash"], "memo": f"bulk {i}"}
            )
        else:
            _insert_copy(home, i)
    old = _keyring(home)["primary"]
    r = run(home, "memo", "rotate-key", env={"LNCTL_FAILPOINT": point})
    assert r.code == -9
    for m in made:  # every memo readable by some key in the keyring, right after the crash
        assert run(home, "memo", "show", m["payment_hash"], "--json").json["memo"] == m["memo"]
    rerun = run(home, "memo", "rotate-key", "--json")
    assert rerun.code == 0 and rerun.json["resumed"] is True
    ring = _keyring(home)
    assert old not in ring["keys"] and list(ring["keys"]) == [ring["primary"]]
    listed = run(home, "invoices", "--limit", "1000", "--json")
    assert "[memo unavailable]" not in listed.out and listed.err == ""
    used = {
        r[0] for r in rows(home, "SELECT DISTINCT memo_key_id FROM invoices WHERE memo IS NOT NULL")
    }
    assert used == {ring["primary"]}


def _insert_copy(home: Path, i: int) -> None:
    """Bulk rows for the rotation test, encrypted in-process (much faster than 600 processes)."""
    import os

    from lnctl.memo import Keyring

    ring = Keyring.load(str(home / "secrets"), None, create=False)
    assert ring is not None
    h = hashlib.sha256(os.urandom(32)).hexdigest()
    conn = sqlite3.connect(home / "history.sqlite")
    conn.execute(
        "INSERT INTO invoices (payment_hash, bolt11, preimage, amount_msat, description_hash, "
        "memo, memo_key_id, created_at, expires_at, status) "
        "VALUES (?, 'x', ?, 1000, ?, ?, ?, 0, 9999999999, "
        "'OPEN')",
        (h, "00" * 32, "00" * 32, ring.encrypt(f"bulk {i}", "invoice", h), ring.primary),
    )
    conn.commit()
    conn.close()


def test_key_usage_warns_then_refuses_long_before_the_gcm_limit(home: Path) -> None:
    from lnctl.memo import MAX_ENCRYPTIONS, WARN_ENCRYPTIONS

    _make(home)
    kid = _keyring(home)["primary"]
    count = rows(home, "SELECT encryptions FROM memo_key_usage WHERE key_id = ?", kid)[0][0]
    assert count == 4  # three invoice memos and one payment memo so far
    conn = sqlite3.connect(home / "history.sqlite")
    conn.execute(
        "UPDATE memo_key_usage SET encryptions = ? WHERE key_id = ?", (WARN_ENCRYPTIONS, kid)
    )
    conn.commit()
    r = run(home, "invoice", "--amount", "1", "--memo", "m", "--json")
    assert r.code == 0 and "rotate-key" in r.err and "warning" in r.err
    conn.execute(
        "UPDATE memo_key_usage SET encryptions = ? WHERE key_id = ?", (MAX_ENCRYPTIONS, kid)
    )
    conn.commit()
    conn.close()
    r = run(home, "invoice", "--amount", "1", "--memo", "m", "--json")
    assert r.code == 1 and r.json["error"]["code"] == "MEMO_KEY_EXHAUSTED"
    assert run(home, "memo", "rotate-key").code == 0
    assert run(home, "invoice", "--amount", "1", "--memo", "m", "--json").code == 0
    assert MAX_ENCRYPTIONS < 2**32


def test_wrong_key_from_the_environment(home: Path) -> None:
    made = _make(home)
    other = base64.b64encode(b"k" * 32).decode()
    (home / "secrets" / "memo.keys").unlink()
    r = run(home, "memo", "show", made[0]["payment_hash"], "--json", env={"LNCTL_MEMO_KEY": other})
    assert r.code == 1 and r.json["error"]["code"] == "MEMO_KEY_MISSING"
    fresh = run(
        home,
        "invoice",
        "--amount",
        "1",
        "--memo",
        "env memo",
        "--json",
        env={"LNCTL_MEMO_KEY": other},
    ).json["payment_hash"]
    assert (
        run(home, "memo", "show", fresh, "--json", env={"LNCTL_MEMO_KEY": other}).json["memo"]
        == "env memo"
    )
    assert run(home, "memo", "show", fresh, "--json").code == 1  # without the key: refused
    assert run(home, "memo", "rotate-key", "--json", env={"LNCTL_MEMO_KEY": other}).code == 2
