"""The layers hold: no module of lnctl imports upward.

Every import of every module under lnctl/ counts, wherever it stands: at the top, inside a
function (the lazy imports that keep start-up fast), and under ``TYPE_CHECKING`` (a type that
names an upper layer is a dependency on it all the same). Read with ``ast``, not by importing.

The floors are those ``farm-studio look`` drew of this tree (issue 21, wave 2), top to bottom:
the command line, the integrator, metrics, the node, the memo cipher and configuration, the
wallet's storage and the codec, and the leaves. A module may import from a lower floor, and
from its own room (a package, or a module alone); anything else (up, or sideways to another
room of its floor) fails: move the code down, or change the floors here on purpose.

The rules drawn in ../shared/architecture.json (its ``never`` arrows: the core knows no
terminal, a backend never touches the wallet's records, ...) are held against the same imports
when that file is there (it lives beside the project, not in it).

One exception, the arrow ``farm-studio look`` shows running back up: ``lnctl/config.py`` reads
the backends' names and default networks from ``lnctl/backends/registry.py``. The registry is
data (its entries name the backends' modules as strings), and imports nothing of lnctl but the
leaf ``lnctl.records``: a test below keeps it so, so configuration stays free of any backend.

Not followed: the two imports by computed name. ``lnctl.cli.commands`` loads its own command
modules (``__import__(f"{__name__}.{name}")``: its own room), and ``lnctl.backends.base`` loads
a backend by the module its registry entry names: a test below checks that each is a module of
``lnctl/backends/``.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lnctl"

# room (a package folder or a module) -> floor, from `farm-studio look` (higher imports lower)
FLOORS = {
    "lnctl/__main__.py": 8,
    "lnctl/cli/": 7,
    "lnctl/core/": 6,
    "lnctl/serve.py": 6,
    "lnctl/metrics.py": 5,
    "lnctl/lnurl/": 5,  # LNURL-pay: over the node's HTTP transport, under the integrator
    "lnctl/backends/": 4,
    "lnctl/memo.py": 3,
    "lnctl/config.py": 3,
    "lnctl/storage/": 2,
    "lnctl/bolt11.py": 2,
    "lnctl/log.py": 2,
    "lnctl/errors.py": 1,
    "lnctl/records.py": 1,
    "lnctl/deadline.py": 1,
    "lnctl/sanitize.py": 1,
    "lnctl/secp256k1.py": 1,
    "lnctl/failpoints.py": 1,
    "lnctl/__init__.py": 0,  # the package's face: its version, and nothing imported
}


# (importer, imported) allowed to cross the floors upward, with why (see the module's docstring)
EXCEPTIONS = {
    ("lnctl/config.py", "lnctl/backends/registry.py"): "the registry is data over a leaf",
}


def room(path: str) -> str:
    """The room of a file (``lnctl/core/batch.py`` -> ``lnctl/core/``)."""
    rooms = [r for r in FLOORS if path == r or (r.endswith("/") and path.startswith(r))]
    assert rooms, f"{path} is on no floor: give it one in FLOORS"
    return max(rooms, key=len)


def module_file(name: str, root: Path = ROOT) -> str | None:
    """The file of the module ``name`` under ``root`` (``lnctl.core`` ->
    ``lnctl/core/__init__.py``), or None when it is not one of lnctl's."""
    base = root / name.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate.relative_to(root).as_posix()
    return None


def imports(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, file imported) for each import of lnctl's modules in ``path``, wherever it is."""
    package = path.relative_to(root).with_suffix("").parts[:-1]
    if path.name == "__init__.py":
        package = path.relative_to(root).parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            # `from lnctl import errors` names a module; `from lnctl import __version__` does not
            names = [
                f"{module}.{a.name}" if module_file(f"{module}.{a.name}", root) else module
                for a in node.names
            ]
        for name in names:
            if name.split(".")[0] == "lnctl" and (target := module_file(name, root)):
                found.append((node.lineno, target))
    return sorted(found)


def upward_imports(root: Path = ROOT) -> list[str]:
    problems = []
    for path in sorted((root / "lnctl").rglob("*.py")):
        source = path.relative_to(root).as_posix()
        for line, target in imports(path, root):
            here, there = room(source), room(target)
            if here != there and FLOORS[there] >= FLOORS[here]:
                if root == ROOT and (source, target) in EXCEPTIONS:
                    continue
                problems.append(
                    f"{source}:{line} imports {target}: floor {FLOORS[here]} ({here}) -> "
                    f"floor {FLOORS[there]} ({there})"
                )
    return problems


def test_no_module_imports_upward() -> None:
    assert upward_imports() == []


def test_every_module_is_on_a_floor() -> None:
    for path in PACKAGE.rglob("*.py"):
        room(path.relative_to(ROOT).as_posix())


def test_the_check_finds_an_upward_import(tmp_path: Path) -> None:
    """Upward in a function, under TYPE_CHECKING, relative, `from lnctl import <module>`, and
    sideways (a room of the same floor); downward and within a room pass."""
    tree = tmp_path / "lnctl"
    for folder in ("core", "storage", "cli"):
        (tree / folder).mkdir(parents=True)
        (tree / folder / "__init__.py").write_text("")
    (tree / "__init__.py").write_text("")
    (tree / "errors.py").write_text("from lnctl import records\n")  # sideways: another room
    (tree / "records.py").write_text("")
    (tree / "core" / "a.py").write_text("from lnctl.core import b\nimport lnctl.errors\n")
    (tree / "core" / "b.py").write_text("def f():\n    from lnctl.cli import x\n")
    (tree / "cli" / "x.py").write_text("from ..core import a\n")
    (tree / "storage" / "s.py").write_text(
        "TYPE_CHECKING = False\nif TYPE_CHECKING:\n    from lnctl.core.a import A\n"
        "from lnctl import core\n"
    )
    found = upward_imports(tmp_path)
    assert [p.split(":")[0] + " -> " + p.split(" imports ")[1].split(":")[0] for p in found] == [
        "lnctl/core/b.py -> lnctl/cli/x.py",
        "lnctl/errors.py -> lnctl/records.py",
        "lnctl/storage/s.py -> lnctl/core/a.py",
        "lnctl/storage/s.py -> lnctl/core/__init__.py",
    ]


def test_the_registry_imports_only_a_leaf() -> None:
    """What makes the one exception safe: configuration, importing the registry, imports no
    backend and nothing above the leaves."""
    assert {t for _, t in imports(PACKAGE / "backends" / "registry.py")} <= {
        "lnctl/records.py",
        "lnctl/backends/__init__.py",
    }


def test_the_backends_loaded_by_name_are_backends() -> None:
    """The one import by computed name that crosses modules: base.backend_class loads the
    module a registry entry names, which must be in the backends' room."""
    from lnctl.backends import registry

    modules = {entry.module for entry in registry.ENTRIES}
    assert modules, "no registry entry found"
    for module in modules:
        target = module_file(module)
        assert target is not None and room(target) == "lnctl/backends/", module


# --- the whiteboard ------------------------------------------------------------------------------

ARCHITECTURE = ROOT.parent / "shared" / "architecture.json"


def test_the_never_arrows_of_the_architecture_hold() -> None:
    """../shared/architecture.json, where it is (beside the project, when it is worked on):
    no import runs along one of its ``never`` arrows. Files on no part are not followed."""
    import pytest

    if not ARCHITECTURE.is_file():
        pytest.skip(f"{ARCHITECTURE} is not there (the project alone)")
    drawing = json.loads(ARCHITECTURE.read_text())

    def part(path: str) -> str | None:
        matches = [
            (len(prefix), name)
            for name, spec in drawing["parts"].items()
            for prefix in spec["is"]
            if path == prefix or (prefix.endswith("/") and path.startswith(prefix))
        ]
        return max(matches)[1] if matches else None

    never = {(a, b): why for a, b, why in drawing["never"]}
    broken = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.relative_to(ROOT).as_posix()
        for line, target in imports(path):
            pair = (part(source), part(target))
            if pair in never:
                broken.append(f"{source}:{line} -> {target}: never {pair}: {never[pair]}")
    assert broken == []
