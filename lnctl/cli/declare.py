"""The vocabulary every command is declared in, once: ``@options`` on a class whose fields are
``option(...)`` and ``argument(...)`` (flags, help, bounds, default, metavar; the field's type
says how a value is read), and ``@command`` on the action that takes that record. Everything
else is derived from these declarations: the Typer commands (``lnctl.cli.app``), the fast path's
parser (``lnctl.cli.fast``), the options that take a value (``lnctl.cli.entry``).

Invariants:
- Cheap to import: no Typer, no click, no ``typing`` at run time (start-up time is a feature);
  a command's declarations are read on every start of that command.
- A field's type is one of ``bool`` (a flag), ``int``, ``float``, ``str`` or
  ``Literal['a', 'b']`` (a choice), optionally ``| None``, written in the class itself (its
  modules use ``from __future__ import annotations``, so the type is read from the text
  Python keeps); anything else is refused when the class is declared, not when it is used.
- An options record is immutable; the Typer and the fast path build the same record for the
  same command line, and the action gets nothing else.
"""

from __future__ import annotations

from lnctl.records import record

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar, dataclass_transform

    Opts = TypeVar("Opts")
    S = TypeVar("S")  # what an action runs on (lnctl.cli.state.State; not known here)
    T = TypeVar("T")
else:

    def dataclass_transform(**_):
        """typing's only marks the decorator for type checkers (it is read by nothing that
        runs), and importing typing costs start-up time."""
        return lambda decorator: decorator


class Required:
    """The default of a parameter that has none: it must be given."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = Required()

# how a parameter's value is read, from the type of its field
FLAG = "flag"  # bool: present or not
INT = "int"
FLOAT = "float"
TEXT = "text"
CHOICE = "choice"  # Literal['a', 'b']: one of these words


@record(frozen=True, slots=True)
class Param:
    """One option or argument of a command: as declared (``option()``, ``argument()``), and
    from its field (``name``, ``kind``, ``optional``, ``choices``)."""

    flags: tuple[str, ...]  # () for an argument
    help: str
    default: object
    metavar: str | None
    min: int | float | None
    max: int | float | None
    show_default: bool
    case_sensitive: bool  # choices: "FAILED" is "failed" when False
    count: bool  # -v, -vv: how many times it was given
    eager: bool  # acts at once: ``--version`` alone, the Typer path only
    envvar: str | None  # the value's environment variable: the Typer path only
    flag_value: str | None  # the value when given alone (``--induce-failure`` is 1)
    complete: Callable[[], list[str]] | None  # the shell's completions of its value
    name: str  # the field's
    kind: str  # FLAG, INT, FLOAT, TEXT or CHOICE, from the field's type
    optional: bool  # the field's type admits None
    choices: tuple[str, ...]  # a CHOICE's words

    @property
    def is_argument(self) -> bool:
        return not self.flags

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def takes_value(self) -> bool:
        """An option followed by its value (``--amount 5``), not a flag or a count."""
        return bool(self.flags) and self.kind != FLAG and not self.count


class Declared(tuple):  # type: ignore[type-arg]
    """What ``option()`` and ``argument()`` return: their arguments, in the order of Param's
    fields, until ``@options`` reads the field and makes the Param (once: a declaration is
    read at every start of its command)."""

    __slots__ = ()


def option(
    *flags: str,
    help: str,
    default: object = REQUIRED,
    metavar: str | None = None,
    min: int | float | None = None,
    max: int | float | None = None,
    show_default: bool = True,
    case_sensitive: bool = True,
    count: bool = False,
    eager: bool = False,
    envvar: str | None = None,
    flag_value: str | None = None,
    complete: Callable[[], list[str]] | None = None,
) -> Any:
    """An option: ``amount: int | None = option("--amount", default=None, min=1, help=...)``.
    Without ``default`` it is required. (Typed ``Any`` as ``dataclasses.field`` is: the class
    decorator turns it into the field's default.)"""
    if not flags or not all(flag.startswith("-") for flag in flags):
        raise TypeError(f"option flags start with '-': {flags!r}")
    return Declared(
        (flags, help, default, metavar, min, max, show_default, case_sensitive, count, eager,
         envvar, flag_value, complete)
    )  # fmt: skip


def argument(
    *,
    help: str,
    default: object = REQUIRED,
    metavar: str | None = None,
    show_default: bool = True,
) -> Any:
    """A positional argument, in the order of the fields. Without ``default`` it is
    required."""
    return Declared(
        ((), help, default, metavar, None, None, show_default, True, False, False, None, None,
         None)
    )  # fmt: skip


@dataclass_transform(frozen_default=True, field_specifiers=(option, argument))
def options(cls: type[T]) -> type[T]:
    """Make ``cls`` an immutable record (``lnctl.records``) of its declared parameters, each
    completed from its field; ``params(cls)`` gives them in order."""
    if cls.__bases__ != (object,):
        raise TypeError(f"{cls.__name__}: an options record is declared whole, not inherited")
    annotations = cls.__dict__.get("__annotations__", {})
    declared: list[Param] = []
    defaults: dict[str, object] = {}
    for name, annotation in annotations.items():
        given = cls.__dict__.get(name)
        read = _read_type(annotation)
        if not isinstance(given, Declared):
            problem: str | None = "declare it with option() or argument()"
        elif isinstance(read, str):
            problem = read
        else:
            param = Param(*(*given, name, *read))
            problem = _problem(param)
        if problem is not None:
            raise TypeError(f"{cls.__name__}.{name}: {problem}")
        declared.append(param)
        if not param.required:
            defaults[name] = param.default
    namespace = {
        **{k: v for k, v in cls.__dict__.items() if k not in annotations},
        "_params": tuple(declared),
        **defaults,
    }
    namespace.pop("__dict__", None)  # the record has slots
    namespace.pop("__weakref__", None)
    made: type[T] = record(frozen=True, slots=True)(type(cls.__name__, (), namespace))
    return made


def params(options: type) -> tuple[Param, ...]:
    """The parameters ``@options`` declared on ``options``, in order."""
    declared: tuple[Param, ...] = vars(options)["_params"]
    return declared


_KINDS = {"bool": FLAG, "int": INT, "float": FLOAT, "str": TEXT}


def _read_type(annotation: object) -> tuple[str, bool, tuple[str, ...]] | str:
    """(kind, optional, choices) of a field's type, from the text Python keeps of it; or why
    it cannot be read."""
    if not isinstance(annotation, str):
        return "declare options under `from __future__ import annotations`"
    text, optional = annotation, False
    if text.endswith(" | None"):
        text, optional = text.removesuffix(" | None"), True
    if text in _KINDS:
        return _KINDS[text], optional, ()
    if text.startswith("Literal[") and text.endswith("]"):
        words = tuple(word.strip() for word in text[len("Literal[") : -1].split(","))
        if all(len(w) > 2 and w[0] == w[-1] and w[0] in "'\"" for w in words):
            return CHOICE, optional, tuple(w[1:-1] for w in words)
    return f"{annotation!r} is not bool, int, float, str or Literal[...]"


def _problem(param: Param) -> str | None:
    """What neither path could honour in ``param``, if anything."""
    if param.kind == FLAG and (param.optional or param.default is not False or param.is_argument):
        return "a flag is an option whose default is False"
    if param.count and param.kind != INT:
        return "a count is an int"
    if (param.min is not None or param.max is not None) and param.kind not in (INT, FLOAT):
        return "bounds are for numbers"
    if param.default is None and not param.optional:
        return "a default of None needs `| None` in the type"
    if param.eager and param.flags != ("--version", "-V"):
        return "--version is the one eager option (Typer's callback prints the version)"
    return None


@record(frozen=True, slots=True)
class Command:
    """A command (``pay``), a group (``channel``: its ``subcommands``), or a group that runs
    an action of its own when no subcommand is given (``invoice``, ``invoice wait``)."""

    name: str  # its own word: "open" in ``lnctl channel open``
    help: str
    options: type | None  # the record its action takes (None: a group without an action)
    action: Callable[[Any, Any], None] | None  # (State, the record): see ``command``
    params: tuple[Param, ...]
    subcommands: tuple[Command, ...] = ()
    fast: bool = True  # False: always left to Typer (a show for people, a server)

    def subcommand(self, word: str) -> Command | None:
        for sub in self.subcommands:
            if sub.name == word:
                return sub
        return None


def command(
    name: str,
    options: type[Opts],
    *,
    subcommands: tuple[Command, ...] = (),
    fast: bool = True,
) -> Callable[[Callable[[S, Opts], None]], Command]:
    """``@command("pay", PayOptions)`` on ``def pay(state: State, opts: PayOptions) -> None``,
    whose docstring is the command's help (mypy holds the action to its options record)."""

    def declare(action: Callable[[S, Opts], None]) -> Command:
        declared = params(options)
        if fast and any(p.envvar or p.eager for p in declared):
            raise TypeError(f"{name}: the fast path reads neither environment nor eager options")
        return Command(name, action.__doc__ or "", options, action, declared, subcommands, fast)

    return declare


def group(name: str, *, help: str, subcommands: tuple[Command, ...]) -> Command:
    """A group of commands without an action of its own (``lnctl channel`` alone shows its
    usage)."""
    return Command(name, help, None, None, (), subcommands)
