"""A real LNbits server for the tests (the recipe of ../shared/LNBITS.md): its own virtual
environment (tests/run.sh installs it in .lnbits-venv), the FakeWallet funding source, a fresh
data folder and a free port on loopback, stopped by its PID."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def lnbits_python() -> str | None:
    python = os.environ.get("LNCTL_TEST_LNBITS_PYTHON") or str(ROOT / ".lnbits-venv/bin/python")
    return python if os.path.exists(python) else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, _decode(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, _decode(exc.read())


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode(errors="replace")


class LnbitsServer:
    def __init__(self, python: str, data: Path, env: dict[str, str] | None = None) -> None:
        """``env``: LNbits settings over the defaults (another funding source, say)."""
        site = subprocess.run(
            [
                python,
                "-c",
                # find_spec, not import: importing lnbits writes ./data/.lnbits_auth_key
                "import importlib.util as u, os;"
                "print(os.path.dirname(u.find_spec('lnbits').submodule_search_locations[0]))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("LNCTL_", "LNBITS_"))},
            "LNBITS_DATA_FOLDER": str(data),
            "LNBITS_BACKEND_WALLET_CLASS": "FakeWallet",
            "LNBITS_ADMIN_UI": "true",
            "LNBITS_RATE_LIMIT_NO": "1000000",
            "LNBITS_PRICE_AGGREGATOR_ENABLED": "false",
            "LNBITS_EXCHANGE_RATE_PROVIDERS": "[]",
            "LNBITS_EXTENSIONS_MANIFESTS": "[]",
            "LNBITS_WASM_EXTENSIONS_MANIFESTS": "[]",
            **(env or {}),
        }
        self.log = open(data / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [python, "-m", "uvicorn", "lnbits.__main__:app", "--host", "127.0.0.1",
             "--port", str(self.port)],
            cwd=site,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            self._start(data)
        except BaseException:
            self.stop()  # never leave a server running behind a failed start
            raise

    def _start(self, data: Path) -> None:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, _ = http("GET", self.url + "/api/v1/health", timeout=2)
                if status < 500:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"LNbits did not start; see {data / 'server.log'}")
            time.sleep(0.25)
        password = "secret-tests"
        status, doc = http(
            "PUT",
            self.url + "/api/v1/auth/first_install",
            {"username": "lnctl-tests", "password": password, "password_repeat": password},
        )
        assert status == 200, doc
        self.token = str(doc["access_token"])

    def wallet(self, name: str, sats: int = 0) -> dict[str, Any]:
        """A new wallet (id, adminkey, inkey), funded with ``sats``."""
        status, doc = http("POST", self.url + "/api/v1/account", {"name": name})
        assert status == 200, doc
        if sats:
            status, res = http(
                "PUT",
                self.url + "/users/api/v1/balance",
                {"id": doc["id"], "amount": sats},
                {"Authorization": f"Bearer {self.token}"},
            )
            assert status == 200, res
        return dict(doc)

    def invoice(
        self, wallet: dict[str, Any], sats: int, memo: str = "", expiry: int = 3600
    ) -> dict[str, Any]:
        status, doc = http(
            "POST",
            self.url + "/api/v1/payments",
            {"out": False, "amount": sats, "memo": memo, "expiry": expiry},
            {"X-Api-Key": wallet["inkey"]},
        )
        assert status == 201, doc
        return dict(doc)

    def pay(self, wallet: dict[str, Any], bolt11: str) -> tuple[int, Any]:
        return http(
            "POST",
            self.url + "/api/v1/payments",
            {"out": True, "bolt11": bolt11},
            {"X-Api-Key": wallet["adminkey"]},
        )

    def balance_msat(self, wallet: dict[str, Any]) -> int:
        status, doc = http(
            "GET", self.url + "/api/v1/wallet", headers={"X-Api-Key": wallet["inkey"]}
        )
        assert status == 200, doc
        return int(doc["balance"])

    def lookup(self, wallet: dict[str, Any], payment_hash: str) -> tuple[int, Any]:
        return http(
            "GET",
            f"{self.url}/api/v1/payments/{payment_hash}",
            headers={"X-Api-Key": wallet["inkey"]},
        )

    def freeze(self) -> None:
        """Stop the server's process (SIGSTOP): it accepts connections and answers nothing."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.log.closed:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(15)
        self.log.close()
