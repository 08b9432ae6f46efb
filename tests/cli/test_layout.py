"""The command line's rooms stay small enough to read whole (issue 21: no module over 600
lines): the commands in commands/, their results for people in render.py, output in
output.py, the declarations' vocabulary in declare.py."""

from __future__ import annotations

from pathlib import Path

import lnctl.cli

MAX_LINES = 600


def test_no_module_of_the_command_line_is_over_600_lines() -> None:
    root = Path(lnctl.cli.__file__).parent
    modules = sorted(root.rglob("*.py"))
    assert len(modules) > 20  # the package itself, not an empty folder
    sizes = {str(m.relative_to(root)): len(m.read_text("utf-8").splitlines()) for m in modules}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
    assert "actions.py" not in sizes  # orchestration lives in commands/, rendering in render.py
