"""The registry against what it names: each entry's class, its capabilities and the protocols they
promise; every capability a caller asks exists; nobody outside ``lnctl/backends/`` asks a
backend's name; and the registry is read at every start, so it imports no backend."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from lnctl.backends import base, registry
from lnctl.config import BACKENDS, NETWORKS

ROOT = Path(__file__).resolve().parents[2]
LNCTL = ROOT / "lnctl"

# the protocols of lnctl.backends.base that a capability promises (besides Backend, which every
# backend keeps)
PROMISES = {"channels": "ChannelNode", "batch_send": "BatchNode", "test_network": "TestNetwork"}


def protocol_members() -> dict[str, set[str]]:
    """The members (methods and attributes) of each protocol that lnctl.backends.base draws for
    type checking only, read from its source."""
    tree = ast.parse((LNCTL / "backends" / "base.py").read_text())
    found: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(
            isinstance(b, ast.Name) and b.id == "Protocol" for b in node.bases
        ):
            found[node.name] = {
                item.name if isinstance(item, ast.FunctionDef) else item.target.id  # type: ignore[union-attr]
                for item in node.body
                if isinstance(item, ast.FunctionDef)
                or (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name))
            }
    return found


def test_the_protocols_are_found() -> None:
    members = protocol_members()
    assert {"Backend", "BackendClass", *PROMISES.values()} <= set(members)
    assert {"name", "capabilities", "deadline", "send", "close"} <= members["Backend"]
    assert {"from_config", "read_channels"} <= members["BackendClass"]


@pytest.mark.parametrize("entry", registry.ENTRIES, ids=registry.NAMES)
def test_each_entry_names_a_class_that_keeps_the_contract_it_declares(
    entry: registry.Entry,
) -> None:
    backend_class = base.backend_class(entry.name)
    assert isinstance(backend_class, type) and backend_class.__name__ == entry.class_name
    assert backend_class.name == entry.name
    assert backend_class.capabilities == entry.capabilities == registry.capabilities(entry.name)
    members = protocol_members()
    expected = members["Backend"] | members["BackendClass"]
    missing = {m for m in expected if not hasattr(backend_class, m)} - {"deadline"}
    assert not missing, missing
    for capability, protocol in PROMISES.items():
        lacks = {m for m in members[protocol] if not hasattr(backend_class, m)}
        if getattr(entry.capabilities, capability):
            assert not lacks, (capability, lacks)
    assert entry.capabilities.default_network in NETWORKS


def test_the_configuration_takes_its_backends_from_the_registry() -> None:
    assert BACKENDS == registry.NAMES and registry.DEFAULT in BACKENDS
    assert len(set(BACKENDS)) == len(BACKENDS)


def _sources() -> list[Path]:
    return sorted(LNCTL.rglob("*.py"))


def _capabilities_asked(path: Path) -> set[str]:
    """The capabilities ``path`` asks: ``<...>.capabilities.X``, ``capabilities(name).X`` and
    ``require("X", ...)``."""
    asked = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute):
            inner = node.value.func if isinstance(node.value, ast.Call) else node.value
            name = getattr(inner, "attr", getattr(inner, "id", None))
            if name == "capabilities":
                asked.add(node.attr)
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", None) == "require"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            asked.add(str(node.args[0].value))
    return asked


def test_every_capability_a_caller_asks_exists() -> None:
    fields = set(registry.Capabilities.__slots__)
    asked = {(p.relative_to(ROOT), c) for p in _sources() for c in _capabilities_asked(p)}
    assert {c for _, c in asked} >= {"channels", "embedded", "batch_send", "test_network"}
    unknown = sorted((str(p), c) for p, c in asked if c not in fields)
    assert not unknown, unknown


def _asks_a_name(node: ast.Compare) -> bool:
    operands = [node.left, *node.comparators]
    names = set(registry.NAMES)
    for operand in operands:
        if isinstance(operand, ast.Constant) and operand.value in names:
            return True
        if isinstance(operand, ast.Attribute) and operand.attr == "backend":
            return True
        if isinstance(operand, ast.Tuple | ast.List | ast.Set) and any(
            isinstance(e, ast.Constant) and e.value in names for e in operand.elts
        ):
            return True
    return False


def test_nobody_outside_the_backends_compares_a_backend_name() -> None:
    """Callers ask capabilities (``lnctl/backends/registry.py``), never which backend it is."""
    found = []
    for path in _sources():
        if path.is_relative_to(LNCTL / "backends"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare) and _asks_a_name(node):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found


def test_the_check_finds_a_comparison_of_names() -> None:
    for code in (
        'x = config.backend == "lnbits"',
        'x = "simulated" != name',
        'x = name in ("lnbits", "lightspark")',
    ):
        [compare] = [n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Compare)]
        assert _asks_a_name(compare), code
    [harmless] = [n for n in ast.walk(ast.parse("x = a == b")) if isinstance(n, ast.Compare)]
    assert not _asks_a_name(harmless)


def test_reading_the_registry_imports_no_backend() -> None:
    """Every command reads the registry (through lnctl.config): it stays data."""
    code = (
        "import sys, lnctl.config, lnctl.backends.registry as r; r.capabilities('lnbits'); "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('lnctl'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert set(out) == {
        "lnctl",
        "lnctl.config",
        "lnctl.records",
        "lnctl.backends",
        "lnctl.backends.registry",
    }
