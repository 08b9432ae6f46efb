"""The JSON documents core hands to the command line (the README's "JSON documents"), typed.

Each is a TypedDict: mypy checks every key core writes and the CLI reads, and at run time it is a
plain dict (the types exist under ``TYPE_CHECKING`` only: importing ``typing`` would cost every
command's start). A document's keys are part of the scripting contract: add, never rename.
"""

from __future__ import annotations

from lnctl.errors import Code, InvalidInputError

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Literal, NotRequired, TypedDict

    from lnctl.storage.rows import PaymentRow, PaymentStatusName

    # -- payments ----------------------------------------------------------------------------------

    class PaymentDocument(TypedDict):
        """``lnctl pay``, an entry of ``lnctl payments``, ``lookup``'s ``payment``."""

        id: str
        payment_hash: str
        status: PaymentStatusName
        attempts: int
        latency_ms: int | None
        amount_msat: int
        fee_msat: int | None
        max_fee_msat: int
        preimage: str | None
        failure_reason: str | None
        attention: str | None
        payee: str
        channel_id: str | None
        memo: str | None
        created_at: int
        invoice: str
        paid_to: str | None  # the Lightning Address or LNURL paid (None: a BOLT 11 invoice)
        paid_to_description: str | None  # its metadata's text/plain (sanitized)
        idempotency_key: str | None
        lnurl: NotRequired[dict[str, object]]  # ``pay`` of an LNURL: the service's terms
        success_action: NotRequired[dict[str, object] | None]  # ``pay`` of an LNURL (LUD-09)

    class DryRunDocument(TypedDict):
        """``lnctl pay --dry-run``: what paying would do."""

        dry_run: Literal[True]
        payment_hash: str
        amount_msat: int
        max_fee_msat: int
        fee_msat: int | None
        channel_id: str | None
        payee: str
        self_payment: bool
        exit_code: int
        would: Literal["pay", "fail"]
        failure_reason: str | None
        lnurl: NotRequired[dict[str, object]]  # a Lightning Address or LNURL: the service's terms
        payment: NotRequired[PaymentDocument | None]  # --idempotency-key already used: its payment

    class PaymentList(TypedDict):
        payments: list[PaymentDocument]
        next_cursor: int | None

    class Recovered(TypedDict):
        """A payment recovery resolved (``lnctl.core.recovery.recover``)."""

        payment_hash: str
        outcome: PaymentStatusName

    # -- batches -----------------------------------------------------------------------------------

    BatchStatus = Literal[
        "SUCCEEDED", "FAILED", "IN_FLIGHT", "NEEDS_ATTENTION", "DUPLICATE", "ERROR", "NOT_STARTED"
    ]

    class ErrorBrief(TypedDict):
        code: str
        message: str

    class BatchLineDocument(TypedDict):
        """One line's result in ``lnctl pay --file`` (and one line of ``--jsonl``)."""

        line: int
        invoice: str
        status: BatchStatus
        exit_code: int | None
        error: ErrorBrief | None
        payment: PaymentDocument | None
        latency_ms: int | None

    class Latencies(TypedDict):
        p50: int | None
        p95: int | None
        max: int | None

    class BatchSummary(TypedDict):
        total: int
        paid: int
        failed: int
        pending: int
        duplicates: int
        not_started: int
        amount_msat: int
        fees_msat: int
        latency_ms: Latencies
        wall_ms: int
        interrupted: bool
        stopped: ErrorBrief | None
        exit_code: int

    class BatchDocument(TypedDict):
        payments: list[BatchLineDocument]
        summary: BatchSummary
        # what opening the wallet warned of, for the command to show on stderr: it takes them
        # out, they are no part of the document it prints
        warnings: NotRequired[list[str]]

    # -- invoices ----------------------------------------------------------------------------------

    InvoiceStatusShown = Literal["OPEN", "SETTLED", "EXPIRED"]

    class NewInvoiceDocument(TypedDict):
        """``lnctl invoice``: the invoice just made."""

        id: str
        invoice: str
        payment_hash: str
        amount_msat: int | None
        description: str
        description_hash: str | None
        network: str
        payee: str | None
        created_at: int
        expires_at: int
        encrypted_memo: str | None

    class InvoiceDocument(TypedDict):
        """An entry of ``lnctl invoices``, ``lookup``'s ``invoice``."""

        id: str
        payment_hash: str
        invoice: str
        status: InvoiceStatusShown
        amount_msat: int | None
        received_msat: int | None
        description: str | None
        description_hash: str | None
        memo: str | None
        created_at: int
        expires_at: int
        settled_at: int | None
        preimage: str | None

    class InvoiceList(TypedDict):
        invoices: list[InvoiceDocument]
        next_cursor: int | None

    class SettledDocument(TypedDict):
        """``lnctl invoice wait``: the settlement."""

        payment_hash: str
        status: Literal["SETTLED"]
        received_msat: int | None
        settled_at: int | None
        preimage: str | None

    class LookupDocument(TypedDict):
        payment_hash: str
        invoice: InvoiceDocument | None
        payment: PaymentDocument | None

    class RemoteInvoiceDocument(TypedDict):
        """``lnctl simulate invoice``: an invoice of the test network's peer."""

        invoice: str
        payment_hash: str
        amount_msat: int | None
        payee: str | None
        expires_at: int

    # -- the node, settings, memos -----------------------------------------------------------------

    class NodeInfo(TypedDict):
        node_id: str | None
        wallet: str | None
        balance_msat: int
        network: str
        backend: str
        home: str
        version: str

    class Setting(TypedDict):
        value: object
        source: str

    class SettingsDocument(TypedDict):
        config_file: str
        exists: bool
        settings: dict[str, Setting]

    class ChannelBalance(TypedDict):
        local_msat: int
        remote_msat: int
        inflight_msat: int
        spendable_msat: int
        receivable_msat: int
        reserve_msat: int
        open_channels: int

    class MemoShown(TypedDict):
        payment_hash: str
        kind: Literal["invoice", "payment"]
        memo: str

    class MemoVerdict(TypedDict):
        payment_hash: str
        match: bool
        against: Literal["memo", "description", "description_hash"]
        description_hash: str | None
        text_sha256: str

    class KeyRotation(TypedDict):
        primary_key_id: str
        resumed: bool
        reencrypted: int
        unreadable: int
        retired_key_ids: list[str]
        retiring_key_ids: list[str]


def payment_document(row: PaymentRow, memo: str | None = None) -> PaymentDocument:
    """A payment's document from its record (``memo``: its text, for its owner)."""
    from lnctl.sanitize import sanitize

    return {
        "id": row.payment_hash,
        "payment_hash": row.payment_hash,
        "status": row.status,
        "attempts": row.attempts,
        "latency_ms": row.latency_ms,
        "amount_msat": row.amount_msat,
        "fee_msat": row.fee_msat,
        "max_fee_msat": row.max_fee_msat,
        "preimage": row.preimage,
        "failure_reason": row.failure_reason,
        "attention": row.attention,
        "payee": row.payee,
        "channel_id": row.channel_id,
        "memo": memo,
        "created_at": int(row.created_at),
        "invoice": row.bolt11,
        "paid_to": row.paid_to,
        "paid_to_description": None
        if row.paid_to_description is None
        else sanitize(row.paid_to_description),
        "idempotency_key": row.idempotency_key,
    }


MIN_HASH_PREFIX = 8  # hex characters a shortened payment hash must keep (32 bits)


def normalize_hash(value: str, *, prefix: bool = False) -> str:
    """A payment hash as the user typed it, as documents carry it: 64 lowercase hex digits, or
    with ``prefix`` the first ``MIN_HASH_PREFIX`` to 64 of them (INVALID_HASH, exit 2,
    otherwise)."""
    value = value.strip().lower()
    shortest = MIN_HASH_PREFIX if prefix else 64
    if not shortest <= len(value) <= 64 or any(c not in "0123456789abcdef" for c in value):
        raise InvalidInputError(
            f"not a payment hash: {value[:80]!r}",
            code=Code.INVALID_HASH,
            hint="a payment hash is 64 hex characters"
            + (f", or a unique prefix of at least {MIN_HASH_PREFIX}" if prefix else ""),
        )
    return value
