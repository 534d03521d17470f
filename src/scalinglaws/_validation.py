"""One validation table for arguments, shared by the library and the command line.

A function declares a table ``{argument: Rule}``; :func:`check` runs one rule and raises
:class:`ArgumentError` in the one message shape ("`<argument>` of <function> must be <rule>. Got
<value> instead."), and the CLI's option callbacks run the very same rules (``scalinglaws.cli._options``),
so a bad ``delta`` reads the same whether it came from Python or from ``--delta`` (scikit-learn's
``_param_validation`` idea). Kernels behind the gate trust their inputs.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scalinglaws.errors import ArgumentError


@dataclass(frozen=True)
class Rule:
    """A predicate on a value and the words that say what it requires ("a positive number")."""

    accepts: Callable[[Any], bool]
    description: str
    fix: str = ""

    def __call__(self, value: Any) -> bool:
        try:
            return bool(self.accepts(value))
        except (TypeError, ValueError):
            return False


def _real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _integer(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive() -> Rule:
    return Rule(lambda v: _real(v) and math.isfinite(v) and v > 0, "a positive number")


def non_negative_integer() -> Rule:
    return Rule(lambda v: _integer(v) and v >= 0, "an integer >= 0")


def at_least(low: int) -> Rule:
    return Rule(lambda v: _integer(v) and v >= low, f"an integer of at least {low}")


def probability() -> Rule:
    return Rule(lambda v: _real(v) and 0 < v < 1, "strictly between 0 and 1")


def one_of(options: Iterable[Any]) -> Rule:
    choices = tuple(options)
    return Rule(lambda v: v in choices, f"one of {choices}")


def integer() -> Rule:
    return Rule(_integer, "an integer")


def fractions() -> Rule:
    """A non-empty sequence of numbers strictly between 0 and 1 (backtest training shares)."""
    return Rule(
        lambda v: len(v) > 0 and all(_real(f) and 0 < f < 1 for f in v),
        "numbers that lie strictly between 0 and 1",
    )


def check(function: str, argument: str, value: Any, rule: Rule, fix: str = "") -> None:
    """Raise :class:`ArgumentError` unless ``rule`` accepts ``value``."""
    if rule(value):
        return
    raise argument_error(function, argument, value, rule.description, fix or rule.fix)


def check_all(function: str, table: Mapping[str, Rule], values: Mapping[str, Any]) -> None:
    """Run every rule of ``table`` on the argument of the same name in ``values``."""
    for argument, rule in table.items():
        if argument in values:
            check(function, argument, values[argument], rule)


def argument_error(function: str, argument: str, value: Any, rule: str, fix: str = "") -> ArgumentError:
    """The one message shape for a bad argument, as an exception (to raise)."""
    tail = f" {fix}" if fix else ""
    return ArgumentError(
        f"`{argument}` of {function} must be {rule}. Got {value!r} instead.{tail}",
        argument=argument,
        function=function,
        rule=rule,
        value=value,
    )


def close_names(name: str, candidates: Iterable[str], *, what: str = "") -> str:
    """A "did you mean" hint for a misspelt ``name`` among ``candidates`` (``""`` when none is close):
    the same name in another case first, then close spellings (difflib, as Python's own NameError)."""
    import difflib

    pool = [str(c) for c in candidates if str(c) != name]
    same_case = [c for c in pool if c.lower() == name.lower()]
    close = same_case or difflib.get_close_matches(name, pool, n=3, cutoff=0.75)
    if not close:
        return ""
    return f" Did you mean {' or '.join(map(repr, close))}{' ' + what if what else ''}?"
