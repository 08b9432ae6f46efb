"""What a user typed, as a ``Target`` (LUD-01, LUD-16, LUD-17), and what every part of
``lnctl.lnurl`` shares: the error codes, the limits, the errors and the URL rules (https, or http
to a loopback or ``.onion`` host only).

Imported only on the LNURL path: it loads nothing but ``lnctl.errors`` and ``lnctl.records`` at
import; URL parsing, BOLT 11's bech32 and ``ipaddress`` are imported where used.
"""

from __future__ import annotations

from lnctl.errors import InvalidInputError, LnctlError
from lnctl.records import record

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from urllib.parse import SplitResult

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


def clip(text: object, limit: int = 200) -> str:
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
        return self.text if self.kind == "address" else clip(self.host)


def _strip(text: str) -> str:
    raw = text.strip()
    if raw[:10].lower() == "lightning:":
        raw = raw[10:]
    return raw


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
    return check_host(host), port


def check_host(host: str) -> str:
    """A host name as it is asked for (lowercase; IDNA for a non-ASCII name), or INVALID_LNURL."""
    bad = _invalid(f"{clip(host, 80)!r} is not a valid host name")
    if ":" in host:  # IPv6 (bare, as urlsplit gives it, or from brackets)
        import ipaddress

        if "%" in host:
            raise bad  # no zone ids: they name this machine's interfaces
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError as exc:
            raise bad from exc
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise bad from exc
    host = host.lower()
    if not host or len(host) > 253:
        raise bad
    labels = host.split(".")
    if all(label.isdigit() for label in labels):  # an IPv4 address, strictly dotted-decimal
        import ipaddress

        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError as exc:
            raise bad from exc
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


def split_url(url: str, what: str) -> SplitResult:
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
    except ValueError as exc:
        raise LnurlError(f"{what} is not a valid URL", code=INVALID_LNURL) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LnurlError(f"{what} is not an http(s) URL with a host", code=INVALID_LNURL)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise LnurlError(f"{what} carries credentials (user@host)", code=INVALID_LNURL)
    host = check_host(parts.hostname)
    if parts.scheme == "http" and not _http_allowed(host):
        raise LnurlError(
            f"{what} is plain http to {clip(host, 80)}: refused",
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
            f"{what} is a {clip(tags[0], 40)!r} link, not a pay link (payRequest)",
            code=LNURL_WRONG_TAG,
        )


def _parse_bech32(raw: str) -> Target:
    from lnctl import bolt11
    from lnctl.errors import InvalidInvoiceError

    try:
        hrp, data = bolt11.bech32_decode(raw)
    except InvalidInvoiceError as exc:  # its words name an invoice: this is an LNURL
        raise _invalid(exc.message.replace("invoice", "the LNURL", 1)) from exc
    if hrp != "lnurl":
        raise _invalid("an LNURL's prefix is lnurl1")
    leftover = 5 * len(data) % 8  # BIP 173: at most 4 bits of padding, all zero
    if leftover > 4 or (data and data[-1] & ((1 << leftover) - 1)):
        raise _invalid("the LNURL's bech32 data has invalid padding")
    try:
        url = bytes(bolt11.convertbits(data, 5, 8, pad=False)).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid("the LNURL does not hold a URL (not UTF-8)") from exc
    parts = split_url(url, "the LNURL's URL")
    _check_tag_parameter(parts, "the LNURL")
    return Target(kind="lnurl", text=raw.lower(), url=url, host=check_host(parts.hostname or ""))


def _parse_lnurlp(raw: str) -> Target:
    rest = raw[len("lnurlp://") :]
    from urllib.parse import urlsplit

    try:
        host = urlsplit("//" + rest).hostname or ""
    except ValueError as exc:
        raise _invalid("the lnurlp:// link is not a valid URL") from exc
    scheme = "http" if host.endswith(".onion") else "https"  # LUD-17
    url = f"{scheme}://{rest}"
    parts = split_url(url, "the lnurlp:// link")
    _check_tag_parameter(parts, "the lnurlp:// link")
    return Target(
        kind="lnurlp",
        text="lnurlp://" + rest,
        url=url,
        host=check_host(parts.hostname or ""),
    )
