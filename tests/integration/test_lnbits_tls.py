"""The LNbits backend's TLS: a certificate the system does not trust is refused before a byte
of a request (the key) is sent; a trusted one carries the requests. A loopback HTTPS server
that answers like LNbits' wallet endpoint, with a certificate made here."""

from __future__ import annotations

import http.server
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run
from tests.helpers import self_signed_certificate

KEY = "a" * 32


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """(url, certificate file, the API keys that reached the server)."""
    cert, key = self_signed_certificate(tmp_path)
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            seen.append(self.headers.get("X-Api-Key", ""))
            body = json.dumps({"id": "w1", "name": "tls", "balance": 21_000}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert, seen
    finally:
        server.shutdown()
        server.server_close()


def test_an_untrusted_certificate_is_refused_before_the_key_is_sent(
    https_server: tuple[str, Path, list[str]], home: Path
) -> None:
    url, _, seen = https_server
    env = {"LNCTL_BACKEND": "lnbits", "LNCTL_LNBITS_URL": url, "LNCTL_LNBITS_ADMIN_KEY": KEY}
    r = run(home, "info", "--json", env=env)
    assert r.code == 1, r.out + r.err
    assert r.json["error"]["code"] == "BACKEND_UNAVAILABLE"
    assert "certificate is not trusted" in r.json["error"]["message"]  # words, not a class name
    assert seen == []  # no request (and no key) reached the server


def test_a_trusted_certificate_carries_the_requests(
    https_server: tuple[str, Path, list[str]], home: Path
) -> None:
    url, cert, seen = https_server
    env = {
        "LNCTL_BACKEND": "lnbits",
        "LNCTL_LNBITS_URL": url,
        "LNCTL_LNBITS_ADMIN_KEY": KEY,
        "SSL_CERT_FILE": str(cert),  # the system's trust store, as OpenSSL reads it
    }
    r = run(home, "info", "--json", env=env)
    assert r.code == 0, r.out + r.err
    assert r.json["balance_msat"] == 21_000 and r.json["wallet"] == "tls"
    assert seen and set(seen) == {KEY}
