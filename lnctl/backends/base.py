"""The backend contract: the handful of things lnctl needs from a Lightning node.

Results are frozen values with an explicit state. A backend never guesses: if it cannot tell
whether a payment went through (timeout, dropped connection), the state is PENDING, and only an
explicit failure from the node is FAILED.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from lnctl.bolt11 import Invoice


class SendState(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    PENDING = "PENDING"  # sent, outcome not known yet
    UNKNOWN = "UNKNOWN"  # the node has no record of the payment: it was never sent


# Failure reasons, in lnd's vocabulary; the transient one is the only one worth retrying.
NO_ROUTE = "NO_ROUTE"
INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
INCORRECT_PAYMENT_DETAILS = "INCORRECT_PAYMENT_DETAILS"
INVOICE_EXPIRED = "INVOICE_EXPIRED"
FEE_LIMIT_EXCEEDED = "FEE_LIMIT_EXCEEDED"
TIMEOUT = "TIMEOUT"
TEMPORARY_CHANNEL_FAILURE = "TEMPORARY_CHANNEL_FAILURE"
CANCELED = "CANCELED"
TRANSIENT_REASONS = frozenset({TEMPORARY_CHANNEL_FAILURE})
# Every reason a payment can end FAILED with (a payment's failure_reason).
FINAL_REASONS = frozenset(
    {
        NO_ROUTE,
        INSUFFICIENT_BALANCE,
        INCORRECT_PAYMENT_DETAILS,
        INVOICE_EXPIRED,
        FEE_LIMIT_EXCEEDED,
        TIMEOUT,
        TEMPORARY_CHANNEL_FAILURE,
        CANCELED,
    }
)


@dataclass(frozen=True, slots=True)
class SendResult:
    state: SendState
    preimage: str | None = None
    fee_msat: int | None = None
    failure_reason: str | None = None

    @property
    def transient(self) -> bool:
        return self.state is SendState.FAILED and self.failure_reason in TRANSIENT_REASONS


@dataclass(frozen=True, slots=True)
class Route:
    """How a payment would go: the routing fee and the payee's kind."""

    fee_msat: int
    self_payment: bool


class Backend(Protocol):
    name: str

    def quote(self, invoice: Invoice, amount_msat: int) -> Route:
        """The route and fee a payment would take, before anything is reserved or sent.
        Raises PaymentFailedError(NO_ROUTE) when the payee cannot be reached."""
        ...

    def send(
        self,
        invoice: Invoice,
        amount_msat: int,
        max_fee_msat: int,
        attempt: int,
        *,
        wait_s: float,
        induce_failure: bool = False,
    ) -> SendResult:
        """Send one attempt (``attempt`` counts this payment's tries, from 1) and wait at most
        ``wait_s`` for its outcome (PENDING after that). ``induce_failure`` makes the attempt fail
        with a temporary channel failure (a scriptable fault). Must not be called again for the
        same hash while a previous attempt is PENDING."""
        ...

    def status(self, payment_hash: str) -> SendResult:
        """What the node knows of a payment: the last attempt's state, or UNKNOWN."""
        ...
