"""Types that tell the truth: what mypy checks is what runs.

The states of the backend contract are plain strings named by ``Final`` constants (mypy refuses
what an enum would allow and a string cannot do); ``lnctl.records.record`` behaves as the
``dataclass(frozen=True, slots=True)`` mypy believes it is, and refuses, when the class is made,
what it cannot do (inheriting, being inherited)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest

from lnctl.backends import base
from lnctl.records import record, replace

ROOT = Path(__file__).resolve().parents[2]


def test_states_are_their_strings() -> None:
    assert base.PaymentState.SUCCEEDED == "SUCCEEDED" and type(base.PaymentState.FAILED) is str
    assert base.PAYMENT_STATES == {"SUCCEEDED", "FAILED", "PENDING", "UNKNOWN"}
    assert base.INVOICE_STATES == {"OPEN", "SETTLED", "EXPIRED"}
    named = {v for k, v in vars(base.PaymentState).items() if k.isupper()}
    assert named == base.PAYMENT_STATES
    assert {v for k, v in vars(base.InvoiceState).items() if k.isupper()} == base.INVOICE_STATES
    # a state read back (a server's answer, a file) is an equal string, not the same object
    read_back = "".join(["SUCC", "EEDED"])
    status = base.PaymentStatus(state=read_back, preimage="00" * 32)  # type: ignore[arg-type]
    assert status.state == base.PaymentState.SUCCEEDED
    assert status.state is not base.PaymentState.SUCCEEDED
    failed = base.PaymentStatus(
        state="".join(["FAI", "LED"]),  # type: ignore[arg-type]
        failure_reason=base.TEMPORARY_CHANNEL_FAILURE,
    )
    assert failed.transient  # compared by value: `is` said False here


def test_the_literal_types_name_exactly_the_constants() -> None:
    """The Literal aliases mypy checks against (under TYPE_CHECKING) list the run-time set."""
    source = (ROOT / "lnctl/backends/base.py").read_text()
    namespace: dict[str, Any] = {}
    for name in ("PaymentStateName", "InvoiceStateName"):
        line = next(x for x in source.splitlines() if x.strip().startswith(f"{name}: TypeAlias"))
        exec("from typing import Literal\n" + line.strip().replace(": TypeAlias", ""), namespace)
    assert set(typing.get_args(namespace["PaymentStateName"])) == base.PAYMENT_STATES
    assert set(typing.get_args(namespace["InvoiceStateName"])) == base.INVOICE_STATES


MISUSES = """\
from lnctl.backends.base import PaymentState, PaymentStatus
PaymentState("SUCCEEDED")
list(PaymentState)
PaymentState.SUCCEEDED.value
PaymentStatus(state="DONE")
"""


def test_mypy_refuses_what_would_fail_at_run_time(tmp_path: Path) -> None:
    """What an enum would allow raises when run (lines 2-4), and a string that is no state is
    not one (line 5): mypy --strict must say so for each line."""
    head, *lines = MISUSES.splitlines()
    for line in lines[:3]:
        with pytest.raises((TypeError, AttributeError)):
            exec(head + "\n" + line, {})
    assert "DONE" not in base.PAYMENT_STATES
    snippet = tmp_path / "misuse.py"
    snippet.write_text(MISUSES)
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(snippet)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    errors = {int(x.split(":")[1]) for x in proc.stdout.splitlines() if ": error:" in x}
    assert errors == {2, 3, 4, 5}, proc.stdout


# --- records against dataclasses -------------------------------------------------------------


@record(frozen=True, slots=True)
class R:
    a: int
    b: str = "x"
    c: tuple[int, ...] = ()

    @property
    def twice(self) -> int:
        return 2 * self.a


@dataclasses.dataclass(frozen=True, slots=True)
class D:
    a: int
    b: str = "x"
    c: tuple[int, ...] = ()

    @property
    def twice(self) -> int:
        return 2 * self.a


def _outcome(call: Any) -> Any:
    try:
        value = call()
        if isinstance(value, R | D):  # a record and a dataclass are compared by their fields
            value = ("instance", value.a, value.b, value.c)
        return ("ok", value)
    except Exception as exc:  # the kind of refusal is what is compared
        kind = "type" if isinstance(exc, TypeError) else "attribute"
        assert isinstance(exc, TypeError | AttributeError), exc
        return ("error", kind)


CALLS: list[tuple[str, Any]] = [
    ("positional", lambda k: k(1, "y", (2,))),
    ("keywords", lambda k: k(b="z", a=3)),
    ("defaults", lambda k: k(4)),
    ("missing", lambda k: k()),
    ("too many", lambda k: k(1, "y", (), 9)),
    ("unknown keyword", lambda k: k(1, d=2)),
    ("repeated", lambda k: k(1, a=2)),
    ("fields", lambda k: (k(5).a, k(5).b, k(5).c)),
    ("property", lambda k: k(6).twice),
    ("eq", lambda k: k(1) == k(1) and k(1) != k(2)),
    ("eq other type", lambda k: k(1) == (1, "x", ())),
    ("hash", lambda k: hash(k(1, "q")) == hash(k(1, "q"))),
    ("repr", lambda k: repr(k(1, "y")).replace(k.__qualname__, "K")),
    ("assign", lambda k: setattr(k(1), "a", 2)),
    ("delete", lambda k: delattr(k(1), "a")),
    ("no dict", lambda k: hasattr(k(1), "__dict__")),
    ("slots", lambda k: k.__slots__),
]


@pytest.mark.parametrize("name,call", CALLS, ids=[n for n, _ in CALLS])
def test_a_record_behaves_as_the_dataclass(name: str, call: Any) -> None:
    assert _outcome(lambda: call(R)) == _outcome(lambda: call(D)), name


def test_assigning_a_new_attribute_is_refused() -> None:
    """A frozen slotted dataclass refuses too, with a TypeError from ``super()`` (a CPython
    quirk of slots=True); a record says what happened."""
    with pytest.raises(TypeError):
        D(1).z = 2  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="frozen record"):
        R(1).z = 2  # type: ignore[attr-defined]


def test_replace_as_dataclasses_replace() -> None:
    assert replace(R(1), b="n") == R(1, "n")
    assert dataclasses.replace(D(1), b="n") == D(1, "n")
    assert _outcome(lambda: replace(R(1), z=1)) == _outcome(  # type: ignore[call-arg]
        lambda: dataclasses.replace(D(1), z=1)  # type: ignore[call-arg]
    )


def test_a_record_cannot_be_subclassed() -> None:
    """A dataclass may be inherited; a record refuses when the class is made (it would have
    broken at its first call: ``B(1, 2)`` -> TypeError)."""

    @dataclasses.dataclass(frozen=True, slots=True)
    class DB(D):  # what mypy allows of a dataclass
        d: int = 0

    assert DB(1, "y", (), 2).d == 2
    with pytest.raises(TypeError, match="cannot be subclassed"):

        class RB(R):
            d: int = 0

    with pytest.raises(TypeError, match="cannot be subclassed"):

        class Plain(R):
            pass

    with pytest.raises(TypeError, match="cannot be subclassed"):  # the class statement refuses

        @record(frozen=True, slots=True)
        class RR(R):
            d: int = 0

    class Base:
        pass

    with pytest.raises(TypeError, match="cannot inherit"):

        @record(frozen=True, slots=True)
        class RBase(Base):
            d: int = 0


# --- private modules of CPython ---------------------------------------------------------------

# Every private module lnctl imports at run time, with why, measured with
# `python -S -X importtime -c "import <public>"` on CPython 3.11 (issue 21):
PRIVATE = {
    # bolt11: SHA-256 without hashlib's OpenSSL (~4 ms of `lnctl decode`); tests/unit/test_bolt11.py
    # checks that it is taken and agrees with hashlib
    ("lnctl/bolt11.py", "_sha2"),
    ("lnctl/bolt11.py", "_sha256"),
    # cli/output: SIGINT held while a document is written; `signal` imports enum, functools and
    # collections (~10 ms); `signal.signal` is this function wrapped in enum conversions
    ("lnctl/cli/output.py", "_signal"),
    # the simulated ledger's lock: `_thread` is documented (docs.python.org/3/library/_thread);
    # `threading` costs ~7-14 ms
    ("lnctl/backends/simulated/ledger.py", "_thread"),
}


def _private_imports() -> set[tuple[str, str]]:
    import ast

    found = set()
    for path in sorted((ROOT / "lnctl").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0].startswith("_") and name != "__future__":
                    found.add((path.relative_to(ROOT).as_posix(), name.split(".")[0]))
    return found


def test_only_the_measured_private_modules_are_imported() -> None:
    """No `_json` (the writer escapes strings itself, checked against json.dumps in
    tests/unit/test_output.py); each private module left is measured above and tested."""
    assert _private_imports() == PRIVATE


def test_the_private_signal_is_the_public_one() -> None:
    import _signal  # type: ignore[import-not-found]  # typeshed has no stub: private
    import signal

    previous = _signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert _signal.SIGINT == signal.SIGINT and _signal.SIG_DFL == signal.SIG_DFL
    finally:
        _signal.signal(signal.SIGINT, previous)
