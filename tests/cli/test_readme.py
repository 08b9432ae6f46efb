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
