"""Shared fixtures: a fresh wallet home per test, and lnctl run as a real process or in-process."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def lnctl_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LNCTL_")}
    env["LNCTL_HOME"] = str(home)
    env.update(extra)
    return env


def run(
    home: Path,
    *args: str,
    input: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> Result:
    """lnctl as a real process (python -m lnctl), as scripts run it."""
    proc = subprocess.run(
        [sys.executable, "-m", "lnctl", *args],
        input=input,
        capture_output=True,
        text=True,
        env={**lnctl_env(home), **(env or {})},
        timeout=timeout,
        stdin=None if input is not None else subprocess.DEVNULL,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def run_here(home: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """lnctl in this process (the same ``main`` as ``python -m lnctl``), for tests where a
    separate process proves nothing more: the environment is the test's only for the call."""
    import contextlib
    import io

    from lnctl.cli.entry import main

    saved = dict(os.environ)
    wanted = {**lnctl_env(home), **(env or {})}
    out, err = io.StringIO(), io.StringIO()
    try:
        os.environ.clear()
        os.environ.update(wanted)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return Result(code, out.getvalue(), err.getvalue())


# lnctl as a process that ends by writing, as its stderr's last line, which of the modules it
# was given (argv[1], comma-separated) it imported
_PROBE = (
    "import sys\n"
    "watched = sys.argv.pop(1).split(',')\n"
    "from lnctl.cli.entry import main\n"
    "code = main()\n"
    "print(','.join(m for m in watched if m in sys.modules), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def run_probed(home: Path, watched: tuple[str, ...], *args: str) -> tuple[Result, set[str]]:
    """lnctl run as a process, and which of the ``watched`` modules it imported: start-up
    guards (a command must not load what it does not use)."""
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, ",".join(watched), *args],
        env=lnctl_env(home), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    err, _, last = proc.stderr.rstrip("\n").rpartition("\n")
    return Result(proc.returncode, proc.stdout, err), set(filter(None, last.split(",")))


def shell(home: Path, command: str, **env: str) -> subprocess.CompletedProcess[str]:
    """A shell command line (redirections, pipes) with lnctl's environment for ``home``."""
    return subprocess.run(
        ["bash", "-c", command],
        env={**lnctl_env(home), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@contextlib.contextmanager
def tmpfs(mount: Path, size: str) -> Iterator[Path]:
    """A small file system of its own at ``mount`` (a full disk, a read-only remount): the test
    is skipped where it cannot be mounted (it needs root)."""
    mount.mkdir(parents=True, exist_ok=True)
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True
        ).returncode
    ):
        pytest.skip("needs root to mount a file system of its own")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def popen(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lnctl", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**lnctl_env(home), **(env or {})},
    )


def serve_metrics(
    home: Path, port: int, output: int | None = subprocess.DEVNULL
) -> subprocess.Popen[str]:
    """``lnctl serve-metrics`` on loopback as a background process."""
    return subprocess.Popen(
        [sys.executable, "-m", "lnctl", "serve-metrics", "--port", str(port)],
        env=lnctl_env(home),
        stdout=output,
        stderr=output,
        text=True,
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "lnctl-home"


@pytest.fixture
def cli(home: Path):  # type: ignore[no-untyped-def]
    """Run lnctl as a process against this test's home: cli("invoice", "--amount", "1")."""

    def call(*args: str, **kw: Any) -> Result:
        return run(home, *args, **kw)

    return call


@pytest.fixture
def wallet(home: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """An in-process Wallet on this test's home."""
    from lnctl.config import Config
    from lnctl.core.wallet import Wallet

    for key in list(os.environ):
        if key.startswith("LNCTL_"):
            monkeypatch.delenv(key)
    w = Wallet(Config.from_env({"LNCTL_HOME": str(home)}))
    yield w
    w.close()


@pytest.fixture(scope="session")
def lnbits(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real LNbits server for this test session (tests/run.sh installs it). Missing: the tests
    that need it fail under CI and are skipped elsewhere."""
    from tests.lnbits_server import LnbitsServer, lnbits_python

    python = lnbits_python()
    if python is None:
        message = "LNbits is not installed (bash tests/run.sh installs it in .lnbits-venv)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = LnbitsServer(python, tmp_path_factory.mktemp("lnbits-data"))
    yield server
    server.stop()


def lnbits_env(server: Any, wallet: dict[str, Any], *, admin: bool = True) -> dict[str, str]:
    """Environment for lnctl on the LNbits backend with this wallet's key."""
    env = {"LNCTL_BACKEND": "lnbits", "LNCTL_LNBITS_URL": server.url}
    if admin:
        env["LNCTL_LNBITS_ADMIN_KEY"] = wallet["adminkey"]
    else:
        env["LNCTL_LNBITS_INVOICE_KEY"] = wallet["inkey"]
    return env


@pytest.fixture
def lightspark_double():  # type: ignore[no-untyped-def]
    """A local double of Lightspark's API (tests/lightspark_double.py), for the real SDK."""
    pytest.importorskip("lightspark", reason="the lightspark extra (CPython 3.9-3.12 only)")
    from tests.lightspark_double import LightsparkDouble

    double = LightsparkDouble()
    yield double
    double.close()


# The run writes nothing into the checkout: wallets, LNbits data and servers' files live in
# temporary folders. What is new in the tree after the run (beside the tools' ignored caches)
# fails the session.
_CACHES = ("__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache")
_BEFORE = pytest.StashKey[set[str] | None]()


def _untracked() -> set[str] | None:
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "-z", "--ignored", "--untracked-files=all"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    paths = {entry[3:] for entry in out.split("\0") if entry[:2] in ("??", "!!")}
    return {p for p in paths if not any(part in _CACHES for part in p.split("/"))}


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_BEFORE] = _untracked() if (ROOT / ".git").exists() else None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_BEFORE, None)
    after = _untracked() if before is not None else None
    if before is None or after is None or hasattr(session.config, "workerinput"):
        return
    # tools' environments inside the checkout are left alone (.venv-test, .lnbits-venv)
    written = sorted(p for p in after - before if not p.startswith((".venv", ".lnbits-venv")))
    if written:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f"\nthe test run wrote into the checkout: {', '.join(written[:10])}", file=sys.stderr)
