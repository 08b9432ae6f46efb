"""The README stays true: every command, option and environment variable lnctl has is in it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lnctl.cli.app import get_command

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _walk(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _walk(sub, [*path, name])


def test_every_command_and_option_is_documented() -> None:
    missing = []
    for path, command in _walk(get_command(), []):
        if path and f"lnctl {' '.join(path)}" not in README:
            missing.append(" ".join(path))
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt not in ("--help",) and opt not in README:
                    missing.append(f"{' '.join(path)} {opt}")
    assert missing == []


def test_every_environment_variable_is_documented() -> None:
    used = set()
    for path in (ROOT / "lnctl").rglob("*.py"):
        used |= set(re.findall(r"_?LNCTL_[A-Z_]+", path.read_text()))
    assert used and {name for name in used if f"`{name}`" not in README} == set()


def test_every_exit_code_is_documented() -> None:
    from lnctl.errors import ExitCode

    codes = {v for k, v in vars(ExitCode).items() if k.isupper()}
    for code in codes:
        assert re.search(rf"^\| {code} \|", README, re.M), code


# --- error codes --------------------------------------------------------------------------------

_CODE = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")
_CODE_ARGUMENTS = ("code", "too_large", "default_code")  # where an error's code is given


def error_codes(root: Path = ROOT / "lnctl") -> dict[str, set[str]]:
    """Every error code the code can emit, found in the code itself (not a list kept by hand,
    so that a new module's codes are found too): the string given as ``code=`` (or
    ``too_large=``) to an error, or as a class's ``default_code``; a name there is followed to
    the module-level constant it names, or to what it is assigned in its function (a dict of
    codes by errno, the reason of a failure). Code -> the places that give it."""
    import ast

    trees = {p: ast.parse(p.read_text()) for p in sorted(root.rglob("*.py"))}
    constants: dict[str, str] = {}  # NAME or Class.NAME -> its string, at module or class level
    found: dict[str, set[str]] = {}
    for path, tree in trees.items():
        for scope_name, body in [("", tree.body)] + [
            (f"{n.name}.", n.body) for n in tree.body if isinstance(n, ast.ClassDef)
        ]:
            for node in body:
                value: ast.expr | None
                if isinstance(node, ast.Assign):
                    value, targets = node.value, node.targets
                elif isinstance(node, ast.AnnAssign):
                    value, targets = node.value, [node.target]
                else:
                    continue
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    for target in targets:
                        if isinstance(target, ast.Name):
                            constants[scope_name + target.id] = value.value
                            if scope_name == "Code." and path.name == "errors.py":
                                place = f"{path.relative_to(root.parent)}:{node.lineno}"
                                found.setdefault(value.value, set()).add(place)  # the catalogue
    for path, tree in trees.items():
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]

        def scope(line: int, functions: list[ast.FunctionDef] = functions) -> ast.AST | None:
            around = [f for f in functions if f.lineno <= line <= (f.end_lineno or f.lineno)]
            return max(around, key=lambda f: f.lineno) if around else None

        def codes(expr: ast.AST, where: ast.AST | None, depth: int = 0) -> set[str]:
            out = set()
            for n in ast.walk(expr):
                if isinstance(n, ast.Constant) and isinstance(n.value, str):
                    out |= {n.value} if _CODE.match(n.value) else set()
                elif (
                    isinstance(n, ast.Attribute)
                    and isinstance(n.value, ast.Name)
                    and f"{n.value.id}.{n.attr}" in constants
                ):
                    named = constants[f"{n.value.id}.{n.attr}"]
                    out |= {named} if _CODE.match(named) else set()
                elif isinstance(n, ast.Name) and n.id in constants:
                    out |= {constants[n.id]} if _CODE.match(constants[n.id]) else set()
                elif isinstance(n, ast.Name) and where is not None and depth < 2:
                    for a in ast.walk(where):
                        if isinstance(a, ast.Assign) and any(
                            isinstance(t, ast.Name) and t.id == n.id for t in a.targets
                        ):
                            out |= codes(a.value, where, depth + 1)
            return out

        for item in ast.walk(tree):
            given: ast.expr | None = None
            if isinstance(item, ast.keyword) and item.arg in _CODE_ARGUMENTS:
                given = item.value
            elif isinstance(item, ast.arguments):  # def f(code="INVALID_PATH")
                params = [*item.posonlyargs, *item.args]
                pairs = list(
                    zip(params[len(params) - len(item.defaults) :], item.defaults, strict=True)
                )
                pairs += [
                    (a, d) for a, d in zip(item.kwonlyargs, item.kw_defaults, strict=True) if d
                ]
                for arg, default in pairs:
                    if arg.arg in _CODE_ARGUMENTS and default is not None:
                        for code in codes(default, None):
                            place = f"{path.relative_to(root.parent)}:{default.lineno}"
                            found.setdefault(code, set()).add(place)
            elif isinstance(item, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "default_code" for t in item.targets
            ):
                given = item.value
            if given is not None:
                place = f"{path.relative_to(root.parent)}:{given.lineno}"
                for code in codes(given, scope(given.lineno)):
                    found.setdefault(code, set()).add(place)
    return found


def test_every_error_code_is_documented() -> None:
    """Scripts branch on error codes: each one the code can emit is in the README (in the
    exit-code table or the error-code table beside it). A payment's failure reason is its
    error's code (``code=reason``): every reason a payment can end with counts too."""
    from lnctl.backends.base import FINAL_REASONS

    codes = set(error_codes()) | FINAL_REASONS
    assert {c for c in codes if f"`{c}`" not in README} == set()


def test_every_code_constant_is_given_somewhere() -> None:
    """The other way round: a constant of ``errors.Code`` that no code gives any more (as
    EMPTY_BATCH once an empty batch became no error) is dead, and its README line a promise
    that nothing keeps."""
    import re

    from lnctl.errors import Code

    root = Path(__file__).resolve().parents[2] / "lnctl"
    text = "\n".join(
        p.read_text() for p in root.rglob("*.py") if p.name != "errors.py" or p.parent != root
    )
    text += re.sub(r"(?ms)^class Code:.*?(?=^\S)", "", (root / "errors.py").read_text())
    unused = {c for c in vars(Code) if c.isupper() and not re.search(rf"\bCode\.{c}\b", text)}
    assert unused == set()


def test_the_error_codes_are_found_in_every_form(tmp_path: Path) -> None:
    """The scan finds a code however it is given (so that it cannot pass by finding none)."""
    (tmp_path / "a.py").write_text(
        "NAMED = 'NAMED_CODE'\n"
        "class E(Exception):\n    default_code = 'DEFAULT_CODE'\n"
        "def f(x):\n"
        "    raise E('m', code='LITERAL_CODE')\n"
        "def g(n):\n"
        "    by = {1: 'DICT_CODE'}\n"
        "    raise E('m', code=by.get(n, 'FALLBACK_CODE'))\n"
        "def h(full):\n"
        "    raise E('m', code=NAMED if full else 'OTHER_CODE', hint='NOT_A_CODE')\n"
        "def i(path):\n"
        "    return read(path, too_large='TOO_LARGE_CODE')\n"
        "def read(path, code='PARAMETER_CODE', *, too_large=Code.KW_PARAMETER_CODE):\n"
        "    raise E('m', code=Code.ATTRIBUTE_CODE)\n"
        "class Code:\n"
        "    ATTRIBUTE_CODE = 'ATTRIBUTE_CODE'\n    KW_PARAMETER_CODE = 'KW_PARAMETER_CODE'\n"
    )
    assert set(error_codes(tmp_path)) == {
        "NAMED_CODE", "DEFAULT_CODE", "LITERAL_CODE", "DICT_CODE", "FALLBACK_CODE",
        "OTHER_CODE", "TOO_LARGE_CODE", "PARAMETER_CODE", "KW_PARAMETER_CODE", "ATTRIBUTE_CODE",
    }  # fmt: skip
    found = error_codes()
    assert {"CORRUPT_STATE", "DISK_FULL", "INVALID_HASH", "CANCELED"} <= set(found)
    assert len(found) > 80
