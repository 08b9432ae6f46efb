"""A Lightspark node through Lightspark's official Python SDK (``pip install 'lnctl[lightspark]'``).

Configuration (never in logs, errors or ``--json``): ``LNCTL_LIGHTSPARK_CLIENT_ID``; the client
secret from ``LNCTL_LIGHTSPARK_CLIENT_SECRET`` or ``$LNCTL_HOME/secrets/lightspark.key``;
``LNCTL_LIGHTSPARK_NODE_ID``; the node password (it unlocks the node's signing key, needed to
pay) from ``LNCTL_LIGHTSPARK_NODE_PASSWORD`` or ``secrets/lightspark-node-password``; and
``LNCTL_LIGHTSPARK_BASE_URL`` (default: Lightspark's API). Secret files are 0600.

The SDK is imported only on this backend's path. It sets no HTTP timeout and retries nothing:
lnctl mounts a requests adapter on the SDK's session that carries every request over lnctl's own
transport (``lnctl.backends.transport``): every connect and read ends by the command's deadline,
a failure before the request was written (connection, TLS handshake or certificate) is "not
sent", and any failure after it (a TLS fault while reading included) is unknown. No redirect is
followed. What the node says is reported as an ``Answer`` and concluded by
``lnctl.backends.outcome``:

- a payment's idempotency key is its hash (after N failed payments of that hash by this node:
  ``hash:N``), so a FAILED invoice can be paid again while concurrent payers still make one
  payment; the node's payments for the hash are looked up before paying (a hash paid or in
  flight is never sent again) and only this node's payments count (``origin``);
- SUCCESS is a success (the wallet checks the preimage against the hash); FAILED, CANCELLED and
  EXPIRED are failures with Lightspark's reason kept one to one (``INVOICE_ALREADY_PAID`` is
  ``ALREADY_PAID``, exit 5; names lnctl does not share, such as ``SELF_PAYMENT`` or
  ``RISK_SCREENING_FAILED``, are kept as Lightspark gives them); PENDING, NOT_STARTED and any
  status this SDK does not know are in flight, polled until the deadline, never a success;
- a 4xx other than 401/403 (429 included) is a refusal stated before anything happened: not
  sent, once a lookup finds no payment; GraphQL errors are read by their structured fields only
  (``extensions.error_name``), never by the words of their message: on a payment they are
  unknown (looked up; else pending), on a read a plain backend error;
- amounts are converted to msat exactly (integers); an amount in a fiat unit is refused.

The SDK logs request payloads and server answers at debug and error levels: its logger is
silenced, so nothing of a request reaches the terminal.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lnctl.backends import registry
from lnctl.backends.base import (
    ALREADY_PAID,
    CANCELED,
    INCORRECT_PAYMENT_DETAILS,
    INSUFFICIENT_BALANCE,
    INVOICE_EXPIRED,
    NO_ROUTE,
    TIMEOUT,
    Balance,
    InvoiceState,
    InvoiceStatus,
    KeepsNoRecords,
    NewInvoice,
    PaymentState,
    PaymentStatus,
    Quote,
)
from lnctl.backends.outcome import (
    FAILURE,
    IN_FLIGHT_ALREADY,
    PAID_ALREADY,
    PENDING,
    REFUSED,
    SUCCESS,
    UNKNOWN,
    Answer,
)
from lnctl.backends.remote import check_server_url, secret_value
from lnctl.deadline import NO_DEADLINE
from lnctl.errors import (
    BackendAuthError,
    BackendError,
    BackendUnavailableError,
    InvalidInputError,
    InvalidInvoiceError,
    LnctlError,
    UnsupportedError,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from lnctl.backends.base import Backend, BackendClass, TestNetwork
    from lnctl.backends.transport import Reply
    from lnctl.bolt11 import Invoice
    from lnctl.config import Config
    from lnctl.deadline import Deadline

READ_TIMEOUT_S = 15.0  # the longest a call other than a payment may take (within the deadline)
PAY_MARGIN_S = 1.0  # timeout_secs asks the API to answer this long before lnctl stops waiting
ALLOW_VAR = "LNCTL_LIGHTSPARK_ALLOW_INSECURE"
EXTRA = "pip install 'lnctl[lightspark]'"
OSK_NODE = "LightsparkNodeWithOSK"

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
# the SDK's RecoverNodeSigningKey, asking the entity's type too (a remote-signing node has no key)
RECOVER_KEY_QUERY = """
query RecoverNodeSigningKey($node_id: ID!) {
    entity(id: $node_id) {
        __typename
        ... on LightsparkNodeWithOSK {
            encrypted_signing_private_key {
                encrypted_value
                cipher
            }
        }
    }
}
"""
ENTITY_TYPE_QUERY = """
query GetEntity($id: ID!) {
    entity(id: $id) {
        __typename
    }
}
"""


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
    capabilities = registry.capabilities(name)

    def __init__(
        self,
        settings: LightsparkSettings,
        network: str | None = None,
        deadline: Deadline = NO_DEADLINE,
    ) -> None:
        sdk = load_sdk()
        self.network = network  # the wallet's network: the node's invoices must be on it
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
        self._adapter = _adapter()
        session = self.client._requester.graphql_session
        session.mount("https://", self._adapter)
        session.mount("http://", self._adapter)
        session.max_redirects = 0
        session.trust_env = False  # proxies from the environment: read by the transport
        self._signing_loaded = False
        self._node: Any = None
        self._keys: dict[str, str] = {}  # payment hash -> the idempotency key of our attempt

    @classmethod
    def from_config(
        cls, config: Config, deadline: Deadline, first_use: Callable[[], bool]
    ) -> LightsparkBackend:
        """The node ``config`` names (``first_use`` is not asked: lnctl never makes a node at
        Lightspark)."""
        return cls(LightsparkSettings.from_config(config), config.network, deadline)

    def close(self) -> None:
        self.client._requester.graphql_session.close()

    # -- calls -------------------------------------------------------------------------------------

    def _call(
        self, fn: Any, *args: Any, deadline: Deadline | None = None, once: bool = False, **kw: Any
    ) -> Any:
        """One SDK call, bounded by ``deadline`` (default: the command's, at most
        ``READ_TIMEOUT_S``). Raises BackendUnavailableError when the request surely never
        reached the server, BackendAuthError when the credentials are refused, _Refused for a
        refusal the server states (a 4xx), _GraphqlError for an error it answered, and
        _Undelivered when the answer never came or could not be read (the request may have
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
            raise _Undelivered(f"the Lightspark API did not answer: {exc.reason}") from None
        except requests.exceptions.RequestException:  # a redirect (none is followed)
            raise _Undelivered("the Lightspark API answered with a redirect") from None
        except LightsparkException as exc:
            code = str(exc.args[0]) if exc.args else ""
            reply = adapter.last
            if code == "HTTP_ERROR" and reply is not None:
                raise self._http_error(reply) from None
            if code == "GRAPHQL_ERROR":
                raise _GraphqlError(*_graphql_error(reply)) from None
            raise _Undelivered("the Lightspark API sent an answer the SDK cannot read") from None
        except (ValueError, KeyError, TypeError, AttributeError):
            # an answer the SDK could not read (not JSON, a missing or mistyped key)
            raise _Undelivered("the Lightspark API sent an answer lnctl cannot read") from None

    def _http_error(self, reply: Reply) -> Exception:
        status = reply.status
        words = _graphql_error(reply)[0] if reply.body else ""
        said = f": {_clip(words)}" if words else ""
        if status in (401, 403):
            return BackendAuthError(
                f"the Lightspark API refused the credentials ({status})",
                hint="check LNCTL_LIGHTSPARK_CLIENT_ID and the client secret",
            )
        if status == 429:
            return _Refused(
                BackendUnavailableError(
                    "the Lightspark API is limiting requests (429); nothing was done",
                    hint="try again later",
                )
            )
        if 400 <= status < 500:
            return _Refused(
                BackendError(
                    f"the Lightspark API refused the request ({status}{said}); nothing was done",
                    code="BACKEND_REFUSED",
                )
            )
        return _Undelivered(f"the Lightspark API answered HTTP {status}")

    def _read(self, fn: Any, *args: Any, **kw: Any) -> Any:
        """A read: an unanswered read is 'unavailable'; asking again later is safe."""
        try:
            return self._call(fn, *args, **kw)
        except _Undelivered as exc:
            raise BackendUnavailableError(exc.args[0], hint="try again later") from None
        except _Refused as exc:
            raise exc.error from None
        except _GraphqlError as exc:
            raise BackendError(
                f"the Lightspark API answered an error: {_clip(exc.args[0])}"
            ) from None

    def _graphql(self, query: str, variables: dict[str, Any]) -> Any:
        """A read of the SDK's own kind, whose raw answer lnctl reads itself."""
        return self._read(self.client._requester.execute_graphql, query, variables)

    # -- the node ----------------------------------------------------------------------------------

    def _entity(self, fresh: bool = False) -> Any:
        if self._node is None or fresh:
            from lightspark.objects.LightsparkNodeWithOSK import LightsparkNodeWithOSK

            node = self._read(self.client.get_entity, self.settings.node_id, LightsparkNodeWithOSK)
            if node is None:
                found = self._graphql(ENTITY_TYPE_QUERY, {"id": self.settings.node_id})
                self._check_kind((found or {}).get("entity"))
                raise BackendError("the Lightspark API did not describe the node")
            self._node = node
        return self._node

    def _check_kind(self, entity: object) -> None:
        """The node exists for these credentials and holds its signing key at Lightspark (an
        OSK node): lnctl signs nothing itself."""
        if not isinstance(entity, dict) or not entity:
            raise InvalidInputError(
                "the Lightspark API knows no node with LNCTL_LIGHTSPARK_NODE_ID for these "
                "credentials",
                code="LIGHTSPARK_NODE_NOT_FOUND",
                hint="copy the node's id from Lightspark's dashboard",
            )
        kind = entity.get("__typename")
        if kind != OSK_NODE:
            from lnctl.sanitize import sanitize

            name = sanitize(str(kind))[:60]
            remote = " (remote signing)" if "RemoteSigning" in name else ""
            raise UnsupportedError(
                f"the Lightspark node LNCTL_LIGHTSPARK_NODE_ID is a {name}{remote}: lnctl "
                "supports only nodes whose signing key Lightspark keeps for you (OSK nodes)",
                code="LIGHTSPARK_NODE_UNSUPPORTED",
                hint="use an OSK node's id (LightsparkNodeWithOSK:...)",
            )

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

    def ready_to_pay(self) -> None:
        self._signing_key()

    def _signing_key(self) -> None:
        """Unlock the node's signing key (needed for pay_invoice) with the node password: the
        encrypted key is fetched, then opened here, so a wrong password on any of the key's
        formats (AES-GCM, and the older AES-CBC ones) is told apart from an outage."""
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
        found = self._graphql(RECOVER_KEY_QUERY, {"node_id": self.settings.node_id})
        entity = (found or {}).get("entity") if isinstance(found, dict) else None
        self._check_kind(entity)
        assert isinstance(entity, dict)
        sealed = entity.get("encrypted_signing_private_key")
        if not isinstance(sealed, dict) or not all(
            isinstance(sealed.get(k), str) for k in ("cipher", "encrypted_value")
        ):
            raise BackendError("the Lightspark API gave no signing key for the node")
        from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
        from lightspark.utils.crypto import decrypt_private_key
        from lightspark.utils.signing_key import RSASigningKey

        try:
            key = RSASigningKey(
                decrypt_private_key(sealed["cipher"], sealed["encrypted_value"], password)
            )
            key.sign_payload(b"lnctl")  # a key that cannot sign fails here, before any payment
        except self.sdk.LightsparkException:  # a cipher version this SDK does not know
            raise BackendError(
                "the Lightspark node's signing key is in a format this SDK cannot open",
                hint="update lnctl's Lightspark extra",
            ) from None
        except (InvalidTag, ValueError, TypeError, UnsupportedAlgorithm):
            # AES-GCM refuses the tag; AES-CBC unpads garbage, or yields bytes that are no key
            raise BackendAuthError(
                "the node password did not unlock the Lightspark node's signing key",
                code="NODE_PASSWORD_WRONG",
                hint="check LNCTL_LIGHTSPARK_NODE_PASSWORD (or the password file)",
            ) from None
        self.client.load_node_signing_key(self.settings.node_id, key)
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
                f"{exc.args[0]}; no invoice was recorded", hint="try again"
            ) from None
        except _Refused as exc:
            raise exc.error from None
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
        from lightspark.objects.Invoice import from_json as invoice_from_json
        from lightspark.scripts.invoice_for_payment_hash import INVOICE_FOR_PAYMENT_HASH_QUERY

        found = self._graphql(INVOICE_FOR_PAYMENT_HASH_QUERY, {"payment_hash": payment_hash})
        raw = ((found or {}).get("invoice_for_payment_hash") or {}).get("invoice")
        if raw is None:
            return None  # the node has no invoice with this hash
        try:
            invoice = invoice_from_json(self.client._requester, raw)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise BackendError("the Lightspark API described the invoice in a way lnctl cannot "
                               "read") from None  # fmt: skip
        if getattr(invoice.data.destination, "id", None) != self.settings.node_id:
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
        """The node's fee estimate for paying this invoice now (a read: nothing is sent). An
        estimate the API refuses is a backend error with its words: lnctl does not guess a
        reason from them."""
        try:
            fee = self._call(
                self.client.get_lightning_fee_estimate_for_invoice,
                node_id=self.settings.node_id,
                encoded_payment_request=invoice.bolt11,
                amount_msats=amount_msat if invoice.amount_msat is None else None,
            )
        except _Undelivered as exc:
            raise BackendUnavailableError(exc.args[0], hint="try again later") from None
        except _Refused as exc:
            raise exc.error from None
        except _GraphqlError as exc:
            raise BackendError(
                f"the Lightspark node gave no fee estimate: {_clip(exc.args[0])}",
                hint="a dry run cannot tell how paying would end without it (lnctl does not "
                "read a reason from an error's words)",
            ) from None
        estimate = _msat(fee)
        if estimate is None or estimate < 0:
            raise BackendError("the Lightspark API gave no fee estimate")
        return Quote(fee_msat=estimate, self_payment=invoice.payee == self.node_id())

    def send(
        self,
        invoice: Invoice,
        amount_msat: int,
        max_fee_msat: int,
        *,
        deadline: Deadline,
        induce_failure: bool = False,
    ) -> Answer:
        if induce_failure:
            raise UnsupportedError("--induce-failure is a fault of the simulated node")
        payment_hash = invoice.payment_hash
        self._signing_key()  # nothing is sent without it
        payments = self._payments(payment_hash)
        statuses = [_status_of(p, self._raw_reasons) for p in payments]
        if any(s.state is PaymentState.SUCCEEDED for s in statuses):
            return Answer(PAID_ALREADY, detail="this node has paid the invoice already")
        if any(s.state is PaymentState.PENDING for s in statuses):
            return Answer(IN_FLIGHT_ALREADY, detail="this node has a payment of it in flight")
        failed = sum(s.state is PaymentState.FAILED for s in statuses)
        # the same key for every payer that has seen the same failures (one payment, whoever
        # sends it), a new one after each failure (a genuine retry)
        key = payment_hash if failed == 0 else f"{payment_hash}:{failed}"
        self._keys[payment_hash] = key
        try:
            payment = self._call(
                self.client.pay_invoice,
                node_id=self.settings.node_id,
                encoded_invoice=invoice.bolt11,
                # what remains, less a margin, so the API answers before lnctl stops waiting
                timeout_secs=max(1, int(deadline.left() - PAY_MARGIN_S)),
                maximum_fees_msats=max_fee_msat,
                amount_msats=amount_msat if invoice.amount_msat is None else None,
                idempotency_key=key,
                deadline=deadline,
                once=True,
            )
        except _Undelivered as exc:  # sent, maybe paid: only a lookup can tell
            return Answer(UNKNOWN, detail=exc.args[0])
        except _Refused as exc:
            return Answer(REFUSED, detail=exc.error.message, refusal=exc.error)
        except BackendAuthError as exc:  # refused after the lookup was accepted: look it up
            return Answer(REFUSED, detail=exc.message, refusal=exc)
        except _GraphqlError as exc:  # no structure lnctl can read as an outcome: unknown
            return Answer(UNKNOWN, detail=f"the Lightspark API answered an error: {exc.args[0]}")
        raws = _raw_reasons(self._adapter.last)
        return _answer_of(_status_of(payment, raws))

    def _payments(self, payment_hash: str) -> list[Any]:
        """This node's outgoing payments for the hash (the API lists every node's of the
        account): the raw failure reasons are kept in ``_raw_reasons``."""
        payments = self._read(self.client.outgoing_payments_for_payment_hash, payment_hash)
        self._raw_reasons = _raw_reasons(self._adapter.last)
        return [p for p in payments or [] if p.origin_id == self.settings.node_id]

    _raw_reasons: dict[str, str] = {}

    def payment_status(self, payment_hash: str) -> PaymentStatus:
        """What the node knows of the hash: a success of this node's if any, else a payment in
        flight, else the failure of this process's attempt (its idempotency key) or, for a hash
        this process did not send, the last failure."""
        statuses = []
        key = self._keys.get(payment_hash)
        for p in self._payments(payment_hash):
            status = _status_of(p, self._raw_reasons)
            if status.state is PaymentState.FAILED and key is not None and p.idempotency_key != key:
                continue  # a failure before this attempt: not its outcome
            statuses.append(status)
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
                f"{exc.args[0]}; the test payment may have been made",
                hint=f"lnctl lookup {invoice.payment_hash}",
            ) from None
        except _Refused as exc:
            raise exc.error from None
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
    """The server answered the request with a GraphQL error: (its message, clipped; its
    structured ``extensions.error_name`` or None)."""


class _Refused(Exception):
    """The server refused the request before acting on it (a 4xx it answered)."""

    def __init__(self, error: LnctlError) -> None:
        super().__init__(error.message)
        self.error = error


def _adapter() -> Any:
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
                    origin, "the Lightspark API", cafile=_ca_file(), proxy=_proxy(origin)
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


def _ca_file() -> str | None:
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


def _proxy(origin: str) -> str | None:
    """The proxy the environment names for this origin (HTTPS_PROXY, NO_PROXY, ...), as
    requests honoured it."""
    from urllib.parse import urlsplit
    from urllib.request import getproxies_environment, proxy_bypass

    parts = urlsplit(origin)
    proxies = getproxies_environment()
    if not proxies or proxy_bypass(parts.hostname or ""):
        return None
    return proxies.get(parts.scheme) or proxies.get("all")


def _graphql_error(reply: Reply | None) -> tuple[str, str | None]:
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


def _raw_reasons(reply: Reply | None) -> dict[str, str]:
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


def _status_of(payment: Any, raw_reasons: dict[str, str] | None = None) -> PaymentStatus:
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
        if reason == "___FUTURE_VALUE___":  # one the SDK does not know: the server's own name
            reason = (raw_reasons or {}).get(str(getattr(payment, "id", "")), reason)
        return PaymentStatus(PaymentState.FAILED, failure_reason=_reason(reason, status))
    return PaymentStatus(PaymentState.PENDING)  # PENDING, NOT_STARTED, or a status yet unknown


def _reason(name: object, status: str) -> str:
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


def _answer_of(status: PaymentStatus) -> Answer:
    """What pay_invoice's payment object says, as an Answer."""
    if status.state is PaymentState.SUCCEEDED:
        return Answer(SUCCESS, preimage=status.preimage, fee_msat=status.fee_msat)
    if status.state is PaymentState.FAILED:
        return Answer(FAILURE, failure_reason=status.failure_reason)
    return Answer(PENDING)


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


def _clip(text: str) -> str:
    return text[:200]


def _conforms_to_the_contract(backend: LightsparkBackend) -> tuple[Backend, TestNetwork]:
    # mypy checks that this backend implements lnctl.backends.base's Backend, and the protocol
    # its test_network capability promises
    return backend, backend


def _class_conforms_to_the_contract() -> BackendClass:
    return LightsparkBackend  # mypy checks it against lnctl.backends.base.BackendClass
