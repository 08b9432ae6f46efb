"""Immutable value records: what ``@dataclass(frozen=True, slots=True)`` makes, without its start-up
cost. ``dataclasses`` imports ``inspect`` and compiles methods for every class: 17 ms of every
command's start for the backend contract's result types (measured, ``python -X importtime``).
Here one set of methods serves every record. mypy sees the real ``dataclass`` and ``replace``,
so the records are type-checked as dataclasses are. What a record cannot do as a dataclass would,
it refuses when the class is made, not when it is first called: a record neither inherits nor is
inherited (``TypeError`` at class creation; tests/unit/test_types.py holds the rest against
``dataclass``). A leaf: imports nothing."""

from __future__ import annotations

__all__ = ["record", "replace"]

TYPE_CHECKING = False  # typing costs start-up time; mypy treats this name as typing's
if TYPE_CHECKING:
    from dataclasses import dataclass as record
    from dataclasses import replace as replace
else:

    class _Record:
        __slots__ = ()
        _fields: tuple[str, ...] = ()
        _defaults: dict = {}

        def __init_subclass__(cls, **kwargs):
            # only ``record`` makes subclasses of _Record, and always directly
            if cls.__bases__ != (_Record,) or "_fields" not in cls.__dict__:
                raise TypeError(f"{cls.__name__}: a record cannot be subclassed")
            super().__init_subclass__(**kwargs)

        def __init__(self, *args, **kwargs):
            fields = self._fields
            if len(args) > len(fields):
                raise TypeError(f"{type(self).__name__} takes {len(fields)} values")
            given = dict(zip(fields, args, strict=False))
            for name, value in kwargs.items():
                if name not in fields or name in given:
                    raise TypeError(f"{type(self).__name__}: unexpected or repeated {name!r}")
                given[name] = value
            for name in fields:
                if name in given:
                    value = given[name]
                elif name in self._defaults:
                    value = self._defaults[name]
                else:
                    raise TypeError(f"{type(self).__name__}: missing {name!r}")
                object.__setattr__(self, name, value)

        def _values(self):
            return tuple(getattr(self, name) for name in self._fields)

        def __eq__(self, other):
            if type(other) is not type(self):
                return NotImplemented
            return self._values() == other._values()

        def __hash__(self):
            return hash(self._values())

        def __repr__(self):
            inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields)
            return f"{type(self).__name__}({inner})"

        def __setattr__(self, name, value):
            raise AttributeError(f"cannot assign to field {name!r} of a frozen record")

        def __delattr__(self, name):
            raise AttributeError(f"cannot delete field {name!r} of a frozen record")

    def record(*, frozen, slots):
        """``@record(frozen=True, slots=True)`` on a class of annotated fields (defaults last)."""
        if not (frozen and slots):
            raise TypeError("records are frozen and slotted")

        def make(cls):
            if cls.__bases__ != (object,):
                raise TypeError(f"{cls.__name__}: a record cannot inherit from another class")
            fields = tuple(cls.__dict__.get("__annotations__", {}))
            namespace = {
                k: v
                for k, v in cls.__dict__.items()
                if k not in fields and k not in ("__dict__", "__weakref__")
            }
            namespace["__slots__"] = fields
            namespace["_fields"] = fields
            namespace["_defaults"] = {n: cls.__dict__[n] for n in fields if n in cls.__dict__}
            return type(cls.__name__, (_Record,), namespace)

        return make

    def replace(obj, /, **changes):
        """A copy of the record ``obj`` with ``changes`` (as ``dataclasses.replace``)."""
        values = {name: getattr(obj, name) for name in obj._fields}
        values.update(changes)
        return type(obj)(**values)
