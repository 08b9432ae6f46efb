"""The metrics HTTP server: prometheus-client's handler, a clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

import errno
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from lnctl.errors import Code, StorageError

if TYPE_CHECKING:
    from lnctl.config import Config


def _handler(config: Config) -> type:
    """``/metrics`` only (404 elsewhere; HEAD answered as GET without the body), a ``Server``
    header of just ``lnctl`` (naming no Python), and a scrape that fails (corrupt state, an
    unsafe key) answers 500 with one line on stderr, no traceback."""
    from http.server import BaseHTTPRequestHandler

    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    from lnctl.metrics import registry

    reg = registry(config)

    class Handler(BaseHTTPRequestHandler):
        server_version = "lnctl"
        sys_version = ""
        head = False  # answering a HEAD: the headers of a GET, no body

        def version_string(self) -> str:
            return self.server_version  # "lnctl", not "lnctl " (http.server adds sys_version)

        def do_HEAD(self) -> None:  # noqa: N802 - the http.server name
            self.head = True
            self.do_GET()

        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            if self.path.split("?", 1)[0] not in ("/metrics", "/metrics/"):
                self._send(404, b"not found: lnctl serves /metrics\n", "text/plain")
                return
            try:
                body = generate_latest(reg)
            except Exception as exc:  # noqa: BLE001 - any failure is a 500, never a traceback
                from lnctl.errors import LnctlError
                from lnctl.sanitize import sanitize

                message = exc.message if isinstance(exc, LnctlError) else type(exc).__name__
                _say(f"lnctl: error: scrape failed: {sanitize(message)}\n")
                self._send(500, b"scrape failed; see lnctl's stderr\n", "text/plain")
                return
            self._send(200, body, CONTENT_TYPE_LATEST)

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not self.head:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return  # no access log on stderr

    return Handler


def _say(line: str) -> None:
    """A line on stderr; a stderr that is closed or cannot be written loses it, nothing more."""
    if sys.stderr is not None:
        try:
            sys.stderr.write(line)
            sys.stderr.flush()
        except (OSError, ValueError):
            pass


def serve(config: Config, host: str, port: int, started: Callable[[str, int], None]) -> None:
    from http.server import ThreadingHTTPServer

    handler = _handler(config)
    if host not in ("127.0.0.1", "localhost", "::1"):
        _say(
            f"lnctl: warning: serving metrics on {host}: the endpoint has no authentication; "
            "anyone who can reach it reads this wallet's counters and balances\n"
        )

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            """A request that fails outside the handler's own care (a client that resets or
            times out mid-request): one line on stderr at most, never socketserver's traceback."""
            exc = sys.exc_info()[1]
            if isinstance(exc, ConnectionError | TimeoutError):
                return  # the client went away: nothing of ours failed
            _say(f"lnctl: error: a request failed: {type(exc).__name__}\n")

    try:
        server = Server((host, port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise StorageError(
                f"port {port} on {host} is already in use",
                code=Code.PORT_IN_USE,
                hint="pick another with --port",
            ) from exc
        raise StorageError(
            f"cannot listen on {host}:{port}: {exc.strerror}", code=Code.LISTEN_FAILED
        ) from exc
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
    )
    thread.start()
    try:
        started(host, server.server_address[1])
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        for s, h in previous.items():
            signal.signal(s, h)
