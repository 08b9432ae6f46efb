"""The LNURL service's answers, checked before anything is paid: the payRequest (LUD-06, LUD-12),
the callback's invoice (its amount, its description hash, its network) and its success action
(LUD-09, LUD-10: shown inert; ``aes`` decrypted with the preimage).

Imported only on the LNURL path; JSON, BOLT 11 and AES are imported where used.
"""

from __future__ import annotations

from lnctl.lnurl.parse import (
    LNURL_AES_INVALID,
    LNURL_AMOUNT_OUT_OF_RANGE,
    LNURL_COMMENT_TOO_LONG,
    LNURL_INSECURE,
    LNURL_INVALID_RESPONSE,
    LNURL_INVOICE_INVALID,
    LNURL_INVOICE_MISMATCH,
    LNURL_SERVICE_ERROR,
    LNURL_WRONG_TAG,
    MAX_ACTION_TEXT_CHARS,
    MAX_CIPHERTEXT_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_IMAGE_CHARS,
    MAX_INVOICE_ANSWER_BYTES,
    MAX_METADATA_BYTES,
    MAX_URL_CHARS,
    WRONG_NETWORK,
    LnurlError,
    Target,
    clip,
    split_url,
)
from lnctl.records import record

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from lnctl.bolt11 import Invoice

_ACTIONS = ("message", "url", "aes")

# -- the payRequest (LUD-06, LUD-12) ---------------------------------------------------------------


@record(frozen=True, slots=True)
class PayRequest:
    """A checked payRequest. ``metadata`` is the string exactly as the service sent it (its
    SHA-256 is the invoice's description hash); text fields are as sent (sanitize to show)."""

    target: Target
    callback: str
    min_sendable_msat: int
    max_sendable_msat: int
    metadata: str
    description: str  # the text/plain entry
    long_description: str | None  # text/long-desc
    identifier: str | None  # text/identifier or text/email (LUD-16)
    comment_allowed: int  # LUD-12: 0 when the service takes no comment

    @property
    def description_hash(self) -> str:
        """sha256 of the metadata string's UTF-8 bytes, hex (LUD-06)."""
        from lnctl.bolt11 import sha256

        return sha256(self.metadata.encode("utf-8")).hexdigest()

    def check_amount(self, amount_msat: int) -> None:
        """Raises ``LnurlError(LNURL_AMOUNT_OUT_OF_RANGE)`` when the service does not take
        ``amount_msat`` (the message names its range), INVALID_AMOUNT when no amount could be."""
        from lnctl.errors import check_amount

        check_amount(amount_msat)
        low, high = self.min_sendable_msat, self.max_sendable_msat
        if not low <= amount_msat <= high:
            raise LnurlError(
                f"{self.target.name} takes {amount_range(low, high)}, not {_msat(amount_msat)}",
                code=LNURL_AMOUNT_OUT_OF_RANGE,
                hint="choose an amount in that range",
                details={
                    "amount_msat": amount_msat,
                    "min_sendable_msat": low,
                    "max_sendable_msat": high,
                },
            )

    def check_comment(self, comment: str | None) -> None:
        """Raises ``LnurlError(LNURL_COMMENT_TOO_LONG)`` when the comment is longer than the
        service's ``commentAllowed`` (characters; 0: no comment at all), INVALID_TEXT when it
        is not UTF-8."""
        from lnctl.errors import check_text

        check_text(comment, "the comment")
        if not comment:
            return
        if self.comment_allowed == 0:
            raise LnurlError(
                f"{self.target.name} takes no comment",
                code=LNURL_COMMENT_TOO_LONG,
                hint="pay without --comment",
                details={"comment_chars": len(comment), "comment_allowed": 0},
            )
        if len(comment) > self.comment_allowed:
            raise LnurlError(
                f"the comment is {len(comment)} characters; {self.target.name} takes at most "
                f"{self.comment_allowed}",
                code=LNURL_COMMENT_TOO_LONG,
                hint="shorten the comment",
                details={"comment_chars": len(comment), "comment_allowed": self.comment_allowed},
            )

    def callback_url(self, amount_msat: int, comment: str | None = None) -> str:
        """``<callback><?|&>amount=<msat>[&comment=<comment>]`` after both are checked."""
        from urllib.parse import quote

        self.check_amount(amount_msat)
        self.check_comment(comment)
        base, _, _ = self.callback.partition("#")
        url = base + ("&" if "?" in base else "?") + f"amount={amount_msat}"
        if comment:
            url += "&comment=" + quote(comment, safe="")
            if len(url) > MAX_URL_CHARS:  # LUD-12: the comment must fit in a GET URL
                raise LnurlError(
                    f"the comment makes the request to {self.target.name} longer than "
                    f"{MAX_URL_CHARS} characters (URL-encoded)",
                    code=LNURL_COMMENT_TOO_LONG,
                    hint="shorten the comment",
                )
        return url

    def to_dict(self) -> dict[str, object]:
        """For ``--json`` and for the payment's record: what is shown is sanitized."""
        from lnctl.sanitize import sanitize

        return {
            "lnurl": self.target.text,
            "kind": self.target.kind,
            "domain": sanitize(self.target.host),
            "description": sanitize(self.description),
            "long_description": None
            if self.long_description is None
            else sanitize(self.long_description),
            "identifier": None if self.identifier is None else sanitize(self.identifier),
            "min_sendable_msat": self.min_sendable_msat,
            "max_sendable_msat": self.max_sendable_msat,
            "comment_allowed": self.comment_allowed,
            "description_hash": self.description_hash,
        }


def _msat(amount: int) -> str:
    return f"{amount // 1000:,} sat" if amount % 1000 == 0 else f"{amount:,} msat"


def amount_range(low: int, high: int) -> str:
    if low == high:
        return f"exactly {_msat(low)}"
    if low % 1000 == 0 and high % 1000 == 0:
        return f"{low // 1000:,} to {high // 1000:,} sat"
    return f"{low:,} to {high:,} msat"


def _answer_json(body: bytes, what: str, status: int) -> dict[str, object]:
    """An LNURL answer's body as a JSON object (LUD-01: status and headers mean nothing), or
    LNURL_SERVICE_ERROR for the service's own ``{"status": "ERROR", "reason"}``."""
    import json

    try:
        doc = json.loads(body)
    except (
        ValueError,
        RecursionError,
    ) as exc:  # RecursionError: nesting deeper than the parser goes
        raise LnurlError(
            f"{what} answered (HTTP {status}) with something that is not JSON",
            code=LNURL_INVALID_RESPONSE,
        ) from exc
    if not isinstance(doc, dict):
        raise LnurlError(f"{what} answered with JSON that is not an object")
    if isinstance(doc.get("status"), str) and str(doc["status"]).upper() == "ERROR":
        raise LnurlError(
            f"{what} refused: {clip(doc.get('reason', 'no reason given'))}",
            code=LNURL_SERVICE_ERROR,
        )
    return doc


def _integer(doc: dict[str, object], key: str, what: str, default: int | None = None) -> int:
    value = doc.get(key, default)
    if type(value) is not int:  # not a bool, not a float: amounts are integers of msat
        raise LnurlError(f"{what} has no integer {key!r}")
    return value


def _string(value: object, what: str, limit: int) -> str:
    """A string the service sent: valid Unicode and at most ``limit`` characters."""
    if not isinstance(value, str):
        raise LnurlError(f"{what} is not a string")
    if len(value) > limit:
        raise LnurlError(f"{what} is longer than {limit:,} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate escaped in JSON (\ud800)
        raise LnurlError(f"{what} is not valid Unicode") from exc
    return value


def read_pay_request(body: bytes, target: Target, status: int = 200) -> PayRequest:
    """The payRequest in an answer's body, checked. Raises ``LnurlError``: LNURL_SERVICE_ERROR
    (the service refused), LNURL_WRONG_TAG (not a payRequest), LNURL_INVALID_RESPONSE (anything
    else LUD-06/12 do not allow: amounts, metadata, sizes), INVALID_LNURL or LNURL_INSECURE
    (the callback URL)."""
    what = f"the LNURL service of {target.name}"
    doc = _answer_json(body, what, status)
    tag = doc.get("tag")
    if tag != "payRequest":
        shown = clip(tag, 40) if isinstance(tag, str) else "no tag"
        raise LnurlError(
            f"{what} answered a {shown!r}, not a payRequest: not a pay link",
            code=LNURL_WRONG_TAG,
        )
    low = _integer(doc, "minSendable", f"{what}'s payRequest")
    high = _integer(doc, "maxSendable", f"{what}'s payRequest")
    if not 1 <= low <= high:
        raise LnurlError(
            f"{what} sent an impossible range: minSendable {low} and maxSendable {high} msat "
            "(LUD-06: 1 <= minSendable <= maxSendable)"
        )
    comment_allowed = _integer(doc, "commentAllowed", f"{what}'s payRequest", default=0)
    if comment_allowed < 0:
        raise LnurlError(f"{what} sent a negative commentAllowed")
    callback = _string(doc.get("callback"), f"{what}'s callback", MAX_URL_CHARS)
    parts = split_url(callback, f"{what}'s callback")
    if parts.scheme == "http" and target.url.startswith("https:"):
        raise LnurlError(
            f"{what} asked for its invoice over plain http after https: refused",
            code=LNURL_INSECURE,
        )
    from urllib.parse import parse_qs

    if {"amount", "comment"} & parse_qs(parts.query).keys():
        raise LnurlError(f"{what}'s callback already carries an amount or a comment")
    metadata = doc.get("metadata")
    if not isinstance(metadata, str):
        raise LnurlError(f"{what}'s metadata is not a string (LUD-06: JSON sent as a string)")
    fields = _read_metadata(metadata, what)
    return PayRequest(
        target=target,
        callback=callback,
        min_sendable_msat=low,
        max_sendable_msat=high,
        metadata=metadata,
        description=fields["text/plain"],
        long_description=fields.get("text/long-desc"),
        identifier=fields.get("text/identifier"),
        comment_allowed=comment_allowed,
    )


# the metadata entries lnctl reads: type -> (the group of which one at most, its size limit)
_METADATA_KINDS = {
    "text/plain": ("text/plain", MAX_DESCRIPTION_CHARS),
    "text/long-desc": ("text/long-desc", MAX_METADATA_BYTES),
    "text/identifier": ("text/identifier", MAX_URL_CHARS),  # LUD-16: identifier or email
    "text/email": ("text/identifier", MAX_URL_CHARS),
    "image/png;base64": ("image", MAX_IMAGE_CHARS),  # LUD-06: png or jpeg, not both
    "image/jpeg;base64": ("image", MAX_IMAGE_CHARS),
}


def _read_metadata(metadata: str, what: str) -> dict[str, str]:
    """The entries lnctl reads (text/plain, text/long-desc, text/identifier, text/email) of a
    metadata string, after checking it whole: a JSON array of arrays, each first a type string;
    one text/plain; at most one image (png or jpeg), long-desc and identifier or email."""
    import json

    try:
        size = len(metadata.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise LnurlError(f"{what}'s metadata is not valid Unicode") from exc
    if size > MAX_METADATA_BYTES:
        raise LnurlError(f"{what}'s metadata is larger than {MAX_METADATA_BYTES:,} bytes")
    try:
        entries = json.loads(metadata)
    except (ValueError, RecursionError) as exc:
        raise LnurlError(f"{what}'s metadata is not JSON") from exc
    if not isinstance(entries, list):
        raise LnurlError(f"{what}'s metadata is not a JSON array")
    found: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, list) or not entry or not isinstance(entry[0], str):
            raise LnurlError(f"{what}'s metadata holds an entry that is not [type, ...]")
        kind = entry[0]
        if kind not in _METADATA_KINDS:
            continue  # future entries: [string, any]
        group, limit = _METADATA_KINDS[kind]
        if group in found:
            raise LnurlError(f"{what}'s metadata has more than one {group} entry")
        if len(entry) != 2:
            raise LnurlError(f"{what}'s metadata entry {kind} is not [type, value]")
        found[group] = _string(entry[1], f"{what}'s metadata entry {kind}", limit)
    if "text/plain" not in found:
        raise LnurlError(f"{what}'s metadata has no text/plain entry (LUD-06 requires one)")
    return found


# -- the invoice and its success action (LUD-06, LUD-09, LUD-10) -----------------------------------


@record(frozen=True, slots=True)
class SuccessAction:
    """What the service asks the wallet to show once paid (LUD-09/10), as sent. Never acted on:
    a ``url`` is shown, never opened."""

    tag: str  # "message" | "url" | "aes"
    message: str | None = None
    description: str | None = None
    url: str | None = None
    ciphertext: str | None = None  # base64
    iv: str | None = None  # base64, 16 bytes

    def to_dict(self, preimage: str | None = None) -> dict[str, object]:
        """For ``--json`` and for the terminal, sanitized; an ``aes`` action decrypted with
        ``preimage`` (hex) when given: ``plaintext``, or ``error`` when it cannot be opened
        (the payment stands: this never raises)."""
        from lnctl.sanitize import sanitize

        doc: dict[str, object] = {"tag": self.tag}
        if self.tag == "message":
            doc["message"] = sanitize(self.message)
        else:
            doc["description"] = sanitize(self.description)
        if self.tag == "url":
            doc["url"] = sanitize(self.url)
        if self.tag == "aes" and preimage is not None:
            assert self.ciphertext is not None and self.iv is not None
            try:
                doc["plaintext"] = sanitize(decrypt_aes(self.ciphertext, self.iv, preimage))
            except LnurlError as exc:
                doc["plaintext"] = None
                doc["error"] = exc.message
        return doc


def read_success_action(value: object, callback: str) -> SuccessAction | None:
    """A callback answer's ``successAction`` (None when absent or null), checked before paying:
    an unknown kind is refused (LUD-09: the payer would not see what they paid for), a ``url``
    must be on the callback's host, texts within LUD-09/10's sizes. Raises ``LnurlError``
    (LNURL_INVALID_RESPONSE)."""
    if value is None:
        return None
    what = "the service's success action"
    if not isinstance(value, dict):
        raise LnurlError(f"{what} is not a JSON object")
    tag = value.get("tag")
    if tag not in _ACTIONS:
        shown = clip(tag, 40) if isinstance(tag, str) else "no tag"
        raise LnurlError(
            f"{what} is of a kind lnctl does not know ({shown!r}): refused before paying (LUD-09)"
        )
    assert isinstance(tag, str)
    if tag == "message":
        return SuccessAction(
            tag, message=_string(value.get("message"), f"{what}'s message", MAX_ACTION_TEXT_CHARS)
        )
    description = _string(value.get("description"), f"{what}'s description", MAX_ACTION_TEXT_CHARS)
    if tag == "url":
        url = _string(value.get("url"), f"{what}'s url", MAX_URL_CHARS)
        from urllib.parse import urlsplit

        host = split_url(url, f"{what}'s url").hostname
        if host != urlsplit(callback).hostname:
            raise LnurlError(f"{what}'s url is not on the callback's domain (LUD-09)")
        return SuccessAction(tag, description=description, url=url)
    ciphertext = _string(value.get("ciphertext"), f"{what}'s ciphertext", MAX_CIPHERTEXT_CHARS)
    iv = _string(value.get("iv"), f"{what}'s iv", 24)
    raw_iv, raw_ciphertext = _base64(iv), _base64(ciphertext)
    if len(iv) != 24 or raw_iv is None or len(raw_iv) != 16:
        raise LnurlError(f"{what}'s iv is not 16 bytes in base64 (LUD-10)")
    if not raw_ciphertext or len(raw_ciphertext) % 16:
        raise LnurlError(f"{what}'s ciphertext is not AES-CBC blocks in base64 (LUD-10)")
    return SuccessAction(tag, description=description, ciphertext=ciphertext, iv=iv)


def _base64(text: str) -> bytes | None:
    """Standard base64 (RFC 4648 section 4, whitespace ignored as LUD-10 says), or None."""
    import binascii

    try:
        return binascii.a2b_base64("".join(text.split()).encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError):
        return None


def decrypt_aes(ciphertext: str, iv: str, preimage: str) -> str:
    """LUD-10: the plaintext of an ``aes`` success action, AES-256-CBC with PKCS#7 padding and
    the payment's preimage (hex) as key. Raises ``LnurlError(LNURL_AES_INVALID)`` when it
    cannot be opened (a wrong key, bad padding, not UTF-8)."""
    fail = LnurlError(
        "the success action cannot be decrypted with this payment's preimage",
        code=LNURL_AES_INVALID,
    )
    try:
        key = bytes.fromhex(preimage)
    except ValueError as exc:
        raise fail from exc
    raw_iv, data = _base64(iv), _base64(ciphertext)
    if len(key) != 32 or raw_iv is None or len(raw_iv) != 16 or not data or len(data) % 16:
        raise fail
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    decryptor = Cipher(algorithms.AES(key), modes.CBC(raw_iv)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(decryptor.update(data) + decryptor.finalize())
        plain += unpadder.finalize()
        return plain.decode("utf-8")
    except ValueError as exc:  # bad padding (a wrong key, most likely), or not UTF-8
        raise fail from exc


@record(frozen=True, slots=True)
class LnurlInvoice:
    """An invoice an LNURL service issued, checked against what was asked: ready for the usual
    pay path (which still checks expiry, fees and the rest)."""

    pay_request: PayRequest
    invoice: Invoice
    amount_msat: int
    comment: str | None
    success_action: SuccessAction | None

    @property
    def bolt11(self) -> str:
        return self.invoice.bolt11

    def to_dict(self, preimage: str | None = None) -> dict[str, object]:
        """For ``--json``: what was paid to, and the success action (decrypted with
        ``preimage`` once paid), sanitized."""
        from lnctl.sanitize import sanitize

        return {
            **self.pay_request.to_dict(),
            "amount_msat": self.amount_msat,
            "comment": None if self.comment is None else sanitize(self.comment),
            "success_action": None
            if self.success_action is None
            else self.success_action.to_dict(preimage),
        }


def read_invoice(
    body: bytes,
    pay_request: PayRequest,
    amount_msat: int,
    network: str,
    comment: str | None = None,
    status: int = 200,
) -> LnurlInvoice:
    """The callback's answer, checked (LUD-06 step 6-7, before paying): ``pr`` a valid BOLT 11
    invoice for exactly ``amount_msat``, its description hash sha256 of the metadata, on
    ``network``; its success action known. Raises ``LnurlError``: LNURL_SERVICE_ERROR,
    LNURL_INVALID_RESPONSE, LNURL_INVOICE_INVALID, LNURL_INVOICE_MISMATCH, WRONG_NETWORK."""
    from lnctl import bolt11
    from lnctl.errors import InvalidInvoiceError

    what = f"the LNURL service of {pay_request.target.name}"
    doc = _answer_json(body, what, status)
    pr = doc.get("pr")
    if not isinstance(pr, str) or not pr:
        raise LnurlError(f"{what} sent no invoice ('pr')")
    if len(pr) > MAX_INVOICE_ANSWER_BYTES:
        raise LnurlError(f"{what} sent an invoice longer than any lnctl reads")
    try:
        invoice = bolt11.decode(pr)
    except InvalidInvoiceError as exc:
        raise LnurlError(
            f"{what} sent an invoice that is not valid: {exc.message}", code=LNURL_INVOICE_INVALID
        ) from exc
    refused = ": refused, nothing paid"
    if invoice.network != network:
        raise LnurlError(
            f"{what} sent an invoice for {invoice.network}; this wallet is on {network}{refused}",
            code=WRONG_NETWORK,
        )
    if invoice.amount_msat != amount_msat:
        got = "no amount" if invoice.amount_msat is None else f"{invoice.amount_msat:,} msat"
        raise LnurlError(
            f"{what} sent an invoice for {got}, not the {amount_msat:,} msat asked{refused}",
            code=LNURL_INVOICE_MISMATCH,
            details={"asked_msat": amount_msat, "invoice_msat": invoice.amount_msat},
        )
    if invoice.description_hash != pay_request.description_hash:
        got = "no description hash" if invoice.description_hash is None else "a description hash"
        raise LnurlError(
            f"{what} sent an invoice with {got} other than sha256 of its metadata "
            f"(LUD-06){refused}",
            code=LNURL_INVOICE_MISMATCH,
            details={
                "expected_description_hash": pay_request.description_hash,
                "invoice_description_hash": invoice.description_hash,
            },
        )
    action = read_success_action(doc.get("successAction"), pay_request.callback)
    return LnurlInvoice(pay_request, invoice, amount_msat, comment, action)
