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

from __future__ import annotations

from lnctl.errors import InvalidInputError, LnctlError
from lnctl.records import record

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from urllib.parse import SplitResult

    from lnctl.backends.transport import Transport
    from lnctl.bolt11 import Invoice
    from lnctl.deadline import Deadline

# -- error codes (README: exit codes) --------------------------------------------------------------

INVALID_LNURL = "INVALID_LNURL"  # not a Lightning Address, LNURL or lnurlp:// link
LNURL_INSECURE = "LNURL_INSECURE"  # plain http to a host that is neither loopback nor .onion
LNURL_WRONG_TAG = "LNURL_WRONG_TAG"  # a link for something else than paying (withdraw, login)
LNURL_SERVICE_ERROR = "LNURL_SERVICE_ERROR"  # the service answered {"status": "ERROR"}
LNURL_INVALID_RESPONSE = "LNURL_INVALID_RESPONSE"  # an answer that breaks the LUDs
LNURL_REDIRECT_REFUSED = "LNURL_REDIRECT_REFUSED"  # to another host, to http, or too many
LNURL_AMOUNT_OUT_OF_RANGE = "LNURL_AMOUNT_OUT_OF_RANGE"  # outside minSendable..maxSendable
LNURL_COMMENT_TOO_LONG = "LNURL_COMMENT_TOO_LONG"  # longer than commentAllowed (LUD-12)
LNURL_INVOICE_INVALID = "LNURL_INVOICE_INVALID"  # the service's `pr` is not a valid invoice
LNURL_INVOICE_MISMATCH = "LNURL_INVOICE_MISMATCH"  # amount or description hash differ
LNURL_AES_INVALID = "LNURL_AES_INVALID"  # an aes success action the preimage cannot open
LNURL_UNREACHABLE = "LNURL_UNREACHABLE"  # no whole answer (exit 1)
WRONG_NETWORK = "WRONG_NETWORK"  # the code lnctl already uses for an invoice of another network

# -- limits ----------------------------------------------------------------------------------------

MAX_INPUT_CHARS = 8192  # what the user typed (an LNURL of a 4096-character URL is ~6600)
MAX_URL_CHARS = 4096  # a service URL or callback
MAX_USERNAME_CHARS = 64  # a Lightning Address' user part (RFC 5321's local-part limit)
MAX_PAY_REQUEST_BYTES = 512 * 1024  # the payRequest answer (metadata may hold an image)
MAX_INVOICE_ANSWER_BYTES = 128 * 1024  # the callback's answer
MAX_METADATA_BYTES = 200_000  # UTF-8: one 136,536-character image and room for the rest
MAX_IMAGE_CHARS = 136_536  # LUD-06: 100 KB of image data in base64
MAX_DESCRIPTION_CHARS = 4096  # the text/plain entry (shown, and kept with the payment)
MAX_ACTION_TEXT_CHARS = 144  # LUD-09/10: a success action's message or description
MAX_CIPHERTEXT_CHARS = 4096  # LUD-10: "up to 4kb of characters"
MAX_REDIRECTS = 5  # same-origin redirects followed per request
REQUEST_TIMEOUT_S = 30.0  # the longest one request may take (within the command's deadline)

_USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")  # LUD-16
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_OTHER_SCHEMES = {"lnurlw": "withdrawing", "lnurlc": "opening a channel", "keyauth": "logging in"}
_REDIRECTS = (301, 302, 303, 307, 308)
_ACTIONS = ("message", "url", "aes")


class LnurlError(InvalidInputError):
    """A link, an address or an LNURL service's answer that lnctl refuses: nothing was paid
    (exit 2). ``code`` says which rule was broken."""

    default_code = LNURL_INVALID_RESPONSE


class LnurlUnreachableError(LnctlError):
    """The LNURL service could not be reached, or gave no whole answer by the deadline: nothing
    was paid (exit 1, as an unreachable backend)."""

    default_code = LNURL_UNREACHABLE


def _invalid(message: str, hint: str = "") -> LnurlError:
    return LnurlError(
        message,
        code=INVALID_LNURL,
        hint=hint or "a Lightning Address is user@domain; an LNURL starts with lnurl1 or lnurlp://",
    )


def _clip(text: object, limit: int = 200) -> str:
    """Untrusted text for a message: sanitized and cut short."""
    from lnctl.sanitize import sanitize

    shown = sanitize(text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


# -- what the user typed ---------------------------------------------------------------------------


@record(frozen=True, slots=True)
class Target:
    """Where a payRequest is fetched. ``text``: what was typed, normalized (the address, the
    lowercase LNURL, the lnurlp:// link), to show and keep with the payment; ``url``: the http(s)
    URL asked; ``host``: the service's host (shown when paying, LUD-06)."""

    kind: str  # "address" | "lnurl" | "lnurlp"
    text: str
    url: str
    host: str

    @property
    def name(self) -> str:
        """How the payee is named in messages: the address, else the service's host."""
        return self.text if self.kind == "address" else _clip(self.host)


def _strip(text: str) -> str:
    raw = text.strip()
    if raw[:10].lower() == "lightning:":
        raw = raw[10:]
    return raw


def looks_like_lnurl(text: str) -> bool:
    """Whether ``text`` is meant as LNURL-pay rather than a BOLT 11 invoice (cheap: for the
    caller to choose a path; ``parse`` decides whether it is valid)."""
    raw = _strip(text)
    head = raw[:9].lower()
    return head.startswith("lnurl1") or head == "lnurlp://" or "@" in raw


def parse(text: str) -> Target:
    """What the user typed, as a ``Target``. Raises ``LnurlError``: ``INVALID_LNURL`` (not an
    address, an LNURL or an lnurlp:// link, or malformed), ``LNURL_INSECURE`` (plain http to a
    host that is neither loopback nor .onion), ``LNURL_WRONG_TAG`` (a link to withdraw, log
    in or open a channel)."""
    if len(text) > MAX_INPUT_CHARS:
        raise _invalid(f"the link is longer than {MAX_INPUT_CHARS} characters")
    raw = _strip(text)
    if not raw:
        raise _invalid("nothing to pay: the address or link is empty")
    head = raw[:10].lower()
    if head.startswith("lnurl1"):
        return _parse_bech32(raw)
    scheme = head.partition("://")[0] if "://" in head else ""
    if scheme == "lnurlp":
        return _parse_lnurlp(raw)
    if scheme in _OTHER_SCHEMES:
        raise LnurlError(
            f"an {scheme}:// link is for {_OTHER_SCHEMES[scheme]}, not for paying",
            code=LNURL_WRONG_TAG,
        )
    if "@" in raw:
        return _parse_address(raw)
    raise _invalid(
        "not a Lightning Address (user@domain), an LNURL (lnurl1...) or an lnurlp:// link"
    )


def _parse_address(raw: str) -> Target:
    if raw.count("@") != 1:
        raise _invalid("a Lightning Address has exactly one @")
    user, _, domain = raw.partition("@")
    user = user.lower()  # LUD-16 usernames are lowercase: Alice@ can only mean alice@
    if not user:
        raise _invalid("the Lightning Address has no user name before the @")
    if len(user) > MAX_USERNAME_CHARS:
        raise _invalid(f"the Lightning Address' user name is longer than {MAX_USERNAME_CHARS}")
    if not set(user) <= _USERNAME_CHARS:
        raise _invalid(
            "a Lightning Address' user name has only the letters a-z, digits, '-', '_' and '.'"
        )
    if user[0] == "." or user[-1] == "." or ".." in user:
        raise _invalid("a Lightning Address' user name cannot start or end with a dot or hold '..'")
    host, port = _split_domain(domain)
    netloc = (f"[{host}]" if ":" in host else host) + ("" if port is None else f":{port}")
    scheme = "http" if host.endswith(".onion") else "https"  # LUD-16
    return Target(
        kind="address",
        text=f"{user}@{netloc}",
        url=f"{scheme}://{netloc}/.well-known/lnurlp/{user}",
        host=host,
    )


def _split_domain(domain: str) -> tuple[str, int | None]:
    """(host, port) of an address' domain part: a DNS name, an IPv4 address or a [bracketed]
    IPv6 address, then optionally :port."""
    if not domain:
        raise _invalid("the Lightning Address has no domain after the @")
    port_text = None
    if domain.startswith("["):
        inner, bracket, rest = domain[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise _invalid("the Lightning Address' domain is not a valid host")
        host, port_text = inner, (rest[1:] if rest else None)
        if ":" not in host:
            raise _invalid("only an IPv6 address goes in brackets")
    else:
        host, colon, port_text_ = domain.partition(":")
        port_text = port_text_ if colon else None
    port = None
    if port_text is not None:
        if not (port_text.isascii() and port_text.isdigit()) or len(port_text) > 5:
            raise _invalid("the Lightning Address' port is not a number")
        port = int(port_text)
        if not 0 < port < 65536:
            raise _invalid("the Lightning Address' port is out of range (1-65535)")
    return _check_host(host), port


def _check_host(host: str) -> str:
    """A host name as it is asked for (lowercase; IDNA for a non-ASCII name), or INVALID_LNURL."""
    bad = _invalid(f"{_clip(host, 80)!r} is not a valid host name")
    if ":" in host:  # IPv6 (bare, as urlsplit gives it, or from brackets)
        import ipaddress

        if "%" in host:
            raise bad  # no zone ids: they name this machine's interfaces
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError:
            raise bad from None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise bad from None
    host = host.lower()
    if not host or len(host) > 253:
        raise bad
    labels = host.split(".")
    if all(label.isdigit() for label in labels):  # an IPv4 address, strictly dotted-decimal
        import ipaddress

        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise bad from None
    for label in labels:
        if not 0 < len(label) <= 63 or not set(label) <= _HOST_CHARS:
            raise bad
        if label[0] == "-" or label[-1] == "-":
            raise bad
    return host


def _http_allowed(host: str) -> bool:
    """Plain http only to this machine or to a Tor onion service (LUD-01), as the LNbits URL."""
    from lnctl.backends.remote import LOOPBACK

    return host in LOOPBACK or host.endswith(".onion")


def _split_url(url: str, what: str) -> SplitResult:
    """A service URL, checked: printable ASCII, http(s), a valid host, no credentials, https
    unless the host is loopback or .onion. Raises INVALID_LNURL or LNURL_INSECURE (``what``
    names the URL in messages)."""
    from urllib.parse import urlsplit

    if len(url) > MAX_URL_CHARS:
        raise LnurlError(f"{what} is longer than {MAX_URL_CHARS} characters", code=INVALID_LNURL)
    if not url.isascii() or not url.isprintable() or " " in url:
        raise LnurlError(f"{what} holds characters a URL cannot have", code=INVALID_LNURL)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise LnurlError(f"{what} is not a valid URL", code=INVALID_LNURL) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LnurlError(f"{what} is not an http(s) URL with a host", code=INVALID_LNURL)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise LnurlError(f"{what} carries credentials (user@host)", code=INVALID_LNURL)
    host = _check_host(parts.hostname)
    if parts.scheme == "http" and not _http_allowed(host):
        raise LnurlError(
            f"{what} is plain http to {_clip(host, 80)}: refused",
            code=LNURL_INSECURE,
            hint="LNURL is https, or http only to a .onion or loopback host (LUD-01)",
        )
    return parts


def _check_tag_parameter(parts: SplitResult, what: str) -> None:
    """LUD-01: a ``tag`` query parameter gives a link its meaning; lnctl pays payRequests only."""
    from urllib.parse import parse_qs

    tags = parse_qs(parts.query).get("tag", [])
    if tags and tags != ["payRequest"]:
        raise LnurlError(
            f"{what} is a {_clip(tags[0], 40)!r} link, not a pay link (payRequest)",
            code=LNURL_WRONG_TAG,
        )


def _parse_bech32(raw: str) -> Target:
    from lnctl import bolt11
    from lnctl.errors import InvalidInvoiceError

    try:
        hrp, data = bolt11.bech32_decode(raw)
    except InvalidInvoiceError as exc:  # its words name an invoice: this is an LNURL
        raise _invalid(exc.message.replace("invoice", "the LNURL", 1)) from None
    if hrp != "lnurl":
        raise _invalid("an LNURL's prefix is lnurl1")
    leftover = 5 * len(data) % 8  # BIP 173: at most 4 bits of padding, all zero
    if leftover > 4 or (data and data[-1] & ((1 << leftover) - 1)):
        raise _invalid("the LNURL's bech32 data has invalid padding")
    try:
        url = bytes(bolt11.convertbits(data, 5, 8, pad=False)).decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid("the LNURL does not hold a URL (not UTF-8)") from None
    parts = _split_url(url, "the LNURL's URL")
    _check_tag_parameter(parts, "the LNURL")
    return Target(kind="lnurl", text=raw.lower(), url=url, host=_check_host(parts.hostname or ""))


def _parse_lnurlp(raw: str) -> Target:
    rest = raw[len("lnurlp://") :]
    from urllib.parse import urlsplit

    try:
        host = urlsplit("//" + rest).hostname or ""
    except ValueError:
        raise _invalid("the lnurlp:// link is not a valid URL") from None
    scheme = "http" if host.endswith(".onion") else "https"  # LUD-17
    url = f"{scheme}://{rest}"
    parts = _split_url(url, "the lnurlp:// link")
    _check_tag_parameter(parts, "the lnurlp:// link")
    return Target(
        kind="lnurlp",
        text="lnurlp://" + rest,
        url=url,
        host=_check_host(parts.hostname or ""),
    )


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
                f"{self.target.name} takes {_range(low, high)}, not {_msat(amount_msat)}",
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


def _range(low: int, high: int) -> str:
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
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise LnurlError(
            f"{what} answered (HTTP {status}) with something that is not JSON",
            code=LNURL_INVALID_RESPONSE,
        ) from None
    if not isinstance(doc, dict):
        raise LnurlError(f"{what} answered with JSON that is not an object")
    if isinstance(doc.get("status"), str) and str(doc["status"]).upper() == "ERROR":
        raise LnurlError(
            f"{what} refused: {_clip(doc.get('reason', 'no reason given'))}",
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
    except UnicodeEncodeError:  # a lone surrogate escaped in JSON (\ud800)
        raise LnurlError(f"{what} is not valid Unicode") from None
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
        shown = _clip(tag, 40) if isinstance(tag, str) else "no tag"
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
    parts = _split_url(callback, f"{what}'s callback")
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
    except UnicodeEncodeError:
        raise LnurlError(f"{what}'s metadata is not valid Unicode") from None
    if size > MAX_METADATA_BYTES:
        raise LnurlError(f"{what}'s metadata is larger than {MAX_METADATA_BYTES:,} bytes")
    try:
        entries = json.loads(metadata)
    except (ValueError, RecursionError):
        raise LnurlError(f"{what}'s metadata is not JSON") from None
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
        shown = _clip(tag, 40) if isinstance(tag, str) else "no tag"
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

        host = _split_url(url, f"{what}'s url").hostname
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
    except ValueError:
        raise fail from None
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
    except ValueError:  # bad padding (a wrong key, most likely), or not UTF-8
        raise fail from None


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
        ) from None
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


# -- over the network ------------------------------------------------------------------------------


class LnurlClient:
    """Requests to LNURL services within one deadline (the command's): one kept connection per
    origin, answers size-limited, TLS verified with the system's store (``SSL_CERT_FILE`` names
    another) or ``cafile``, redirects followed only within one scheme, host and port."""

    def __init__(self, deadline: Deadline, *, cafile: str | None = None) -> None:
        self.deadline = deadline
        self.cafile = cafile
        self._transports: dict[tuple[str, str, int], Transport] = {}

    def __enter__(self) -> LnurlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for transport in self._transports.values():
            transport.close()
        self._transports.clear()

    def pay_request(self, target: Target) -> PayRequest:
        """The payRequest at ``target``, checked (``read_pay_request``). Raises ``LnurlError``
        or ``LnurlUnreachableError``."""
        what = f"the LNURL service of {target.name}"
        status, body = self._get(target.url, what, MAX_PAY_REQUEST_BYTES)
        return read_pay_request(body, target, status)

    def invoice(
        self,
        pay_request: PayRequest,
        amount_msat: int,
        *,
        network: str,
        comment: str | None = None,
    ) -> LnurlInvoice:
        """Ask the callback for an invoice of ``amount_msat`` (amount and comment checked
        first: nothing is asked when they are refused) and check it (``read_invoice``). Raises
        ``LnurlError`` or ``LnurlUnreachableError``; never pays."""
        url = pay_request.callback_url(amount_msat, comment)
        what = f"the LNURL service of {pay_request.target.name}"
        status, body = self._get(url, what, MAX_INVOICE_ANSWER_BYTES)
        return read_invoice(body, pay_request, amount_msat, network, comment or None, status)

    def _transport(self, parts: SplitResult) -> Transport:
        from lnctl.backends.transport import Transport

        key = _origin(parts)
        if key not in self._transports:
            netloc = parts.netloc.rpartition("@")[2]
            self._transports[key] = Transport(
                f"{parts.scheme}://{netloc}", "the LNURL service", cafile=self.cafile
            )
        return self._transports[key]

    def _get(self, url: str, what: str, max_body: int) -> tuple[int, bytes]:
        """(status, body) of a GET, redirects followed within the origin."""
        from urllib.parse import urljoin

        from lnctl.backends.transport import Oversize, Undelivered
        from lnctl.errors import BackendUnavailableError

        parts = _split_url(url, f"{what}'s URL")
        for _ in range(MAX_REDIRECTS + 1):
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            try:
                reply = self._transport(parts).request(
                    "GET",
                    target,
                    {"Accept": "application/json"},
                    None,
                    deadline=self.deadline.within(REQUEST_TIMEOUT_S),
                    max_body=max_body,
                )
            except BackendUnavailableError as exc:  # nothing was sent
                raise LnurlUnreachableError(
                    exc.message, hint="check the address or link; nothing was paid"
                ) from None
            except Oversize:
                raise LnurlError(
                    f"{what} sent an answer larger than {max_body:,} bytes: refused"
                ) from None
            except Undelivered as exc:
                raise LnurlUnreachableError(
                    f"{what} did not answer: {exc.reason}",
                    hint="try again (--timeout gives it longer); nothing was paid",
                ) from None
            if reply.status not in _REDIRECTS:
                return reply.status, reply.body
            location = reply.headers.get("location", "")
            try:
                moved = urljoin(parts.geturl(), location)
            except ValueError:
                moved = ""
            try:
                new = _split_url(moved, f"{what}'s redirect")
            except LnurlError:
                new = None
            if not location or new is None or _origin(new) != _origin(parts):
                raise LnurlError(
                    f"{what} redirected to {_clip(_where(moved), 80)}: only a redirect within "
                    f"{parts.scheme}://{_clip(parts.netloc, 80)} is followed",
                    code=LNURL_REDIRECT_REFUSED,
                )
            parts = new
        raise LnurlError(
            f"{what} redirected more than {MAX_REDIRECTS} times", code=LNURL_REDIRECT_REFUSED
        )


def _origin(parts: SplitResult) -> tuple[str, str, int]:
    return (
        parts.scheme,
        parts.hostname or "",
        parts.port or (443 if parts.scheme == "https" else 80),
    )


def _where(url: str) -> str:
    """scheme://host[:port] of a URL, for a message (never its path or query)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" if parts.netloc else "nowhere"
    except ValueError:
        return "a URL that does not parse"


def resolve(
    text: str,
    amount_msat: int,
    *,
    network: str,
    deadline: Deadline,
    comment: str | None = None,
    cafile: str | None = None,
) -> LnurlInvoice:
    """From what the user typed to a checked invoice: ``parse``, then the payRequest, then the
    callback's invoice, all within ``deadline``. Nothing is paid. Raises ``LnurlError`` (exit 2)
    or ``LnurlUnreachableError`` (exit 1)."""
    target = parse(text)
    with LnurlClient(deadline, cafile=cafile) as client:
        pay_request = client.pay_request(target)
        return client.invoice(pay_request, amount_msat, network=network, comment=comment)
