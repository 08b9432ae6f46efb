"""LNURL-pay and Lightning Addresses: from what a user typed to a checked BOLT 11 invoice, with
nothing paid on the way (LUD-01, 06, 09, 10, 12, 16, 17).

What a user may type (``parse``), with or without a ``lightning:`` prefix:

- a Lightning Address ``user@domain`` (LUD-16), the domain optionally with a ``:port``: asked at
  ``https://domain/.well-known/lnurlp/user`` (``http://`` for a ``.onion`` domain);
- an LNURL, bech32 ``lnurl1...`` or ``LNURL1...`` (LUD-01, no length limit), whose URL is https,
  or plain http to a loopback or ``.onion`` host only;
- an ``lnurlp://`` link (LUD-17): https, or http for a ``.onion`` host.

Then (``LnurlClient``): the payRequest is fetched and checked strictly (tag, integer
``minSendable <= maxSendable``, metadata a JSON array string with one ``text/plain`` entry and
bounded sizes, ``commentAllowed``, the callback URL); the amount and the comment are checked
against it BEFORE the callback is called; the callback's invoice must decode (``lnctl.bolt11``),
be for exactly the amount asked, carry ``sha256(metadata)`` as its description hash (LUD-06) and
be on the wallet's network. Success actions (LUD-09/10) are parsed before paying (an unknown kind
is refused, as LUD-09 requires) and shown inert afterwards: a ``url`` is printed, never opened;
``aes`` is decrypted with the preimage. Every request ends by the command's deadline, answers are
size-limited, TLS is verified (``SSL_CERT_FILE`` honoured) and a redirect is followed only to the
same scheme, host and port.

Errors: ``LnurlError`` (exit 2: the input or the service's answer is refused, nothing paid) with
the codes below, ``WRONG_NETWORK`` for an invoice of another network, and
``LnurlUnreachableError`` (exit 1: no whole answer; nothing paid).

This module is imported only on the LNURL path: at import it loads nothing but ``lnctl.errors``
and ``lnctl.records``; JSON, URL parsing, HTTP, BOLT 11 and AES are imported where used.
"""

from lnctl.lnurl.client import LnurlClient, resolve
from lnctl.lnurl.documents import (
    LnurlInvoice,
    PayRequest,
    SuccessAction,
    decrypt_aes,
    read_invoice,
    read_pay_request,
    read_success_action,
)
from lnctl.lnurl.parse import (
    INVALID_LNURL,
    LNURL_AES_INVALID,
    LNURL_AMOUNT_OUT_OF_RANGE,
    LNURL_COMMENT_TOO_LONG,
    LNURL_INSECURE,
    LNURL_INVALID_RESPONSE,
    LNURL_INVOICE_INVALID,
    LNURL_INVOICE_MISMATCH,
    LNURL_REDIRECT_REFUSED,
    LNURL_SERVICE_ERROR,
    LNURL_UNREACHABLE,
    LNURL_WRONG_TAG,
    LnurlError,
    LnurlUnreachableError,
    Target,
    parse,
)

__all__ = [
    "INVALID_LNURL", "LNURL_AES_INVALID", "LNURL_AMOUNT_OUT_OF_RANGE", "LNURL_COMMENT_TOO_LONG",
    "LNURL_INSECURE", "LNURL_INVALID_RESPONSE", "LNURL_INVOICE_INVALID", "LNURL_INVOICE_MISMATCH",
    "LNURL_REDIRECT_REFUSED", "LNURL_SERVICE_ERROR", "LNURL_UNREACHABLE", "LNURL_WRONG_TAG",
    "LnurlClient", "LnurlError", "LnurlInvoice", "LnurlUnreachableError", "PayRequest",
    "SuccessAction", "Target", "decrypt_aes", "parse", "read_invoice",
    "read_pay_request", "read_success_action", "resolve",
]  # fmt: skip
