"""How the Lightspark backend reads the SDK's objects: every status and failure reason the SDK
knows (and one it does not), and amounts in every bitcoin unit, exactly."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("lightspark", reason="the lightspark extra (CPython 3.9-3.12 only)")

from lightspark.objects.CurrencyUnit import CurrencyUnit  # noqa: E402
from lightspark.objects.PaymentFailureReason import PaymentFailureReason  # noqa: E402
from lightspark.objects.TransactionStatus import TransactionStatus  # noqa: E402
from lightspark.utils.enums import parse_enum  # noqa: E402

from lnctl.backends.base import FINAL_REASONS, PaymentState  # noqa: E402
from lnctl.backends.lightspark_api import msat, status_of  # noqa: E402
from lnctl.errors import BackendError  # noqa: E402


def payment(status: str, reason: str | None = None, **kw: Any) -> Any:
    fields = {
        "status": parse_enum(TransactionStatus, status),
        "failure_reason": parse_enum(PaymentFailureReason, reason) if reason else None,
        "fees": amount(1500, "MILLISATOSHI"),
        "payment_preimage": "AB" * 32,
        "is_internal_payment": False,
    }
    fields.update(kw)
    return SimpleNamespace(**fields)


def amount(value: Any, unit: str) -> Any:
    return SimpleNamespace(original_value=value, original_unit=parse_enum(CurrencyUnit, unit))


@pytest.mark.parametrize("status", [s.value for s in TransactionStatus] + ["BRAND_NEW_STATUS"])
def test_only_success_is_a_success_and_unknown_statuses_stay_pending(status: str) -> None:
    got = status_of(payment(status))
    if status == "SUCCESS":
        assert got.state == PaymentState.SUCCEEDED
        assert got.preimage == "ab" * 32 and got.fee_msat == 1500
    elif status in ("FAILED", "CANCELLED", "EXPIRED"):
        assert got.state == PaymentState.FAILED and got.failure_reason in FINAL_REASONS
    else:  # PENDING, NOT_STARTED, the SDK's future value, a status no SDK knows yet
        assert got.state == PaymentState.PENDING


@pytest.mark.parametrize("reason", [r.value for r in PaymentFailureReason] + ["SOMETHING_NEW"])
def test_every_failure_reason_is_kept_one_to_one(reason: str) -> None:
    """Lightspark's reason is the payment's failure reason: lnctl's own name where the two
    share one, INVOICE_ALREADY_PAID as ALREADY_PAID (exit 5), any other as Lightspark gives it:
    never all CANCELED."""
    got = status_of(payment("FAILED", reason))
    assert got.state == PaymentState.FAILED
    expected = {
        "INVOICE_ALREADY_PAID": "ALREADY_PAID",
        "NONE": "CANCELED",  # no reason given
        "___FUTURE_VALUE___": "CANCELED",  # the SDK's "unknown" without the raw answer
        "SOMETHING_NEW": "CANCELED",  # parse_enum reads it as ___FUTURE_VALUE___
    }
    assert got.failure_reason == expected.get(reason, reason)
    assert not got.transient  # the node retries on its side; lnctl never resends


def test_a_reason_the_sdk_does_not_know_is_read_from_the_raw_answer() -> None:
    unknown = payment("FAILED", "SOMETHING_NEW", id="OutgoingPayment:1")
    got = status_of(unknown, {"OutgoingPayment:1": "SOMETHING_NEW"})
    assert got.failure_reason == "SOMETHING_NEW"
    hostile = status_of(unknown, {"OutgoingPayment:1": "\x1b[31mEVIL reason\n" + "X" * 100})
    assert hostile.failure_reason is not None
    assert hostile.failure_reason.replace("_", "").isalnum() and len(hostile.failure_reason) <= 64


def test_failure_reasons_do_not_collapse() -> None:
    names = ["ERROR", "SELF_PAYMENT", "RISK_SCREENING_FAILED", "NO_ROUTE", "INVOICE_CANCELLED"]
    got = {status_of(payment("FAILED", n)).failure_reason for n in names}
    assert len(got) == len(names)


def test_a_success_without_fees_is_not_given_a_fee_unless_internal() -> None:
    assert status_of(payment("SUCCESS", fees=None)).fee_msat is None
    assert status_of(payment("SUCCESS", fees=None, is_internal_payment=True)).fee_msat == 0


@given(st.integers(min_value=0, max_value=21_000_000 * 10**8))
def test_amounts_convert_to_msat_exactly(sats: int) -> None:
    assert msat(amount(sats, "SATOSHI")) == sats * 1000
    assert msat(amount(sats * 1000, "MILLISATOSHI")) == sats * 1000
    assert msat(amount(sats * 10, "NANOBITCOIN")) == sats * 1000
    assert msat(amount(sats // 10**8, "BITCOIN")) == (sats // 10**8) * 10**11


@pytest.mark.parametrize(
    "bad", [amount(5, "USD"), amount(5.5, "SATOSHI"), amount("5", "SATOSHI"), amount(5, "EUR")]
)
def test_fiat_or_non_integer_amounts_are_refused(bad: Any) -> None:
    with pytest.raises(BackendError):
        msat(bad)
