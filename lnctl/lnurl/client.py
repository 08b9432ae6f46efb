"""Requests to LNURL services: within the command's deadline, answers size-limited, TLS
verified (``SSL_CERT_FILE`` honoured), redirects followed only within one origin; and
``resolve``, from what the user typed to a checked invoice, nothing paid.
"""

from __future__ import annotations

from lnctl.lnurl.documents import LnurlInvoice, PayRequest, read_invoice, read_pay_request
from lnctl.lnurl.parse import (
    LNURL_REDIRECT_REFUSED,
    MAX_INVOICE_ANSWER_BYTES,
    MAX_PAY_REQUEST_BYTES,
    MAX_REDIRECTS,
    REQUEST_TIMEOUT_S,
    LnurlError,
    LnurlUnreachableError,
    Target,
    clip,
    parse,
    split_url,
)

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from urllib.parse import SplitResult

    from lnctl.backends.transport import Transport
    from lnctl.deadline import Deadline

_REDIRECTS = (301, 302, 303, 307, 308)

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
                f"{parts.scheme}://{netloc}",
                "the LNURL service",
                cafile=self.cafile,
                bounded_dns=True,  # its name server is the service's too: never wait on it
            )
        return self._transports[key]

    def _get(self, url: str, what: str, max_body: int) -> tuple[int, bytes]:
        """(status, body) of a GET, redirects followed within the origin."""
        from urllib.parse import urljoin

        from lnctl.backends.transport import Oversize, Undelivered
        from lnctl.errors import BackendUnavailableError

        parts = split_url(url, f"{what}'s URL")
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
                ) from exc
            except Oversize as exc:
                raise LnurlError(
                    f"{what} sent an answer larger than {max_body:,} bytes: refused"
                ) from exc
            except Undelivered as exc:
                raise LnurlUnreachableError(
                    f"{what} did not answer: {exc.reason}",
                    hint="try again (--timeout gives it longer); nothing was paid",
                ) from exc
            if reply.status not in _REDIRECTS:
                return reply.status, reply.body
            location = reply.headers.get("location", "")
            try:
                moved = urljoin(parts.geturl(), location)
            except ValueError:
                moved = ""
            try:
                new = split_url(moved, f"{what}'s redirect")
            except LnurlError:
                new = None
            if not location or new is None or _origin(new) != _origin(parts):
                raise LnurlError(
                    f"{what} redirected to {clip(_where(moved), 80)}: only a redirect within "
                    f"{parts.scheme}://{clip(parts.netloc, 80)} is followed",
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
