"""Issue #20 (3, 6, 8): input is never cut (over its limit it is refused, exit 2, naming the
limit), a config that is not a regular file is refused without waiting on it, integers too long
to convert are a usage error on both paths, and pay and pay --file validate --timeout alike."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run, run_here
from tests.helpers import rows


def _peer(home: Path, sats: int) -> str:
    return str(run_here(home, "simulate", "invoice", "--amount", str(sats)).out.strip())


# -- 3: never half-read ------------------------------------------------------------------------


def test_a_batch_file_over_its_limit_is_refused_whole(home: Path, tmp_path: Path) -> None:
    """The issue's case: a line straddling the 64 MiB limit paid 12 sat instead of 12,345 and
    the next line vanished, exit 0. The file is refused; nothing is paid."""
    amountless = run_here(home, "simulate", "invoice").out.strip()
    other = _peer(home, 5)
    limit = 64 << 20
    head = b"# padding\n" * ((limit - 40) // 10)
    line = f"{amountless} 12345\n".encode()
    straddle = head + b" " * (limit - len(head) - 2) + line + other.encode() + b"\n"
    assert len(straddle) > limit and straddle.index(line) < limit < straddle.index(line) + 20
    batch = tmp_path / "big.txt"
    batch.write_bytes(straddle)
    r = run(home, "pay", "--file", str(batch), "--json")
    assert r.code == 2 and r.json["error"]["code"] == "INPUT_TOO_LARGE", r.out[:300]
    assert "64 MiB" in r.json["error"]["message"]
    assert rows(home, "SELECT * FROM payments") == []
    r = run(home, "pay", "--file", "-", "--json", input=straddle.decode())
    assert r.code == 2 and r.json["error"]["code"] == "INPUT_TOO_LARGE"
    assert rows(home, "SELECT * FROM payments") == []


def test_a_batch_file_at_its_limit_is_read_whole(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lnctl.cli.commands import pay

    text = _peer(home, 3) + "\n" + _peer(home, 4) + "\n"
    monkeypatch.setattr(pay, "MAX_BATCH_BYTES", len(text))
    batch = tmp_path / "b.txt"
    batch.write_text(text)
    r = run_here(home, "pay", "--file", str(batch), "--json")
    assert r.code == 0 and r.json["summary"]["paid"] == 2
    batch.write_text(text + "#")  # one byte more
    r = run_here(home, "pay", "--file", str(batch), "--json")
    assert r.code == 2 and r.json["error"]["code"] == "INPUT_TOO_LARGE"


def test_a_config_over_its_limit_is_refused_not_cut(home: Path) -> None:
    """A fee cap past the first MiB was ignored: now the whole file is refused."""
    home.mkdir(parents=True)
    (home / "config.toml").write_text("#" * (1 << 20) + "\nmax_fee_sat = 1\n")
    r = run(home, "config", "show", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "CONFIG_INVALID"
    assert "1 MiB" in r.json["error"]["message"]
    (home / "config.toml").write_text("#" * ((1 << 20) - 20) + "\nmax_fee_sat = 1\n")
    r = run(home, "config", "show", "--json")
    assert r.code == 0 and r.json["settings"]["max_fee_sat"]["value"] == 1


def test_a_config_that_is_a_fifo_is_refused_without_waiting(home: Path) -> None:
    home.mkdir(parents=True)
    os.mkfifo(home / "config.toml")
    r = run(home, "payments", "--json", timeout=20)  # a reader would wait for a writer forever
    assert r.code == 2 and r.json["error"]["code"] == "CONFIG_INVALID"
    assert "not a regular file" in r.json["error"]["message"]
    os.unlink(home / "config.toml")
    os.mkdir(home / "config.toml")
    r = run(home, "payments", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "CONFIG_INVALID"


def test_an_invoice_on_stdin_over_its_limit_is_refused(home: Path) -> None:
    invoice = _peer(home, 5)
    r = run(home, "pay", "--json", input=" " * (1 << 20) + invoice)
    assert r.code == 2 and r.json["error"]["code"] == "INPUT_TOO_LARGE", r.out
    assert "1 MiB" in r.json["error"]["message"]
    assert rows(home, "SELECT * FROM payments") == []
    r = run(home, "decode", "--json", input=invoice + " " * (1 << 20))
    assert r.code == 2 and r.json["error"]["code"] == "INPUT_TOO_LARGE"
    assert run(home, "pay", "--json", input=invoice).code == 0


def test_a_memo_file_over_the_memo_limit_is_refused(home: Path, tmp_path: Path) -> None:
    memo = tmp_path / "memo.txt"
    memo.write_text("m" * 65_536 + "\n")  # at the limit, with its newline
    assert run_here(home, "invoice", "--amount", "1", "--memo-file", str(memo)).code == 0
    memo.write_text("m" * 70_000)
    r = run_here(home, "invoice", "--amount", "1", "--memo-file", str(memo), "--json")
    assert r.code == 2 and r.json["error"]["code"] == "MEMO_TOO_LONG"


# -- 6: integers of 4,301+ digits --------------------------------------------------------------

HUGE = "9" * 5000


@pytest.mark.parametrize(
    "args",
    [
        ["invoice", "--amount", HUGE],
        ["invoice", "--amount-msat", HUGE],
        ["pay", "{invoice}", "--amount", HUGE],
        ["payments", "--cursor", HUGE],
        ["invoices", "--cursor", HUGE],
        ["channel", "open", "--peer", "{peer}", "--capacity", HUGE],
        ["simulate", "invoice", "--amount", HUGE],
        ["pay", "{invoice}", "--retries", HUGE],
    ],
    ids=lambda a: " ".join(x for x in a if x != HUGE),
)
def test_huge_integers_are_a_usage_error_on_both_paths(home: Path, args: list[str]) -> None:
    invoice = run_here(home, "simulate", "invoice", "--json").json
    args = [a.format(invoice=invoice["invoice"], peer=invoice["payee"]) for a in args]
    results = []
    for path in ("1", "0"):
        r = run_here(home, *args, "--json", env={"LNCTL_FAST_PATH": path})
        results.append((r.code, r.json["error"]["code"]))
    assert results == [(2, "USAGE"), (2, "USAGE")]


# -- 8: one validation of --timeout ------------------------------------------------------------


@pytest.mark.parametrize("timeout", ["nan", "inf", "1e308", "100000", "86400.5"])
def test_pay_and_pay_file_refuse_the_same_timeouts(
    home: Path, tmp_path: Path, timeout: str
) -> None:
    invoice = _peer(home, 5)
    batch = tmp_path / "batch.txt"
    batch.write_text(invoice + "\n")
    single = run_here(home, "pay", invoice, "--timeout", timeout, "--json")
    many = run_here(home, "pay", "--file", str(batch), "--timeout", timeout, "--json")
    assert single.code == many.code == 2
    assert single.json["error"]["code"] == many.json["error"]["code"] == "INVALID_TIMEOUT"
    assert rows(home, "SELECT * FROM payments") == []
    ok = run_here(home, "pay", "--file", str(batch), "--timeout", "86400", "--json")
    assert ok.code == 0


@pytest.mark.parametrize(
    "text", ["max_fee_sat = " + HUGE, "timeout_s = " + "[" * 100_000], ids=["huge", "nested"]
)
def test_a_config_value_tomllib_cannot_convert_is_config_invalid(home: Path, text: str) -> None:
    home.mkdir(parents=True)
    (home / "config.toml").write_text(text + "\n")
    for path in ("1", "0"):
        r = run_here(home, "payments", "--json", env={"LNCTL_FAST_PATH": path})
        assert r.code == 2 and r.json["error"]["code"] == "CONFIG_INVALID", r.out
