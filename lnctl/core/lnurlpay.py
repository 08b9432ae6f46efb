"""Paying a Lightning Address or an LNURL-pay link: the service's invoice, resolved and checked
by ``lnctl.lnurl`` within the command's deadline (the payRequest, the amount and comment, the
invoice's amount, description hash and network), then paid by the one pay path as any invoice
(``lnctl.core.payments``). Imported only on this path."""

from __future__ import annotations

from lnctl.errors import Code, InvalidInputError

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.core.documents import PaymentDocument
    from lnctl.core.wallet import Wallet
    from lnctl.deadline import Deadline
    from lnctl.lnurl import LnurlInvoice


def resolve(
    wallet: Wallet,
    text: str,
    amount_msat: int | None,
    comment: str | None,
    deadline: Deadline,
) -> LnurlInvoice:
    """The service's invoice for ``amount_msat`` (None: the service's one amount, when its
    range is a single amount; AMOUNT_REQUIRED otherwise), checked against what was asked and
    the wallet's network. Nothing is paid. Raises ``lnctl.lnurl.LnurlError`` (exit 2) or
    ``LnurlUnreachableError`` (exit 1)."""
    from lnctl.lnurl import LnurlClient, parse
    from lnctl.lnurl.documents import amount_range

    target = parse(text)
    with LnurlClient(deadline) as client:
        pay_request = client.pay_request(target)
        if amount_msat is None:
            low, high = pay_request.min_sendable_msat, pay_request.max_sendable_msat
            if low != high:
                raise InvalidInputError(
                    f"{target.name} takes {amount_range(low, high)}: say how much",
                    code=Code.AMOUNT_REQUIRED,
                    hint="pass --amount SATS",
                    details={"min_sendable_msat": low, "max_sendable_msat": high},
                )
            amount_msat = low
        return client.invoice(
            pay_request, amount_msat, network=wallet.config.network, comment=comment
        )


def paid_document(doc: PaymentDocument, resolved: LnurlInvoice) -> PaymentDocument:
    """A payment's document with what the service said (``lnurl``: its terms, the comment
    sent) and its success action (LUD-09/10: sanitized, never followed; ``aes`` opened with
    the payment's preimage), when the payment is the one just made."""
    if doc["payment_hash"] != resolved.invoice.payment_hash:
        return doc
    terms = resolved.to_dict(doc["preimage"])
    action = terms.pop("success_action")
    assert action is None or isinstance(action, dict)
    return {**doc, "lnurl": terms, "success_action": action}
