"""A Lightspark node through Lightspark's official Python SDK (``pip install 'lnctl[lightspark]'``).

Configuration (never in logs, errors or ``--json``): ``LNCTL_LIGHTSPARK_CLIENT_ID``; the client
secret from ``LNCTL_LIGHTSPARK_CLIENT_SECRET`` or ``$LNCTL_HOME/secrets/lightspark.key``;
``LNCTL_LIGHTSPARK_NODE_ID``; the node password (it unlocks the node's signing key, needed to
pay) from ``LNCTL_LIGHTSPARK_NODE_PASSWORD`` or ``secrets/lightspark-node-password``; and
``LNCTL_LIGHTSPARK_BASE_URL`` (default: Lightspark's API). Secret files are 0600.

The SDK is imported only on this backend's path. It sets no HTTP timeout and retries nothing:
lnctl gives its session an adapter that bounds every call (5 s to connect, 15 s for an answer,
the payment's time left for ``pay_invoice``) and follows no redirect. What the node says is read
with care:

- the payment hash is ``pay_invoice``'s idempotency key, and the node's payments for a hash are
  looked up before paying: a hash paid or in flight is never sent again (``duplicate``);
- a call that did not answer (timeout, dropped connection, a 5xx, an unreadable answer) is
  PENDING, resolved only by looking the payment up, never re-sent;
- SUCCESS is SUCCEEDED (the wallet checks the preimage against the hash); FAILED, CANCELLED and
  EXPIRED are FAILED with Lightspark's reason mapped to lnctl's (``INVOICE_ALREADY_PAID`` ->
  ``ALREADY_PAID``, exit 5); PENDING, NOT_STARTED and any status this SDK does not know are
  PENDING, never a success;
- amounts are converted to msat exactly (integers); an amount in a fiat unit is refused.

The SDK logs request payloads and server answers at debug and error levels: its logger is
silenced, so nothing of a request reaches the terminal.
"""

from __future__ import annotations

import time
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
    Balance,
    Capabilities,
    InvoiceState,
    InvoiceStatus,
    KeepsNoRecords,
    NewInvoice,
    PaymentState,
    PaymentStatus,
    Quote,
)
from lnctl.errors import (
    BackendAuthError,
    BackendError,
    BackendUnavailableError,
    InvalidInputError,
    InvalidInvoiceError,
    PaymentFailedError,
    UnsupportedError,
)

if TYPE_CHECKING:
    from lnctl.backends.base import Backend
    from lnctl.bolt11 import Invoice
    from lnctl.config import Config

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 15.0  # calls other than pay
POLL_S = (0.05, 0.1, 0.2, 0.5, 1.0)  # waits between lookups of a payment still in flight
ALLOW_VAR = "LNCTL_LIGHTSPARK_ALLOW_INSECURE"
EXTRA = "pip install 'lnctl[lightspark]'"

# Lightspark's PaymentFailureReason -> lnctl's failure reasons
REASONS = {
    "NO_ROUTE": NO_ROUTE,
    "TIMEOUT": TIMEOUT,
    "INCORRECT_PAYMENT_DETAILS": INCORRECT_PAYMENT_DETAILS,
    "INSUFFICIENT_BALANCE": INSUFFICIENT_BALANCE,
    "INSUFFICIENT_BALANCE_ON_SINGLE_PATH_INVOICE": INSUFFICIENT_BALANCE,
    "INVOICE_ALREADY_PAID": ALREADY_PAID,
    "INVOICE_EXPIRED": INVOICE_EXPIRED,
    "INVOICE_CANCELLED": CANCELED,
}
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
    except ImportError:
        raise UnsupportedError(
            "the Lightspark backend needs the optional extra lnctl[lightspark] (Lightspark's "
            "SDK), which is not installed",
            code="EXTRA_MISSING",
            hint=f"{EXTRA} (the SDK's signing library has wheels for CPython 3.9-3.12 only)",
        ) from None
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
        from lnctl.backends.remote import check_server_url, secret_value

        env = config.env

        def required(var: str, value: str | None, where: str = "") -> str:
            if not value:
                raise InvalidInputError(
                    f"the Lightspark backend needs {var}{where}",
                    code="LIGHTSPARK_CONFIG_MISSING",
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
                    code="LIGHTSPARK_CONFIG_INVALID",
                )
        base_url = env.get("LNCTL_LIGHTSPARK_BASE_URL", "").strip() or None
        if base_url is not None:
            check_server_url(
                base_url, "LNCTL_LIGHTSPARK_BASE_URL", ALLOW_VAR, env, "LIGHTSPARK_URL_INVALID"
            )
        return cls(client_id, secret, node_id, password, base_url)


class LightsparkBackend(KeepsNoRecords):
    name = "lightspark"
    capabilities = Capabilities(
        channels=False,  # Lightspark manages the node's channels
        fault_injection=False,
        amountless_invoices=True,  # create_invoice with amount_msats=0
        fee_quote=True,  # lightning_fee_estimate_for_invoice (pay --dry-run)
        simulated_incoming=True,  # test mode on a regtest node (create_test_mode_*)
        retries_itself=True,  # the node routes and retries on its side
        embedded=False,
        exports_records=False,
        enforces_fee_cap=True,  # pay_invoice(maximum_fees_msats=...)
    )

    def __init__(self, settings: LightsparkSettings, network: str | None = None) -> None:
        sdk = load_sdk()
        self.network = network  # the wallet's network: the node's invoices must be on it
        import requests.adapters

        self.settings = settings
        self.sdk = sdk
        self.client = sdk.LightsparkSyncClient(
            api_token_client_id=settings.client_id,
            api_token_client_secret=settings.client_secret,
            base_url=settings.base_url,
        )
        # The SDK posts with no timeout: bound every call through the session it uses (pinned
        # SDK version; tests/integration/test_lightspark.py checks that a withheld answer ends).
        self._adapter = _bounded_adapter(requests.adapters.HTTPAdapter)
        session = self.client._requester.graphql_session
        session.mount("https://", self._adapter)
        session.mount("http://", self._adapter)
        session.max_redirects = 0
        self._signing_loaded = False
        self._node: Any = None

    @classmethod
    def from_config(cls, config: Config) -> LightsparkBackend:
        return cls(LightsparkSettings.from_config(config), config.network)

    def close(self) -> None:
        self.client._requester.graphql_session.close()

    # -- calls -------------------------------------------------------------------------------------

    def _call(self, fn: Any, *args: Any, read_timeout: float = READ_TIMEOUT_S, **kw: Any) -> Any:
        """One SDK call, bounded. Raises BackendUnavailableError when the request surely never
        reached the server, BackendAuthError when the credentials are refused, _GraphqlError for
        an error the server answered, and _Undelivered when the answer never came or could not
        be read (the request may have been carried out)."""
        import requests

        self._adapter.timeout = (CONNECT_TIMEOUT_S, max(0.5, read_timeout))
        LightsparkException = self.sdk.LightsparkException
        try:
            return fn(*args, **kw)
        except requests.exceptions.SSLError:
            raise BackendUnavailableError(
                f"TLS with the Lightspark API failed ({self._host()})",
                hint="check LNCTL_LIGHTSPARK_BASE_URL and the server's certificate",
            ) from None
        except (requests.exceptions.ConnectTimeout, requests.exceptions.InvalidURL):
            raise _unreachable(self._host()) from None
        except requests.exceptions.ConnectionError as exc:
            if _never_connected(exc):
                raise _unreachable(self._host()) from None
            raise _Undelivered("the connection dropped") from None
        except requests.exceptions.Timeout:
            raise _Undelivered("no answer in time") from None
        except requests.exceptions.RequestException as exc:
            raise _Undelivered(type(exc).__name__) from None
        except LightsparkException as exc:
            code, message = (list(exc.args) + ["", ""])[:2]
            message = str(message)
            if code == "HTTP_ERROR":
                status = _leading_int(message)
                if status in (401, 403):
                    raise BackendAuthError(
                        f"the Lightspark API refused the credentials ({status})",
                        hint="check LNCTL_LIGHTSPARK_CLIENT_ID and the client secret",
                    ) from None
                if status is not None and 400 <= status < 500:
                    raise BackendError(
                        f"the Lightspark API refused the request ({status})"
                    ) from None
                raise _Undelivered(f"HTTP {status}") from None
            if code == "GRAPHQL_ERROR":
                raise _GraphqlError(message[:300]) from None
            raise BackendError(f"the Lightspark SDK failed ({_clip(str(code))})") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            # an answer the SDK could not read (not JSON, a missing or mistyped key)
            raise _Undelivered(f"unreadable answer ({type(exc).__name__})") from None

    def _read(self, fn: Any, *args: Any, **kw: Any) -> Any:
        """A read: an unanswered read is 'unavailable'; asking again later is safe."""
        try:
            return self._call(fn, *args, **kw)
        except _Undelivered as exc:
            raise BackendUnavailableError(
                f"the Lightspark API did not answer ({exc.args[0]})", hint="try again later"
            ) from None
        except _GraphqlError as exc:
            raise BackendError(
                f"the Lightspark API answered an error: {_clip(exc.args[0])}"
            ) from None

    def _host(self) -> str:
        from urllib.parse import urlsplit

        return str(urlsplit(self.client._requester.base_url).netloc)

    # -- the node ----------------------------------------------------------------------------------

    def _entity(self, fresh: bool = False) -> Any:
        if self._node is None or fresh:
            from lightspark.objects.LightsparkNodeWithOSK import LightsparkNodeWithOSK

            node = self._read(self.client.get_entity, self.settings.node_id, LightsparkNodeWithOSK)
            if node is None:
                raise InvalidInputError(
                    "the Lightspark API knows no node with LNCTL_LIGHTSPARK_NODE_ID for these "
                    "credentials",
                    code="LIGHTSPARK_NODE_NOT_FOUND",
                    hint="copy the node's id from Lightspark's dashboard",
                )
            self._node = node
        return self._node

    def identity(self) -> str | None:
        """A digest of the node's id: stable, and the id itself stays out of the history."""
        from hashlib import sha256

        return "lightspark:" + sha256(self.settings.node_id.encode()).hexdigest()[:32]

    def node_id(self) -> str | None:
        key = self._entity().public_key
        return key.lower() if isinstance(key, str) and _is_pubkey(key) else None

    def label(self) -> str | None:
        name = self._entity().display_name
        return name if isinstance(name, str) and name else None

    def _signing_key(self) -> None:
        """Unlock the node's signing key (needed for pay_invoice) with the node password."""
        if self._signing_loaded:
            return
        password = self.settings.node_password
        if not password:
            raise BackendAuthError(
                "paying needs the Lightspark node's password (it unlocks the node's signing key)",
                code="NODE_PASSWORD_REQUIRED",
                hint="set LNCTL_LIGHTSPARK_NODE_PASSWORD or put it in "
                "secrets/lightspark-node-password (0600)",
            )
        from cryptography.exceptions import InvalidTag

        try:
            key = self._read(self.client.recover_node_signing_key, self.settings.node_id, password)
        except InvalidTag:
            raise BackendAuthError(
                "the node password did not unlock the Lightspark node's signing key",
                code="NODE_PASSWORD_WRONG",
                hint="check LNCTL_LIGHTSPARK_NODE_PASSWORD (or the password file)",
            ) from None
        try:
            key.sign_payload(b"lnctl")  # a key that cannot sign fails here, before any payment
        except Exception:
            raise BackendError("the Lightspark node's signing key cannot sign") from None
        self._signing_loaded = True

    # -- invoices ----------------------------------------------------------------------------------

    def create_invoice(
        self,
        amount_msat: int | None,
        *,
        description: str | None,
        description_hash: bytes | None,
        expiry: int,
    ) -> NewInvoice:
        if description_hash is not None:
            raise UnsupportedError("Lightspark issues invoices with a text description only")
        try:
            made = self._call(
                self.client.create_invoice,
                node_id=self.settings.node_id,
                amount_msats=amount_msat or 0,
                memo=description or "",
                expiry_secs=expiry,
            )
        except _Undelivered as exc:
            raise BackendUnavailableError(
                f"the Lightspark API did not answer ({exc.args[0]}); no invoice was recorded",
                hint="try again",
            ) from None
        except _GraphqlError as exc:
            raise BackendError(
                f"the Lightspark API did not create the invoice: {_clip(exc.args[0])}"
            ) from None
        new = self._checked_invoice(made.data.encoded_payment_request, amount_msat)
        if new.payment_hash != made.data.payment_hash:
            raise BackendError("the Lightspark API returned an invoice that is not the one asked")
        return new

    def _checked_invoice(self, text: object, amount_msat: int | None) -> NewInvoice:
        """The node's invoice, decoded once: readable, for the amount asked, on this wallet's
        network."""
        from lnctl import bolt11

        if not isinstance(text, str):
            raise BackendError("the Lightspark API returned no invoice")
        try:
            inv = bolt11.decode(text)
        except InvalidInvoiceError:
            raise BackendError("the Lightspark API returned an invoice lnctl cannot read") from None
        if amount_msat is not None and inv.amount_msat != amount_msat:
            raise BackendError("the Lightspark API returned an invoice for another amount")
        if self.network is not None and inv.network != self.network:
            raise InvalidInputError(
                f"the Lightspark node issues {inv.network} invoices; this wallet is on "
                f"{self.network}",
                code="WRONG_NETWORK",
                hint=f"set LNCTL_NETWORK={inv.network} (or --network {inv.network}) for this node",
            )
        return NewInvoice(text, inv.payment_hash, inv.timestamp, inv.expires_at, inv.payee)

    def invoice_status(self, payment_hash: str) -> InvoiceStatus | None:
        try:
            invoice = self._call(self.client.invoice_for_payment_hash, payment_hash)
        except _GraphqlError as exc:
            if "not found" in exc.args[0].lower():
                return None
            raise BackendError(
                f"the Lightspark API answered an error: {_clip(exc.args[0])}"
            ) from None
        except _Undelivered as exc:
            if "TypeError" in exc.args[0]:  # {"invoice": null}: no such invoice
                return None
            raise BackendUnavailableError(
                f"the Lightspark API did not answer ({exc.args[0]})", hint="try again later"
            ) from None
        if (
            invoice is None
            or getattr(invoice.data.destination, "id", None) != self.settings.node_id
        ):
            return None  # not an invoice of this node
        paid = _msat(invoice.amount_paid)
        wanted = _msat(invoice.data.amount) or 0
        if paid and paid >= wanted:
            return InvoiceStatus(InvoiceState.SETTLED, paid, _unix(invoice.updated_at))
        status = getattr(invoice.status, "value", None)
        expires = _unix(invoice.data.expires_at)
        if status == "CLOSED" or (expires is not None and expires <= time.time()):
            return InvoiceStatus(InvoiceState.EXPIRED)  # expired or cancelled: payable no more
        return InvoiceStatus(InvoiceState.OPEN)

    # -- paying ------------------------------------------------------------------------------------

    def quote(self, invoice: Invoice, amount_msat: int) -> Quote:
        """The node's fee estimate for paying this invoice now (a read: nothing is sent)."""
        try:
            fee = self._call(
                self.client.get_lightning_fee_estimate_for_invoice,
                node_id=self.settings.node_id,
                encoded_payment_request=invoice.bolt11,
                amount_msats=amount_msat if invoice.amount_msat is None else None,
            )
        except _Undelivered as exc:
            raise BackendUnavailableError(
                f"the Lightspark API did not answer ({exc.args[0]})", hint="try again later"
            ) from None
        except _GraphqlError as exc:
            if "route" in exc.args[0].lower():
                raise PaymentFailedError(
                    f"the Lightspark node finds no route: {_clip(exc.args[0])}", code=NO_ROUTE
                ) from None
            raise BackendError(
                f"the Lightspark API answered an error: {_clip(exc.args[0])}"
            ) from None
        estimate = _msat(fee)
        if estimate is None or estimate < 0:
            raise BackendError("the Lightspark API gave no fee estimate")
        return Quote(fee_msat=estimate, self_payment=invoice.payee == self.node_id())

    def pay(
        self,
        invoice: Invoice,
        amount_msat: int,
        max_fee_msat: int,
        *,
        timeout_s: float,
        induce_failure: bool = False,
    ) -> PaymentStatus:
        if induce_failure:
            raise UnsupportedError("--induce-failure is a fault of the simulated node")
        deadline = time.monotonic() + timeout_s
        self._signing_key()  # nothing is sent without it
        known = self.payment_status(invoice.payment_hash)
        if known.state in (PaymentState.SUCCEEDED, PaymentState.PENDING):
            return _duplicate(known)
        try:
            payment = self._call(
                self.client.pay_invoice,
                node_id=self.settings.node_id,
                encoded_invoice=invoice.bolt11,
                timeout_secs=max(1, int(timeout_s)),
                maximum_fees_msats=max_fee_msat,
                amount_msats=amount_msat if invoice.amount_msat is None else None,
                idempotency_key=invoice.payment_hash,
                read_timeout=max(1.0, deadline - time.monotonic()),
            )
        except _Undelivered:
            return self._after_undelivered(invoice.payment_hash)
        except _GraphqlError as exc:
            return self._refused(invoice.payment_hash, exc.args[0])
        status = _status_of(payment)
        while status.state is PaymentState.PENDING and time.monotonic() < deadline:
            for wait in POLL_S:
                if time.monotonic() + wait >= deadline:
                    break
                time.sleep(wait)
                status = self._status_or_pending(invoice.payment_hash)
                if status.state is not PaymentState.PENDING:
                    return status
            else:
                continue
            break
        return status

    def _status_or_pending(self, payment_hash: str) -> PaymentStatus:
        try:
            status = self.payment_status(payment_hash)
        except BackendError:
            return PaymentStatus(PaymentState.PENDING)
        return (
            PaymentStatus(PaymentState.PENDING) if status.state is PaymentState.UNKNOWN else status
        )

    def _after_undelivered(self, payment_hash: str) -> PaymentStatus:
        """The pay request may have arrived: only the node's record can tell; never resend."""
        status = self._status_or_pending(payment_hash)
        return (
            status
            if status.state is PaymentState.SUCCEEDED
            else PaymentStatus(PaymentState.PENDING)
        )

    def _refused(self, payment_hash: str, message: str) -> PaymentStatus:
        """The server answered the pay request with an error. A payment it holds for the hash
        says what happened; else the error is read: an invoice it cannot take is invalid input,
        a reason it names is that failure, and anything else stays PENDING (unknown)."""
        status = self._status_or_pending(payment_hash)
        if status.state is not PaymentState.PENDING:
            return status
        low = message.lower()
        if "expired" in low:
            return PaymentStatus(PaymentState.FAILED, failure_reason=INVOICE_EXPIRED)
        if "already paid" in low:
            return PaymentStatus(PaymentState.FAILED, failure_reason=ALREADY_PAID)
        if "insufficient" in low:
            return PaymentStatus(PaymentState.FAILED, failure_reason=INSUFFICIENT_BALANCE)
        if "invalid" in low or "decode" in low:
            raise InvalidInvoiceError(
                f"the Lightspark API refused the invoice: {_clip(message)}", code="INVALID_INVOICE"
            )
        return PaymentStatus(PaymentState.PENDING)

    def payment_status(self, payment_hash: str) -> PaymentStatus:
        payments = self._read(self.client.outgoing_payments_for_payment_hash, payment_hash)
        statuses = [_status_of(p) for p in payments or []]
        for state in (PaymentState.SUCCEEDED, PaymentState.PENDING, PaymentState.FAILED):
            found = [s for s in statuses if s.state is state]
            if found:
                return found[-1]
        return PaymentStatus(PaymentState.UNKNOWN)

    # -- balance -----------------------------------------------------------------------------------

    def balance(self) -> Balance:
        node = self._entity(fresh=True)
        balances = node.balances
        if balances is not None:
            spendable = _msat(balances.available_to_send_balance)
            owned = _msat(balances.owned_balance)
            withdrawable = _msat(balances.available_to_withdraw_balance)
        else:
            spendable = _msat(node.local_balance)
            owned = withdrawable = spendable
        if spendable is None:
            raise BackendError("the Lightspark API did not report the node's balance")
        inflight = max(0, (owned or 0) - (withdrawable or 0))
        return Balance(spendable_msat=spendable, receivable_msat=None, inflight_msat=inflight)

    # -- test mode (lnctl simulate) ----------------------------------------------------------------

    def _require_regtest(self) -> None:
        network = getattr(self._entity().bitcoin_network, "value", None)
        if network != "REGTEST":
            raise UnsupportedError(
                "lnctl simulate uses Lightspark's test mode, which only a regtest node has",
                hint="use a regtest node's LNCTL_LIGHTSPARK_NODE_ID (and LNCTL_NETWORK=regtest)",
            )

    def create_remote_invoices(
        self, amount_msat: int | None, description: str, expiry: int, count: int
    ) -> list[NewInvoice]:
        """Invoices of Lightspark's test network for this node to pay (create_test_mode_invoice;
        the test network chooses the expiry)."""
        self._require_regtest()
        made = []
        for _ in range(count):
            text = self._read(
                self.client.create_test_mode_invoice,
                local_node_id=self.settings.node_id,
                amount_msats=amount_msat or 0,
                memo=description or None,
            )
            made.append(self._checked_invoice(text, amount_msat))
        return made

    def simulate_incoming(self, invoice: Invoice, amount_msat: int | None) -> dict[str, Any]:
        """Lightspark's test network pays one of this node's invoices (create_test_mode_payment)."""
        self._require_regtest()
        try:
            incoming = self._call(
                self.client.create_test_mode_payment,
                local_node_id=self.settings.node_id,
                encoded_invoice=invoice.bolt11,
                amount_msats=amount_msat,
            )
        except _Undelivered as exc:
            raise BackendUnavailableError(
                f"the Lightspark API did not answer ({exc.args[0]}); the test payment may have "
                "been made",
                hint=f"lnctl lookup {invoice.payment_hash}",
            ) from None
        except _GraphqlError as exc:
            raise BackendError(
                f"the Lightspark API refused the test payment: {_clip(exc.args[0])}"
            ) from None
        status = getattr(incoming.status, "value", "UNKNOWN")
        return {
            "payment_hash": invoice.payment_hash,
            "status": "SETTLED" if status == "SUCCESS" else str(status),
            "amount_msat": _msat(incoming.amount),
            "channel_id": None,
            "settled_at": _unix(incoming.resolved_at),
        }


class _Undelivered(Exception):
    """A request whose answer never came or could not be read: it may have been carried out."""


class _GraphqlError(Exception):
    """The server answered the request with a GraphQL error (its text, clipped)."""


def _bounded_adapter(base: Any) -> Any:
    class BoundedAdapter(base):  # type: ignore[misc]
        """Every request through it has a connect and a read timeout, whatever the caller
        asked (the SDK asks none)."""

        timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)

        def send(self, request: Any, **kwargs: Any) -> Any:
            kwargs["timeout"] = self.timeout
            return super().send(request, **kwargs)

    return BoundedAdapter(max_retries=0)


def _never_connected(exc: BaseException) -> bool:
    """Did the connection fail before a byte of the request could be sent?"""
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, NewConnectionError | ConnectTimeoutError):
            return True
        if isinstance(item, MaxRetryError):
            todo.append(item.reason)
        todo.extend(a for a in item.args if isinstance(a, BaseException))
        todo.extend([item.__cause__, item.__context__])
    return False


def _unreachable(host: str) -> BackendUnavailableError:
    return BackendUnavailableError(
        f"cannot reach the Lightspark API at {host}",
        hint="check LNCTL_LIGHTSPARK_BASE_URL and the network",
    )


def _status_of(payment: Any) -> PaymentStatus:
    """One OutgoingPayment as a PaymentStatus: unknown statuses are PENDING, never success."""
    status = getattr(payment.status, "value", None)
    if status == "SUCCESS":
        fee = _msat(payment.fees)
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
        default = INVOICE_EXPIRED if status == "EXPIRED" else CANCELED
        return PaymentStatus(PaymentState.FAILED, failure_reason=REASONS.get(str(reason), default))
    return PaymentStatus(PaymentState.PENDING)  # PENDING, NOT_STARTED, or a status yet unknown


def _duplicate(status: PaymentStatus) -> PaymentStatus:
    return PaymentStatus(
        status.state, status.preimage, status.fee_msat, status.failure_reason, duplicate=True
    )


def _msat(amount: Any) -> int | None:
    """A CurrencyAmount in msat, exactly; None for no amount; a fiat amount is refused."""
    if amount is None:
        return None
    unit = getattr(amount.original_unit, "value", None)
    value = amount.original_value
    if type(value) is not int or unit not in MSAT_PER_UNIT:
        raise BackendError(f"the Lightspark API reported an amount lnctl cannot read ({unit})")
    return value * MSAT_PER_UNIT[str(unit)]


def _unix(when: object) -> int | None:
    if not isinstance(when, datetime):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp())


def _is_pubkey(key: str) -> bool:
    try:
        raw = bytes.fromhex(key)
    except ValueError:
        return False
    return len(raw) == 33 and raw[0] in (2, 3)


def _leading_int(text: str) -> int | None:
    head = text.split(" ", 1)[0]
    return int(head) if head.isdigit() else None


def _clip(text: str) -> str:
    return text[:200]


def _conforms_to_the_contract(backend: LightsparkBackend) -> Backend:
    return backend  # mypy checks that this backend implements lnctl.backends.base.Backend
