"""The backend contract (v2): the backend *is* the node, and the node owns the money.

A backend creates invoices and reports their state, pays invoices and reports payments' states,
reports balances, and declares what else it can do (``Capabilities``). It keeps its own channels,
reservations and fees; the wallet only records what the node said.

Rules every backend keeps:

- **The payment hash is the idempotency key.** ``pay`` of a hash the node has already paid, or
  has in flight, sends nothing and returns what the node knows with ``duplicate=True`` (lnd's
  control tower: ErrAlreadyPaid / ErrPaymentInFlight).
- **A backend reports, it does not conclude.** ``send`` returns what the node answered (an
  ``Answer`` of ``lnctl.backends.outcome``), and that module alone concludes a payment's outcome:
  proven success, the node's stated failure, not sent, or unknown (looked up; else pending).
  ``send`` raises a not-sent error (``BackendUnavailableError``, ``BackendAuthError``,
  ``InvalidInputError``) only when nothing of the payment reached the node.
- **Unknown is not failed.** ``payment_status`` of a hash the node has no record of is UNKNOWN,
  which a wallet must not take for "never sent" unless the backend is ``embedded`` (no transport
  between the wallet and the node that could lose a request).
- **A success carries its proof and its fee**: a preimage and the fee the node paid. The node
  enforces the fee cap when it pays.
- **One deadline.** Every request a backend makes ends by ``deadline`` (the command's, narrowed
  by a payment's ``--timeout``): connect, every read, every lookup.
- Errors are the typed ones of ``lnctl.errors`` (``BackendUnavailableError``, ``BackendAuthError``,
  ``UnsupportedError``, ``BackendError``); exit codes are decided there, in one place.
"""

from __future__ import annotations

from lnctl.records import record

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from enum import StrEnum

    from lnctl.bolt11 import Invoice
else:  # at run time the states are their plain strings: enum costs 2 ms of every command's start
    StrEnum = object


class PaymentState(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    PENDING = "PENDING"  # sent (or maybe sent), outcome not known yet
    UNKNOWN = "UNKNOWN"  # the node has no record of this payment hash


class InvoiceState(StrEnum):
    OPEN = "OPEN"
    SETTLED = "SETTLED"
    EXPIRED = "EXPIRED"


# Failure reasons, in lnd's vocabulary; the transient one is the only one worth retrying.
NO_ROUTE = "NO_ROUTE"
INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
INCORRECT_PAYMENT_DETAILS = "INCORRECT_PAYMENT_DETAILS"
INVOICE_EXPIRED = "INVOICE_EXPIRED"
FEE_LIMIT_EXCEEDED = "FEE_LIMIT_EXCEEDED"
TIMEOUT = "TIMEOUT"
TEMPORARY_CHANNEL_FAILURE = "TEMPORARY_CHANNEL_FAILURE"
CANCELED = "CANCELED"
ALREADY_PAID = "ALREADY_PAID"  # the payee says the invoice is paid (by someone, maybe us)
NEVER_REACHED_NODE = "NEVER_REACHED_NODE"  # sent, yet the node never had it (see core.settle)
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
        ALREADY_PAID,
        NEVER_REACHED_NODE,
    }
)


@record(frozen=True, slots=True)
class PaymentStatus:
    """What the node says of one payment (by payment hash)."""

    state: PaymentState
    preimage: str | None = None
    fee_msat: int | None = None
    failure_reason: str | None = None
    duplicate: bool = False  # the node refused to send again: this is what it already had
    detail: str | None = None  # the server's own words about it, where it gave some (untrusted)

    @property
    def transient(self) -> bool:
        return self.state is PaymentState.FAILED and self.failure_reason in TRANSIENT_REASONS


@record(frozen=True, slots=True)
class InvoiceStatus:
    """What the node says of one of its invoices."""

    state: InvoiceState
    received_msat: int | None = None
    settled_at: int | None = None
    preimage: str | None = None  # once settled, where the node shows it


@record(frozen=True, slots=True)
class NewInvoice:
    """An invoice the node has just issued. ``preimage`` only where the wallet may know it."""

    bolt11: str
    payment_hash: str
    created_at: int
    expires_at: int
    payee: str | None = None  # the issuing node's key, where the backend says it


@record(frozen=True, slots=True)
class Quote:
    """How a payment would go: the routing fee and whether it is a payment to ourselves."""

    fee_msat: int
    self_payment: bool


@record(frozen=True, slots=True)
class Balance:
    spendable_msat: int  # what can leave now
    receivable_msat: int | None  # what can arrive now (None: the node does not say)
    inflight_msat: int  # reserved by payments in flight


@record(frozen=True, slots=True)
class Capabilities:
    channels: bool = False  # lnctl channel ... manages this node's channels
    fault_injection: bool = False  # pay(induce_failure=True) is honoured
    amountless_invoices: bool = True  # issues and pays invoices without an amount
    fee_quote: bool = False  # quote() before paying (pay --dry-run predicts the fee)
    simulated_incoming: bool = False  # lnctl simulate ...
    retries_itself: bool = False  # the node retries transient failures on its side
    embedded: bool = False  # in-process: UNKNOWN really means "never received"
    exports_records: bool = False  # can list every invoice and payment it has (rebuilds)
    enforces_fee_cap: bool = True  # pay() never spends more fee than max_fee_msat


@record(frozen=True, slots=True)
class Activity:
    """The step the node's record is at: it advances with every change to its invoices and
    payments (to notice a lost, older or newer history)."""

    seq: int


@record(frozen=True, slots=True)
class InvoiceRecord:
    """An invoice as the node keeps it (for rebuilding a lost history)."""

    bolt11: str
    payment_hash: str
    created_at: int
    expires_at: int
    status: InvoiceStatus


@record(frozen=True, slots=True)
class PaymentRecord:
    """A payment as the node keeps it (for rebuilding a lost history)."""

    bolt11: str
    payment_hash: str
    amount_msat: int
    max_fee_msat: int
    attempts: int
    created_at: float
    status: PaymentStatus


class KeepsNoRecords:
    """For a backend that cannot list every invoice and payment it has (``exports_records`` is
    False: one server wallet or node may serve many lnctl homes)."""

    def activity(self) -> Activity | None:
        return None

    def export_invoices(self, since: int | None = None) -> list[InvoiceRecord]:
        return []

    def export_payments(self, since: int | None = None) -> list[PaymentRecord]:
        return []


if TYPE_CHECKING:  # the contract is for type checking: no typing import at start-up
    from typing import Any, Protocol

    from lnctl.backends.outcome import Answer
    from lnctl.deadline import Deadline

    class Backend(Protocol):
        name: str
        capabilities: Capabilities
        deadline: Deadline  # every request ends by it (the wallet sets it: the command's)

        def identity(self) -> str | None:
            """A stable id of the node (or server wallet) behind this backend, or None when the
            backend cannot tell it with the credentials it has. The wallet's history keeps it and
            refuses to run against another node."""
            ...

        def node_id(self) -> str | None:
            """The node's public key (hex), when the backend knows it."""
            ...

        def label(self) -> str | None:
            """The name the wallet goes by on its server (None for the embedded node)."""
            ...

        def create_invoice(
            self,
            amount_msat: int | None,
            *,
            description: str | None,
            description_hash: bytes | None,
            expiry: int,
        ) -> NewInvoice:
            """Issue an invoice: exactly one of ``description`` and ``description_hash``."""
            ...

        def invoice_status(self, payment_hash: str) -> InvoiceStatus | None:
            """The state of one of this node's invoices, or None when the node does not know it."""
            ...

        def quote(self, invoice: Invoice, amount_msat: int) -> Quote:
            """The fee a payment would cost now (``fee_quote`` capability). Raises
            PaymentFailedError(NO_ROUTE) when the payee cannot be reached."""
            ...

        def ready_to_pay(self) -> None:
            """Raise what ``send`` would raise before sending anything (a key or password
            missing or wrong), so that ``pay --dry-run`` agrees with ``pay``."""
            ...

        def send(
            self,
            invoice: Invoice,
            amount_msat: int,
            max_fee_msat: int,
            *,
            deadline: Deadline,
            induce_failure: bool = False,
        ) -> Answer:
            """Ask the node, once, to pay ``amount_msat`` to the invoice, routing fee at most
            ``max_fee_msat``, waiting for its answer until ``deadline``; return what it answered
            (``lnctl.backends.outcome`` concludes). Raises a not-sent error only when nothing of
            the payment reached the node. Idempotent on the payment hash at the node."""
            ...

        def payment_status(self, payment_hash: str) -> PaymentStatus:
            """What the node knows of a payment now."""
            ...

        def balance(self) -> Balance: ...

        def activity(self) -> Activity | None:
            """The step of the node's record (``exports_records``), else None."""
            ...

        def export_invoices(self, since: int | None = None) -> list[InvoiceRecord]:
            """The node's invoices (those changed after step ``since``, when given)."""
            ...

        def export_payments(self, since: int | None = None) -> list[PaymentRecord]:
            """The node's payments (those changed after step ``since``, when given)."""
            ...

        def close(self) -> None: ...

    class TestNetwork(Protocol):
        """A backend's test network (``simulated_incoming``): ``lnctl simulate`` plays the other
        side of payments with it."""

        def create_remote_invoices(
            self, amount_msat: int | None, description: str, expiry: int, count: int
        ) -> list[NewInvoice]:
            """Invoices of another party on the test network, for this node to pay."""
            ...

        def simulate_incoming(self, invoice: Invoice, amount_msat: int | None) -> dict[str, Any]:
            """The test network pays one of this node's invoices: ``payment_hash``,
            ``status``, ``amount_msat``, ``channel_id`` (None where the node does not say) and
            ``settled_at``."""
            ...
