"""Recording what the node said (lnctl.core.settle): UNKNOWN after a send is not a failure on a
node reached over a network; a success without proof or fee is never booked."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lnctl.backends.base import Capabilities, PaymentState, PaymentStatus
from lnctl.config import Config
from lnctl.core import settle
from lnctl.core.wallet import Wallet
from tests.helpers import foreign_invoice


def _wallet(home: Path, embedded: bool) -> Any:
    wallet = Wallet(Config.from_env({"LNCTL_HOME": str(home)}))
    fake = SimpleNamespace(capabilities=Capabilities(embedded=embedded), close=lambda: None)
    wallet._backend = fake
    return wallet


def _claim(wallet: Wallet, invoice: str, sent_ago: float, attempts: int = 1) -> Any:
    from lnctl import bolt11

    inv = bolt11.decode(invoice)
    assert inv.amount_msat is not None
    wallet.history.claim_payment(
        {
            "payment_hash": inv.payment_hash,
            "bolt11": inv.bolt11,
            "payee": inv.payee,
            "description_hash": None,
            "amount_msat": inv.amount_msat,
            "max_fee_msat": 5000,
            "memo": None,
            "memo_key_id": None,
            "now": time.time(),
            "paid_to": None,
            "paid_to_description": None,
            "idempotency_key": None,
        }
    )
    for _ in range(attempts):
        wallet.history.count_attempt(inv.payment_hash)
    conn = wallet.history.conn
    conn.execute(
        "UPDATE payments SET last_sent_at = ? WHERE payment_hash = ?",
        (time.time() - sent_ago, inv.payment_hash),
    )
    return wallet.history.get_payment(inv.payment_hash)


UNKNOWN = PaymentStatus(PaymentState.UNKNOWN)


def test_unknown_after_a_send_stays_in_flight_over_a_network(tmp_path: Path) -> None:
    wallet = _wallet(tmp_path, embedded=False)
    row = _claim(wallet, foreign_invoice(expiry=3600), sent_ago=10_000)
    assert settle.conclude(wallet, row, UNKNOWN).status == "IN_FLIGHT"  # not expired yet
    recent = _claim(wallet, foreign_invoice(expiry=1), sent_ago=10)
    old = _claim(wallet, foreign_invoice(expiry=1), sent_ago=settle.UNKNOWN_GRACE_S + 5)
    time.sleep(1.1)
    assert settle.conclude(wallet, recent, UNKNOWN).status == "IN_FLIGHT"  # sent too recently
    final = settle.conclude(wallet, old, UNKNOWN)
    assert final.status == "FAILED" and final.failure_reason == "NEVER_REACHED_NODE"
    never = _claim(wallet, foreign_invoice(), sent_ago=0, attempts=0)
    assert settle.conclude(wallet, never, UNKNOWN).failure_reason == "CANCELED"
    wallet.close()


def test_unknown_on_the_embedded_node_means_never_received(tmp_path: Path) -> None:
    wallet = _wallet(tmp_path, embedded=True)
    row = _claim(wallet, foreign_invoice(), sent_ago=0)
    assert settle.conclude(wallet, row, UNKNOWN).status == "FAILED"
    wallet.close()


@pytest.mark.parametrize(
    ("preimage_ok", "fee", "problem"),
    [(False, 10, "preimage"), (True, None, "without the fee"), (True, 5001, "above the cap")],
)
def test_a_success_without_proof_or_fee_is_never_booked(
    tmp_path: Path, preimage_ok: bool, fee: int | None, problem: str
) -> None:
    wallet = _wallet(tmp_path, embedded=True)
    preimage = os.urandom(32)
    import coincurve

    from lnctl import bolt11

    key = coincurve.PrivateKey()
    text = bolt11.encode(
        network="regtest",
        amount_msat=1000,
        payment_hash=hashlib.sha256(preimage).digest(),
        payment_secret=os.urandom(32),
        description="",
        sign=lambda m: key.sign_recoverable(m, hasher=None),
    )
    row = _claim(wallet, text, sent_ago=0)
    status = PaymentStatus(
        PaymentState.SUCCEEDED,
        preimage=(preimage if preimage_ok else os.urandom(32)).hex(),
        fee_msat=fee,
    )
    final = settle.conclude(wallet, row, status)
    assert final.status == "NEEDS_ATTENTION" and problem in (final.attention or "")
    assert wallet.history.counters().get(("payments_succeeded", ""), 0) == 0
    wallet.close()


def test_recovery_leaves_a_payment_in_flight_when_the_node_cannot_be_asked(
    tmp_path: Path,
) -> None:
    """Issue #8: only the node's explicit answer changes a payment; a node that cannot be
    reached, refuses the key or answers something unreadable leaves it IN_FLIGHT (with one
    warning), and recovery goes on instead of failing the command."""
    from lnctl.core.recovery import recover
    from lnctl.errors import BackendAuthError, BackendError, BackendUnavailableError

    for error in (BackendUnavailableError("down"), BackendAuthError("key"), BackendError("?")):
        wallet = _wallet(tmp_path / type(error).__name__, embedded=False)
        wallet.config.backend = "lnbits"  # recovery asks the (fake) node only for in-flight ones

        def refuse(payment_hash: str, error: Exception = error) -> PaymentStatus:
            raise error

        wallet._backend.payment_status = refuse
        row = _claim(wallet, foreign_invoice(), sent_ago=0)
        assert recover(wallet) == []
        assert wallet.history.get_payment(row.payment_hash).status == "IN_FLIGHT"
        assert len(wallet.warnings) == 1 and "stay" in wallet.warnings[0]
        wallet.close()
