"""A real LNbits server over HTTP (LNbits fronts LND, Core Lightning, Phoenixd, ...).

Configuration: ``LNCTL_LNBITS_URL``; the wallet's admin key from ``LNCTL_LNBITS_ADMIN_KEY`` or
``$LNCTL_HOME/secrets/lnbits.key``; or only its invoice (read) key from
``LNCTL_LNBITS_INVOICE_KEY`` or ``secrets/lnbits-invoice.key``, enough for everything but paying.
Key files are 0600 and refused when others can read them. A key is sent over plain HTTP only to
a loopback host, unless ``LNCTL_LNBITS_ALLOW_INSECURE=1``; TLS is verified; every request ends by
the command's deadline (``lnctl.backends.transport``). Keys never reach logs, errors or ``--json``.

What the server answers to a payment is reported as it is (an ``Answer``) and concluded by
``lnctl.backends.outcome``; read here with care (measured on LNbits 1.6.2, whose source says the
same):

- a pay answer (201) is read by its ``status``: it can carry a failed or a pending payment;
- LNbits' own refusals are HTTP 520 with a JSON body ``{"detail", "status"}``: ``status`` is the
  structured part. ``success`` ("Payment already paid.") and "Internal invoice already paid."
  mean the hash is paid already, ``pending`` ("Payment is still pending.") that it is in flight
  already, ``failed`` that the payment failed (the detail is the server's reason);
- any other answer (a 520 whose body is a CDN's HTML page or empty, a 502, an answer over the size
  limit, no answer by the deadline) is unknown: the payment is looked up, never sent again;
- a 400, 401, 403 or 404 to a pay request that a proxy or WAF in front of LNbits may have sent
  after forwarding it is checked by a lookup before it is taken for "not sent";
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

from lnctl.backends import registry
from lnctl.backends.base import (
    CANCELED,
    INSUFFICIENT_BALANCE,
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
from lnctl.backends.transport import Oversize, Transport, Undelivered
from lnctl.deadline import NO_DEADLINE
from lnctl.errors import (
    BackendAuthError,
    BackendError,
    BackendUnavailableError,
    Code,
    InvalidInputError,
    InvalidInvoiceError,
    UnsupportedError,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from lnctl.backends.base import Backend, BackendClass
    from lnctl.bolt11 import Invoice
    from lnctl.config import Config
    from lnctl.deadline import Deadline

READ_TIMEOUT_S = 15.0  # the longest a request other than a payment may take (within the deadline)
MAX_BODY = 1 << 20
ALLOW_VAR = "LNCTL_LNBITS_ALLOW_INSECURE"
KEY_HINT = "check LNCTL_LNBITS_ADMIN_KEY / LNCTL_LNBITS_INVOICE_KEY (or the key files)"

# LNbits' statuses of a payment (its PaymentState), as its API writes them
LNBITS_SUCCESS, LNBITS_PENDING, LNBITS_FAILED = "success", "pending", "failed"
# LNbits' own words for a refusal that says the wallet's balance is too low (1.6.2's source)
LOW_BALANCE = ("Insufficient balance.", "You must reserve at least")


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
        env = config.env
        url = (config.lnbits_url or "").strip()
        if not url:
            raise InvalidInputError(
                "no LNbits server: LNCTL_LNBITS_URL is not set (nor lnbits_url in config.toml)",
                code=Code.LNBITS_URL_MISSING,
                hint="export LNCTL_LNBITS_URL=https://your-lnbits.example",
            )
        source = config.sources.get("lnbits_url", "environment LNCTL_LNBITS_URL")
        check_server_url(url, f"the LNbits URL ({source})", ALLOW_VAR, env, "LNBITS_URL_INVALID")
        allow = env.get(ALLOW_VAR, "") == "1"

        admin = secret_value(env, "LNCTL_LNBITS_ADMIN_KEY", config.lnbits_admin_key_file)
        invoice = secret_value(env, "LNCTL_LNBITS_INVOICE_KEY", config.lnbits_invoice_key_file)
        if admin is None and invoice is None:
            raise InvalidInputError(
                "no LNbits key: set LNCTL_LNBITS_ADMIN_KEY (or LNCTL_LNBITS_INVOICE_KEY), or put "
                "the key in secrets/lnbits.key (0600)",
                code=Code.LNBITS_KEY_MISSING,
            )
        for value in (admin, invoice):
            if value is not None and not (value.isascii() and value.isalnum()):
                raise InvalidInputError(
                    "an LNbits key is letters and digits only", code=Code.LNBITS_KEY_INVALID
                )
        return cls(url, admin, invoice, allow)


class LnbitsBackend(KeepsNoRecords):
    name = "lnbits"
    capabilities = registry.capabilities(name)

    def __init__(self, settings: LnbitsSettings, deadline: Deadline = NO_DEADLINE) -> None:
        self.settings = settings
        self.deadline = deadline
        self._transport = Transport(settings.url, "the LNbits server")
        self._base = urlsplit(settings.url).path.rstrip("/")
        self._wallet: dict[str, Any] | None = None

    @classmethod
    def from_config(
        cls, config: Config, deadline: Deadline, first_use: Callable[[], bool]
    ) -> LnbitsBackend:
        """The server wallet ``config`` names (``first_use`` is not asked: lnctl never makes a
        server's wallet)."""
        return cls(LnbitsSettings.from_config(config), deadline)

    def close(self) -> None:
        self._transport.close()

    # -- HTTP --------------------------------------------------------------------------------------

    def _key(self, admin: bool) -> str:
        key = self.settings.admin_key if admin else (
            self.settings.invoice_key or self.settings.admin_key
        )  # fmt: skip
        if key is None:
            raise BackendAuthError(
                "paying needs the LNbits wallet's admin key; only its invoice key is configured",
                code=Code.ADMIN_KEY_REQUIRED,
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
        once: bool = False,
        deadline: Deadline | None = None,
    ) -> tuple[int, Any]:
        """(status, the JSON body or None). Raises BackendUnavailableError when nothing was
        sent, Undelivered when the answer did not come back whole (see transport)."""
        headers = {"X-Api-Key": self._key(admin), "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        reply = self._transport.request(
            method,
            self._base + path,
            headers,
            data,
            deadline=deadline or self.deadline.within(READ_TIMEOUT_S),
            once=once,
            max_body=MAX_BODY,
        )
        try:
            doc = json.loads(reply.body) if reply.body else None
        except ValueError:
            doc = None
        return reply.status, doc

    def _check_auth(self, status: int, doc: Any) -> None:
        if status in (401, 403) or (status == 404 and _detail(doc) == "Wallet not found."):
            raise BackendAuthError(
                f"the LNbits server refused the key ({status}: {_clip(_detail(doc))})",
                hint=KEY_HINT,
            )

    def _get(self, path: str, *, admin: bool = False) -> tuple[int, Any]:
        try:
            status, doc = self._request("GET", path, admin=admin)
        except Oversize as exc:
            raise BackendError(
                f"the LNbits server sent an answer larger than {MAX_BODY} bytes"
            ) from exc
        except Undelivered as exc:
            raise BackendUnavailableError(
                f"the LNbits server did not answer: {exc.reason}", hint="try again later"
            ) from exc
        self._check_auth(status, doc)
        if status == 404 and not isinstance(doc, dict):
            raise self._no_api(status)
        return status, doc

    def _no_api(self, status: int) -> BackendError:
        return BackendError(
            f"the LNbits server has no API at {self.settings.url} ({status})",
            hint="check the path in LNCTL_LNBITS_URL: LNbits' API is at URL/api/v1/... (a "
            "server behind a path prefix needs it in the URL)",
        )

    # -- identity ----------------------------------------------------------------------------------

    def _wallet_info(self) -> dict[str, Any]:
        if self._wallet is None:
            # the admin key, when lnctl has it, is the one LNbits shows the wallet's id to
            status, doc = self._get("/api/v1/wallet", admin=self.settings.admin_key is not None)
            if status == 404:
                raise self._no_api(status)
            if status != 200 or not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
                raise BackendError(f"unexpected answer from the LNbits server ({status})")
            self._wallet = doc
        return self._wallet

    def identity(self) -> str | None:
        """The server wallet's id. LNbits shows it to the admin key; with only the invoice key it
        is read from one of the wallet's payments (None while the wallet has none)."""
        wallet_id = self._wallet_info().get("id")
        if not isinstance(wallet_id, str) and self.settings.admin_key is None:
            status, doc = self._get("/api/v1/payments?limit=1")
            if status == 200 and isinstance(doc, list) and doc and isinstance(doc[0], dict):
                wallet_id = doc[0].get("wallet_id")
        return f"lnbits:{wallet_id}" if isinstance(wallet_id, str) and wallet_id else None

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
            status, doc = self._request("POST", "/api/v1/payments", body=body, once=True)
        except Undelivered as exc:
            raise BackendUnavailableError(
                f"the LNbits server did not answer ({exc.reason}); no invoice was recorded",
                hint="try again",
            ) from exc
        self._check_auth(status, doc)
        if status == 404:
            raise self._no_api(status)
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
        """The wallet's row for this hash as LNbits' lookup gives it: the outgoing one when the
        wallet has both (LNbits orders its rows by amount)."""
        status, doc = self._get(f"/api/v1/payments/{payment_hash}")
        if status == 404:
            return None
        if status != 200 or not isinstance(doc, dict):
            raise BackendError(f"unexpected answer from the LNbits server ({status})")
        return doc

    def _incoming(self, payment_hash: str) -> dict[str, Any] | None:
        """The wallet's incoming row for this hash (where it also paid the invoice itself, the
        lookup gives the outgoing row): the wallet's payments filtered by hash and sign."""
        status, doc = self._get(f"/api/v1/payments?payment_hash={payment_hash}&amount[gt]=0")
        if status != 200 or not isinstance(doc, list):
            raise BackendError(f"unexpected answer from the LNbits server ({status})")
        rows = [
            r
            for r in doc
            if isinstance(r, dict)
            and r.get("payment_hash") == payment_hash
            and (_int(r.get("amount")) or 0) > 0
        ]
        if not rows:
            return None
        row = rows[0]
        return {"paid": row.get("status") == LNBITS_SUCCESS, "preimage": row.get("preimage"),
                "details": row}  # fmt: skip

    def invoice_status(self, payment_hash: str) -> InvoiceStatus | None:
        doc = self._lookup(payment_hash)
        if doc is None:
            return None
        details = doc.get("details") or {}
        amount = _int(details.get("amount"))
        if amount is not None and amount < 0:  # the wallet paid this hash too: its incoming row
            doc = self._incoming(payment_hash)
            if doc is None:
                return None
            details = doc["details"]
            amount = _int(details.get("amount"))
        if amount is None or amount <= 0:
            return None  # the wallet has this hash only as an outgoing payment
        if doc.get("paid") is True or details.get("status") == LNBITS_SUCCESS:
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

    def ready_to_pay(self) -> None:
        self._key(admin=True)

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
        if invoice.amount_msat is None:
            raise UnsupportedError("lnctl pays only invoices with an amount on LNbits")
        self._key(admin=True)
        try:
            status, doc = self._request(
                "POST",
                "/api/v1/payments",
                body={"out": True, "bolt11": invoice.bolt11},
                admin=True,
                once=True,  # a fresh connection, sent once: the server retries on its side
                deadline=deadline,
            )
        except Undelivered as exc:  # sent, maybe paid: only a lookup can tell
            return Answer(UNKNOWN, detail=f"the LNbits server did not answer: {exc.reason}")
        return self._pay_answer(status, doc)

    def _pay_answer(self, status: int, doc: Any) -> Answer:
        """What a pay request's answer says, in the outcome module's terms (see the module's
        docstring for LNbits' words)."""
        if status in (200, 201) and isinstance(doc, dict):
            said = doc.get("status")
            if said == LNBITS_SUCCESS:
                fee = _int(doc.get("fee"))
                return Answer(
                    SUCCESS,
                    preimage=_hex(doc.get("preimage")),
                    fee_msat=abs(fee) if fee is not None else None,
                )
            if said == LNBITS_FAILED:
                return Answer(FAILURE, failure_reason=CANCELED, detail="the server's record says "
                              "this payment failed")  # fmt: skip
            if said == LNBITS_PENDING:
                return Answer(PENDING)
            return Answer(
                UNKNOWN, detail=f"an answer of the LNbits server without a status ({status})"
            )
        refused = _lnbits_refusal(doc) if status == 520 else None
        if refused is not None:
            said, detail = refused
            if said == LNBITS_SUCCESS or detail == "Internal invoice already paid.":
                return Answer(PAID_ALREADY, detail=detail)
            if said == LNBITS_PENDING:
                return Answer(IN_FLIGHT_ALREADY, detail=detail)
            if said == LNBITS_FAILED:
                if detail == "Bolt11 decoding failed.":
                    raise InvalidInvoiceError(
                        f"the LNbits server refused the invoice: {_clip(detail)}",
                        code=Code.INVALID_INVOICE,
                    )
                if detail == "Amountless invoices not supported.":
                    raise UnsupportedError("lnctl pays only invoices with an amount on LNbits")
                reason = INSUFFICIENT_BALANCE if detail.startswith(LOW_BALANCE) else CANCELED
                return Answer(FAILURE, failure_reason=reason, detail=detail)
        if status in (401, 403):
            return Answer(
                REFUSED,
                detail=f"HTTP {status}",
                refusal=BackendAuthError(
                    f"the LNbits server refused the key ({status}: {_clip(_detail(doc))})",
                    hint=KEY_HINT,
                ),
            )
        if status == 404:
            return Answer(REFUSED, detail="HTTP 404", refusal=self._no_api(status))
        if 400 <= status < 500 and status not in (408, 409):
            return Answer(
                REFUSED,
                detail=f"HTTP {status}",
                refusal=BackendError(
                    f"the LNbits server refused the payment request ({status}: "
                    f"{_clip(_detail(doc)) or 'no reason given'}); nothing was sent",
                    code=Code.BACKEND_REFUSED,
                ),
            )
        return Answer(UNKNOWN, detail=f"an answer lnctl cannot read (HTTP {status})")

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
            state = LNBITS_SUCCESS
        if state == LNBITS_SUCCESS:
            fee = _int(details.get("fee"))
            return PaymentStatus(
                PaymentState.SUCCEEDED,
                preimage=_hex(doc.get("preimage")),
                fee_msat=abs(fee) if fee is not None else None,
            )
        if state == LNBITS_FAILED:
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


def _lnbits_refusal(doc: Any) -> tuple[str, str] | None:
    """(status, detail) of LNbits' own refusal body ``{"detail": str, "status": str}``; None for
    any other body (an HTML error page, an empty one, another service's JSON)."""
    if isinstance(doc, dict) and isinstance(doc.get("detail"), str):
        said = doc.get("status")
        if said in (LNBITS_SUCCESS, LNBITS_PENDING, LNBITS_FAILED):
            return str(said), str(doc["detail"])
    return None


def _detail(doc: Any) -> str:
    if isinstance(doc, dict) and isinstance(doc.get("detail"), str):
        return str(doc["detail"])
    return ""


def _clip(text: str) -> str:
    return text[:200]


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


def _class_conforms_to_the_contract() -> BackendClass:
    return LnbitsBackend  # mypy checks it against lnctl.backends.base.BackendClass
