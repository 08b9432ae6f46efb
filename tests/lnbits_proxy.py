"""A loopback proxy in front of a real LNbits that misbehaves on purpose, as the things in
front of a server do (a CDN, a WAF, a flaky network): for the requests a rule matches, it
forwards the request to LNbits (which acts on it) and then answers something else: an HTML 520,
an empty body, a 400 or 401, an answer over the size limit, the real answer one byte a second,
or nothing at all. Everything else is forwarded as it is. It can also go down (connection
refused) and come back on the same port, as a server that restarts."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PAY = b'"out": true'  # how lnctl's pay request (its JSON body) is told apart


@dataclass
class Rule:
    """What to do with the next request(s) ``match`` accepts (``times`` of them)."""

    match: Callable[[str, str, bytes], bool]
    action: str  # "answer": forward, then answer status/body; "drip": forward, answer slowly;
    # "freeze": forward, then hold the connection open without a word; "drop": forward, close;
    # "hold": forward only once ``gate`` is set, then answer as the server did
    status: int = 520
    body: bytes = b""
    content_type: str = "text/html"
    times: int = 1
    forward: bool = True
    gate: threading.Event | None = None  # "hold": forwarded (and answered) once this is set
    hold_s: float = 0.0  # "drop": how long the connection stays silent before it closes


def pay_requests(method: str, path: str, body: bytes) -> bool:
    return method == "POST" and PAY in body


class MisbehavingProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.rules: list[Rule] = []
        self.seen: list[tuple[str, str]] = []  # (method, path) of every request
        self.pay_requests = 0
        self.clients: list[socket.socket] = []
        self.lock = threading.Lock()
        self.sock = self._listen(0)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._serving = True
        self.thread = threading.Thread(target=self._serve, args=(self.sock,), daemon=True)
        self.thread.start()

    @staticmethod
    def _listen(port: int) -> socket.socket:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(64)
        return sock

    def add(self, rule: Rule) -> None:
        with self.lock:
            self.rules.append(rule)

    def down(self) -> None:
        """Stop listening and drop every connection: connections are refused (a server that is
        restarting)."""
        self._stop(self.sock)
        with self.lock:
            clients, self.clients = self.clients, []
        for client in clients:
            self._stop(client)

    @staticmethod
    def _stop(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in accept() or recv()
        except OSError:
            pass
        sock.close()

    def up(self) -> None:
        self.sock = self._listen(self.port)
        threading.Thread(target=self._serve, args=(self.sock,), daemon=True).start()

    def close(self) -> None:
        self._stop(self.sock)

    def _serve(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self.lock:
                self.clients.append(client)
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _rule(self, method: str, path: str, body: bytes) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if rule.times > 0 and rule.match(method, path, body):
                    rule.times -= 1
                    return rule
        return None

    def _handle(self, client: socket.socket) -> None:
        with client:
            while self._one(client):
                pass

    def _one(self, client: socket.socket) -> bool:
        """One request on a kept connection; False when the connection is done."""
        data = b""
        while b"\r\n\r\n" not in data:
            try:
                chunk = client.recv(65536)
            except OSError:
                return False
            if not chunk:
                return False
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        length = int(headers.get("Content-Length", headers.get("content-length", "0")))
        while len(body) < length:
            body += client.recv(65536)
        with self.lock:
            self.seen.append((method, path))
            if pay_requests(method, path, body):
                self.pay_requests += 1
        rule = self._rule(method, path, body)
        if rule is not None and rule.action == "hold":
            assert rule.gate is not None
            rule.gate.wait(120)
            rule = None
        status, reason, payload, ctype = 0, "", b"", "application/json"
        if rule is None or rule.forward:
            status, reason, payload, ctype = self._forward(method, path, headers, body)
        if rule is None:
            self._answer(client, status, reason, payload, ctype)
            return True
        if rule.action == "answer":
            self._answer(client, rule.status, "Whatever", rule.body, rule.content_type)
            return False
        if rule.action == "drip":
            self._answer(client, status, reason, payload, ctype, drip=True)
            return False
        if rule.action == "freeze":
            time.sleep(3600)  # a daemon thread: the test's process ends it
            return False
        time.sleep(rule.hold_s)
        return False  # "drop": the connection closes without an answer

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, bytes, str]:
        host, port = self.upstream.split(":")
        up = http.client.HTTPConnection(host, int(port), timeout=60)
        # the answer is passed on as it is read: asked for without a content encoding
        plain = {k: v for k, v in headers.items() if k.lower() != "accept-encoding"}
        try:
            up.request(method, path, body=body or None, headers=plain)
            resp = up.getresponse()
            return resp.status, resp.reason, resp.read(), resp.getheader("Content-Type") or ""
        finally:
            up.close()

    @staticmethod
    def _answer(
        client: socket.socket,
        status: int,
        reason: str,
        payload: bytes,
        ctype: str,
        drip: bool = False,
    ) -> None:
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode()
        try:
            if not drip:
                client.sendall(head + payload)
                return
            for i in range(len(head) + len(payload)):  # one byte a second, headers included
                client.sendall((head + payload)[i : i + 1])
                time.sleep(1.0)
        except OSError:
            pass


def html_page(status: int) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><title>{status}: Web server is returning an unknown "
        "error</title></head><body><h1>Web server is returning an unknown error</h1></body>"
        "</html>"
    ).encode()


def json_body(doc: Any) -> bytes:
    import json

    return json.dumps(doc).encode()
