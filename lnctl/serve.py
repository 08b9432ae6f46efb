"""The metrics HTTP server: prometheus-client's handler, a clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

import errno
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from lnctl.errors import StorageError

if TYPE_CHECKING:
    from lnctl.config import Config


def serve(config: Config, host: str, port: int, started: Callable[[str, int], None]) -> None:
    from http.server import ThreadingHTTPServer

    from prometheus_client.exposition import MetricsHandler

    from lnctl.metrics import registry

    handler = MetricsHandler.factory(registry(config))
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise StorageError(
                f"port {port} on {host} is already in use",
                code="PORT_IN_USE",
                hint="pick another with --port",
            ) from None
        raise StorageError(
            f"cannot listen on {host}:{port}: {exc.strerror}", code="LISTEN_FAILED"
        ) from None
    server.daemon_threads = True
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
