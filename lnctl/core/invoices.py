"""Invoices: asked of the node, recorded with the memo encrypted, listed with their state as
the node reports it, waited for."""

from __future__ import annotations

import time

from lnctl import bolt11, log
from lnctl.errors import Code, InvalidInputError, check_amount, check_text
from lnctl.storage.rows import OPEN, SETTLED

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Final

    from lnctl.backends.base import Backend, NewInvoice
    from lnctl.core.documents import (
        InvoiceDocument,
        InvoiceList,
        InvoiceStatusShown,
        NewInvoiceDocument,
        SettledDocument,
    )
    from lnctl.core.wallet import Wallet
    from lnctl.deadline import Deadline
    from lnctl.memo import Keyring
    from lnctl.storage.rows import InvoiceRow

MAX_EXPIRY = 10 * 365 * 24 * 3600
MAX_MEMO_BYTES = 64 * 1024


def create_invoice(
    wallet: Wallet,
    *,
    amount_msat: int | None,
    description: str | None,
    memo: str | None,
    expiry: int,
    network: str | None = None,
) -> NewInvoiceDocument:
    """Ask the node for an invoice and record it, with the memo encrypted. The invoice carries
    nothing of the memo: with a memo and no description its description is empty."""
    check_text(description, "--description")
    check_text(memo, "--memo")
    if network is not None and network != wallet.config.network:
        raise InvalidInputError(
            f"this wallet's node is on {wallet.config.network}, not {network}",
            code=Code.WRONG_NETWORK,
            hint="the node issues invoices for its own network: a wallet on another network "
            "lives in its own folder (another LNCTL_HOME, or --home)",
        )
    if amount_msat is not None:
        check_amount(amount_msat)
    else:
        wallet.require("amountless_invoices", "an invoice without an amount")
    if not 0 < expiry <= MAX_EXPIRY:
        raise InvalidInputError(
            f"expiry must be between 1 and {MAX_EXPIRY} seconds", code=Code.INVALID_EXPIRY
        )
    if description is not None and len(description.encode("utf-8")) > bolt11.MAX_DESCRIPTION_BYTES:
        raise InvalidInputError(
            f"description is longer than BOLT 11 allows ({bolt11.MAX_DESCRIPTION_BYTES} bytes)",
            code=Code.DESCRIPTION_TOO_LONG,
            hint="put the long text in --memo: it stays private and is not in the invoice",
        )
    if memo is not None and len(memo.encode("utf-8")) > MAX_MEMO_BYTES:
        raise InvalidInputError(
            f"memo is longer than {MAX_MEMO_BYTES} bytes", code=Code.MEMO_TOO_LONG
        )
    description = description or ""
    backend = wallet.backend
    if memo is None:
        new, encrypted = _create_and_record(wallet, backend, amount_msat, description, expiry)
    else:
        from lnctl.core.memos import memo_encryption  # only with a memo: the fast path's cost

        with memo_encryption(wallet) as keyring:
            new, encrypted = _create_and_record(
                wallet, backend, amount_msat, description, expiry, memo, keyring
            )
    log.event(
        "info",
        "invoice_created",
        payment_hash=new.payment_hash,
        amount_msat=amount_msat,
        with_memo=memo is not None,
    )
    return {
        "id": new.payment_hash,
        "invoice": new.bolt11,
        "payment_hash": new.payment_hash,
        "amount_msat": amount_msat,
        "description": description,
        "description_hash": None,
        "network": wallet.config.network,
        "payee": wallet.backend.node_id(),
        "created_at": new.created_at,
        "expires_at": new.expires_at,
        "encrypted_memo": encrypted,
    }


def _create_and_record(
    wallet: Wallet,
    backend: Backend,
    amount_msat: int | None,
    description: str,
    expiry: int,
    memo: str | None = None,
    keyring: Keyring | None = None,
) -> tuple[NewInvoice, str | None]:
    """Ask the node for the invoice and record it (memo encrypted) in one history transaction
    begun before the node is asked: a history that stays locked (LOCKED) stops the command
    before the node makes an invoice the history could not record."""
    with wallet.history.transaction():
        new = backend.create_invoice(
            amount_msat, description=description, description_hash=None, expiry=expiry
        )
        encrypted = None
        if memo is not None:
            assert keyring is not None
            encrypted = keyring.encrypt(memo, "invoice", new.payment_hash)
        wallet.history.add_invoice(
            {
                "payment_hash": new.payment_hash,
                "bolt11": new.bolt11,
                "amount_msat": amount_msat,
                "description": description,
                "description_hash": None,
                "created_at": new.created_at,
                "expires_at": new.expires_at,
                "memo": encrypted,
            },
            keyring.primary if keyring is not None else None,
        )
        wallet.note_node()
    return new, encrypted


def refresh_invoices(wallet: Wallet, payment_hashes: list[str]) -> bool:
    """Record what the node says of those of these invoices the history still has OPEN. True
    if any has settled: a row read before is stale."""
    # settling's module (and the payment outcomes it brings) only when one may have settled:
    # making an invoice starts without it
    from lnctl.core.settle import refresh_invoice

    settled = False
    for payment_hash in wallet.history.open_invoice_hashes(payment_hashes):
        settled = refresh_invoice(wallet, payment_hash) or settled
    return settled


EXPIRED: Final = "EXPIRED"  # an invoice OPEN in the history, past its expiry (never stored)


def invoice_status(row: InvoiceRow, now: float | None = None) -> InvoiceStatusShown:
    if row.status == SETTLED:
        return SETTLED
    return EXPIRED if row.expires_at <= (time.time() if now is None else now) else OPEN


def invoice_document(wallet: Wallet, row: InvoiceRow, *, with_memo: bool = True) -> InvoiceDocument:
    from lnctl.core.memos import reveal_memo  # for listings and lookups: `invoice` goes without

    return {
        "id": row.payment_hash,
        "payment_hash": row.payment_hash,
        "invoice": row.bolt11,
        "status": invoice_status(row),
        "amount_msat": row.amount_msat,
        "received_msat": row.received_msat,
        "description": row.description,
        "description_hash": row.description_hash,
        "memo": reveal_memo(wallet, row, "invoice") if with_memo else None,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "settled_at": row.settled_at,
        # the preimage proves payment; it is shown only once the invoice is settled
        "preimage": row.preimage if row.status == SETTLED else None,
    }


def list_invoices(
    wallet: Wallet, status: str | None, limit: int, cursor: int | None
) -> InvoiceList:
    rows, next_cursor = wallet.history.list_invoices(status, limit, cursor)
    # the page is read again only if the node settled one of it (a settled one may leave it)
    if refresh_invoices(wallet, [r.payment_hash for r in rows if r.status == OPEN]):
        rows, next_cursor = wallet.history.list_invoices(status, limit, cursor)
    return {
        "invoices": [invoice_document(wallet, r) for r in rows],
        "next_cursor": next_cursor,
    }


WAIT_FIRST_S = 0.25  # a remote node is asked again after this long, then less and less often
WAIT_CAP_S = 2.0
MAX_WAIT_S = 86_400 * 7


def check_wait_timeout(timeout_s: float) -> None:
    if not 0 < timeout_s <= MAX_WAIT_S:
        raise InvalidInputError(
            f"--timeout must be between 0 and {MAX_WAIT_S} seconds", code=Code.INVALID_TIMEOUT
        )


def wait_invoice(
    wallet: Wallet, payment_hash: str, timeout_s: float, deadline: Deadline | None = None
) -> SettledDocument:
    """Block until the node says the invoice is settled (its settlement), expired (exit 2) or
    the deadline (``timeout_s`` from the start of the command) has passed (exit 6,
    WAIT_TIMEOUT). A node that stops answering once it has answered (a restart, a freeze) is
    asked again until the deadline; one that cannot be reached at all from the start is an
    error at once (exit 1). Lookups of a remote node back off to ``WAIT_CAP_S``."""
    from lnctl.backends.base import INVOICE_EXPIRED, InvoiceState
    from lnctl.core.hashes import resolve_hash
    from lnctl.deadline import Deadline
    from lnctl.errors import (
        BackendUnavailableError,
        InvalidInvoiceError,
        NotFoundError,
        PaymentPendingError,
    )

    payment_hash = resolve_hash(wallet, payment_hash)  # a prefix: of this wallet's invoices
    check_wait_timeout(timeout_s)
    if deadline is None:
        deadline = Deadline.after(timeout_s)
    wallet.deadline = deadline
    embedded = wallet.capabilities.embedded
    wait = 0.1 if embedded else WAIT_FIRST_S
    answered = False  # the node has answered once in this command
    silent: BackendUnavailableError | None = None  # why the last lookup got no answer
    while True:
        try:
            status = wallet.backend.invoice_status(payment_hash)
        except BackendUnavailableError as exc:
            if not answered and not deadline.expired():
                raise  # never reached in this command (a wrong URL, a server down): say so now
            status, silent = None, exc
        else:
            answered, silent = True, None
            if status is None:
                raise NotFoundError(f"the node has no invoice with payment hash {payment_hash}")
            if status.state == InvoiceState.SETTLED:
                if wallet.history.has_invoice(payment_hash):
                    with wallet.history.transaction():
                        wallet.history.settle_invoice(
                            payment_hash,
                            status.received_msat or 0,
                            status.settled_at,
                            status.preimage,
                        )
                        wallet.note_node()
                return {
                    "payment_hash": payment_hash,
                    "status": SETTLED,
                    "received_msat": status.received_msat,
                    "settled_at": status.settled_at,
                    "preimage": status.preimage,
                }
            if status.state == InvoiceState.EXPIRED:
                raise InvalidInvoiceError(
                    "the invoice expired unpaid",
                    code=INVOICE_EXPIRED,
                    hint="make a new invoice",
                    details={"payment_hash": payment_hash},
                )
        if deadline.left() <= 0 or not deadline.sleep(wait):
            what = (
                f"no answer from the node about the invoice ({silent.message})"
                if silent is not None
                else "the invoice is still open"
            )
            raise PaymentPendingError(
                f"{what} after {timeout_s:g} s",
                code=Code.WAIT_TIMEOUT,
                hint=f"wait again: lnctl invoice wait {payment_hash}",
                details={"payment_hash": payment_hash},
            )
        if not embedded:
            wait = min(WAIT_CAP_S, wait * 1.5)
