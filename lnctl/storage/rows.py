"""The history's records as named values, and the statuses they hold.

``History`` hands out a ``PaymentRow`` or an ``InvoiceRow``, never a raw SQLite row: each is built
from one row of its table's columns in the order of its slots (``PAYMENT_COLUMNS``,
``INVOICE_COLUMNS`` are derived from them). The integer columns are checked as they are read: a
store that holds anything else there (hand-edited or damaged) is refused as corrupt state, never
shown or computed with: money is never text. Records are built by hand rather than by
``dataclasses``: a listing builds a thousand of them, and every command pays for its imports.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Any, Final, Literal, NoReturn, TypedDict

    PaymentStatusName = Literal["IN_FLIGHT", "SUCCEEDED", "FAILED", "NEEDS_ATTENTION"]
    InvoiceStatusName = Literal["OPEN", "SETTLED"]

# What the history says of a payment (payments.status, checked by the schema)
IN_FLIGHT: Final = "IN_FLIGHT"  # claimed: about to be sent, sent, or maybe sent; the node decides
SUCCEEDED: Final = "SUCCEEDED"  # paid, with the node's proof (preimage) and fee
FAILED: Final = "FAILED"  # the node said it failed, or it provably never reached the node
NEEDS_ATTENTION: Final = "NEEDS_ATTENTION"  # what the node said cannot be accepted: kept aside
PAYMENT_STATUSES: Final = (IN_FLIGHT, SUCCEEDED, FAILED, NEEDS_ATTENTION)

# What the history says of an invoice (invoices.status; an OPEN one past its expiry is shown as
# EXPIRED, which is never stored: lnctl.core.invoices)
OPEN: Final = "OPEN"
SETTLED: Final = "SETTLED"


def _refuse(
    record: PaymentRow | InvoiceRow, names: tuple[str, ...], nullable: tuple[str, ...]
) -> NoReturn:
    """Raise CORRUPT_STATE for the first of ``names`` that does not hold an integer (None only
    where it is ``nullable``)."""
    from lnctl.errors import CorruptStateError
    from lnctl.sanitize import sanitize

    for name in names:
        value = getattr(record, name)
        if type(value) is not int and not (value is None and name in nullable):
            raise CorruptStateError(
                f"the history's record of {sanitize(record.payment_hash)[:64]} holds "
                f"{name} = {sanitize(repr(value))[:40]}, not an integer",
                hint="restore history.sqlite from a backup (lnctl changed nothing)",
            )
    raise AssertionError("no unsound integer")  # the record's own check found one


class PaymentRow:
    """One payment as the history keeps it."""

    __slots__ = (
        "payment_hash", "bolt11", "payee", "description_hash", "amount_msat", "max_fee_msat",
        "fee_msat", "status", "attempts", "failure_reason", "preimage", "channel_id", "memo",
        "memo_key_id", "created_at", "updated_at", "latency_ms", "attention", "last_sent_at",
        "paid_to", "paid_to_description", "idempotency_key", "id",
    )  # fmt: skip
    payment_hash: str
    bolt11: str
    payee: str
    description_hash: str | None
    amount_msat: int
    max_fee_msat: int  # the fee cap the node was given
    fee_msat: int | None  # what the node reports it paid (SUCCEEDED)
    status: PaymentStatusName
    attempts: int  # sends this wallet started (each counted before it is sent)
    failure_reason: str | None  # the node's reason (FAILED)
    preimage: str | None  # the proof (SUCCEEDED)
    channel_id: str | None
    memo: str | None  # the memo's ciphertext (lnctl.memo), never its text
    memo_key_id: str | None
    created_at: float
    updated_at: float
    latency_ms: int | None
    attention: str | None  # why it is kept aside (NEEDS_ATTENTION)
    last_sent_at: float | None
    paid_to: str | None  # a Lightning Address or LNURL as typed (normalized): None for BOLT 11
    paid_to_description: str | None  # its metadata's text/plain, as the service sent it
    idempotency_key: str | None  # --idempotency-key: one payment per key
    id: int

    def __init__(self, row: tuple[Any, ...]) -> None:
        (
            self.payment_hash, self.bolt11, self.payee, self.description_hash, self.amount_msat,
            self.max_fee_msat, self.fee_msat, self.status, self.attempts, self.failure_reason,
            self.preimage, self.channel_id, self.memo, self.memo_key_id, self.created_at,
            self.updated_at, self.latency_ms, self.attention, self.last_sent_at, self.paid_to,
            self.paid_to_description, self.idempotency_key, self.id,
        ) = row  # fmt: skip
        if (
            type(self.attempts) is not int
            or type(self.amount_msat) is not int
            or type(self.max_fee_msat) is not int
            or (self.fee_msat is not None and type(self.fee_msat) is not int)
            or (self.latency_ms is not None and type(self.latency_ms) is not int)
        ):
            _refuse(
                self,
                ("attempts", "latency_ms", "amount_msat", "fee_msat", "max_fee_msat"),
                nullable=("latency_ms", "fee_msat"),
            )

    def __repr__(self) -> str:
        return f"PaymentRow({self.payment_hash[:16]}.., {self.status}, attempts={self.attempts})"


class InvoiceRow:
    """One invoice as the history keeps it."""

    __slots__ = (
        "payment_hash", "bolt11", "preimage", "amount_msat", "description", "description_hash",
        "memo", "memo_key_id", "created_at", "expires_at", "status", "settled_at",
        "received_msat", "id",
    )  # fmt: skip
    payment_hash: str
    bolt11: str
    preimage: str | None  # where the node gave it (once settled)
    amount_msat: int | None  # None: an invoice without an amount
    description: str | None
    description_hash: str | None
    memo: str | None  # the memo's ciphertext (lnctl.memo), never its text
    memo_key_id: str | None
    created_at: int
    expires_at: int
    status: InvoiceStatusName
    settled_at: int | None
    received_msat: int | None
    id: int

    def __init__(self, row: tuple[Any, ...]) -> None:
        (
            self.payment_hash, self.bolt11, self.preimage, self.amount_msat, self.description,
            self.description_hash, self.memo, self.memo_key_id, self.created_at,
            self.expires_at, self.status, self.settled_at, self.received_msat, self.id,
        ) = row  # fmt: skip
        if (self.amount_msat is not None and type(self.amount_msat) is not int) or (
            self.received_msat is not None and type(self.received_msat) is not int
        ):
            _refuse(
                self, ("amount_msat", "received_msat"), nullable=("amount_msat", "received_msat")
            )

    def __repr__(self) -> str:
        return f"InvoiceRow({self.payment_hash[:16]}.., {self.status})"


# The columns a record is read from, in the order of its slots
PAYMENT_COLUMNS: Final = ", ".join(PaymentRow.__slots__)
INVOICE_COLUMNS: Final = ", ".join(InvoiceRow.__slots__)


if TYPE_CHECKING:  # what is written: plain dicts at run time, checked by mypy

    class NewPayment(TypedDict):
        """A payment claimed IN_FLIGHT (``History.claim_payment``)."""

        payment_hash: str
        bolt11: str
        payee: str
        description_hash: str | None
        amount_msat: int
        max_fee_msat: int
        memo: str | None
        memo_key_id: str | None
        now: float
        paid_to: str | None
        paid_to_description: str | None
        idempotency_key: str | None

    class NewInvoice(TypedDict):
        """An invoice the node has just made (``History.add_invoice``)."""

        payment_hash: str
        bolt11: str
        amount_msat: int | None
        description: str | None
        description_hash: str | None
        created_at: int
        expires_at: int
        memo: str | None

    class ImportedInvoice(TypedDict):
        """An invoice the node has and the history lacks (``History.import_invoice``)."""

        payment_hash: str
        bolt11: str
        amount_msat: int | None
        description: str | None
        description_hash: str | None
        created_at: int
        expires_at: int
        status: InvoiceStatusName
        settled_at: int | None
        received_msat: int | None

    class ImportedPayment(TypedDict):
        """A payment the node has and the history lacks (``History.import_payment``)."""

        payment_hash: str
        bolt11: str
        payee: str
        description_hash: str | None
        amount_msat: int
        max_fee_msat: int
        fee_msat: int | None
        status: PaymentStatusName
        attempts: int
        failure_reason: str | None
        preimage: str | None
        created_at: float
