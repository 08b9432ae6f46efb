"""A local double of Lightspark's GraphQL API, on loopback, for testing lnctl's Lightspark backend
through the real SDK (Lightspark's servers cannot be reached from here).

It speaks the wire protocol the SDK speaks: an HTTP POST of ``{operationName, query, variables,
nonce, expires_at}``, bodies over 1 KB zstd-compressed (deflate without zstandard), HTTP Basic
auth with the API token, and on signed mutations the ``X-Lightspark-Signing`` header: an RSA-PSS
(SHA-256) signature of the uncompressed body by the node's signing key, which the SDK unlocks
with the node password from ``RecoverNodeSigningKey`` (the SDK's v4 cipher: PBKDF2-SHA256 and
AES-256-GCM). The SDK's queries are parsed with the reference GraphQL parser (graphql-core) and
answered by a small executor in the exact aliased shape they select: every selected key is
present, null where the double has no value, and the SDK's own ``from_json`` reads the answer.

It implements only the operations lnctl uses, keeps balances in msat, refuses to pay a paid
invoice (``INVOICE_ALREADY_PAID``) and one of the node's own (``SELF_PAYMENT``), honours the
idempotency key, lists every node's payments of the account (``origin``), and can: hold a
payment in flight, or answer PENDING and settle it a while later; report a status or a failure
reason the SDK does not know; withhold an answer (the request is carried out, then the
connection is closed without a word), drip it one byte at a time, or break TLS after carrying
the request out (HTTPS with a certificate made here); refuse a request with an HTTP status (429,
400, ...) or a GraphQL error (with ``extensions``) before acting; keep the node's signing key in
the older AES-CBC formats; and be a remote-signing node, which has no key to recover.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import ssl
import threading
import time
import zlib
from collections import Counter
from datetime import UTC, datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import padding as block_padding
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lnctl import bolt11
from lnctl.storage.keys import NodeKey

PATH = "/graphql/server/2023-09-13"
ITERATIONS = 1_000  # the real service uses more; the cipher header carries the count
SIGNED = frozenset({"PayInvoice"})
# the interfaces each type of the double implements (for `... on Interface` conditions)
IMPLEMENTS = {
    "LightsparkNodeWithOSK": {"LightsparkNode", "Node", "Entity"},
    "LightsparkNodeWithRemoteSigning": {"LightsparkNode", "Node", "Entity"},
    "GraphNode": {"Node", "Entity"},
    "OutgoingPayment": {"LightningTransaction", "Transaction", "Entity"},
    "IncomingPayment": {"LightningTransaction", "Transaction", "Entity"},
    "Invoice": {"PaymentRequest", "Entity"},
    "InvoiceData": {"PaymentRequestData"},
}


@cache
def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def amount(msat: int) -> dict[str, Any]:
    return {
        "__typename": "CurrencyAmount",
        "original_value": msat,
        "original_unit": "MILLISATOSHI",
        "preferred_currency_unit": "SATOSHI",
        "preferred_currency_value_rounded": msat // 1000,
        "preferred_currency_value_approx": msat / 1000,
    }


class DoubleError(Exception):
    """Answered as a GraphQL error (with ``extensions`` when given)."""

    def __init__(self, message: str, extensions: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.extensions = extensions


def seal_key(der: bytes, password: str, key_format: str) -> dict[str, str]:
    """The node's signing key as Lightspark keeps it, in one of the formats the SDK reads:
    ``v4`` (PBKDF2-SHA256 and AES-256-GCM, today's), ``v1`` (AES-256-CBC, a JSON header) or
    ``v0`` (AES-256-CBC, PBKDF2 with 5,000 rounds, OpenSSL's ``Salted__`` layout)."""
    if key_format == "v4":
        salt = secrets.token_bytes(16)
        derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS, 44)
        sealed = AESGCM(derived[:32]).encrypt(derived[32:], der, None)
        return {
            "encrypted_value": base64.b64encode(salt + sealed).decode(),
            "cipher": json.dumps({"v": 4, "i": ITERATIONS}),
        }
    rounds = 5000 if key_format == "v0" else ITERATIONS
    salt = secrets.token_bytes(8)
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, rounds, 48)
    padder = block_padding.PKCS7(128).padder()
    padded = padder.update(der) + padder.finalize()
    encryptor = Cipher(algorithms.AES(derived[:32]), modes.CBC(derived[32:])).encryptor()
    sealed = encryptor.update(padded) + encryptor.finalize()
    if key_format == "v0":
        return {
            "encrypted_value": base64.b64encode(b"Salted__" + salt + sealed).decode(),
            "cipher": "AES_256_CBC_PBKDF2_5000_SHA256",
        }
    assert key_format == "v1", key_format
    return {
        "encrypted_value": base64.b64encode(salt + sealed).decode(),
        "cipher": json.dumps({"v": 1, "i": rounds}),
    }


# -- a GraphQL executor for the SDK's queries ------------------------------------------------------


def _matches(obj: dict[str, Any], type_name: str) -> bool:
    kind = obj.get("__typename")
    return kind == type_name or type_name in IMPLEMENTS.get(str(kind), set())


def select(obj: dict[str, Any], selection_set: Any, fragments: dict[str, Any]) -> dict[str, Any]:
    """``obj`` (fields by their schema names) in the shape the selection asks: aliases applied,
    fragments spread where their type matches, every selected field present."""
    from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode

    out: dict[str, Any] = {}
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            key = sel.alias.value if sel.alias else sel.name.value
            name = sel.name.value
            value = obj.get("__typename") if name == "__typename" else obj.get(name)
            if sel.selection_set is not None and value is not None:
                if isinstance(value, list):
                    value = [select(v, sel.selection_set, fragments) for v in value]
                else:
                    value = select(value, sel.selection_set, fragments)
            out[key] = value
        elif isinstance(sel, InlineFragmentNode):
            if sel.type_condition is None or _matches(obj, sel.type_condition.name.value):
                out.update(select(obj, sel.selection_set, fragments))
        elif isinstance(sel, FragmentSpreadNode):
            frag = fragments[sel.name.value]
            if _matches(obj, frag.type_condition.name.value):
                out.update(select(obj, frag.selection_set, fragments))
    return out


def _garbled(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _garbled(v) for k, v in list(value.items())[:1]}
    return value


def execute(query: str, operation_name: str | None, root: dict[str, Any]) -> dict[str, Any]:
    from graphql import parse
    from graphql.language import FragmentDefinitionNode, OperationDefinitionNode

    document = parse(query)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    [operation] = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation.name is None or operation.name.value != operation_name:
        raise DoubleError("operationName does not name the query's operation")
    return select(root, operation.selection_set, fragments)


# -- the double -----------------------------------------------------------------------------------


class LightsparkDouble:
    """One Lightspark account with one node of ours (regtest), and a test network around it."""

    def __init__(
        self,
        balance_msat: int = 10_000_000_000,
        network: str = "regtest",
        *,
        key_format: str = "v4",
        tls_folder: str | None = None,
    ) -> None:
        self.client_id = "01" + secrets.token_hex(8)
        self.client_secret = secrets.token_urlsafe(24)
        self.node_password = "correct horse " + secrets.token_hex(4)
        self.node_id = "LightsparkNodeWithOSK:" + secrets.token_hex(8)
        self.network = network
        self.ours = NodeKey(secrets.token_bytes(32))
        self.remote = NodeKey(secrets.token_bytes(32))  # the test network's node
        self.balance_msat = balance_msat
        self.invoices: dict[str, dict[str, Any]] = {}  # payment hash -> invoice (both nodes')
        self.payments: list[dict[str, Any]] = []  # our outgoing payments
        self.calls: Counter[str] = Counter()
        self.compressed = 0  # requests that came zstd- or deflate-compressed
        self.withhold: Counter[str] = Counter()  # operation -> answers to withhold
        self.hold_s = 2.0
        self.in_flight = False  # payments stay PENDING until complete()
        self.status_override: str | None = None  # the next payment's status, as given
        self.garble: Counter[str] = Counter()  # operation -> answers cut short (keys missing)
        self.drip: Counter[str] = Counter()  # operation -> answers sent one byte a second
        self.tls_fault: Counter[str] = Counter()  # operation -> carried out, then TLS broken
        # operation -> HTTP statuses to answer, one per request, before acting (429, 400, ...)
        self.refuse: dict[str, list[int]] = {}
        # operation -> GraphQL errors to answer, one per request, before acting
        self.graphql_errors: dict[str, list[dict[str, Any]]] = {}
        self.settle_after_s: float | None = None  # payments PENDING, then SUCCESS this later
        self.failure_reason_override: str | None = None  # the next payment fails with it
        self.node_kind = "LightsparkNodeWithOSK"  # or LightsparkNodeWithRemoteSigning
        self.pay_variables: list[dict[str, Any]] = []  # every PayInvoice's variables
        self.nonces: set[int] = set()
        self.lock = threading.RLock()
        self.created = time.time()
        key = _rsa_key()
        self.public_key = key.public_key()
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.encrypted_key = seal_key(der, self.node_password, key_format)
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                double._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        scheme = "http"
        self.cert: str | None = None
        if tls_folder is not None:  # HTTPS with a certificate made here (REQUESTS_CA_BUNDLE)
            from pathlib import Path

            from tests.helpers import self_signed_certificate

            cert, key_file = self_signed_certificate(Path(tls_folder))
            self.cert = str(cert)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.cert, key_file)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}{PATH}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def env(self, *, password: bool = True) -> dict[str, str]:
        """lnctl's environment for this account."""
        env = {
            "LNCTL_BACKEND": "lightspark",
            "LNCTL_NETWORK": "regtest",
            "LNCTL_LIGHTSPARK_CLIENT_ID": self.client_id,
            "LNCTL_LIGHTSPARK_CLIENT_SECRET": self.client_secret,
            "LNCTL_LIGHTSPARK_NODE_ID": self.node_id,
            "LNCTL_LIGHTSPARK_BASE_URL": self.url,
        }
        if password:
            env["LNCTL_LIGHTSPARK_NODE_PASSWORD"] = self.node_password
        if self.cert is not None:
            env["REQUESTS_CA_BUNDLE"] = self.cert
        return env

    # -- HTTP ------------------------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        body = req.rfile.read(int(req.headers.get("Content-Length") or 0))
        if req.path != PATH:
            return self._send(req, 404, {"errors": [{"message": "not found"}]})
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if req.headers.get("Authorization") != f"Basic {expected}":
            return self._send(req, 401, {"errors": [{"message": "Unauthorized"}]})
        encoding = req.headers.get("Content-Encoding")
        if encoding == "zstd":
            import zstandard

            body = zstandard.ZstdDecompressor().decompress(body)
            self.compressed += 1
        elif encoding == "deflate":
            body = zlib.decompress(body)
            self.compressed += 1
        try:
            if len(body) > 1024 and not encoding:
                raise DoubleError("the SDK compresses bodies over 1 KB; this one came plain")
            doc = json.loads(body)
            missing = {"operationName", "query", "variables", "nonce", "expires_at"} - set(doc)
            if missing:
                raise DoubleError(f"the request lacks {sorted(missing)}")
            name = doc["operationName"]
            if req.headers.get("X-GraphQL-Operation") != name:
                raise DoubleError("X-GraphQL-Operation does not name the operation")
            with self.lock:
                self.calls[name] += 1
                refusals = self.refuse.get(name)
                if refusals:  # refused before anything is done
                    status = refusals.pop(0)
                    refused = {"errors": [{"message": f"refused with HTTP {status}"}]}
                    return self._send(req, status, refused)
                errors = self.graphql_errors.get(name)
                if errors:
                    return self._send(req, 200, {"errors": [errors.pop(0)]})
                if name in SIGNED:
                    self._check_signature(req, body, doc)
                root = self._operation(name, doc.get("variables") or {})
                data = execute(doc["query"], name, root)
                withhold = self.withhold[name] > 0
                if withhold:
                    self.withhold[name] -= 1
                if self.garble[name] > 0:  # every object keeps only its first key
                    self.garble[name] -= 1
                    data = _garbled(data)
                drip = self.drip[name] > 0
                if drip:
                    self.drip[name] -= 1
                tls_fault = self.tls_fault[name] > 0
                if tls_fault:
                    self.tls_fault[name] -= 1
        except DoubleError as exc:
            error: dict[str, Any] = {"message": str(exc)}
            if exc.extensions is not None:
                error["extensions"] = exc.extensions
            return self._send(req, 200, {"errors": [error]})
        if withhold:  # carried out; the answer never comes
            time.sleep(self.hold_s)
            req.close_connection = True
            return None
        if tls_fault:  # carried out; then bytes that are no TLS record break the connection
            os.write(req.connection.fileno(), b"\x17\x03\x03\x00\x20" + os.urandom(32))
            time.sleep(0.2)
            req.close_connection = True
            return None
        return self._send(req, 200, {"data": data}, drip=drip)

    def _send(self, req: BaseHTTPRequestHandler, status: int, doc: Any, drip: bool = False) -> None:
        raw = json.dumps(doc).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(raw)))
        req.end_headers()
        if not drip:
            req.wfile.write(raw)
            return
        req.wfile.flush()
        for i in range(len(raw)):  # one byte a second: a read timeout alone never ends this
            try:
                req.wfile.write(raw[i : i + 1])
                req.wfile.flush()
            except OSError:
                return
            time.sleep(1.0)

    def _check_signature(self, req: BaseHTTPRequestHandler, body: bytes, doc: Any) -> None:
        header = req.headers.get("X-Lightspark-Signing")
        if not header:
            raise DoubleError("this mutation must be signed with the node's signing key")
        signature = base64.b64decode(json.loads(header)["signature"])
        try:
            self.public_key.verify(
                signature,
                body,
                padding.PSS(
                    mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH
                ),
                hashes.SHA256(),
            )
        except Exception:
            raise DoubleError("the request's signature is not the node's") from None
        nonce, expires = doc.get("nonce"), doc.get("expires_at")
        if type(nonce) is not int or nonce in self.nonces:
            raise DoubleError("a signed request needs a fresh nonce")
        if (
            not isinstance(expires, str)
            or datetime.fromisoformat(expires).timestamp() < time.time()
        ):
            raise DoubleError("the signed request has expired")
        self.nonces.add(nonce)

    # -- the model ---------------------------------------------------------------------------------

    def node(self) -> dict[str, Any]:
        held = sum(
            p["amount_msat"] + p["fee_msat"] for p in self.payments if p["status"] == "PENDING"
        )
        return {
            "__typename": self.node_kind,
            "id": self.node_id,
            "created_at": iso(self.created),
            "updated_at": iso(time.time()),
            "alias": "lnctl-double",
            "bitcoin_network": self.network.upper(),
            "color": "#3987da",
            "conductivity": 7,
            "display_name": "lnctl double",
            "public_key": self.ours.public_key.hex(),
            "owner": {"id": "Account:" + self.client_id},
            "status": "READY",
            "total_balance": amount(self.balance_msat + held),
            "total_local_balance": amount(self.balance_msat + held),
            "local_balance": amount(self.balance_msat),
            "remote_balance": amount(0),
            "blockchain_balance": None,
            "uma_prescreening_utxos": [],
            "balances": {
                "owned_balance": amount(self.balance_msat + held),
                "available_to_send_balance": amount(self.balance_msat),
                "available_to_withdraw_balance": amount(self.balance_msat),
            },
            "encrypted_signing_private_key": self.encrypted_key,
        }

    def graph_node(self) -> dict[str, Any]:
        return {
            "__typename": "GraphNode",
            "id": "GraphNode:" + self.remote.public_key.hex()[:16],
            "created_at": iso(self.created),
            "updated_at": iso(self.created),
            "alias": "test network",
            "bitcoin_network": self.network.upper(),
            "color": "#000000",
            "conductivity": None,
            "display_name": "test network",
            "public_key": self.remote.public_key.hex(),
        }

    def invoice_data(self, inv: dict[str, Any]) -> dict[str, Any]:
        return {
            "__typename": "InvoiceData",
            "encoded_payment_request": inv["bolt11"],
            "bitcoin_network": self.network.upper(),
            "payment_hash": inv["payment_hash"],
            "amount": amount(inv["amount_msat"] or 0),
            "created_at": iso(inv["created_at"]),
            "expires_at": iso(inv["expires_at"]),
            "memo": inv["memo"],
            "destination": self.node() if inv["ours"] else self.graph_node(),
        }

    def invoice(self, inv: dict[str, Any]) -> dict[str, Any]:
        return {
            "__typename": "Invoice",
            "id": "Invoice:" + inv["payment_hash"][:16],
            "created_at": iso(inv["created_at"]),
            "updated_at": iso(inv["paid_at"] or inv["created_at"]),
            "data": self.invoice_data(inv),
            "status": "CLOSED" if inv["paid_msat"] else "OPEN",
            "amount_paid": amount(inv["paid_msat"]) if inv["paid_msat"] else None,
        }

    def payment(self, p: dict[str, Any]) -> dict[str, Any]:
        done = p["status"] not in ("PENDING",)
        inv = self.invoices.get(p["payment_hash"])
        return {
            "__typename": "OutgoingPayment",
            "id": p["id"],
            "created_at": iso(p["created_at"]),
            "updated_at": iso(p["updated_at"]),
            "status": p["status"],
            "resolved_at": iso(p["updated_at"]) if done else None,
            "amount": amount(p["amount_msat"]),
            "transaction_hash": None,
            "is_uma": False,
            "origin": {"id": p.get("origin") or self.node_id},
            "destination": {"id": self.graph_node()["id"]} if inv and not inv["ours"] else None,
            "fees": amount(p["fee_msat"]) if p["status"] == "SUCCESS" else None,
            "payment_request_data": self.invoice_data(inv) if inv else None,
            "failure_reason": p["failure_reason"],
            "failure_message": None,
            "uma_post_transaction_data": None,
            "payment_preimage": p["preimage"] if p["status"] == "SUCCESS" else None,
            "is_internal_payment": bool(inv and inv["ours"]),
            "idempotency_key": p["idempotency_key"],
        }

    # -- what the test network does --------------------------------------------------------------

    def make_invoice(
        self, ours: bool, amount_msat: int | None, memo: str | None, expiry: int = 86_400
    ) -> dict[str, Any]:
        key = self.ours if ours else self.remote
        preimage = secrets.token_bytes(32)
        payment_hash = hashlib.sha256(preimage).digest()
        now = int(time.time())
        text = bolt11.encode(
            network=self.network,
            amount_msat=amount_msat or None,
            payment_hash=payment_hash,
            payment_secret=secrets.token_bytes(32),
            description=memo or "",
            expiry=expiry,
            sign=key.sign_recoverable,
            timestamp=now,
        )
        inv = {
            "bolt11": text,
            "payment_hash": payment_hash.hex(),
            "preimage": preimage.hex(),
            "amount_msat": amount_msat or None,
            "memo": memo,
            "created_at": now,
            "expires_at": now + expiry,
            "ours": ours,
            "paid_msat": None,
            "paid_at": None,
        }
        with self.lock:
            self.invoices[str(inv["payment_hash"])] = inv
        return inv

    def pay_ours(self, text: str, amount_msat: int | None = None) -> dict[str, Any]:
        """The test network pays one of our invoices."""
        with self.lock:
            inv = self.invoices.get(bolt11.decode(text).payment_hash)
            if inv is None or not inv["ours"]:
                raise DoubleError("that invoice is not one of this node's")
            if inv["paid_msat"]:
                raise DoubleError("that invoice is already paid")
            if inv["expires_at"] <= time.time():
                raise DoubleError("that invoice has expired")
            got = inv["amount_msat"] or amount_msat
            if not got:
                raise DoubleError("an amount is needed for an amountless invoice")
            inv["paid_msat"], inv["paid_at"] = got, time.time()
            self.balance_msat += got
            return inv

    def fee_msat(self, amount_msat: int) -> int:
        return 1000 + amount_msat // 1000

    def complete(self, payment_hash: str, status: str = "SUCCESS") -> None:
        """Resolve a payment held in flight."""
        with self.lock:
            [p] = [
                p
                for p in self.payments
                if p["payment_hash"] == payment_hash and p["status"] == "PENDING"
            ]
            self._resolve(p, status, p["failure_reason"] if status != "SUCCESS" else None)

    def _resolve(self, p: dict[str, Any], status: str, reason: str | None) -> None:
        p["status"], p["failure_reason"], p["updated_at"] = status, reason, time.time()
        inv = self.invoices.get(p["payment_hash"])
        if status == "SUCCESS":
            assert inv is not None
            inv["paid_msat"], inv["paid_at"] = p["amount_msat"], time.time()
            p["preimage"] = inv["preimage"]
            if inv["ours"]:
                self.balance_msat += p["amount_msat"]
        elif status in ("FAILED", "CANCELLED", "EXPIRED"):
            self.balance_msat += p["amount_msat"] + p["fee_msat"]  # the reservation returns

    # -- operations --------------------------------------------------------------------------------

    def other_node_payment(self, text: str, status: str = "SUCCESS") -> dict[str, Any]:
        """A payment of the invoice by another node of the same account (it is listed by
        OutgoingPaymentsForPaymentHash too, with its own origin)."""
        with self.lock:
            decoded = bolt11.decode(text)
            inv = self.invoices.get(decoded.payment_hash)
            now = time.time()
            p: dict[str, Any] = {
                "id": "OutgoingPayment:" + secrets.token_hex(8),
                "payment_hash": decoded.payment_hash,
                "amount_msat": decoded.amount_msat or 1000,
                "fee_msat": 1000,
                "created_at": now,
                "updated_at": now,
                "status": status,
                "failure_reason": "NO_ROUTE" if status == "FAILED" else None,
                "preimage": inv["preimage"] if inv is not None and status == "SUCCESS" else None,
                "idempotency_key": None,
                "origin": "LightsparkNodeWithOSK:" + secrets.token_hex(8),
            }
            self.payments.append(p)
            return p

    def _settle_due(self) -> None:
        """Payments answered PENDING (settle_after_s) that are due now succeed."""
        now = time.time()
        for p in self.payments:
            if p["status"] == "PENDING" and p.get("settle_at") and p["settle_at"] <= now:
                self._resolve(p, "SUCCESS", None)

    def _operation(self, name: str, v: dict[str, Any]) -> dict[str, Any]:
        self._settle_due()
        handler = getattr(self, "op_" + name, None)
        if handler is None:
            raise DoubleError(f"the double does not implement {name}")
        result: dict[str, Any] = handler(v)
        return result

    def _our_node(self, node_id: object) -> None:
        if node_id != self.node_id:
            raise DoubleError(f"Entity not found: {node_id}")

    def op_GetEntity(self, v: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"entity": self.node() if v.get("id") == self.node_id else None}

    def op_RecoverNodeSigningKey(self, v: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._our_node(v.get("node_id"))
        return {"entity": self.node()}

    def op_CreateInvoice(self, v: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._our_node(v.get("node_id"))
        amount_msat = v.get("amount_msats")
        if type(amount_msat) is not int or amount_msat < 0:
            raise DoubleError("amount_msats must be a non-negative integer")
        inv = self.make_invoice(True, amount_msat, v.get("memo"), v.get("expiry_secs") or 86_400)
        return {"create_invoice": {"invoice": self.invoice(inv)}}

    def op_InvoiceForPaymentHash(self, v: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        inv = self.invoices.get(str(v.get("payment_hash")))
        if inv is None:
            return {"invoice_for_payment_hash": {"invoice": None}}
        return {"invoice_for_payment_hash": {"invoice": self.invoice(inv)}}

    def op_OutgoingPaymentsForPaymentHash(self, v: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        found = [
            self.payment(p) for p in self.payments if p["payment_hash"] == v.get("payment_hash")
        ]
        return {"outgoing_payments_for_payment_hash": {"payments": found}}

    def op_PayInvoice(self, v: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._our_node(v.get("node_id"))
        self.pay_variables.append(dict(v))
        key = v.get("idempotency_key")
        for known in self.payments:
            if key is not None and known["idempotency_key"] == key and not known.get("origin"):
                return {"pay_invoice": {"payment": self.payment(known)}}
        try:
            decoded = bolt11.decode(str(v.get("encoded_invoice")))
        except Exception:
            raise DoubleError("invalid encoded_invoice: the invoice cannot be decoded") from None
        inv = self.invoices.get(decoded.payment_hash)
        amount_msat = decoded.amount_msat or v.get("amount_msats")
        if type(amount_msat) is not int or amount_msat <= 0:
            raise DoubleError("amount_msats is required for an invoice without an amount")
        now = time.time()
        p: dict[str, Any] = {
            "id": "OutgoingPayment:" + secrets.token_hex(8),
            "payment_hash": decoded.payment_hash,
            "amount_msat": amount_msat,
            "fee_msat": 0 if inv is not None and inv["ours"] else self.fee_msat(amount_msat),
            "created_at": now,
            "updated_at": now,
            "status": "PENDING",
            "failure_reason": None,
            "preimage": None,
            "idempotency_key": key,
        }
        self.payments.append(p)
        reason = None
        if inv is None:
            reason = "NO_ROUTE"
        elif inv["ours"]:
            reason = "SELF_PAYMENT"  # Lightspark pays no invoice of the paying node
        elif self.failure_reason_override is not None:
            reason, self.failure_reason_override = self.failure_reason_override, None
        elif inv["paid_msat"]:
            reason = "INVOICE_ALREADY_PAID"
        elif inv["expires_at"] <= now:
            reason = "INVOICE_EXPIRED"
        elif p["fee_msat"] > int(v.get("maximum_fees_msats") or 0):
            reason = "NO_ROUTE"  # as lnd: no route within the fee limit
        elif self.balance_msat < amount_msat + p["fee_msat"]:
            reason = "INSUFFICIENT_BALANCE"
        if reason is not None:
            p["status"], p["failure_reason"] = "FAILED", reason
            return {"pay_invoice": {"payment": self.payment(p)}}
        self.balance_msat -= amount_msat + p["fee_msat"]
        if self.status_override is not None:
            p["status"], self.status_override = self.status_override, None
        elif self.settle_after_s is not None:  # PENDING now, settled a while later
            p["settle_at"] = now + self.settle_after_s
        elif not self.in_flight:
            self._resolve(p, "SUCCESS", None)
        return {"pay_invoice": {"payment": self.payment(p)}}

    def op_LightningFeeEstimateForInvoice(self, v: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._our_node(v.get("node_id"))
        try:
            decoded = bolt11.decode(str(v.get("encoded_payment_request")))
        except Exception:
            raise DoubleError("invalid encoded_payment_request") from None
        inv = self.invoices.get(decoded.payment_hash)
        if inv is None:
            raise DoubleError("no route found to the invoice's destination")
        amount_msat = decoded.amount_msat or v.get("amount_msats") or 0
        fee = 0 if inv["ours"] else self.fee_msat(int(amount_msat))
        output = {"__typename": "LightningFeeEstimateOutput", "fee_estimate": amount(fee)}
        return {"lightning_fee_estimate_for_invoice": output}

    def op_CreateTestModeInvoice(self, v: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._our_node(v.get("local_node_id"))
        if self.network != "regtest":
            raise DoubleError("test mode is only available on regtest nodes")
        inv = self.make_invoice(False, v.get("amount_msats") or None, v.get("memo"))
        return {"create_test_mode_invoice": {"encoded_payment_request": inv["bolt11"]}}

    def op_CreateTestModePayment(self, v: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._our_node(v.get("local_node_id"))
        if self.network != "regtest":
            raise DoubleError("test mode is only available on regtest nodes")
        inv = self.pay_ours(str(v.get("encoded_invoice")), v.get("amount_msats"))
        incoming = {
            "__typename": "IncomingPayment",
            "id": "IncomingPayment:" + secrets.token_hex(8),
            "created_at": iso(inv["paid_at"]),
            "updated_at": iso(inv["paid_at"]),
            "status": "SUCCESS",
            "resolved_at": iso(inv["paid_at"]),
            "amount": amount(inv["paid_msat"]),
            "transaction_hash": None,
            "is_uma": False,
            "destination": {"id": self.node_id},
            "payment_request": {"id": "Invoice:" + inv["payment_hash"][:16]},
            "uma_post_transaction_data": None,
            "is_internal_payment": False,
        }
        return {"create_test_mode_payment": {"incoming_payment": incoming}}
