"""``lnctl pay --dry-run``: what paying would do, decided by the same checks as ``pay`` (the
invoice, the history, the hash lock, the node's own record, a route's fee and balance), with
nothing claimed, sent or recorded. The exit code it predicts is the one ``pay`` would give.
"""

from __future__ import annotations

from lnctl.backends.base import ALREADY_PAID, FEE_LIMIT_EXCEEDED, INSUFFICIENT_BALANCE, PaymentState
from lnctl.core.locks import HashLock
from lnctl.core.payments import lock_busy, looks_like_lnurl, prepare
from lnctl.core.verdict import existing_outcome
from lnctl.deadline import Deadline
from lnctl.errors import (
    Code,
    DuplicatePaymentError,
    ExitCode,
    InvalidInputError,
    PaymentFailedError,
)

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl import bolt11
    from lnctl.core.documents import DryRunDocument
    from lnctl.core.payments import PayOptions
    from lnctl.core.wallet import Wallet


def dry_run(
    wallet: Wallet,
    text: str,
    options: PayOptions,
    *,
    amount_msat: int | None = None,
    deadline: Deadline | None = None,
    comment: str | None = None,
    idempotency_key: str | None = None,
) -> DryRunDocument:
    """What ``pay`` would do, by the same checks: nothing is claimed or sent. ``deadline``: the
    command's (else ``options.timeout_s`` from now). A Lightning Address or an LNURL is
    resolved and its invoice checked (the service is asked for an invoice, which is never
    paid); a key already used is predicted as ``pay`` would end, without resolving anything."""
    options.check()
    if deadline is None:
        deadline = Deadline.after(options.timeout_s)
    if idempotency_key is not None:
        used = _key_used(wallet, idempotency_key, options.if_paid)
        if used is not None:
            return used
    if not looks_like_lnurl(text):
        if comment is not None:
            raise InvalidInputError(
                "--comment is for a Lightning Address or an LNURL", code=Code.USAGE
            )
        invoice, amount, cap, _ = prepare(wallet, text, options, amount_msat, None, deadline)
        return predict(wallet, invoice, amount, cap, options.if_paid)
    from lnctl.core.lnurlpay import resolve

    wallet.deadline = deadline
    resolved = resolve(wallet, text, amount_msat, comment, deadline)
    invoice, amount, cap, _ = prepare(wallet, resolved.bolt11, options, None, None, deadline)
    doc = predict(wallet, invoice, amount, cap, options.if_paid)
    doc["lnurl"] = resolved.to_dict()
    return doc


def _key_used(wallet: Wallet, key: str, if_paid: str) -> DryRunDocument | None:
    """What ``pay`` would end with for a key already used (held or stored), or None."""
    from lnctl.core.documents import payment_document
    from lnctl.core.idempotency import hold_key
    from lnctl.core.locks import HashLock

    code: int = ExitCode.OK
    reason: str | None = None
    try:
        held = hold_key(wallet, key, if_paid)
    except DuplicatePaymentError as exc:
        code, reason = int(exc.exit_code), exc.code
    else:
        if isinstance(held, HashLock):
            held.release()
            return None
    row = wallet.history.payment_by_key(key)
    return {
        "dry_run": True,
        "payment_hash": row.payment_hash if row is not None else "",
        "amount_msat": row.amount_msat if row is not None else 0,
        "max_fee_msat": row.max_fee_msat if row is not None else 0,
        "fee_msat": None,
        "channel_id": None,
        "payee": row.payee if row is not None else "",
        "self_payment": False,
        "exit_code": int(code),
        "would": "pay" if code == ExitCode.OK else "fail",
        "failure_reason": reason,
        "payment": None if row is None else payment_document(row),
    }


def predict(
    wallet: Wallet, invoice: bolt11.Invoice, amount: int, cap: int, if_paid: str
) -> DryRunDocument:
    """What paying would do, without claiming, sending or recording anything: the exit code
    ``pay`` would give, decided by the same rules."""
    backend = wallet.backend
    doc: DryRunDocument = {
        "dry_run": True,
        "payment_hash": invoice.payment_hash,
        "amount_msat": amount,
        "max_fee_msat": cap,
        "fee_msat": None,
        "channel_id": None,
        "payee": invoice.payee,
        "self_payment": invoice.payee == backend.node_id(),
        "exit_code": ExitCode.OK,  # the verdict, decided below
        "would": "pay",
        "failure_reason": None,
    }
    code: int = ExitCode.OK
    reason: str | None = None
    try:
        backend.ready_to_pay()  # what pay would refuse before sending (a key, a password)
        lock = HashLock(wallet.home, invoice.payment_hash)
        if not lock.try_acquire():
            lock_busy(wallet, invoice.payment_hash, if_paid)
        lock.release()
        if existing_outcome(wallet.history.get_payment(invoice.payment_hash), if_paid) is None:
            at_node = backend.payment_status(invoice.payment_hash)
            if at_node.state == PaymentState.SUCCEEDED and if_paid != "ok":
                code, reason = ExitCode.DUPLICATE, ALREADY_PAID
            elif at_node.state == PaymentState.PENDING:
                code, reason = ExitCode.DUPLICATE, Code.ALREADY_IN_FLIGHT
            elif at_node.state != PaymentState.SUCCEEDED:
                code, reason = _predict_route(wallet, doc, invoice, amount, cap)
    except DuplicatePaymentError as exc:
        code, reason = exc.exit_code, exc.code
    except PaymentFailedError as exc:
        code, reason = exc.exit_code, exc.code
    doc["exit_code"] = int(code)
    doc["would"] = "pay" if code == ExitCode.OK else "fail"
    doc["failure_reason"] = reason
    return doc


def _predict_route(
    wallet: Wallet, doc: DryRunDocument, invoice: bolt11.Invoice, amount: int, cap: int
) -> tuple[int, str | None]:
    backend = wallet.backend
    need = amount  # without a fee quote, the least the payment can take
    if backend.capabilities.fee_quote:
        quote = backend.quote(invoice, amount)
        doc["fee_msat"] = quote.fee_msat
        if quote.fee_msat > cap:
            return ExitCode.PAYMENT_FAILED, FEE_LIMIT_EXCEEDED
        need = amount + quote.fee_msat
    if backend.capabilities.channels:  # a payment must fit in one channel
        from lnctl.backends.channels import best_channel, spendable_msat

        best = best_channel(wallet.simulated.channels(), "out")
        if best is None or spendable_msat(best) < need:
            return ExitCode.PAYMENT_FAILED, INSUFFICIENT_BALANCE
        doc["channel_id"] = best["channel_id"]
    elif backend.balance().spendable_msat < need:
        return ExitCode.PAYMENT_FAILED, INSUFFICIENT_BALANCE
    return ExitCode.OK, None
