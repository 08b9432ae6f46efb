"""Lightspark's official SDK as lnctl reaches it (the ``lightspark`` backend's plumbing; the
contract is ``lightspark.py``): its settings, the SDK loaded only on this backend's path, every
request carried over lnctl's own transport by a requests adapter (bounded by the deadline; "not
sent" told apart from unknown), and what lnctl may read of the API's answers (GraphQL errors by
their structured fields only, statuses, failure reasons one to one, amounts exactly in msat).
See ``lightspark.py``'s docstring for the whole story.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lnctl.backends.base import (
    ALREADY_PAID,
    CANCELED,
    INCORRECT_PAYMENT_DETAILS,
    INSUFFICIENT_BALANCE,
    INVOICE_EXPIRED,
    NO_ROUTE,
    TIMEOUT,
    PaymentState,
    PaymentStatus,
)
from lnctl.backends.outcome import FAILURE, PENDING, SUCCESS, Answer
from lnctl.backends.remote import check_server_url, secret_value
from lnctl.deadline import NO_DEADLINE
from lnctl.errors import (
    BackendAuthError,
    BackendError,
    BackendUnavailableError,
    Code,
    InvalidInputError,
    LnctlError,
    UnsupportedError,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from lnctl.backends.transport import Reply
    from lnctl.config import Config
    from lnctl.deadline import Deadline

READ_TIMEOUT_S = 15.0  # the longest a call other than a payment may take (within the deadline)
ALLOW_VAR = "LNCTL_LIGHTSPARK_ALLOW_INSECURE"
# installed from the package index, or from a clone of lnctl's source (where the first would
# ask the index for lnctl)
EXTRA = "pip install 'lnctl[lightspark]' (from a clone of lnctl: pip install '.[lightspark]')"

# Lightspark's PaymentFailureReason names that are lnctl's own; INVOICE_ALREADY_PAID is
# ALREADY_PAID (exit 5); every other name is kept as Lightspark gives it (one to one)
SAME_REASONS = frozenset(
    {NO_ROUTE, TIMEOUT, INCORRECT_PAYMENT_DETAILS, INSUFFICIENT_BALANCE, INVOICE_EXPIRED}
)
# msat in one unit of each of Lightspark's bitcoin units
MSAT_PER_UNIT = {
    "MILLISATOSHI": 1,
    "SATOSHI": 1_000,
    "NANOBITCOIN": 100,
    "MICROBITCOIN": 100_000,
    "MILLIBITCOIN": 100_000_000,
    "BITCOIN": 100_000_000_000,
}


def load_sdk() -> Any:
    """The ``lightspark`` package, its logger silenced; exit 2 naming the extra when missing."""
    try:
        import lightspark
    except ImportError as exc:
        raise UnsupportedError(
            "the Lightspark backend needs the optional extra lnctl[lightspark] (Lightspark's "
            "SDK), which is not installed",
            code=Code.EXTRA_MISSING,
            hint=f"{EXTRA} (the SDK's signing library has wheels for CPython 3.9-3.12 only)",
        ) from exc
    import logging

    logger = logging.getLogger("lightspark")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False
    logger.setLevel(logging.CRITICAL + 1)
    return lightspark


class LightsparkSettings:
    """Credentials and where the API is (never printed: see ``__repr__``)."""

    __slots__ = ("client_id", "client_secret", "node_id", "node_password", "base_url")

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        node_id: str,
        node_password: str | None = None,
        base_url: str | None = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.node_id = node_id
        self.node_password = node_password
        self.base_url = base_url

    def __repr__(self) -> str:
        return "LightsparkSettings(<hidden>)"

    @classmethod
    def from_config(cls, config: Config) -> LightsparkSettings:
        env = config.env

        def required(var: str, value: str | None, where: str = "") -> str:
            if not value:
                raise InvalidInputError(
                    f"the Lightspark backend needs {var}{where}",
                    code=Code.LIGHTSPARK_CONFIG_MISSING,
                    hint=f"export {var}=... (see the README's Lightspark section)",
                )
            return value

        client_id = required(
            "LNCTL_LIGHTSPARK_CLIENT_ID", env.get("LNCTL_LIGHTSPARK_CLIENT_ID", "").strip()
        )
        secret = required(
            "LNCTL_LIGHTSPARK_CLIENT_SECRET",
            secret_value(
                env, "LNCTL_LIGHTSPARK_CLIENT_SECRET", config.path("secrets", "lightspark.key")
            ),
            " (or the file secrets/lightspark.key, 0600)",
        )
        node_id = required(
            "LNCTL_LIGHTSPARK_NODE_ID", env.get("LNCTL_LIGHTSPARK_NODE_ID", "").strip()
        )
        password = secret_value(
            env,
            "LNCTL_LIGHTSPARK_NODE_PASSWORD",
            config.path("secrets", "lightspark-node-password"),
        )
        for value in (client_id, secret, node_id):
            if not value.isprintable() or any(c.isspace() for c in value):
                raise InvalidInputError(
                    "a Lightspark credential holds a space or a control character",
                    code=Code.LIGHTSPARK_CONFIG_INVALID,
                )
        base_url = env.get("LNCTL_LIGHTSPARK_BASE_URL", "").strip() or None
        if base_url is not None:
            check_server_url(
                base_url, "LNCTL_LIGHTSPARK_BASE_URL", ALLOW_VAR, env, "LIGHTSPARK_URL_INVALID"
            )
        return cls(client_id, secret, node_id, password, base_url)


class LightsparkClient:
    """The SDK's client for one node's settings, every request bounded by ``deadline`` (the
    wallet sets the command's), and the calls that classify what became of a request."""

    def __init__(self, settings: LightsparkSettings, deadline: Deadline = NO_DEADLINE) -> None:
        sdk = load_sdk()
        self.settings = settings
        self.sdk = sdk
        self.deadline = deadline
        self.client = sdk.LightsparkSyncClient(
            api_token_client_id=settings.client_id,
            api_token_client_secret=settings.client_secret,
            base_url=settings.base_url,
        )
        # The SDK posts through this session with no timeout: every request goes through an
        # adapter over lnctl's transport instead (pinned SDK version; the tests check that a
        # withheld or dripped answer ends by the deadline).
        self._adapter = deadline_adapter()
        session = self.client._requester.graphql_session
        session.mount("https://", self._adapter)
        session.mount("http://", self._adapter)
        session.max_redirects = 0
        session.trust_env = False  # proxies from the environment: read by the transport

    def close(self) -> None:
        self.client._requester.graphql_session.close()

    def _call(
        self, fn: Any, *args: Any, deadline: Deadline | None = None, once: bool = False, **kw: Any
    ) -> Any:
        """One SDK call, bounded by ``deadline`` (default: the command's, at most
        ``READ_TIMEOUT_S``). Raises BackendUnavailableError when the request surely never
        reached the server, BackendAuthError when the credentials are refused, Refused for a
        refusal the server states (a 4xx), GraphqlError for an error it answered, and
        Unanswered when the answer never came or could not be read (the request may have
        been carried out)."""
        import requests

        from lnctl.backends.transport import Undelivered

        adapter = self._adapter
        adapter.deadline = deadline or self.deadline.within(READ_TIMEOUT_S)
        adapter.once = once
        adapter.last = None
        LightsparkException = self.sdk.LightsparkException
        try:
            return fn(*args, **kw)
        except Undelivered as exc:
            raise Unanswered(f"the Lightspark API did not answer: {exc.reason}") from exc
        except requests.exceptions.RequestException as exc:  # a redirect (none is followed)
            raise Unanswered("the Lightspark API answered with a redirect") from exc
        except LightsparkException as exc:
            code = str(exc.args[0]) if exc.args else ""
            reply = adapter.last
            if code == "HTTP_ERROR" and reply is not None:
                raise self._http_error(reply) from exc
            if code == "GRAPHQL_ERROR":
                raise GraphqlError(*graphql_error(reply)) from exc
            raise Unanswered("the Lightspark API sent an answer the SDK cannot read") from exc
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            # an answer the SDK could not read (not JSON, a missing or mistyped key)
            raise Unanswered("the Lightspark API sent an answer lnctl cannot read") from exc

    def _http_error(self, reply: Reply) -> Exception:
        status = reply.status
        words = graphql_error(reply)[0] if reply.body else ""
        said = f": {clip(words)}" if words else ""
        if status in (401, 403):
            return BackendAuthError(
                f"the Lightspark API refused the credentials ({status})",
                hint="check LNCTL_LIGHTSPARK_CLIENT_ID and the client secret",
            )
        if status == 429:
            return Refused(
                BackendUnavailableError(
                    "the Lightspark API is limiting requests (429); nothing was done",
                    hint="try again later",
                )
            )
        if 400 <= status < 500:
            return Refused(
                BackendError(
                    f"the Lightspark API refused the request ({status}{said}); nothing was done",
                    code=Code.BACKEND_REFUSED,
                )
            )
        return Unanswered(f"the Lightspark API answered HTTP {status}")

    def _read(self, fn: Any, *args: Any, **kw: Any) -> Any:
        """A read: an unanswered read is 'unavailable'; asking again later is safe."""
        return self._ask(
            lambda: self._call(fn, *args, **kw), failed="the Lightspark API answered an error"
        )

    @staticmethod
    def _ask(
        call: Callable[[], Any],
        *,
        failed: str,
        failed_hint: str = "",
        unanswered: str = "",
        unanswered_hint: str = "try again later",
    ) -> Any:
        """``call`` (one ``_call``), its errors as lnctl's: Unanswered is 'unavailable' (its
        words, then ``unanswered``: what that leaves behind), Refused its own error, and an
        error the API answered a BackendError, ``failed`` then its words."""
        try:
            return call()
        except Unanswered as exc:
            raise BackendUnavailableError(exc.args[0] + unanswered, hint=unanswered_hint) from exc
        except Refused as exc:
            raise exc.error from exc.error.__cause__ or exc  # its own cause, else where it came
        except GraphqlError as exc:
            raise BackendError(f"{failed}: {clip(exc.args[0])}", hint=failed_hint) from exc

    def _graphql(self, query: str, variables: dict[str, Any]) -> Any:
        """A read of the SDK's own kind, whose raw answer lnctl reads itself."""
        return self._read(self.client._requester.execute_graphql, query, variables)


class Unanswered(Exception):
    """A request whose answer never came or could not be read: it may have been carried out."""


class GraphqlError(Exception):
    """The server answered the request with a GraphQL error: (its message, clipped; its
    structured ``extensions.error_name`` or None)."""


class Refused(Exception):
    """The server refused the request before acting on it (a 4xx it answered)."""

    def __init__(self, error: LnctlError) -> None:
        super().__init__(error.message)
        self.error = error


def deadline_adapter() -> Any:
    """A requests adapter that carries the SDK's requests over lnctl's transport, bounded by
    ``deadline``; ``once``: on a fresh connection, never repeated; ``last``: the last reply."""
    import requests.adapters
    import requests.models
    import requests.structures
    import requests.utils

    from lnctl.backends.transport import Transport

    class DeadlineAdapter(requests.adapters.BaseAdapter):
        def __init__(self) -> None:
            super().__init__()
            self.deadline = NO_DEADLINE
            self.once = False
            self.last: Reply | None = None
            self.transports: dict[str, Transport] = {}

        def send(
            self,
            request: requests.models.PreparedRequest,
            stream: bool = False,
            timeout: float | tuple[float | None, float | None] | None = None,
            verify: bool | str = True,
            cert: str | tuple[str, str] | None = None,
            proxies: dict[str, str] | None = None,
        ) -> requests.models.Response:
            from urllib.parse import urlsplit

            assert request.url is not None and request.method is not None

            parts = urlsplit(request.url)
            origin = f"{parts.scheme}://{parts.netloc}"
            transport = self.transports.get(origin)
            if transport is None:
                transport = Transport(
                    origin, "the Lightspark API", cafile=ca_file(), proxy=proxy_for(origin)
                )
                self.transports[origin] = transport
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            raw = request.body
            body = raw.encode() if isinstance(raw, str) else raw
            if body is not None and not isinstance(body, bytes):
                raise TypeError("the SDK posts bytes")  # it does (json.dumps(...).encode())
            headers = {
                k: v if isinstance(v, str) else v.decode("latin-1")
                for k, v in request.headers.items()
                if v is not None
            }
            reply = transport.request(
                request.method, target, headers, body, deadline=self.deadline, once=self.once
            )
            self.last = reply
            response = requests.models.Response()
            response.status_code = reply.status
            response.reason = reply.reason
            response.headers = requests.structures.CaseInsensitiveDict(reply.headers)
            response._content = reply.body
            response.encoding = requests.utils.get_encoding_from_headers(response.headers)
            response.url = request.url
            response.request = request
            return response

        def close(self) -> None:
            for transport in self.transports.values():
                transport.close()

    return DeadlineAdapter()


def ca_file() -> str | None:
    """The CA bundle requests would have used (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, certifi's)."""
    import os

    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        import certifi
    except ImportError:
        return None
    return str(certifi.where())


def proxy_for(origin: str) -> str | None:
    """The proxy the environment names for this origin (HTTPS_PROXY, NO_PROXY, ...), as
    requests honoured it."""
    from urllib.parse import urlsplit
    from urllib.request import getproxies_environment, proxy_bypass

    parts = urlsplit(origin)
    proxies = getproxies_environment()
    if not proxies or proxy_bypass(parts.hostname or ""):
        return None
    return proxies.get(parts.scheme) or proxies.get("all")


def graphql_error(reply: Reply | None) -> tuple[str, str | None]:
    """(the first error's message, its structured ``extensions.error_name``) of a GraphQL
    answer: what lnctl may read of an error (never its words, to decide an outcome)."""
    import json

    try:
        doc = json.loads(reply.body) if reply is not None else None
    except ValueError:
        doc = None
    errors = doc.get("errors") if isinstance(doc, dict) else None
    first = errors[0] if isinstance(errors, list) and errors else None
    if not isinstance(first, dict):
        return "an error without a message", None
    message = first.get("message")
    extensions = first.get("extensions")
    name = extensions.get("error_name") if isinstance(extensions, dict) else None
    text = str(message) if isinstance(message, str) else "an error without a message"
    if isinstance(name, str) and name:
        text = f"{name}: {text}"
    return text, name if isinstance(name, str) and name else None


def raw_reasons(reply: Reply | None) -> dict[str, str]:
    """The failure reason of each outgoing payment in a raw answer, by payment id, as the server
    wrote it (the SDK reads a reason it does not know as ___FUTURE_VALUE___)."""
    import json

    found: dict[str, str] = {}
    try:
        doc = json.loads(reply.body) if reply is not None else None
    except ValueError:
        return found
    todo = [doc]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            ident, reason = (
                item.get("outgoing_payment_id"),
                item.get("outgoing_payment_failure_reason"),
            )
            if isinstance(ident, str) and isinstance(reason, str):
                found[ident] = reason
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return found


def status_of(payment: Any, raw_reasons: dict[str, str] | None = None) -> PaymentStatus:
    """One OutgoingPayment as a PaymentStatus: unknown statuses are PENDING, never success."""
    status = getattr(payment.status, "value", None)
    if status == "SUCCESS":
        fee = msat(payment.fees)
        if fee is None and payment.is_internal_payment:
            fee = 0
        preimage = payment.payment_preimage
        return PaymentStatus(
            PaymentState.SUCCEEDED,
            preimage=preimage.lower() if isinstance(preimage, str) else None,
            fee_msat=fee,
        )
    if status in ("FAILED", "CANCELLED", "EXPIRED"):
        reason = getattr(payment.failure_reason, "value", None)
        if reason == "___FUTURE_VALUE___":  # one the SDK does not know: the server's own name
            reason = (raw_reasons or {}).get(str(getattr(payment, "id", "")), reason)
        return PaymentStatus(PaymentState.FAILED, failure_reason=kept_reason(reason, status))
    return PaymentStatus(PaymentState.PENDING)  # PENDING, NOT_STARTED, or a status yet unknown


def kept_reason(name: object, status: str) -> str:
    """Lightspark's failure reason as lnctl records it: one to one (INVOICE_ALREADY_PAID is
    ALREADY_PAID; a name lnctl does not share is kept, its characters checked)."""
    if not isinstance(name, str) or name in ("", "NONE", "___FUTURE_VALUE___"):
        return INVOICE_EXPIRED if status == "EXPIRED" else CANCELED
    if name == "INVOICE_ALREADY_PAID":
        return ALREADY_PAID
    if name in SAME_REASONS:
        return name
    kept = "".join(c for c in name.upper() if c.isascii() and (c.isalnum() or c == "_"))[:64]
    return kept or CANCELED


def answer_of(status: PaymentStatus) -> Answer:
    """What pay_invoice's payment object says, as an Answer."""
    if status.state == PaymentState.SUCCEEDED:
        return Answer(SUCCESS, preimage=status.preimage, fee_msat=status.fee_msat)
    if status.state == PaymentState.FAILED:
        return Answer(FAILURE, failure_reason=status.failure_reason)
    return Answer(PENDING)


def msat(amount: Any) -> int | None:
    """A CurrencyAmount in msat, exactly; None for no amount; a fiat amount is refused."""
    if amount is None:
        return None
    unit = getattr(amount.original_unit, "value", None)
    value = amount.original_value
    if type(value) is not int or unit not in MSAT_PER_UNIT:
        raise BackendError(f"the Lightspark API reported an amount lnctl cannot read ({unit})")
    return value * MSAT_PER_UNIT[str(unit)]


def unix(when: object) -> int | None:
    if not isinstance(when, datetime):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp())


def clip(text: str) -> str:
    return text[:200]
