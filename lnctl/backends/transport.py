"""HTTP/1.1 with one deadline, for the backends reached over a network: LNbits directly, and
Lightspark's SDK through a requests adapter (``lnctl.backends.lightspark``).

The line that matters for money is where a request stops being "not sent":

- a failure before a byte of the request was handed to the network (no time left, connection
  refused, no such host, a TLS handshake or certificate refused, a request cut short while being
  written, which no server acts on) raises ``BackendUnavailableError``: nothing reached the
  server, and saying so is safe;
- once the whole request is written, any failure (no answer by the deadline, a dropped
  connection, a TLS fault while reading, an answer over the size limit, one that is not HTTP)
  raises ``Undelivered``: the server may have acted on it, and only a lookup can tell.

Every send and every receive ends by the deadline: each ``recv`` waits at most the time left, and
the time left is checked before each one, so a server that drips its answer one byte a second, or
is frozen (SIGSTOP), cannot hold a request past it. The standard library's ``http.client`` parses
the protocol (imported on this path only); TLS is verified with the system's store (OpenSSL's
``SSL_CERT_FILE`` names another) unless a CA file is given.
"""

from __future__ import annotations

import io
import time
from urllib.parse import urlsplit

from lnctl.errors import BackendUnavailableError, Code

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    import http.client
    import socket
    import ssl
    from collections.abc import Callable
    from typing import Any

    from lnctl.deadline import Deadline

CONNECT_TIMEOUT_S = 5.0  # the longest a connection (TCP and TLS) may take, within the deadline


class Undelivered(Exception):  # noqa: N818 - an outcome, not an error of ours
    """The request was sent (the server may have acted on it) and no whole answer came back."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NameTimeout(TimeoutError):
    """A host's name did not resolve by the deadline (``bounded_dns``): nothing was sent."""


class Oversize(Undelivered):
    """The answer was larger than the limit: sent, and the answer cannot be read."""


class Reply:
    """A whole HTTP answer: status, headers (lower-case names) and body."""

    __slots__ = ("status", "reason", "headers", "body")

    def __init__(self, status: int, reason: str, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body


class _BoundedSocket:
    """A connected socket whose every send and receive ends by ``until`` (monotonic seconds)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.until = float("inf")
        self._readers = 0  # as a socket's makefile, a reader keeps it open until it is closed
        self._closing = False

    def _arm(self) -> None:
        left = self.until - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline has passed")
        self.sock.settimeout(left)

    def sendall(self, data: bytes) -> None:
        self._arm()
        self.sock.sendall(data)  # the timeout bounds the whole sendall (Python 3.5+)

    def recv_into(self, buffer: memoryview | bytearray, nbytes: int = 0) -> int:
        self._arm()
        return self.sock.recv_into(buffer, nbytes)

    def makefile(self, mode: str = "rb", *args: object, **kwargs: object) -> io.BufferedReader:
        self._readers += 1
        return io.BufferedReader(_Reader(self))

    def settimeout(self, value: float | None) -> None:
        pass  # the deadline decides

    def setsockopt(self, *args: int) -> None:
        self.sock.setsockopt(*args)

    def close(self) -> None:
        """Closed once no reader is open (http.client hands a closing connection's socket to
        the response it is reading)."""
        self._closing = True
        if self._readers == 0:
            self.sock.close()

    def release(self) -> None:
        self._readers -= 1
        if self._closing and self._readers == 0:
            self.sock.close()


class _Reader(io.RawIOBase):
    def __init__(self, sock: _BoundedSocket) -> None:
        super().__init__()
        self.sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        return self.sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            self.sock.release()
        super().close()


_CLASSES: dict[bool, type[http.client.HTTPConnection]] = {}


def _connection_class(https: bool) -> type[http.client.HTTPConnection]:
    """http.client's connection, its socket bounded once connected (made once per process)."""
    if https not in _CLASSES:
        import http.client

        base = http.client.HTTPSConnection if https else http.client.HTTPConnection

        class Bounded(base):  # type: ignore[valid-type,misc]
            def connect(self) -> None:
                super().connect()
                raw: socket.socket = self.sock  # type: ignore[has-type]
                self.sock = _BoundedSocket(raw)

        _CLASSES[https] = Bounded
    return _CLASSES[https]


def describe(exc: BaseException) -> str:
    """Words for a network failure (never an exception's class name)."""
    import socket
    import sys

    ssl = sys.modules.get("ssl")  # loaded only where TLS was used: not imported for a message
    if ssl is not None and isinstance(exc, ssl.SSLCertVerificationError):
        return f"its TLS certificate is not trusted ({exc.verify_message or 'verification failed'})"
    if ssl is not None and isinstance(exc, ssl.SSLError):
        return "TLS failed (" + str(exc.reason or "handshake").lower().replace("_", " ") + ")"
    if isinstance(exc, socket.gaierror):
        return "no such host"
    if isinstance(exc, NameTimeout):
        return "its name did not resolve in time"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return "the connection was dropped"
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    import http.client

    if isinstance(exc, http.client.RemoteDisconnected):
        return "the connection closed without an answer"
    if isinstance(exc, http.client.HTTPException):
        return "the answer is not HTTP"
    return "a network error"


class Transport:
    """Requests to one server (scheme, host, port from ``url``), one kept connection for the
    requests that may be asked twice, a fresh one for each that must not be."""

    def __init__(
        self,
        url: str,
        what: str,
        *,
        cafile: str | None = None,
        proxy: str | None = None,
        bounded_dns: bool = False,
    ) -> None:
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port
        self.netloc = parts.netloc
        self.what = what  # "the LNbits server", for messages
        self.cafile = cafile
        self.proxy = urlsplit(proxy) if proxy else None
        self._conn: http.client.HTTPConnection | None = None
        self._context: ssl.SSLContext | None = None
        # the host's name resolved within the deadline (an untrusted host: an LNURL service's
        # name server may never answer); else the system's resolver, which no timeout bounds
        self.bounded_dns = bounded_dns

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _unreachable(self, why: str) -> BackendUnavailableError:
        return BackendUnavailableError(
            f"cannot reach {self.what} at {self.netloc}: {why}",
            hint="check the server's URL and that it is running",
        )

    def _connect(self, deadline: Deadline) -> http.client.HTTPConnection:
        """A new connection, connected (TLS verified) within the deadline; any failure here is
        before the request: BackendUnavailableError."""
        left = deadline.left()
        if left <= 0:
            raise BackendUnavailableError(
                f"no time left to ask {self.what} (--timeout)", code=Code.BACKEND_UNAVAILABLE
            )
        timeout = min(CONNECT_TIMEOUT_S, left)
        host, port = self.host, self.port
        if self.proxy is not None and self.proxy.hostname:
            host, port = self.proxy.hostname, self.proxy.port
        try:
            if self.https:
                if self._context is None:
                    import ssl

                    self._context = ssl.create_default_context(cafile=self.cafile)
                conn = _connection_class(True)(host, port, timeout=timeout, context=self._context)  # type: ignore[call-arg]
                if self.proxy is not None:
                    conn.set_tunnel(self.host, self.port, self._proxy_headers())
            else:
                conn = _connection_class(False)(host, port, timeout=timeout)
            if self.bounded_dns:
                conn._create_connection = _bounded_connector(deadline)  # type: ignore[attr-defined]
            conn.connect()
        except (OSError, ValueError) as exc:  # refused, unreachable, no such host, TLS refused
            raise self._unreachable(describe(exc)) from exc
        return conn

    def _proxy_headers(self) -> dict[str, str]:
        if self.proxy is None or not self.proxy.username:
            return {}
        from base64 import b64encode
        from urllib.parse import unquote

        user = unquote(self.proxy.username) + ":" + unquote(self.proxy.password or "")
        return {"Proxy-Authorization": "Basic " + b64encode(user.encode()).decode()}

    def request(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes | None,
        *,
        deadline: Deadline,
        once: bool = False,
        max_body: int = 1 << 20,
    ) -> Reply:
        """One request; ``once``: on a fresh connection, never repeated. Raises
        BackendUnavailableError when nothing was sent, Undelivered when the answer did not
        come back whole by the deadline (or was larger than ``max_body``)."""
        import http.client

        if self.proxy is not None and not self.https:
            target = f"http://{self.netloc}{target}"
            headers = {**headers, **self._proxy_headers()}
        if once:
            self.close()  # never on a kept connection the server may have closed meanwhile
        for attempt in (1, 2):
            kept = self._conn is not None
            conn = self._conn if self._conn is not None else self._connect(deadline)
            self._conn = None
            sock = conn.sock
            assert isinstance(sock, _BoundedSocket)
            sock.until = deadline.at if deadline.at is not None else float("inf")
            try:
                conn.request(method, target, body=body, headers=headers)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()  # the request was not written whole: no server acts on it
                if kept and attempt == 1:
                    continue  # a kept connection the server had closed: a fresh one
                raise self._unreachable(describe(exc)) from exc
            try:
                resp = conn.getresponse()  # a redirect is an answer like any other: not followed
                raw = resp.read(max_body + 1)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                if kept and attempt == 1 and not once and _before_any_answer(exc):
                    continue  # idempotent, on a kept connection closed under us: ask again
                raise Undelivered(describe(exc)) from exc
            if len(raw) > max_body:
                conn.close()
                raise Oversize(f"an answer larger than {max_body} bytes")
            if resp.will_close or once:
                conn.close()
            else:
                self._conn = conn
            heads = {k.lower(): v for k, v in resp.getheaders()}
            return Reply(int(resp.status), str(resp.reason), heads, raw)
        raise AssertionError("unreachable")


def _before_any_answer(exc: BaseException) -> bool:
    """A kept connection the server closed between two requests fails this way."""
    import http.client

    return isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError)


def _bounded_connector(deadline: Deadline) -> Callable[..., socket.socket]:
    """``socket.create_connection`` whose name lookup ends by ``deadline`` (at most
    CONNECT_TIMEOUT_S): ``getaddrinfo`` has no timeout of its own, so it runs in a daemon
    thread that is left behind, unanswered, when time is up (TimeoutError: nothing was sent)."""
    import socket

    def connect(
        address: tuple[str, int], timeout: float, source_address: object = None
    ) -> socket.socket:
        host, port = address
        found = resolve_within(host, port, min(CONNECT_TIMEOUT_S, max(deadline.left(), 0.0)))
        error: OSError | None = None
        for family, kind, proto, _, where in found:
            sock = socket.socket(family, kind, proto)
            try:
                left = deadline.left()
                if left <= 0:
                    raise TimeoutError("the deadline has passed")
                sock.settimeout(min(timeout, left))
                sock.connect(where)
                return sock
            except OSError as exc:
                sock.close()
                error = exc
        raise error or OSError("no address to connect to")

    return connect


def resolve_within(host: str, port: int, seconds: float) -> list[Any]:
    """``socket.getaddrinfo(host, port)`` for TCP, or TimeoutError after ``seconds``."""
    import socket
    import threading

    answer: list[Any] = []

    def lookup() -> None:
        try:
            answer.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:  # socket.gaierror: no such host
            answer.append(exc)
        except Exception as exc:  # noqa: BLE001 - nothing escapes the thread (no traceback):
            # a name the codec refuses (UnicodeError for a bad IDNA label), told as unreachable
            failed = OSError(f"{host} cannot be looked up: {exc}")
            failed.__cause__ = exc
            answer.append(failed)

    thread = threading.Thread(target=lookup, name="lnctl-dns", daemon=True)
    thread.start()
    thread.join(seconds)
    if not answer:
        raise NameTimeout(f"{host} did not resolve in time")
    if isinstance(answer[0], OSError):
        raise answer[0]
    found: list[Any] = answer[0]
    return found
