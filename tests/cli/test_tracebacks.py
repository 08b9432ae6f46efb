"""``--traceback`` shows the real traceback behind an error (its causes kept: ``raise ... from
exc``), and never a secret: keys read and secret environment variables are redacted."""

from __future__ import annotations

from pathlib import Path

import pytest

from lnctl.errors import BackendError
from tests.conftest import run, run_here

KEY = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
UNREACHABLE = {
    "LNCTL_BACKEND": "lnbits",
    "LNCTL_LNBITS_URL": "http://127.0.0.1:9",  # the discard port: nothing listens there
    "LNCTL_LNBITS_ADMIN_KEY": KEY,
}


def test_traceback_shows_why_lnbits_cannot_be_reached(tmp_path: Path) -> None:
    """As scripts run it (a process): the one line, and with --traceback the chain down to the
    refused connection, without the key."""
    plain = run(tmp_path / "a", "info", env=UNREACHABLE)
    assert plain.code == 1 and "Traceback" not in plain.err
    assert plain.err.startswith("lnctl: error: ") and "connection refused" in plain.err
    r = run(tmp_path / "b", "--traceback", "info", env=UNREACHABLE)
    assert r.code == 1, r
    assert "Traceback" in r.err and "ConnectionRefusedError" in r.err, r.err
    assert "The above exception was the direct cause" in r.err
    assert "BackendUnavailableError" in r.err and r.err.rstrip().endswith(plain.err.rstrip())
    assert KEY not in r.err + r.out
    debug = run(tmp_path / "c", "info", "--json", env={**UNREACHABLE, "LNCTL_DEBUG": "1"})
    assert "ConnectionRefusedError" in debug.err and debug.json["error"]["exit_code"] == 1


def test_a_traceback_shows_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cause whose text holds a key (http.client: "Invalid header value b'KEY\\n'") is shown
    with the key replaced by ***, whether read from the environment or a secrets file."""
    from lnctl.backends.remote import secret_value
    from lnctl.cli.entry import _fail

    key_file = tmp_path / "lnbits.key"
    key_file.write_text("f00dfeedf00dfeedf00dfeed\n")
    key_file.chmod(0o600)
    assert secret_value({}, "LNCTL_LNBITS_ADMIN_KEY", str(key_file)) == "f00dfeedf00dfeedf00dfeed"
    monkeypatch.setenv("LNCTL_MEMO_KEY", "bWVtby1rZXktb2YtdGhpcy10ZXN0")
    try:
        try:
            raise ValueError(
                "Invalid header value b'f00dfeedf00dfeedf00dfeed\\n' (bWVtby1rZXktb2YtdGhpcy10ZXN0)"
            )
        except ValueError as exc:
            raise BackendError("the node answered something lnctl cannot use") from exc
    except BackendError as exc:
        error = exc
    assert _fail(error, False, ["--traceback"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "ValueError: Invalid header value b'***\\n' (***)" in err
    assert "f00dfeed" not in err and "bWVtby1r" not in err


def test_an_internal_error_shows_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug's message (one line) and its traceback (--traceback, exit 1 as Python's own)."""
    import lnctl.core.queries

    def broken(wallet: object) -> None:
        raise RuntimeError(f"broken while holding {KEY}")

    monkeypatch.setattr(lnctl.core.queries, "node_info", broken)
    env = {"LNCTL_LNBITS_ADMIN_KEY": KEY}
    r = run_here(tmp_path, "info", env=env)
    assert r.code == 1 and "internal error: RuntimeError: broken while holding ***" in r.err
    r = run_here(tmp_path, "--traceback", "info", env=env)
    assert r.code == 1 and "RuntimeError: broken while holding ***" in r.err, r.err
    assert "Traceback" in r.err and KEY not in r.err
