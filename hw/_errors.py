"""One error type for every bad input: it names the field, the rule, the value and the fix."""
from __future__ import annotations

import reprlib


_REPR = reprlib.Repr()
_REPR.maxstring = 240          # a path or a name is shown whole
_REPR.maxother = 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 6
_REPR.maxlevel = 2


def short_repr(value) -> str:
    """A value for a message: bounded in time and length whatever its size (no full repr of a
    huge or deeply nested input)."""
    shown = _REPR.repr(value)
    return shown if len(shown) <= 250 else shown[:247] + "..."


class NeurocycleError(Exception):
    """Base of every error neurocycle raises on purpose."""


class ConfigError(NeurocycleError, ValueError):
    """A chip config, network, option or mapping was rejected before it reached a kernel.

    Attributes mirror the message: ``field`` (dotted path), ``rule``, ``value``, ``fix``,
    and where known the ``source`` file and YAML ``line``.
    """

    def __init__(self, field: str, rule: str, value=None, fix: str = "", *,
                 source: str | None = None, line: int | None = None):
        self.field, self.rule, self.value, self.fix = field, rule, value, fix
        self.source, self.line = source, line
        super().__init__(self._message())

    def _message(self) -> str:
        where = ""
        if self.source:
            where = f"{self.source}"
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        msg = f"{where}{self.field or '<top level>'}: {self.rule}"
        if self.value is not None:
            msg += f" (got {short_repr(self.value)})"
        if self.fix:
            msg += f". Fix: {self.fix}"
        return msg


class ConfigErrors(ConfigError):
    """Several problems found at once; the message lists all of them."""

    def __init__(self, errors: list[ConfigError]):
        self.errors = errors
        first = errors[0]
        super().__init__(first.field, first.rule, first.value, first.fix,
                         source=first.source, line=first.line)
        self.args = ("\n".join(str(e) for e in errors),)

    def __str__(self) -> str:
        if len(self.errors) == 1:
            return str(self.errors[0])
        return f"{len(self.errors)} problems:\n" + "\n".join(f"  - {e}" for e in self.errors)


class CapacityError(ConfigError):
    """A network does not fit the chip: names the resource, the overflow and what to change."""


class EngineError(NeurocycleError):
    """A simulator backend broke one of its own proven invariants: a bug in neurocycle, not a
    problem with the input. The message says what was violated and where."""


class NeurocycleWarning(UserWarning):
    """Base of every warning neurocycle issues on purpose: the input is accepted, but the
    result will differ from what it asked for in a way the message quantifies."""


class QuantisationWarning(NeurocycleWarning):
    """A physical parameter cannot be represented by the chip's fixed point closely enough:
    the message gives the requested value, the represented value, the error and the fix."""
