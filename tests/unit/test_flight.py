"""One payment lifecycle (lnctl.core.payments.Flight) driven two ways: by ``pay`` for a single
payment and by ``lnctl.core.engine.Engine`` for a batch on the embedded node. An error after the
claim and a Ctrl-C end a payment the same way in both; recovery (lnctl.core.recovery) then
resolves what a process left in flight from the node's record."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lnctl import failpoints
from lnctl.config import Config
from lnctl.core import payments
from lnctl.core.clocks import TokenBucket
from lnctl.core.engine import Engine
from lnctl.core.locks import HashLock
from lnctl.core.payments import PayOptions, pay
from lnctl.core.recovery import recover
from lnctl.core.wallet import Wallet
from lnctl.errors import ExitCode, Interrupted, LnctlError, StorageError

if TYPE_CHECKING:
    from lnctl.core.documents import PaymentDocument


class Crash(BaseException):
    """The process died here (SIGKILL in real runs)."""


class Line:
    def __init__(self, invoice: str) -> None:
        self.invoice = invoice
        self.amount_msat: int | None = None


def _carried(error: LnctlError) -> dict[str, Any]:
    """The payment's document an error carries (``details['payment']``)."""
    payment = error.details["payment"]
    assert isinstance(payment, dict)
    return payment


def _wallet(home: Path) -> Wallet:
    return Wallet(Config.from_env({"LNCTL_HOME": str(home)}))


def _invoices(wallet: Wallet, count: int, sats: int = 1000) -> list[str]:
    return [n.bolt11 for n in wallet.simulated.create_remote_invoices(sats * 1000, "", 3600, count)]


def _run_engine(
    wallet: Wallet, invoices: list[str], options: PayOptions | None = None
) -> list[PaymentDocument | LnctlError]:
    results: list[PaymentDocument | LnctlError] = []
    Engine(
        wallet, [Line(i) for i in invoices], concurrency=4, bucket=TokenBucket(None),
        stop=threading.Event(), options=options or PayOptions(),
        finish=lambda index, began, result: results.append(result),
    ).run()  # fmt: skip
    return results


def _stored(wallet: Wallet, invoice: str) -> Any:
    from lnctl import bolt11

    return wallet.history.get_payment(bolt11.decode(invoice).payment_hash)


def test_pay_and_the_engine_reach_the_same_result(tmp_path: Path) -> None:
    wallet = _wallet(tmp_path)
    one, two = _invoices(wallet, 2)
    single = pay(wallet, one, PayOptions(induce_failures=1))
    [batched] = _run_engine(wallet, [two], PayOptions(induce_failures=1))
    assert not isinstance(batched, LnctlError)
    for doc in (single, batched):
        assert doc["status"] == "SUCCEEDED" and doc["attempts"] == 2 and doc["preimage"]
    wallet.close()


def test_an_error_after_the_claim_carries_the_stored_record_in_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history refuses to record the outcome (a full disk): the payment stays IN_FLIGHT for
    recovery, and the error that ends it carries that record: in pay as in the engine."""
    wallet = _wallet(tmp_path)
    one, two = _invoices(wallet, 2)

    def full(*args: object, **kwargs: object) -> None:
        raise StorageError("disk full", code="DISK_FULL")

    monkeypatch.setattr("lnctl.core.payments.conclude", full)
    with pytest.raises(LnctlError) as caught:
        pay(wallet, one, PayOptions())
    [batched] = _run_engine(wallet, [two])
    assert isinstance(batched, LnctlError)
    for error, invoice in ((caught.value, one), (batched, two)):
        assert error.code == "DISK_FULL"
        assert _carried(error)["status"] == "IN_FLIGHT"
        assert _stored(wallet, invoice).status == "IN_FLIGHT"
    monkeypatch.undo()
    assert {r["outcome"] for r in recover(wallet)} == {"SUCCEEDED"}  # the node had paid both
    wallet.close()


def test_ctrl_c_leaves_the_payment_in_flight_in_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wallet = _wallet(tmp_path)
    one, two, three = _invoices(wallet, 3)

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("lnctl.core.payments.outcome_of_payment", interrupt)
    with pytest.raises(Interrupted) as caught:
        pay(wallet, one, PayOptions())
    assert caught.value.exit_code == ExitCode.INTERRUPTED
    ended: list[PaymentDocument | LnctlError] = []
    monkeypatch.setattr(wallet.simulated, "send_many", interrupt)
    with pytest.raises(KeyboardInterrupt):
        ended = []
        Engine(
            wallet, [Line(two), Line(three)], concurrency=4, bucket=TokenBucket(None),
            stop=threading.Event(), options=PayOptions(),
            finish=lambda index, began, result: ended.append(result),
        ).run()  # fmt: skip
    assert len(ended) == 2
    for error in (caught.value, *ended):
        assert isinstance(error, Interrupted)
        assert _carried(error)["status"] == "IN_FLIGHT"
        assert "do not pay again" in (error.hint or "")
    for invoice in (one, two, three):
        record = _stored(wallet, invoice)
        assert record.status == "IN_FLIGHT" and record.attempts == 1
        lock = HashLock(wallet.home, record.payment_hash)
        assert lock.try_acquire()  # every flight let go of its lock
        lock.release()
    monkeypatch.undo()
    # nothing reached the node: recovery fails them as never sent (the embedded node's record
    # is written in the step that acts), and they may be paid again
    assert {r["outcome"] for r in recover(wallet)} == {"FAILED"}
    assert pay(wallet, one, PayOptions())["status"] == "SUCCEEDED"
    wallet.close()


@pytest.mark.parametrize(
    ("point", "induce", "recovered"),
    [
        ("after_claim", 0, "FAILED"),  # nothing asked of the node: never sent
        ("after_send", 0, "SUCCEEDED"),  # the node paid it; the history had not heard
        ("after_send", 9, "FAILED"),  # the node failed it for good (every attempt induced)
    ],
)
def test_recovery_resolves_what_a_dead_process_left_from_the_nodes_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str, induce: int, recovered: str
) -> None:
    wallet = _wallet(tmp_path)
    [invoice] = _invoices(wallet, 1)

    def crash(name: str, env: dict[str, str]) -> None:
        if name == point:
            raise Crash(name)

    monkeypatch.setattr(failpoints, "hit", crash)
    with pytest.raises(Crash):
        pay(wallet, invoice, PayOptions(induce_failures=induce, retries=1))
    monkeypatch.undo()
    wallet.close()
    again = _wallet(tmp_path)  # the next command
    record = _stored(again, invoice)
    assert record.status == "IN_FLIGHT"
    assert recover(again) == [{"payment_hash": record.payment_hash, "outcome": recovered}]
    final = _stored(again, invoice)
    assert final.status == recovered
    if recovered == "SUCCEEDED":
        from hashlib import sha256

        assert sha256(bytes.fromhex(final.preimage)).hexdigest() == final.payment_hash
    assert recover(again) == []  # resolved once
    again.close()


def test_recovery_leaves_a_payment_whose_process_is_alive(tmp_path: Path) -> None:
    wallet = _wallet(tmp_path)
    [invoice] = _invoices(wallet, 1)
    from lnctl import bolt11

    decoded = bolt11.decode(invoice)
    payments.claim(wallet, decoded, 1000 * 1000, 5000, None)
    alive = HashLock(wallet.home, decoded.payment_hash)
    assert alive.try_acquire()  # another process paying it
    try:
        assert recover(wallet) == []
        assert _stored(wallet, invoice).status == "IN_FLIGHT"
    finally:
        alive.release()
    assert [r["outcome"] for r in recover(wallet)] == ["FAILED"]  # never sent: may pay again
    wallet.close()


def test_recovery_of_a_new_wallet_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "new"
    wallet = _wallet(home)
    began = time.monotonic()
    assert recover(wallet) == []
    assert time.monotonic() - began < 5
    assert not (home / "history.sqlite").exists()
    wallet.close()
