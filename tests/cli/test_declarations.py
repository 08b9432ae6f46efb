"""Each command and option is declared once (lnctl.cli.declare, lnctl.cli.commands): the Typer
commands, the fast path's parser, the options that take a value and the fast commands are all
derived from the declarations. These tests hold the derivations to the declarations, and the
two parsers to each other."""

from __future__ import annotations

import dataclasses
import inspect
import pkgutil
import re
from collections.abc import Iterator
from typing import Any
from unittest import mock

import click
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lnctl.cli import app, commands
from lnctl.cli.commands import NAMES, GlobalOptions, declared, every
from lnctl.cli.declare import (
    CHOICE,
    FLAG,
    FLOAT,
    INT,
    TEXT,
    Command,
    Param,
    argument,
    command,
    option,
    options,
    params,
)
from lnctl.cli.entry import _optional_values
from lnctl.cli.fast import parse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from lnctl.cli.state import State


def _tree() -> Iterator[tuple[list[str], Command]]:
    """Every declared command, with its words (``["channel", "open"]``)."""
    for top in every():
        yield [top.name], top
        for sub in top.subcommands:
            yield [top.name, sub.name], sub


def test_every_top_level_command_is_the_module_that_declares_it() -> None:
    found = {m.name for m in pkgutil.iter_modules(commands.__path__)}
    assert found == {name.replace("-", "_") for name in NAMES}
    assert [c.name for c in every()] == list(NAMES)
    with pytest.raises(KeyError):
        declared("__init__")


def test_the_commands_scripts_call_all_take_the_fast_path() -> None:
    """Every command but a show for people, a server and a push to a gateway."""
    fast = {" ".join(words) for words, c in _tree() if c.fast and c.action is not None}
    assert fast == {
        "decode", "invoice", "invoice wait", "pay", "info", "payments", "invoices", "lookup",
        "channel list", "channel balance", "channel open", "channel close", "metrics",
        "simulate invoice", "simulate pay", "memo show", "memo verify", "memo rotate-key",
        "config show",
    }  # fmt: skip


def test_the_derived_lists() -> None:
    assert commands.flag_values() == {"--induce-failure": "1"}
    assert app.GLOBAL_VALUE_FLAGS == {"--home", "--backend", "--network", "--log-format"}
    assert {"--memo", "--gateway", "--port", "--home", "--limit"} <= commands.value_flags()
    assert not {"--json", "--qr", "--dry-run", "--verbose", "-v", "--version"} & (
        commands.value_flags()
    )


def _same_param(built: Any, declared: Param, where: str) -> None:
    assert built.name == declared.name, where
    assert isinstance(built, click.Argument) == declared.is_argument, where
    assert built.required == declared.required, where
    if not declared.required:
        assert built.default == declared.default, where
    assert built.metavar == declared.metavar, where
    assert built.help == declared.help, where
    assert built.show_default == declared.show_default, where
    kind = built.type
    if declared.kind == FLAG:
        assert built.is_flag and not built.secondary_opts, where
    elif declared.kind in (INT, FLOAT):
        ranged = click.IntRange if declared.kind == INT else click.FloatRange
        plain = click.types.IntParamType if declared.kind == INT else click.types.FloatParamType
        if declared.min is None and declared.max is None:
            assert type(kind) is plain, where
        else:
            assert isinstance(kind, ranged), where
            assert (kind.min, kind.max, kind.clamp) == (declared.min, declared.max, False), where
    elif declared.kind == CHOICE:
        assert isinstance(kind, click.Choice), where
        assert tuple(kind.choices) == declared.choices, where
        assert kind.case_sensitive == declared.case_sensitive, where
    else:
        assert declared.kind == TEXT and kind is click.STRING, where
    if not declared.is_argument:
        assert tuple(built.opts) == declared.flags, where
        assert built.count == declared.count, where
        assert built.envvar == declared.envvar, where
        assert built.is_eager == declared.eager, where
        assert (built._custom_shell_complete is None) == (declared.complete is None), where


def test_the_typer_commands_are_built_as_declared() -> None:
    """Every declared parameter, and nothing else but Typer's help and completion options."""
    root = app.get_command([])
    typer_own = {"help", "install_completion", "show_completion"}
    built = [p for p in root.params if p.name not in typer_own]
    assert [p.name for p in built] == [p.name for p in params(GlobalOptions)]
    for param, declared_global in zip(built, params(GlobalOptions), strict=True):
        _same_param(param, declared_global, f"lnctl {param.name}")
    for words, decl in _tree():
        cmd = root
        for word in words:
            cmd = cmd.commands[word]
        where = " ".join(words)
        assert inspect.cleandoc(cmd.help) == inspect.cleandoc(decl.help), where
        built = [p for p in cmd.params if p.name != "help"]
        assert [p.name for p in built] == [p.name for p in decl.params], where
        for param, declared_param in zip(built, decl.params, strict=True):
            _same_param(param, declared_param, f"{where} {param.name}")
        if decl.subcommands:
            assert list(cmd.commands) == [s.name for s in decl.subcommands], where
            assert cmd.invoke_without_command == (decl.action is not None), where
            assert cmd.no_args_is_help == (decl.action is None), where


# -- the two parsers -----------------------------------------------------------------------------


def _typer_parse(args: list[str]) -> tuple[GlobalOptions, object] | None:
    """What the Typer application makes of ``args``: (the global options, the command's
    record), or None when it refuses them. Nothing runs: the records are caught where the
    actions would get them."""
    seen: list[object] = []

    def catch(command: Command) -> Any:
        return lambda ctx, opts: seen.append(opts) if ctx.invoked_subcommand is None else None

    with (
        mock.patch.object(app, "_run", catch),
        mock.patch.object(app, "_start", lambda ctx, given: seen.append(given)),
    ):
        cmd = app.get_command(args)
        try:
            cmd.main(args=_optional_values(args), prog_name="lnctl", standalone_mode=False)
        except (click.ClickException, click.exceptions.Exit):
            return None
    if len(seen) != 2 or not isinstance(seen[0], GlobalOptions):
        return None
    return seen[0], seen[1]


def _values(param: Param, valid: bool) -> st.SearchStrategy[str]:
    """Texts for a value of ``param``: only valid ones, or (one time in four) anything a script
    might pass, its bounds and just beyond them included."""
    odd = st.sampled_from(["", "-1", "+5", "1_000", "٣", " 5", "0x10", "1e3", "inf", "nan",
                           "--json", "-", "9" * 5000, "1.", ".5", "0", "007"])  # fmt: skip
    if param.kind == INT:
        low = int(param.min) if param.min is not None else 0
        high = int(param.max) if param.max is not None else 10**30
        good = st.integers(low, high).map(str)
        edges = [low - 1, low, high, high + 1]
        bad = st.one_of(st.sampled_from(edges), st.integers()).map(str)
    elif param.kind == FLOAT:
        least = float(param.min) if param.min is not None else 0.0
        good = st.floats(least, 1e6).map(lambda f: f"{f:.3f}").filter(lambda t: float(t) >= least)
        bad = st.one_of(st.sampled_from(["0.0009", "0.000", "0", "0.001"]), st.floats().map(str))
    elif param.kind == CHOICE:
        good = st.sampled_from(param.choices)
        bad = st.sampled_from([c.upper() for c in param.choices] + ["bogus"])
    else:
        good = st.text(st.characters(codec="utf-8", exclude_characters="\0"), max_size=8).filter(
            lambda t: not t.startswith("-")
        )
        bad = st.text(max_size=8)
    if valid:
        return good
    return st.integers(0, 3).flatmap(lambda n: st.one_of(bad, odd) if n == 0 else good)


@st.composite
def command_lines(draw: st.DrawFn, valid: bool) -> list[str]:
    """A command line of a fast command: global options, the command, its options (given
    ``--name VALUE`` or ``--name=VALUE``) and arguments, in any order after the command."""
    fast = [(words, c) for words, c in _tree() if c.fast and c.action is not None]
    words, command = draw(st.sampled_from(fast))
    line: list[str] = []
    for param in params(GlobalOptions):
        if draw(st.integers(0, 4)) == 0 and not (valid and (param.count or param.eager)):
            line += _given(draw, param, valid)
    tokens: list[list[str]] = []
    arguments = [p for p in command.params if p.is_argument]
    for param in command.params:
        if param.is_argument:
            continue
        if param.required or draw(st.booleans()):
            tokens.append(_given(draw, param, valid))
    count = draw(st.integers(sum(p.required for p in arguments), len(arguments) + (not valid)))
    positionals = [[draw(_values(p, valid))] for p in arguments[:count]]
    positionals += [[draw(_values(arguments[0] if arguments else params(GlobalOptions)[0], valid))]
                    for _ in range(count - len(positionals))]  # fmt: skip
    if not valid and draw(st.integers(0, 5)) == 0:
        tokens.append([draw(st.sampled_from(["--", "--bogus", "-h", "--help", "-v", "--json"]))])
    mixed = draw(st.permutations(tokens + [["\0pos"]] * len(positionals)))
    rest: list[str] = []
    taken = iter(positionals)
    for group in mixed:
        rest += next(taken) if group == ["\0pos"] else group
    return [*line, *words, *rest]


def _given(draw: st.DrawFn, param: Param, valid: bool) -> list[str]:
    flag = draw(st.sampled_from(param.flags))
    if param.kind == FLAG or param.count:
        return [flag] if valid or draw(st.integers(0, 9)) else [f"{flag}=1"]
    value = draw(_values(param, valid))
    if valid and value.startswith("-"):
        return [f"{flag}={value}"]
    return [flag, value] if draw(st.booleans()) else [f"{flag}={value}"]


FAST_LINES = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST_LINES
@given(command_lines(valid=False))
@example(["pay", "x", "--induce-failure"])
@example(["--log-format=xml", "config", "show"])
@example(["invoices", "--status", "OPEN"])
@example(["invoice", "--amount", "9" * 5000])
def test_what_the_fast_path_accepts_typer_reads_the_same(args: list[str]) -> None:
    """A line the fast path accepts gives the records Typer would build from it."""
    fast = parse(list(args))
    if fast is not None:
        assert (fast.start, fast.options) == _typer_parse(list(args)), args


@FAST_LINES
@given(command_lines(valid=True))
def test_well_formed_lines_take_the_fast_path(args: list[str]) -> None:
    """Valid values, the required ones given: the fast path takes the line (and reads it as
    Typer does)."""
    fast = parse(list(args))
    assert fast is not None, args
    assert (fast.start, fast.options) == _typer_parse(list(args)), args


def _built_params() -> Iterator[tuple[Param, Any]]:
    """Every declared parameter of the fast commands and the global options, with the click
    parameter Typer built from it."""
    root = app.get_command([])
    by_name = {p.name: p for p in root.params}
    for param in params(GlobalOptions):
        yield param, by_name[param.name]
    for words, decl in _tree():
        if not decl.fast or decl.action is None:
            continue
        cmd = root
        for word in words:
            cmd = cmd.commands[word]
        by_name = {p.name: p for p in cmd.params}
        for param in decl.params:
            yield param, by_name[param.name]


BUILT = list(_built_params())


def _edges(param: Param) -> list[str]:
    found = ["", "0", "1", "-1", "+5", "1_000", "٣", " 5", "5 ", "0x10", "1e3", "inf", "nan", "1.",
             ".5", "007", "0.0009", "0.001", "0.000", "9" * 4000, "9" * 4001, "--json"]  # fmt: skip
    for bound in (param.min, param.max):
        if bound is not None:
            found += [str(bound - 1), str(bound), str(bound + 1), f"{bound}.0"]
    return found + list(param.choices) + [c.upper() for c in param.choices]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_value_the_fast_path_reads_is_the_value_typer_reads(data: st.DataObject) -> None:
    """For every parameter: a value the fast path accepts, click accepts too, as the same
    value (bounds, digits, choices)."""
    from lnctl.cli.fast import _INVALID, _value

    param, built = data.draw(st.sampled_from(BUILT))
    if param.kind == FLAG or param.count:
        return
    texts = data.draw(st.one_of(st.sampled_from(_edges(param)), st.text(max_size=12)))
    fast = _value(param, texts)
    if fast is _INVALID:
        return
    assert not texts.startswith("-") or param.kind == TEXT
    assert built.type.convert(texts, built, None) == fast, (param.name, texts)


# -- the vocabulary ------------------------------------------------------------------------------


@options
class Sample:
    name: str = argument(help="a name")
    count: int = option("--count", default=1, min=1, help="how many")
    kind: str | None = option("--kind", default=None, help="which")


@dataclasses.dataclass(frozen=True, slots=True)
class Reference:
    name: str
    count: int = 1
    kind: str | None = None


def test_an_options_record_behaves_as_a_frozen_dataclass() -> None:
    made, ref = Sample("a", kind="k"), Reference("a", kind="k")
    assert repr(made) == repr(ref).replace("Reference", "Sample")
    assert made == Sample(name="a", count=1, kind="k") and made != Sample("b")
    assert hash(made) == hash(Sample("a", 1, "k"))
    for record in (made, ref):
        with pytest.raises(AttributeError):
            record.count = 2  # type: ignore[misc]
    for cls in (Sample, Reference):
        with pytest.raises(TypeError):
            cls()  # type: ignore[call-arg]
        with pytest.raises(TypeError):
            cls("a", bogus=1)  # type: ignore[call-arg]
    assert [(p.name, p.kind, p.optional, p.required) for p in params(Sample)] == [
        ("name", TEXT, False, True),
        ("count", INT, False, False),
        ("kind", TEXT, True, False),
    ]


def _declare(body: str) -> None:
    """Declare an options class in a module of its own (types are read as Python keeps their
    text: under ``from __future__ import annotations``)."""
    source = (
        "from __future__ import annotations\n"
        "from typing import Literal\n"
        "from lnctl.cli.declare import argument, option, options\n"
        "@options\n"
        "class Bad:\n" + "".join(f"    {line}\n" for line in body.splitlines())
    )
    exec(compile(source, "<declaration>", "exec"), {"__name__": "declaration"})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('x: dict = option("--x", default=None, help="")', "is not bool, int, float, str"),
        ('x: list[str] = option("--x", help="")', "is not bool, int, float, str"),
        ('x: Literal[1, 2] = option("--x", help="")', "is not bool, int, float, str"),
        ('x: bool = option("--x", default=True, help="")', "a flag is an option whose default"),
        ('x: bool = argument(default=False, help="")', "a flag is an option"),
        ('x: str = option("--x", default=None, help="")', "needs `| None`"),
        ('x: bool = option("--x", default=False, count=True, help="")', "a count is an int"),
        ('x: str = option("--x", default="", min=1, help="")', "bounds are for numbers"),
        ("x: int = 3", "declare it with option() or argument()"),
        ('x: bool = option("--x", default=False, eager=True, help="")', "the one eager option"),
    ],
)
def test_a_declaration_that_neither_path_could_honour_is_refused(body: str, message: str) -> None:
    with pytest.raises(TypeError, match=re.escape(message)):
        _declare(body)


def test_an_options_record_keeps_its_methods_and_is_not_inherited() -> None:
    @options
    class WithMethod:
        sats: int = option("--sats", default=1, help="")

        @property
        def msat(self) -> int:
            return self.sats * 1000

    assert WithMethod(sats=2).msat == 2000 and WithMethod.__name__ == "WithMethod"
    # refused when the class is made: by the record itself (lnctl.records), before @options
    with pytest.raises(TypeError, match="cannot be subclassed"):

        @options
        class Child(WithMethod):
            more: int = option("--more", default=0, help="")


def test_a_fast_command_cannot_read_the_environment() -> None:
    @options
    class FromEnv:
        port: int = option("--port", default=1, envvar="LNCTL_X", help="")

    def action(state: State, opts: FromEnv) -> None:
        """Help."""

    with pytest.raises(TypeError, match="fast path reads neither"):
        command("x", FromEnv)(action)
    assert command("x", FromEnv, fast=False)(action).help == "Help."
    with pytest.raises(TypeError, match="start with '-'"):
        option("x", help="")
