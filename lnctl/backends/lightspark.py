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

This module is the contract's side (the node, invoices, paying, balance, test mode); the
plumbing (settings, loading the SDK, the adapter over lnctl's transport, reading answers) is
``lightspark_api.py``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from lnctl.backends import registry
from lnctl.backends.base import (
    Balance,
    InvoiceState,
    InvoiceStatus,
    KeepsNoRecords,
    NewInvoice,
    PaymentState,
    PaymentStatus,
    Quote,
)
from lnctl.backends.lightspark_api import (
    GraphqlError,
    LightsparkClient,
    Refused,
    Unanswered,
    answer_of,
    msat,
    raw_reasons,
    status_of,
    unix,
)
from lnctl.backends.lightspark_api import LightsparkSettings as LightsparkSettings
from lnctl.backends.outcome import IN_FLIGHT_ALREADY, PAID_ALREADY, REFUSED, UNKNOWN, Answer
from lnctl.deadline import NO_DEADLINE
from lnctl.errors import (
    BackendAuthError,
    BackendError,
    Code,
    InvalidInputError,
    InvalidInvoiceError,
    UnsupportedError,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from lnctl.backends.base import Backend, BackendClass, TestNetwork
    from lnctl.bolt11 import Invoice
    from lnctl.config import Config
    from lnctl.deadline import Deadline

PAY_MARGIN_S = 1.0  # timeout_secs asks the API to answer this long before lnctl stops waiting
OSK_NODE = "LightsparkNodeWithOSK"
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


class LightsparkBackend(KeepsNoRecords, LightsparkClient):
    name = "lightspark"
    capabilities = registry.capabilities(name)

    def __init__(
        self,
        settings: LightsparkSettings,
        network: str | None = None,
        deadline: Deadline = NO_DEADLINE,
    ) -> None:
        super().__init__(settings, deadline)
        self.network = network  # the wallet's network: the node's invoices must be on it
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
                code=Code.LIGHTSPARK_NODE_NOT_FOUND,
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
                code=Code.LIGHTSPARK_NODE_UNSUPPORTED,
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
                code=Code.NODE_PASSWORD_REQUIRED,
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
        except self.sdk.LightsparkException as exc:  # a cipher version this SDK does not know
            raise BackendError(
                "the Lightspark node's signing key is in a format this SDK cannot open",
                hint="update lnctl's Lightspark extra",
            ) from exc
        except (InvalidTag, ValueError, TypeError, UnsupportedAlgorithm) as exc:
            # AES-GCM refuses the tag; AES-CBC unpads garbage, or yields bytes that are no key
            raise BackendAuthError(
                "the node password did not unlock the Lightspark node's signing key",
                code=Code.NODE_PASSWORD_WRONG,
                hint="check LNCTL_LIGHTSPARK_NODE_PASSWORD (or the password file)",
            ) from exc
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
        made = self._ask(
            lambda: self._call(
                self.client.create_invoice,
                node_id=self.settings.node_id,
                amount_msats=amount_msat or 0,
                memo=description or "",
                expiry_secs=expiry,
            ),
            failed="the Lightspark API did not create the invoice",
            unanswered="; no invoice was recorded",
            unanswered_hint="try again",
        )
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
        except InvalidInvoiceError as exc:
            raise BackendError("the Lightspark API returned an invoice lnctl cannot read") from exc
        if amount_msat is not None and inv.amount_msat != amount_msat:
            raise BackendError("the Lightspark API returned an invoice for another amount")
        if self.network is not None and inv.network != self.network:
            raise InvalidInputError(
                f"the Lightspark node issues {inv.network} invoices; this wallet is on "
                f"{self.network}",
                code=Code.WRONG_NETWORK,
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
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackendError("the Lightspark API described the invoice in a way lnctl cannot "
                               "read") from exc  # fmt: skip
        if getattr(invoice.data.destination, "id", None) != self.settings.node_id:
            return None  # not an invoice of this node
        paid = msat(invoice.amount_paid)
        wanted = msat(invoice.data.amount) or 0
        if paid and paid >= wanted:
            return InvoiceStatus(InvoiceState.SETTLED, paid, unix(invoice.updated_at))
        status = getattr(invoice.status, "value", None)
        expires = unix(invoice.data.expires_at)
        if status == "CLOSED" or (expires is not None and expires <= time.time()):
            return InvoiceStatus(InvoiceState.EXPIRED)  # expired or cancelled: payable no more
        return InvoiceStatus(InvoiceState.OPEN)

    # -- paying ------------------------------------------------------------------------------------

    def quote(self, invoice: Invoice, amount_msat: int) -> Quote:
        """The node's fee estimate for paying this invoice now (a read: nothing is sent). An
        estimate the API refuses is a backend error with its words: lnctl does not guess a
        reason from them."""
        fee = self._ask(
            lambda: self._call(
                self.client.get_lightning_fee_estimate_for_invoice,
                node_id=self.settings.node_id,
                encoded_payment_request=invoice.bolt11,
                amount_msats=amount_msat if invoice.amount_msat is None else None,
            ),
            failed="the Lightspark node gave no fee estimate",
            failed_hint="a dry run cannot tell how paying would end without it (lnctl does not "
            "read a reason from an error's words)",
        )
        estimate = msat(fee)
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
        statuses = [status_of(p, self._raw_reasons) for p in payments]
        if any(s.state == PaymentState.SUCCEEDED for s in statuses):
            return Answer(PAID_ALREADY, detail="this node has paid the invoice already")
        if any(s.state == PaymentState.PENDING for s in statuses):
            return Answer(IN_FLIGHT_ALREADY, detail="this node has a payment of it in flight")
        failed = sum(s.state == PaymentState.FAILED for s in statuses)
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
        except Unanswered as exc:  # sent, maybe paid: only a lookup can tell
            return Answer(UNKNOWN, detail=exc.args[0])
        except Refused as exc:
            return Answer(REFUSED, detail=exc.error.message, refusal=exc.error)
        except BackendAuthError as exc:  # refused after the lookup was accepted: look it up
            return Answer(REFUSED, detail=exc.message, refusal=exc)
        except GraphqlError as exc:  # no structure lnctl can read as an outcome: unknown
            return Answer(UNKNOWN, detail=f"the Lightspark API answered an error: {exc.args[0]}")
        raws = raw_reasons(self._adapter.last)
        return answer_of(status_of(payment, raws))

    def _payments(self, payment_hash: str) -> list[Any]:
        """This node's outgoing payments for the hash (the API lists every node's of the
        account): the raw failure reasons are kept in ``_raw_reasons``."""
        payments = self._read(self.client.outgoing_payments_for_payment_hash, payment_hash)
        self._raw_reasons = raw_reasons(self._adapter.last)
        return [p for p in payments or [] if p.origin_id == self.settings.node_id]

    _raw_reasons: dict[str, str] = {}

    def payment_status(self, payment_hash: str) -> PaymentStatus:
        """What the node knows of the hash: a success of this node's if any, else a payment in
        flight, else the failure of this process's attempt (its idempotency key) or, for a hash
        this process did not send, the last failure."""
        statuses = []
        key = self._keys.get(payment_hash)
        for p in self._payments(payment_hash):
            status = status_of(p, self._raw_reasons)
            if status.state == PaymentState.FAILED and key is not None and p.idempotency_key != key:
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
            spendable = msat(balances.available_to_send_balance)
            owned = msat(balances.owned_balance)
            withdrawable = msat(balances.available_to_withdraw_balance)
        else:
            spendable = msat(node.local_balance)
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
        self,
        amount_msat: int | None,
        description: str,
        expiry: int,
        count: int,
        description_hash: bytes | None = None,
    ) -> list[NewInvoice]:
        """Invoices of Lightspark's test network for this node to pay (create_test_mode_invoice;
        the test network chooses the expiry; it takes no description hash)."""
        if description_hash is not None:
            raise UnsupportedError(
                "Lightspark's test network makes no invoice with a description hash",
                hint="--description-hash is for the simulated node",
            )
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
        incoming = self._ask(
            lambda: self._call(
                self.client.create_test_mode_payment,
                local_node_id=self.settings.node_id,
                encoded_invoice=invoice.bolt11,
                amount_msats=amount_msat,
            ),
            failed="the Lightspark API refused the test payment",
            unanswered="; the test payment may have been made",
            unanswered_hint=f"lnctl lookup {invoice.payment_hash}",
        )
        status = getattr(incoming.status, "value", "UNKNOWN")
        return {
            "payment_hash": invoice.payment_hash,
            "status": "SETTLED" if status == "SUCCESS" else str(status),
            "amount_msat": msat(incoming.amount),
            "channel_id": None,
            "settled_at": unix(incoming.resolved_at),
        }


def _is_pubkey(key: str) -> bool:
    try:
        raw = bytes.fromhex(key)
    except ValueError:
        return False
    return len(raw) == 33 and raw[0] in (2, 3)


def _conforms_to_the_contract(backend: LightsparkBackend) -> tuple[Backend, TestNetwork]:
    # mypy checks that this backend implements lnctl.backends.base's Backend, and the protocol
    # its test_network capability promises
    return backend, backend


def _class_conforms_to_the_contract() -> BackendClass:
    return LightsparkBackend  # mypy checks it against lnctl.backends.base.BackendClass
