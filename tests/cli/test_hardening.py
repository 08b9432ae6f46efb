"""Issue #10: what a hostile user and a careful reviewer found, one test each (numbers are the
issue's items)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import coincurve
import pytest

from lnctl import bolt11
from tests.conftest import lnctl_env, run, run_here, shell
from tests.helpers import check_ledger, wait_for_attempt


def _remote(home: Path, sats: int = 1000) -> str:
    return str(run(home, "simulate", "invoice", "--amount", str(sats), "--json").json["invoice"])


_shell = shell


LNCTL = f"{sys.executable} -m lnctl"


# 2 --------------------------------------------------------------------------------------------
def test_memo_file_keeps_the_memo_off_the_command_line(home: Path, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("rent for flat 3B\n")
    made = run(home, "invoice", "--amount", "1", "--memo-file", str(note), "--json")
    assert made.code == 0, made.out
    shown = run(home, "memo", "show", made.json["payment_hash"], "--json").json
    assert shown["memo"] == "rent for flat 3B"
    r = run(home, "pay", "--memo-file", "-", "--json", input=made.json["invoice"])
    assert r.code == 2 and "both the invoice and the memo" in r.json["error"]["message"]
    both = run(home, "invoice", "--memo", "x", "--memo-file", str(note), "--json")
    assert both.code == 2
    paid = run(home, "pay", _remote(home), "--memo-file", "-", "--json", input="paid rent\n")
    assert paid.code == 0 and paid.json["memo"] is None  # stored encrypted, shown by lookup
    looked = run(home, "lookup", paid.json["payment_hash"], "--json").json
    assert looked["payment"]["memo"] == "paid rent"


# 3 --------------------------------------------------------------------------------------------
def test_textfile_never_overwrites_the_wallet(home: Path, tmp_path: Path) -> None:
    assert run(home, "info").code == 0
    key = home / "secrets" / "node.key"
    before = key.read_bytes()
    for target in (key, home / "history.sqlite", home / "inside.prom", tmp_path / "x.txt"):
        r = run(home, "metrics", "--textfile", str(target), "--json")
        assert r.code == 2 and r.json["error"]["code"] == "INVALID_PATH", target
    assert key.read_bytes() == before
    ok = run(home, "metrics", "--textfile", str(tmp_path / "lnctl.prom"))
    assert ok.code == 0 and "ln_payment_success_total" in (tmp_path / "lnctl.prom").read_text()


# 4 --------------------------------------------------------------------------------------------
def test_rotation_after_an_unreadable_memo_still_makes_a_new_key(home: Path) -> None:
    made = run(home, "invoice", "--amount", "1", "--memo", "soon unreadable", "--json").json
    conn = sqlite3.connect(home / "history.sqlite")
    blob = bytearray(__import__("base64").b64decode(made["encrypted_memo"]))
    blob[-1] ^= 1
    conn.execute(
        "UPDATE invoices SET memo = ?",
        (__import__("base64").b64encode(bytes(blob)).decode(),),
    )
    conn.commit()
    conn.close()
    primaries = []
    for _ in range(3):
        r = run(home, "memo", "rotate-key", "--json")
        assert r.code == 0 and r.json["unreadable"] == 1 and r.json["resumed"] is False
        primaries.append(r.json["primary_key_id"])
    assert len(set(primaries)) == 3


# 5, 13 ----------------------------------------------------------------------------------------
def test_serve_metrics_answers_only_metrics_and_500_on_bad_state(home: Path) -> None:
    assert run(home, "channel", "list").code == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "lnctl", "serve-metrics", "--host", "0.0.0.0", "--port", "0",
         "--json"],
        env=lnctl_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline()]
        while lines[-1].rstrip() != "}":
            lines.append(proc.stdout.readline())
        port = json.loads("".join(lines))["port"]
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(base + "/metrics", timeout=10) as resp:
            assert resp.status == 200 and "Python" not in resp.headers.get("Server", "")
            assert b"ln_channel_open 2.0" in resp.read()  # the first use's two
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(base + "/", timeout=10)
        assert info.value.code == 404
        info.value.close()
        (home / "simnet" / "channels.json").write_text("{broken")
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(base + "/metrics", timeout=10)
        assert info.value.code == 500
        info.value.close()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "no authentication" in err
    assert "Traceback" not in err and "scrape failed" in err


# 6 --------------------------------------------------------------------------------------------
def test_a_symlinked_key_file_is_refused(home: Path, tmp_path: Path) -> None:
    assert run(home, "info").code == 0
    key = home / "secrets" / "node.key"
    elsewhere = tmp_path / "key"
    elsewhere.write_bytes(key.read_bytes())
    elsewhere.chmod(0o600)
    key.unlink()
    key.symlink_to(elsewhere)
    r = run(home, "info", "--json")
    assert r.code == 1 and r.json["error"]["code"] == "UNSAFE_PERMISSIONS"
    assert "symbolic link" in r.json["error"]["message"]


# 7 --------------------------------------------------------------------------------------------
def test_push_never_prints_credentials_from_the_url(home: Path) -> None:
    r = run(home, "metrics", "push", "--gateway", "http://alice:hunter2@127.0.0.1:9/", "--json")
    assert r.code == 1 and r.json["error"]["code"] == "PUSH_FAILED"
    assert "hunter2" not in r.out + r.err and "alice" not in r.out + r.err


# 8 --------------------------------------------------------------------------------------------
def test_logs_carry_only_allowed_fields(capsys: pytest.CaptureFixture[str]) -> None:
    from lnctl import log

    log.configure("debug", "json")
    try:
        log.event("info", "x", payment_hash="ab", payment_secret="s3cr3t", preimage="p", key="k")
    finally:
        log.configure("warning", "text")
    line = json.loads(capsys.readouterr().err)
    assert line["payment_hash"] == "ab"
    assert not {"payment_secret", "preimage", "key"} & set(line)


# 10 -------------------------------------------------------------------------------------------
def test_no_attempt_is_started_that_cannot_finish_in_time(home: Path) -> None:
    r = run(
        home, "pay", _remote(home), "--timeout", "0.5", "--induce-failure", "20", "--retries",
        "20", "--json", env={"LNCTL_SIM_LATENCY_MS": "150"},
    )  # fmt: skip
    assert r.code == 4 and r.json["error"]["code"] == "TIMEOUT", r.out
    assert r.json["payment"]["status"] == "FAILED"
    assert all(not ch["htlcs"] for ch in check_ledger(home)["channels"])


# 11 -------------------------------------------------------------------------------------------
def test_dry_run_predicts_what_pay_does(home: Path) -> None:
    invoice = _remote(home)
    assert run(home, "pay", invoice).code == 0
    dry = run(home, "pay", invoice, "--dry-run", "--json")
    real = run(home, "pay", invoice, "--json")
    assert dry.code == real.code == 5
    assert dry.json["failure_reason"] == real.json["error"]["code"] == "ALREADY_PAID"
    assert run(home, "pay", invoice, "--dry-run", "--if-paid", "ok").code == 0
    assert run(home, "pay", invoice, "--if-paid", "ok").code == 0


# 12 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("redirect", [">/dev/full", ">&-"])
def test_output_failure_after_a_payment_is_one_line(home: Path, redirect: str) -> None:
    invoice = _remote(home)
    r = _shell(home, f"{LNCTL} pay {invoice} --json {redirect}")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "cannot write the output" in r.stderr
    payments = run(home, "payments", "--json").json["payments"]
    assert payments[0]["status"] == "SUCCEEDED"  # the payment stays recorded
    info = _shell(home, f"{LNCTL} info --json >/dev/full")
    assert info.returncode == 1 and "Traceback" not in info.stderr


# 14 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("expiry", [2**60, 2**100])
def test_a_huge_expiry_is_shown_as_far_future(home: Path, expiry: int) -> None:
    key = coincurve.PrivateKey()
    text = bolt11.encode(
        network="regtest",
        amount_msat=1000,
        payment_hash=hashlib.sha256(b"x").digest(),
        payment_secret=os.urandom(32),
        description="far",
        expiry=expiry,
        sign=lambda m: key.sign_recoverable(m, hasher=None),
    )
    r = run(home, "decode", text)
    assert r.code == 0 and "far future" in r.out, r.err


# 15 -------------------------------------------------------------------------------------------
def test_bad_inputs_exit_2_not_1(home: Path) -> None:
    huge = "lnbcrt" + "1" * 5000 + "n1" + "q" * 120
    assert run(home, "decode", huge, "--json").code == 2
    assert run(home, "decode", "--json", input="[" * 100_000).code == 2
    assert run(home, "payments", "--cursor", "99999999999999999999999", "--json").code == 2
    proc = subprocess.run(
        [sys.executable, "-m", "lnctl", "invoice", "--memo", b"\xff\xfe", "--json"],
        env=lnctl_env(home), capture_output=True,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "lnctl", "decode", "--json"],
        input=b"\xff\xfe lnbc garbage",
        env={**lnctl_env(home), "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
    )
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr


# 16 -------------------------------------------------------------------------------------------
def test_storage_problems_are_named_for_what_they_are(home: Path) -> None:
    from lnctl.storage.sqlite import diagnose

    readonly = diagnose(sqlite3.OperationalError("attempt to write a readonly database"), "s", "p")
    full = diagnose(sqlite3.OperationalError("database or disk is full"), "s", "p")
    damaged = diagnose(sqlite3.DatabaseError("file is not a database"), "s", "p")
    assert (readonly.code, full.code, damaged.code) == ("READ_ONLY", "DISK_FULL", "CORRUPT_STATE")
    assert "backup" not in readonly.hint + full.hint and "backup" in damaged.hint
    assert run(home, "info").code == 0
    (home / "simnet" / "channels.json").write_text("[" * 100_000)
    r = run(home, "channel", "list", "--json")
    assert r.code == 1 and r.json["error"]["code"] == "CORRUPT_STATE"


# 17 -------------------------------------------------------------------------------------------
def test_in_flight_elsewhere_carries_the_payment_record(home: Path) -> None:
    invoice = _remote(home)
    slow = {"LNCTL_SIM_LATENCY_MS": "2000"}
    from tests.conftest import popen

    first = popen(home, "pay", invoice, "--json", env=slow)
    wait_for_attempt(home)  # the first is in flight at the node
    r = run(home, "pay", invoice, "--json")
    first.communicate(timeout=30)
    assert r.code == 5 and r.json["error"]["code"] == "ALREADY_IN_FLIGHT"
    assert r.json["payment"]["status"] == "IN_FLIGHT"


# 18 -------------------------------------------------------------------------------------------
def test_an_empty_home_is_refused(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LNCTL_")}
    for args, extra in ((["--home", ""], {}), ([], {"LNCTL_HOME": ""})):
        proc = subprocess.run(
            [sys.executable, "-m", "lnctl", *args, "info", "--json"],
            env={**env, **extra, "HOME": str(tmp_path)}, capture_output=True, text=True,
        )  # fmt: skip
        assert proc.returncode == 2 and "INVALID_HOME" in proc.stdout, proc.stdout
    assert not (tmp_path / ".lnctl").exists()
    r = run(Path("/dev/null"), "info", "--json")
    assert r.code == 2 and "not a folder" in r.json["error"]["message"]


# 19 -------------------------------------------------------------------------------------------
def test_limits_agree(home: Path) -> None:
    big = "m" * 65_537
    assert run(home, "invoice", "--memo", big, "--json").json["error"]["code"] == "MEMO_TOO_LONG"
    r = run(home, "pay", _remote(home), "--memo", big, "--json")
    assert r.code == 2 and r.json["error"]["code"] == "MEMO_TOO_LONG"
    r = run(home, "simulate", "invoice", "--expiry", str(10**12), "--json")
    assert r.code == 2 and r.json["error"]["code"] == "INVALID_EXPIRY"


# 20 -------------------------------------------------------------------------------------------
def test_a_reader_that_goes_away_is_not_an_error(home: Path) -> None:
    assert run(home, "info").code == 0
    r = _shell(home, f"set -o pipefail; {LNCTL} simulate invoice --count 300 --json | head -c 10")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""


# 21 -------------------------------------------------------------------------------------------
def test_the_sanitizer_filters_by_unicode_category() -> None:
    from lnctl.sanitize import sanitize

    for hostile in ("pay\u200bal", "a\u200db", "\ufeffx", "a\u2028b", "a\u2029b", "\u202eevil",
                    "x\ue000", "\x1b[31mred"):  # fmt: skip
        shown = sanitize(hostile)
        assert "\ufffd" in shown and not any(c in shown for c in "\u200b\u200d\ufeff\u2028\x1b")
    assert sanitize("e" + "\u0301" * 50) == "e\u0301\u0301"
    assert sanitize("naïve café 東京") == "naïve café 東京"


# 22 -------------------------------------------------------------------------------------------
def test_messages_for_people(home: Path) -> None:
    assert "the invoice is empty" in run(home, "decode", "").err
    assert run(home, "payments", "--status", "SUCCEEDED").code == 0
    assert run(home, "invoices", "--status", "OPEN").code == 0
    assert "PAYMENT_HASH" in run(home, "lookup", "--help").out
    assert "[default: 0]" not in run(home, "pay", "--help").out
    r = run(home, "pay", "--induce-failure", "-1", _remote(home))
    assert r.code == 2 and "No such option" not in r.err
    expired = run(home, "simulate", "invoice", "--amount", "1", "--expiry", "1", "--json").json
    time.sleep(1.1)
    r = run(home, "pay", expired["invoice"])
    assert r.code == 2 and str(expired["expires_at"]) not in r.err
    out = run(home, "channel", "balance").out
    assert "channel reserves" in out
    assert all(line == line.rstrip() for line in out.splitlines())


# 23 -------------------------------------------------------------------------------------------
def test_a_memo_that_reads_json_is_a_memo(home: Path) -> None:
    r = run(home, "invoice", "--amount", "1", "--memo", "--json")
    assert r.code == 0 and r.out.startswith("lnbcrt")  # human output: --json was the memo
    from lnctl.cli.app import get_command
    from lnctl.cli.commands import value_flags

    def walk(command: Any) -> Iterator[Any]:
        yield command
        for sub in getattr(command, "commands", {}).values():
            yield from walk(sub)

    taking = {
        opt
        for command in walk(get_command())
        for param in command.params
        if getattr(param, "param_type_name", "") == "option"
        and not getattr(param, "is_flag", False)
        and not getattr(param, "count", False)
        for opt in param.opts
        if opt.startswith("--")
    }
    assert taking == set(value_flags())


def test_a_text_amount_in_a_tampered_history_is_corrupt_state(home: Path) -> None:
    """Money is never shown as text: a record whose amount is not an integer is refused
    (exit 1, CORRUPT_STATE), as a table, as JSON, and when paying again."""
    made = run_here(home, "simulate", "invoice", "--amount", "5")
    assert made.code == 0, made.err
    text = made.out.strip()
    assert run_here(home, "pay", text).code == 0
    ours = run_here(home, "invoice", "--amount", "7", "--json").json
    conn = sqlite3.connect(home / "history.sqlite")
    conn.execute("UPDATE payments SET amount_msat = '5000 msat'")
    conn.execute("UPDATE invoices SET amount_msat = '7 sat'")
    conn.commit()
    conn.close()
    payment_hash = bolt11.decode(text).payment_hash
    for args in (
        ("payments",),
        ("payments", "--json"),
        ("lookup", payment_hash, "--json"),
        ("invoices", "--json"),
        ("lookup", ours["payment_hash"]),
        ("pay", text, "--json"),
    ):
        got = run_here(home, *args)
        assert got.code == 1, (args, got.out, got.err)
        if "--json" in args:
            assert got.json["error"]["code"] == "CORRUPT_STATE"
        else:
            assert got.err.startswith("lnctl: error: the history's record") and "'" in got.err


def test_a_swapped_node_key_is_refused_with_or_without_the_recorded_digest(home: Path) -> None:
    """`info` checks that the key file is this node's: by the digest recorded at first use (no
    libsecp256k1 needed) and, for a node made before that digest existed, by the public key."""
    assert run(home, "info").code == 0
    key = home / "secrets" / "node.key"
    original = key.read_bytes()
    for recorded in (True, False):
        if not recorded:  # a node made by an lnctl that did not record the digest
            conn = sqlite3.connect(home / "simnet" / "network.sqlite")
            conn.execute("DELETE FROM meta WHERE key = 'key_digest'")
            conn.commit()
            conn.close()
        key.write_bytes(os.urandom(32).hex().encode() + b"\n")
        r = run(home, "info", "--json")
        assert r.code == 1 and r.json["error"]["code"] == "CORRUPT_STATE", r.out
        assert "is not the key of this wallet's node" in r.json["error"]["message"]
        key.write_bytes(original)
        assert run(home, "info", "--json").code == 0
