"""Shell completion (issue #12): scripts for bash, zsh and fish, and completions of commands,
options, --status values and backend names from the real program."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import lnctl_env, run


def _complete(home: Path, **env: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "lnctl"],
        env={**lnctl_env(home), **env},
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


@pytest.mark.parametrize(("shell", "marker"), [("bash", "complete -o"), ("zsh", "#compdef lnctl"),
                                               ("fish", "complete --command lnctl")])  # fmt: skip
def test_completion_scripts_for_three_shells(shell: str, marker: str) -> None:
    from typer._completion_shared import get_completion_script

    script = get_completion_script(prog_name="lnctl", complete_var="_LNCTL_COMPLETE", shell=shell)
    assert marker in script and "_LNCTL_COMPLETE" in script


def test_show_completion_for_the_current_shell(home: Path) -> None:
    r = run(home, "--show-completion")
    assert r.code == 0 and "_LNCTL_COMPLETE" in r.out


def test_completions_of_commands_options_statuses_and_backends(home: Path) -> None:
    words = _complete(home, _LNCTL_COMPLETE="complete_bash", COMP_WORDS="lnctl ch", COMP_CWORD="1")
    assert words == ["channel"]
    words = _complete(
        home, _LNCTL_COMPLETE="complete_bash", COMP_WORDS="lnctl payments --status ",
        COMP_CWORD="3",
    )  # fmt: skip
    assert words == ["succeeded", "failed", "in_flight", "needs_attention"]
    words = _complete(
        home, _LNCTL_COMPLETE="complete_bash", COMP_WORDS="lnctl pay --if", COMP_CWORD="2"
    )
    assert words == ["--if-paid"]
    words = _complete(
        home, _LNCTL_COMPLETE="complete_fish", _TYPER_COMPLETE_ARGS="lnctl --backend ",
        _TYPER_COMPLETE_FISH_ACTION="get-args",
    )  # fmt: skip
    assert words == ["simulated", "lnbits", "lightspark"]
    assert not home.exists()  # completing creates no wallet
