"""``--show-completion [SHELL]`` and ``--install-completion [SHELL]``: the script of the shell
named (``lnctl --show-completion zsh``), else of the current one; a shell lnctl has no script
for is a usage error (exit 2). Typer's own options take no value when it can detect the shell,
and then printed the current shell's script whatever was named."""

from __future__ import annotations

SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")
FLAGS = ("--show-completion", "--install-completion")
COMPLETE_VAR = "_LNCTL_COMPLETE"  # what the scripts set when they ask lnctl for completions


def requested(args: list[str]) -> tuple[str, str | None] | None:
    """(the completion option, the shell it names or None) when ``args`` holds one among the
    global options (before the command), else None."""
    from lnctl.cli.commands import GlobalOptions
    from lnctl.cli.declare import params

    taking = {f for p in params(GlobalOptions) if p.takes_value for f in p.flags}
    i = 0
    while i < len(args):
        name, eq, value = args[i].partition("=")
        if name in FLAGS:
            if eq:
                return name, value
            following = args[i + 1] if i + 1 < len(args) else "-"
            return name, None if following.startswith("-") else following
        if args[i] == "--" or not args[i].startswith("-"):
            return None  # the command: what follows is its own
        i += 2 if args[i] in taking else 1
    return None


def run(flag: str, shell: str | None) -> int:
    """Print (or install) the script for ``shell``, or for the current shell."""
    from lnctl.errors import Code, InvalidInputError

    if shell is None:
        shell = _current_shell()
        if shell is None:
            raise InvalidInputError(
                "cannot tell which shell this is",
                code=Code.USAGE,
                hint=f"name it: lnctl {flag} bash (or {', '.join(SHELLS[1:])})",
            )
    if shell not in SHELLS:
        raise InvalidInputError(
            f"no completion for the shell {shell!r}",
            code=Code.USAGE,
            hint=f"{flag} takes {', '.join(SHELLS[:-1])} or {SHELLS[-1]}",
        )
    from typer._completion_shared import get_completion_script, install

    from lnctl.cli.output import write_out

    if flag == "--show-completion":
        script = get_completion_script(prog_name="lnctl", complete_var=COMPLETE_VAR, shell=shell)
        write_out(script + "\n")
        return 0
    shell, path = install(shell=shell, prog_name="lnctl", complete_var=COMPLETE_VAR)
    write_out(
        f"{shell} completion installed in {path}\n"
        "Completion will take effect once you restart the terminal\n"
    )
    return 0


def _current_shell() -> str | None:
    """The shell lnctl runs under (its parent processes, else $SHELL), or None."""
    import os

    from typer._completion_shared import _get_shell_name

    name = _get_shell_name()
    if name is None:
        name = os.path.basename(os.environ.get("SHELL", "")) or None
    return name
