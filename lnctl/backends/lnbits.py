"""A real LNbits server over HTTP (LNbits fronts LND, Core Lightning, Phoenixd, ...).

Configuration: ``LNCTL_LNBITS_URL``; the wallet's admin key from ``LNCTL_LNBITS_ADMIN_KEY`` or
``$LNCTL_HOME/secrets/lnbits.key``; or only its invoice (read) key from
``LNCTL_LNBITS_INVOICE_KEY`` or ``secrets/lnbits-invoice.key``, enough for everything but paying.
Key files are 0600 and refused when others can read them. A key is sent over plain HTTP only to
a loopback host, unless ``LNCTL_LNBITS_ALLOW_INSECURE=1``; TLS is verified; every request has a
timeout. Keys never reach logs, errors or ``--json``.

What the server says, read with care (measured on LNbits 1.6.2):

- a pay answer is read by its ``status``: HTTP 201 can carry a failed payment;
- HTTP 520 ``Payment already paid.`` (status success) and ``Internal invoice already paid.``
  (status failed) both mean the invoice is paid already: the wallet's own payment is looked up,
  so that a success of ours is reported with its proof (``duplicate``), and anyone else's as
  ``ALREADY_PAID``; never a success of this call, never a retry;
- a pay request that timed out or whose connection dropped is PENDING, resolved only by looking
  the payment up; it is never sent again;
- fees are negative msat on an outgoing payment; amounts stay integers of msat.

LNbits takes no per-payment fee cap (its own fee reserve applies): a fee above the cap that the
server reports is refused by the wallet (NEEDS_ATTENTION), which the README says.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lnctl.backends.base import (
    ALREADY_PAID,
    CANCELED,
    INSUFFICIENT_BALANCE,
    INVOICE_EXPIRED,
    NO_ROUTE,
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
    UnsupportedError,
)

if TYPE_CHECKING:
    import http.client

    from lnctl.backends.base import Backend
    from lnctl.bolt11 import Invoice
    from lnctl.config import Config

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 15.0  # calls other than pay
MAX_BODY = 1 << 20
ALLOW_VAR = "LNCTL_LNBITS_ALLOW_INSECURE"


class LnbitsSettings:
    """Where the server is and which keys lnctl holds (never printed: see ``__repr__``)."""

    __slots__ = ("url", "admin_key", "invoice_key", "allow_insecure")

    def __init__(
        self, url: str, admin_key: str | None, invoice_key: str | None, allow_insecure: bool
    ) -> None:
        self.url = url.rstrip("/")
        self.admin_key = admin_key
        self.invoice_key = invoice_key
        self.allow_insecure = allow_insecure

    def __repr__(self) -> str:
        return f"LnbitsSettings(url={self.url!r}, keys=<hidden>)"

    @classmethod
    def from_config(cls, config: Config) -> LnbitsSettings:
        from lnctl.backends.remote import check_server_url, secret_value

        env = config.env
        url = (config.lnbits_url or "").strip()
        if not url:
            raise InvalidInputError(
                "no LNbits server: LNCTL_LNBITS_URL is not set (nor lnbits_url in config.toml)",
                code="LNBITS_URL_MISSING",
                hint="export LNCTL_LNBITS_URL=https://your-lnbits.example",
            )
        check_server_url(url, "LNCTL_LNBITS_URL", ALLOW_VAR, env, "LNBITS_URL_INVALID")
        allow = env.get(ALLOW_VAR, "") == "1"

        admin = secret_value(env, "LNCTL_LNBITS_ADMIN_KEY", config.lnbits_admin_key_file)
        invoice = secret_value(env, "LNCTL_LNBITS_INVOICE_KEY", config.lnbits_invoice_key_file)
        if admin is None and invoice is None:
            raise InvalidInputError(
                "no LNbits key: set LNCTL_LNBITS_ADMIN_KEY (or LNCTL_LNBITS_INVOICE_KEY), or put "
                "the key in secrets/lnbits.key (0600)",
                code="LNBITS_KEY_MISSING",
            )
        for value in (admin, invoice):
            if value is not None and not (value.isascii() and value.isalnum()):
                raise InvalidInputError(
                    "an LNbits key is letters and digits only", code="LNBITS_KEY_INVALID"
                )
        return cls(url, admin, invoice, allow)


class LnbitsBackend(KeepsNoRecords):
    name = "lnbits"
    capabilities = Capabilities(
        channels=False,
        fault_injection=False,
        amountless_invoices=False,  # LNbits 1.6.2: "Amountless invoices not supported."
        fee_quote=False,
        simulated_incoming=False,
        retries_itself=True,  # the server's node routes and retries on its side
        embedded=False,
        exports_records=False,  # one server wallet may serve many lnctl homes
        enforces_fee_cap=False,  # no per-payment cap in LNbits' API: the wallet checks after
    )

    def __init__(self, settings: LnbitsSettings) -> None:
        self.settings = settings
        self._conn: http.client.HTTPConnection | None = None  # kept open between requests
        self._wallet: dict[str, Any] | None = None

    @classmethod
    def from_config(cls, config: Config) -> LnbitsBackend:
        return cls(LnbitsSettings.from_config(config))

    def close(self) -> None:
        self._drop()

    # -- HTTP --------------------------------------------------------------------------------------

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connect(self) -> http.client.HTTPConnection:
        """The open connection to the server, opened (TLS verified) when there is none. Any
        failure here is before a request was sent: BackendUnavailableError."""
        if self._conn is not None and self._conn.sock is not None:
            return self._conn
        import http.client

        parts = urlsplit(self.settings.url)
        host = parts.hostname or ""
        try:
            if parts.scheme == "https":
                import ssl

                conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                    host,
                    parts.port,
                    timeout=CONNECT_TIMEOUT_S,
                    context=ssl.create_default_context(),
                )
            else:
                conn = http.client.HTTPConnection(host, parts.port, timeout=CONNECT_TIMEOUT_S)
            conn.connect()
        except (OSError, ValueError) as exc:  # refused, unreachable, no such host, TLS refused
            raise BackendUnavailableError(
                f"cannot reach the LNbits server at {self._host()}: {type(exc).__name__}",
                hint="check LNCTL_LNBITS_URL and that the server is running",
            ) from None
        self._conn = conn
        return conn

    def _key(self, admin: bool) -> str:
        key = self.settings.admin_key if admin else (
            self.settings.invoice_key or self.settings.admin_key
        )  # fmt: skip
        if key is None:
            raise BackendAuthError(
                "paying needs the LNbits wallet's admin key; only its invoice key is configured",
                code="ADMIN_KEY_REQUIRED",
                hint="set LNCTL_LNBITS_ADMIN_KEY or put the admin key in secrets/lnbits.key",
            )
        return key

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        admin: bool = False,
        read_timeout: float = READ_TIMEOUT_S,
        idempotent: bool = True,
    ) -> tuple[int, Any]:
        """(status, decoded JSON body). Transport errors: BackendUnavailableError when the request
        surely never reached the server, else ``_Undelivered`` (the caller decides). A request
        that must not be sent twice goes on a fresh connection, sent once."""
        import http.client

        headers = {"X-Api-Key": self._key(admin), "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        target = urlsplit(self.settings.url).path.rstrip("/") + path
        tries = 2 if idempotent else 1
        if not idempotent:
            self._drop()  # never on a kept connection the server may have closed meanwhile
        for attempt in range(tries):
            conn = self._connect()
            try:
                assert conn.sock is not None
                conn.sock.settimeout(read_timeout)
                conn.request(method, target, body=data, headers=headers)
                resp = conn.getresponse()  # a redirect is an answer like any other: not followed
                raw = resp.read(MAX_BODY + 1)
                status = resp.status
                if resp.will_close or len(raw) > MAX_BODY:
                    self._drop()
            except (OSError, http.client.HTTPException) as exc:  # sent, maybe received
                self._drop()
                if attempt + 1 < tries:
                    continue  # idempotent: asking again is safe
                raise _Undelivered(type(exc).__name__) from None
            if len(raw) > MAX_BODY:
                raise BackendError(f"the LNbits server sent more than {MAX_BODY} bytes")
            try:
                doc = json.loads(raw) if raw else None
            except ValueError:
                doc = None
            return int(status), doc
        raise AssertionError("unreachable")

    def _host(self) -> str:
        return urlsplit(self.settings.url).netloc

    def _check_auth(self, status: int, doc: Any) -> None:
        if status in (401, 403) or (status == 404 and _detail(doc) == "Wallet not found."):
            raise BackendAuthError(
                f"the LNbits server refused the key ({status}: {_clip(_detail(doc))})",
                hint="check LNCTL_LNBITS_ADMIN_KEY / LNCTL_LNBITS_INVOICE_KEY (or the key files)",
            )

    def _get(self, path: str, *, admin: bool = False) -> tuple[int, Any]:
        try:
            status, doc = self._request("GET", path, admin=admin)
        except _Undelivered as exc:
            raise BackendUnavailableError(
                f"the LNbits server did not answer ({exc.args[0]})", hint="try again later"
            ) from None
        self._check_auth(status, doc)
        return status, doc

    # -- identity ----------------------------------------------------------------------------------

    def _wallet_info(self) -> dict[str, Any]:
        if self._wallet is None:
            # the admin key, when lnctl has it, is the one LNbits shows the wallet's id to
            status, doc = self._get("/api/v1/wallet", admin=self.settings.admin_key is not None)
            if status != 200 or not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
                raise BackendError(f"unexpected answer from the LNbits server ({status})")
            self._wallet = doc
        return self._wallet

    def identity(self) -> str | None:
        """The server wallet's id; LNbits shows it to the admin key only (None otherwise)."""
        wallet_id = self._wallet_info().get("id")
        return f"lnbits:{wallet_id}" if isinstance(wallet_id, str) else None

    def node_id(self) -> str | None:
        return None  # LNbits' wallet API does not tell the node's key

    def label(self) -> str | None:
        return str(self._wallet_info().get("name", "")) or None

    # -- invoices ----------------------------------------------------------------------------------

    def create_invoice(
        self,
        amount_msat: int | None,
        *,
        description: str | None,
        description_hash: bytes | None,
        expiry: int,
    ) -> NewInvoice:
        if amount_msat is None:
            raise UnsupportedError("LNbits does not issue invoices without an amount")
        if amount_msat % 1000:
            raise UnsupportedError("LNbits issues invoices in whole sats", hint="use --amount SATS")
        body: dict[str, Any] = {"out": False, "amount": amount_msat // 1000, "expiry": expiry}
        if description_hash is not None:
            body["description_hash"] = description_hash.hex()
        else:
            body["memo"] = description or ""
        try:
            status, doc = self._request("POST", "/api/v1/payments", body=body, idempotent=False)
        except _Undelivered as exc:
            raise BackendUnavailableError(
                f"the LNbits server did not answer ({exc.args[0]}); no invoice was recorded",
                hint="try again",
            ) from None
        self._check_auth(status, doc)
        if status not in (200, 201) or not isinstance(doc, dict):
            raise BackendError(
                f"the LNbits server did not create the invoice ({status}: {_clip(_detail(doc))})"
            )
        from lnctl import bolt11

        text = str(doc.get("bolt11") or doc.get("payment_request") or "")
        inv = bolt11.decode(text)
        if inv.payment_hash != doc.get("payment_hash") or inv.amount_msat != amount_msat:
            raise BackendError("the LNbits server returned an invoice that is not the one asked")
        return NewInvoice(text, inv.payment_hash, inv.timestamp, inv.expires_at)

    def _lookup(self, payment_hash: str) -> dict[str, Any] | None:
        status, doc = self._get(f"/api/v1/payments/{payment_hash}")
        if status == 404:
            return None
        if status != 200 or not isinstance(doc, dict):
            raise BackendError(f"unexpected answer from the LNbits server ({status})")
        return doc

    def invoice_status(self, payment_hash: str) -> InvoiceStatus | None:
        doc = self._lookup(payment_hash)
        if doc is None:
            return None
        details = doc.get("details") or {}
        amount = _int(details.get("amount"))
        if amount is None or amount <= 0:
            return None  # the wallet has this hash only as an outgoing payment
        if doc.get("paid") is True or details.get("status") == "success":
            return InvoiceStatus(
                InvoiceState.SETTLED,
                amount,
                _when(details.get("updated_at") or details.get("time")),
                _hex(doc.get("preimage")),
            )
        expiry = _when(details.get("expiry"))
        if expiry is not None and expiry <= time.time():
            return InvoiceStatus(InvoiceState.EXPIRED)
        return InvoiceStatus(InvoiceState.OPEN)

    # -- paying ------------------------------------------------------------------------------------

    def quote(self, invoice: Invoice, amount_msat: int) -> Quote:
        raise UnsupportedError("LNbits gives no fee quote before paying")

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
        if invoice.amount_msat is None:
            raise UnsupportedError("lnctl pays only invoices with an amount on LNbits")
        self._key(admin=True)
        try:
            status, doc = self._request(
                "POST",
                "/api/v1/payments",
                body={"out": True, "bolt11": invoice.bolt11},
                admin=True,
                read_timeout=max(0.5, timeout_s),
                idempotent=False,
            )
        except _Undelivered:
            # sent, maybe paid: never sent again; only a lookup can tell
            return self._after_undelivered(invoice.payment_hash)
        self._check_auth(status, doc)
        detail = _detail(doc)
        if status == 520 and "already paid" in detail.lower():
            mine = self.payment_status(invoice.payment_hash)
            if mine.state in (PaymentState.SUCCEEDED, PaymentState.PENDING):
                return PaymentStatus(
                    mine.state, mine.preimage, mine.fee_msat, mine.failure_reason, duplicate=True
                )
            return PaymentStatus(PaymentState.FAILED, failure_reason=ALREADY_PAID)
        if status in (200, 201) and isinstance(doc, dict):
            return self._status_of(doc, doc.get("status"))
        if status == 520 or status == 400:
            if "decod" in detail.lower() or status == 400:
                raise InvalidInvoiceError(
                    f"the LNbits server refused the invoice: {_clip(detail)}",
                    code="INVALID_INVOICE",
                )
            reason = _reason(detail)
            return PaymentStatus(PaymentState.FAILED, failure_reason=reason)
        # an answer we cannot read: the payment may have been made; ask, never resend
        return self._after_undelivered(invoice.payment_hash)

    def _after_undelivered(self, payment_hash: str) -> PaymentStatus:
        try:
            known = self.payment_status(payment_hash)
        except BackendUnavailableError:
            return PaymentStatus(PaymentState.PENDING)
        if known.state is PaymentState.SUCCEEDED:
            return known
        # unknown or failed so far: the undelivered request may still arrive, so PENDING; the
        # wallet's recovery asks again later
        return PaymentStatus(PaymentState.PENDING)

    def payment_status(self, payment_hash: str) -> PaymentStatus:
        doc = self._lookup(payment_hash)
        if doc is None:
            return PaymentStatus(PaymentState.UNKNOWN)
        details = doc.get("details") or {}
        amount = _int(details.get("amount"))
        if amount is None or amount >= 0:
            return PaymentStatus(PaymentState.UNKNOWN)  # only an invoice of ours with this hash
        state = details.get("status")
        if doc.get("paid") is True and state is None:
            state = "success"
        return self._status_of({**details, "preimage": doc.get("preimage")}, state)

    @staticmethod
    def _status_of(doc: dict[str, Any], state: object) -> PaymentStatus:
        if state == "success":
            fee = _int(doc.get("fee"))
            return PaymentStatus(
                PaymentState.SUCCEEDED,
                preimage=_hex(doc.get("preimage")),
                fee_msat=abs(fee) if fee is not None else None,
            )
        if state == "failed":
            return PaymentStatus(PaymentState.FAILED, failure_reason=CANCELED)
        return PaymentStatus(PaymentState.PENDING)

    # -- balance -----------------------------------------------------------------------------------

    def balance(self) -> Balance:
        self._wallet = None
        info = self._wallet_info()
        balance = _int(info.get("balance"))
        if balance is None:
            raise BackendError("the LNbits server did not report a balance")
        return Balance(spendable_msat=balance, receivable_msat=None, inflight_msat=0)


class _Undelivered(Exception):
    """A request whose answer never came (timeout, dropped connection): it may have arrived."""


def _detail(doc: Any) -> str:
    if isinstance(doc, dict) and isinstance(doc.get("detail"), str):
        return str(doc["detail"])
    return ""


def _clip(text: str) -> str:
    return text[:200]


def _reason(detail: str) -> str:
    low = detail.lower()
    if "insufficient balance" in low:
        return INSUFFICIENT_BALANCE
    if "expired" in low:
        return INVOICE_EXPIRED
    if "route" in low:
        return NO_ROUTE
    return CANCELED


def _int(value: object) -> int | None:
    return value if type(value) is int else None


def _hex(value: object) -> str | None:
    if isinstance(value, str) and len(value) == 64:
        try:
            bytes.fromhex(value)
        except ValueError:
            return None
        return value.lower()
    return None


def _when(value: object) -> int | None:
    """An LNbits timestamp (ISO 8601, UTC when it has no zone) as Unix seconds."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def _conforms_to_the_contract(backend: LnbitsBackend) -> Backend:
    return backend  # mypy checks that this backend implements lnctl.backends.base.Backend
