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
- **Callers ask capabilities, never a name.** What a backend can do beyond this contract is
  stated in its entry of ``registry.py`` (``Capabilities``, read without importing the backend)
  and its class carries the same; a capability that promises methods (``channels``,
  ``batch_send``, ``test_network``) promises the protocol of that name below.
- Errors are the typed ones of ``lnctl.errors`` (``BackendUnavailableError``, ``BackendAuthError``,
  ``UnsupportedError``, ``BackendError``); exit codes are decided there, in one place.
"""

from __future__ import annotations

import sys

from lnctl.backends import registry
from lnctl.backends.registry import Capabilities as Capabilities  # part of the contract
from lnctl.records import record

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Final, Literal, TypeAlias

    from lnctl.backends.channels import Channel
    from lnctl.bolt11 import Invoice
    from lnctl.config import Config

    # The types of the states below: exactly their strings, as mypy sees them and as they run.
    PaymentStateName: TypeAlias = Literal["SUCCEEDED", "FAILED", "PENDING", "UNKNOWN"]
    InvoiceStateName: TypeAlias = Literal["OPEN", "SETTLED", "EXPIRED"]


# The states are plain strings, named by ``Final`` constants: what mypy checks is what runs
# (``PaymentState("SUCCEEDED")``, ``list(PaymentState)`` or ``.value`` are type errors, as they
# are run-time errors). Not an ``enum``: importing it costs every command 2-6 ms of its start
# (``python -X importtime``, measured for issue 21). Compare states with ``==``: a state read
# back from a server or a file is an equal string, not the same object.
class PaymentState:
    """The states of a payment (a namespace of string constants)."""

    __slots__ = ()
    SUCCEEDED: Final = "SUCCEEDED"
    FAILED: Final = "FAILED"
    PENDING: Final = "PENDING"  # sent (or maybe sent), outcome not known yet
    UNKNOWN: Final = "UNKNOWN"  # the node has no record of this payment hash


class InvoiceState:
    """The states of an invoice (a namespace of string constants)."""

    __slots__ = ()
    OPEN: Final = "OPEN"
    SETTLED: Final = "SETTLED"
    EXPIRED: Final = "EXPIRED"


PAYMENT_STATES: frozenset[PaymentStateName] = frozenset(
    {PaymentState.SUCCEEDED, PaymentState.FAILED, PaymentState.PENDING, PaymentState.UNKNOWN}
)
INVOICE_STATES: frozenset[InvoiceStateName] = frozenset(
    {InvoiceState.OPEN, InvoiceState.SETTLED, InvoiceState.EXPIRED}
)


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

    state: PaymentStateName
    preimage: str | None = None
    fee_msat: int | None = None
    failure_reason: str | None = None
    duplicate: bool = False  # the node refused to send again: this is what it already had
    channel_id: str | None = None  # with SUCCEEDED: the channel it left by, where the node says
    detail: str | None = None  # the server's own words about it, where it gave some (untrusted)

    @property
    def transient(self) -> bool:
        return self.state == PaymentState.FAILED and self.failure_reason in TRANSIENT_REASONS


@record(frozen=True, slots=True)
class InvoiceStatus:
    """What the node says of one of its invoices."""

    state: InvoiceStateName
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


def backend_class(name: str) -> BackendClass:
    """The class of the backend ``name`` (its entry in ``registry.py``), its module imported
    now: the one place where a backend's name chooses code."""
    entry = registry.entry(name)
    __import__(entry.module)  # the builtin: importlib would cost ~0.8 ms on every start
    found: BackendClass = getattr(sys.modules[entry.module], entry.class_name)
    return found


class KeepsNoRecords:
    """For a backend that cannot list every invoice and payment it has (``exports_records`` is
    False: one server wallet or node may serve many lnctl homes), nor show its channels
    (``channels`` is False: the server manages them)."""

    @classmethod
    def read_channels(cls, config: Config) -> list[Channel]:
        return []

    def activity(self) -> Activity | None:
        return None

    def export_invoices(self, since: int | None = None) -> list[InvoiceRecord]:
        return []

    def export_payments(self, since: int | None = None) -> list[PaymentRecord]:
        return []


if TYPE_CHECKING:  # the contract is for type checking: no typing import at start-up
    from collections.abc import Callable
    from typing import Any, Protocol

    from lnctl.backends.outcome import Answer
    from lnctl.deadline import Deadline

    class BackendClass(Protocol):
        """A backend's class (``backend_class``): it opens the node, and reads what may be
        read without opening it."""

        name: str  # its name in the registry
        capabilities: Capabilities  # its entry's in the registry

        def from_config(
            self, config: Config, deadline: Deadline, first_use: Callable[[], bool]
        ) -> Backend:
            """The node the configuration names, its requests bounded by ``deadline``.
            ``first_use`` is asked only by a node kept in the wallet's home (``embedded``):
            whether the wallet has yet to meet a node. Such a node is made then, and refused as
            missing otherwise (the wallet's records are the wallet's: the backend never reads
            them)."""
            ...

        def read_channels(self, config: Config) -> list[Channel]:
            """The node's channels as they are now, read without opening the node: nothing
            locked, loaded or created (a metrics scrape). Empty without ``channels``."""
            ...

    class Backend(Protocol):
        name: str  # its name in the registry
        capabilities: Capabilities  # its entry's in the registry
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

    class ChannelNode(Protocol):
        """The channels of a node with the ``channels`` capability (``lnctl channel``)."""

        def channels(self) -> list[Channel]:
            """Every channel, open or closed, as it stands (HTLCs whose outcome is known
            resolved first)."""
            ...

        def open_channel(self, peer: str, capacity_msat: int, push_msat: int) -> Channel:
            """A new channel to ``peer`` (a node id), ``push_msat`` of it on the peer's side."""
            ...

        def close_channel(self, channel_id: str) -> Channel:
            """Close a channel without HTLCs in flight; the channel as closed."""
            ...

    class BatchNode(Protocol):
        """A node with the ``batch_send`` capability: the payments of a batch share its writes
        (the batch engine, ``lnctl.core.engine``)."""

        def send_many(
            self, requests: list[tuple[Invoice, int, int, bool]]
        ) -> list[tuple[PaymentStatus, float]]:
            """One attempt for each ``(invoice, amount, fee cap, induce a failure)``: for each,
            its status right after sending and when its outcome becomes visible."""
            ...

        def settle_many(self, payment_hashes: list[str]) -> list[PaymentStatus]:
            """The status of each hash, HTLCs whose outcome is known resolved first."""
            ...

    class TestNetwork(Protocol):
        """A backend's test network (``test_network``): ``lnctl simulate`` plays the other
        side of payments with it."""

        def create_remote_invoices(
            self,
            amount_msat: int | None,
            description: str,
            expiry: int,
            count: int,
            description_hash: bytes | None = None,
        ) -> list[NewInvoice]:
            """Invoices of another party on the test network, for this node to pay; with
            ``description_hash`` (32 bytes), it instead of ``description`` (LNURL-pay)."""
            ...

        def simulate_incoming(self, invoice: Invoice, amount_msat: int | None) -> dict[str, Any]:
            """The test network pays one of this node's invoices: ``payment_hash``,
            ``status``, ``amount_msat``, ``channel_id`` (None where the node does not say) and
            ``settled_at``."""
            ...
