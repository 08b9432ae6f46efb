"""A local LNURL-pay service for tests: HTTPS on 127.0.0.1 with a certificate made here (trusted
through ``SSL_CERT_FILE``), answering a Lightning Address (``/.well-known/lnurlp/<user>``) and an
LNURL (``/lnurlp/<user>``) with a payRequest, and its callback with a real BOLT 11 invoice:
made by ``lnctl.bolt11.encode``, signed by a key of its own, its description hash sha256 of the
metadata, its preimage kept (for LUD-10's ``aes`` success action).

Every field of the service's behaviour is a knob a test turns to make it hostile: the wrong
amount or description hash, an http callback, a redirect elsewhere, huge metadata, a slow answer,
a bad tag, an impossible range, an unknown success action. ``seen`` lists every request's path
and query, so a test can tell that a callback was never called."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import coincurve

from lnctl import bolt11
from tests.helpers import self_signed_certificate

USER = "alice"


class LnurlService:
    """What the service answers; every attribute may be changed by a test between requests."""

    def __init__(self, cert: Path) -> None:
        self.cert = cert
        self.port = 0
        self.node_key = coincurve.PrivateKey()
        self.network = "regtest"
        self.min_sendable_msat = 1_000
        self.max_sendable_msat = 1_000_000_000
        self.comment_allowed = 100
        self.metadata = json.dumps([["text/plain", "Pay alice"]])
        # keys merged into the payRequest (None removes a key), or its whole body as bytes
        self.pay_request_changes: dict[str, Any] = {}
        self.pay_request_body: bytes | None = None
        self.callback: str | None = None  # another callback URL than this server's own
        # the invoice: its amount off by this much, another description hash, another network
        self.amount_delta_msat = 0
        self.description_hash: bytes | None = None
        self.invoice_network: str | None = None
        self.invoice_changes: dict[str, Any] = {}  # keys merged into the callback's answer
        # where invoices come from: (amount_msat, description hash) -> (invoice, preimage), e.g.
        # the simulated node's peer (``lnctl simulate invoice --description-hash``) or LNbits;
        # None: made and signed here (a payee no wallet can reach)
        self.invoice_source: Callable[[int, bytes], tuple[str, bytes | None]] | None = None
        # a success action, or a function of the invoice's preimage making one (aes)
        self.success_action: dict[str, Any] | Callable[[bytes], dict[str, Any]] | None = None
        self.redirects: dict[str, str] = {}  # path -> Location (answered 302)
        self.delay_s = 0.0  # before every answer
        self.seen: list[str] = []  # path?query of every request
        self.preimages: dict[str, bytes] = {}  # payment hash (hex) -> preimage

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        return f"{USER}@127.0.0.1:{self.port}"

    @property
    def lnurl(self) -> str:
        """The bech32 LNURL of this service's pay link, uppercase as in a QR code."""
        data = bolt11.convertbits(f"{self.origin}/lnurlp/{USER}".encode(), 8, 5, pad=True)
        return bolt11.bech32_encode("lnurl", data).upper()

    @property
    def callbacks(self) -> list[str]:
        return [path for path in self.seen if path.startswith("/callback/")]

    def pay_request(self) -> bytes:
        if self.pay_request_body is not None:
            return self.pay_request_body
        doc: dict[str, Any] = {
            "tag": "payRequest",
            "callback": self.callback or f"{self.origin}/callback/{USER}",
            "minSendable": self.min_sendable_msat,
            "maxSendable": self.max_sendable_msat,
            "metadata": self.metadata,
            "commentAllowed": self.comment_allowed,
        }
        for key, value in self.pay_request_changes.items():
            if value is None:
                doc.pop(key, None)
            else:
                doc[key] = value
        return json.dumps(doc).encode()

    def invoice(self, query: str) -> bytes:
        params = parse_qs(query)
        amount_msat = int(params["amount"][0]) + self.amount_delta_msat
        description_hash = (
            self.description_hash or hashlib.sha256(self.metadata.encode("utf-8")).digest()
        )
        preimage: bytes | None
        if self.invoice_source is not None:
            pr, preimage = self.invoice_source(amount_msat, description_hash)
        else:
            preimage = os.urandom(32)
            pr = bolt11.encode(
                network=self.invoice_network or self.network,
                amount_msat=amount_msat,
                payment_hash=hashlib.sha256(preimage).digest(),
                payment_secret=os.urandom(32),
                description_hash=description_hash,
                sign=lambda msg: self.node_key.sign_recoverable(msg, hasher=None),
            )
        if preimage is not None:
            self.preimages[hashlib.sha256(preimage).hexdigest()] = preimage
        doc: dict[str, Any] = {"pr": pr, "routes": []}
        action = self.success_action
        if action is not None:
            assert preimage is not None or not callable(action), "aes needs the preimage"
            doc["successAction"] = action(preimage) if callable(action) else action  # type: ignore[arg-type]
        doc.update(self.invoice_changes)
        return json.dumps(doc).encode()


def aes_action(plaintext: str, description: str = "Your code") -> Callable[[bytes], dict[str, Any]]:
    """A LUD-10 ``aes`` success action of ``plaintext``, made with each invoice's preimage."""

    def make(preimage: bytes) -> dict[str, Any]:
        import base64

        from cryptography.hazmat.primitives import padding
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        iv = os.urandom(16)
        padder = padding.PKCS7(128).padder()
        data = padder.update(plaintext.encode()) + padder.finalize()
        encryptor = Cipher(algorithms.AES(preimage), modes.CBC(iv)).encryptor()
        ciphertext = encryptor.update(data) + encryptor.finalize()
        return {
            "tag": "aes",
            "description": description,
            "ciphertext": base64.b64encode(ciphertext).decode(),
            "iv": base64.b64encode(iv).decode(),
        }

    return make


@contextmanager
def lnurl_server(folder: Path) -> Iterator[LnurlService]:
    """A running service (HTTPS, its certificate in ``service.cert``), stopped on exit."""
    cert, key = self_signed_certificate(folder)
    service = LnurlService(cert)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            service.seen.append(self.path)
            if service.delay_s:
                time.sleep(service.delay_s)
            parts = urlsplit(self.path)
            if parts.path in service.redirects:
                self._answer(302, b"", {"Location": service.redirects[parts.path]})
            elif parts.path in (f"/.well-known/lnurlp/{USER}", f"/lnurlp/{USER}"):
                self._answer(200, service.pay_request())
            elif parts.path == f"/callback/{USER}":
                self._answer(200, service.invoice(parts.query))
            else:
                body = {"status": "ERROR", "reason": "no such user"}
                self._answer(404, json.dumps(body).encode())

        def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass  # the client gave up (a deadline): nothing to tell

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True  # a slow answer a client gave up on does not hold the exit
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    service.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
