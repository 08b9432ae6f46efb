"""What a recorded outcome means (lnctl.core.verdict.outcome), on its own: exit 0 only for a
proven success; 3 or 4 only for the node's own failure; 5 for a duplicate; 6 for anything not
known, whatever the last answer was; every error carries the payment's document."""

from __future__ import annotations

from typing import Any

import pytest

from lnctl.backends.base import (
    ALREADY_PAID,
    INSUFFICIENT_BALANCE,
    NO_ROUTE,
    TEMPORARY_CHANNEL_FAILURE,
    TIMEOUT,
    PaymentState,
    PaymentStatus,
)
from lnctl.core.verdict import outcome
from lnctl.errors import ExitCode, LnctlError
from lnctl.storage.rows import PaymentRow

HASH = "ab" * 32
SUCCESS = PaymentStatus(PaymentState.SUCCEEDED, preimage="cd" * 32, fee_msat=7)
TRANSIENT = PaymentStatus(PaymentState.FAILED, failure_reason=TEMPORARY_CHANNEL_FAILURE)


def _carried(error: LnctlError) -> dict[str, Any]:
    """The payment's document an error carries (``details['payment']``)."""
    payment = error.details["payment"]
    assert isinstance(payment, dict)
    return payment


def row(status: str, **values: Any) -> PaymentRow:
    """A record as the history would hand it out."""
    fields: dict[str, Any] = dict.fromkeys(PaymentRow.__slots__)
    fields.update(
        payment_hash=HASH, bolt11="lnbcrt1...", payee="02" + "11" * 32, amount_msat=5000,
        max_fee_msat=5000, status=status, attempts=1, created_at=1.5, updated_at=2.5, id=1,
    )  # fmt: skip
    fields.update(values)
    return PaymentRow(tuple(fields[name] for name in PaymentRow.__slots__))


def verdict(record: PaymentRow, status: PaymentStatus, **kw: Any) -> LnctlError:
    args: dict[str, Any] = {"timed_out": False, "timeout_s": 30.0, "if_paid": "error"}
    args.update(kw)
    with pytest.raises(LnctlError) as caught:
        outcome(record, status, **args)
    error = caught.value
    assert _carried(error)["payment_hash"] == HASH  # the record, with the error
    return error


def test_a_recorded_success_is_its_document() -> None:
    paid = row("SUCCEEDED", preimage="cd" * 32, fee_msat=7)
    doc = outcome(paid, SUCCESS, False, 30.0, "error")
    assert doc["status"] == "SUCCEEDED" and doc["fee_msat"] == 7 and doc["preimage"] == "cd" * 32
    assert doc["created_at"] == 1 and doc["id"] == HASH


def test_a_success_the_node_already_had_is_a_duplicate_unless_if_paid_ok() -> None:
    paid = row("SUCCEEDED", preimage="cd" * 32, fee_msat=7)
    again = PaymentStatus(PaymentState.SUCCEEDED, preimage="cd" * 32, fee_msat=7, duplicate=True)
    error = verdict(paid, again)
    assert (error.exit_code, error.code) == (ExitCode.DUPLICATE, "ALREADY_PAID")
    assert outcome(paid, again, False, 30.0, "ok")["status"] == "SUCCEEDED"


def test_in_flight_is_pending_never_failed() -> None:
    late = verdict(row("IN_FLIGHT"), PaymentStatus(PaymentState.PENDING), elapsed=29.8)
    assert (late.exit_code, late.code) == (ExitCode.PENDING, "PAYMENT_PENDING")
    assert "no outcome within 30 s" in late.message
    early = verdict(
        row("IN_FLIGHT"), PaymentStatus(PaymentState.UNKNOWN, detail="502\nbad  gateway"), elapsed=1
    )
    assert early.exit_code == ExitCode.PENDING
    assert "not known yet (502 bad gateway)" in early.message
    held = verdict(row("IN_FLIGHT"), PaymentStatus(PaymentState.PENDING, duplicate=True))
    assert (held.exit_code, held.code) == (ExitCode.DUPLICATE, "ALREADY_IN_FLIGHT")


def test_needs_attention_is_its_own_error() -> None:
    error = verdict(row("NEEDS_ATTENTION", attention="no proof"), SUCCESS)
    assert error.code == "NEEDS_ATTENTION" and "no proof" in error.message
    assert error.exit_code not in (ExitCode.OK, ExitCode.PAYMENT_FAILED)


def test_the_nodes_failures_exit_3_or_4() -> None:
    failed = row("FAILED", failure_reason=NO_ROUTE)
    error = verdict(
        failed, PaymentStatus(PaymentState.FAILED, failure_reason=NO_ROUTE, detail="no path")
    )
    assert (error.exit_code, error.code) == (ExitCode.PAYMENT_FAILED, NO_ROUTE)
    assert "(the server said: no path)" in error.message and error.hint
    retried = verdict(
        row("FAILED", failure_reason=TEMPORARY_CHANNEL_FAILURE, attempts=3), TRANSIENT
    )
    assert retried.exit_code == ExitCode.RETRIES_EXHAUSTED
    assert retried.message == "payment failed after 3 attempt(s): TEMPORARY_CHANNEL_FAILURE"
    out_of_time = verdict(row("FAILED", failure_reason=TIMEOUT), TRANSIENT, timed_out=True)
    assert (out_of_time.exit_code, out_of_time.code) == (ExitCode.RETRIES_EXHAUSTED, TIMEOUT)
    paid_elsewhere = verdict(row("FAILED", failure_reason=ALREADY_PAID), TRANSIENT)
    assert (paid_elsewhere.exit_code, paid_elsewhere.code) == (ExitCode.DUPLICATE, ALREADY_PAID)
    broke = verdict(
        row("FAILED", failure_reason=INSUFFICIENT_BALANCE),
        PaymentStatus(PaymentState.FAILED, failure_reason=INSUFFICIENT_BALANCE),
    )
    assert broke.exit_code == ExitCode.PAYMENT_FAILED and "spendable" in (broke.hint or "")
    assert verdict(row("FAILED"), PaymentStatus(PaymentState.FAILED)).code == "CANCELED"
