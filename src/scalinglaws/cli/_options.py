"""Parse the text forms of command-line options into the values the library takes.

Every parser raises typer's ``BadParameter`` (exit code 2) naming the option, the expected form and the
value it got, in the library's message shape.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import typer

from scalinglaws._validation import Rule


class LossName(enum.StrEnum):
    """Values of ``--loss``; the same strings as ``scalinglaws.fit.losses.Loss``."""

    huber = "huber"
    squared = "squared"


class SpaceName(enum.StrEnum):
    """Values of ``--space``; the same strings as ``scalinglaws.fit.losses.Space``."""

    log = "log"
    linear = "linear"


class BootstrapName(enum.StrEnum):
    """Values of ``--bootstrap-method``; the same strings as ``scalinglaws.fit.resampling.Method``."""

    pairs = "pairs"
    cluster = "cluster"
    residual = "residual"
    wild = "wild"


class BackendName(enum.StrEnum):
    """Values of ``--backend``; the same strings as ``scalinglaws.fit.backends.Backend``."""

    numpy = "numpy"
    jax = "jax"


class ChooseName(enum.StrEnum):
    """Values of ``--choose``; the same strings as ``scalinglaws.fit.config.Choose``."""

    in_sample = "in-sample"
    backtest = "backtest"


class IntervalKind(enum.StrEnum):
    """Values of ``--kind``: an interval for the law's value or for a new run."""

    confidence = "confidence"
    prediction = "prediction"


def probability(value: float | None) -> float | None:
    """Callback for options that take a probability strictly between 0 and 1."""
    if value is not None and not 0 < value < 1:
        raise _bad("--interval", "a probability strictly between 0 and 1, e.g. 0.95", str(value))
    return value


def _bad(option: str, form: str, text: str, why: str = "") -> typer.BadParameter:
    detail = f" ({why})" if why else ""
    return typer.BadParameter(
        f"must be {form}{detail}. Got {text!r} instead.", param_hint=f"'{option}'"
    )


def _split_name(option: str, form: str, text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name.isidentifier() or not value:
        raise _bad(option, form, text)
    return name, value


def _number(option: str, form: str, text: str, piece: str) -> float:
    try:
        value = float(piece)
    except ValueError:
        raise _bad(option, form, text, f"{piece!r} is not a number") from None
    if math.isnan(value):
        raise _bad(option, form, text, "nan is not a bound")
    return value


def _no_repeats(option: str, names: Sequence[str]) -> None:
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise typer.BadParameter(
            f"gives {', '.join(repeated)} more than once; give each name once.",
            param_hint=f"'{option}'",
        )


def parse_map(values: Sequence[str] | None) -> dict[str, str]:
    """``--map SYMBOL=COLUMN`` (repeatable) -> ``{symbol: column}``."""
    form = "SYMBOL=COLUMN, e.g. N=params"
    pairs = [_split_name("--map", form, text) for text in values or ()]
    _no_repeats("--map", [name for name, _ in pairs])
    return dict(pairs)


def parse_bounds(values: Sequence[str] | None) -> dict[str, tuple[float, float]]:
    """``--param NAME=LO:HI`` (repeatable; an empty side is infinite) -> ``{name: (lo, hi)}``."""
    form = "NAME=LO:HI with LO < HI and an empty side for no bound, e.g. A=0: or alpha=0:2"
    out = []
    for text in values or ():
        name, value = _split_name("--param", form, text)
        pieces = value.split(":")
        if len(pieces) != 2:
            raise _bad("--param", form, text)
        lo_text, hi_text = (p.strip() for p in pieces)
        lo = _number("--param", form, text, lo_text) if lo_text else -math.inf
        hi = _number("--param", form, text, hi_text) if hi_text else math.inf
        if not lo < hi:
            raise _bad("--param", form, text, "LO must be below HI")
        out.append((name, (lo, hi)))
    _no_repeats("--param", [name for name, _ in out])
    return dict(out)


def parse_init(values: Sequence[str] | None) -> dict[str, tuple[float, float] | float]:
    """``--init NAME=LO:HI`` or ``NAME=VALUE`` (repeatable) -> ``{name: (lo, hi) or value}``."""
    form = "NAME=LO:HI (a finite start range, LO <= HI) or NAME=VALUE, e.g. alpha=0.1:1 or E=1.7"
    out: list[tuple[str, tuple[float, float] | float]] = []
    for text in values or ():
        name, value = _split_name("--init", form, text)
        pieces = [p.strip() for p in value.split(":")]
        if len(pieces) > 2 or not all(pieces):
            raise _bad("--init", form, text)
        numbers = [_number("--init", form, text, p) for p in pieces]
        if not all(math.isfinite(v) for v in numbers):
            raise _bad("--init", form, text, "start values must be finite")
        if len(numbers) == 1:
            out.append((name, numbers[0]))
            continue
        lo, hi = numbers
        if lo > hi:
            raise _bad("--init", form, text, "LO must not exceed HI")
        out.append((name, (lo, hi)))
    _no_repeats("--init", [name for name, _ in out])
    return dict(out)


def parse_fix(values: Sequence[str] | None) -> dict[str, float]:
    """``--fix NAME=VALUE`` (repeatable) -> ``{name: value}``."""
    form = "NAME=VALUE with a finite number, e.g. E=1.69"
    out = []
    for text in values or ():
        name, value = _split_name("--fix", form, text)
        number = _number("--fix", form, text, value)
        if not math.isfinite(number):
            raise _bad("--fix", form, text, "the value must be finite")
        out.append((name, number))
    _no_repeats("--fix", [name for name, _ in out])
    return dict(out)


def parse_priors(values: Sequence[str] | None) -> dict[str, tuple[float, float]]:
    """``--prior NAME=MEAN:SD`` (repeatable) -> ``{name: (mean, sd)}``."""
    form = "NAME=MEAN:SD with a finite mean and a positive sd, e.g. alpha=0.34:0.05"
    out = []
    for text in values or ():
        name, value = _split_name("--prior", form, text)
        pieces = [p.strip() for p in value.split(":")]
        if len(pieces) != 2 or not all(pieces):
            raise _bad("--prior", form, text)
        mean, sd = (_number("--prior", form, text, p) for p in pieces)
        if not (math.isfinite(mean) and math.isfinite(sd) and sd > 0):
            raise _bad("--prior", form, text, "the mean must be finite and the sd positive")
        out.append((name, (mean, sd)))
    _no_repeats("--prior", [name for name, _ in out])
    return dict(out)


def checked(rules: Mapping[str, Rule], argument: str) -> Callable[[Any], Any]:
    """An option callback that runs the library's rule for ``argument``: the same words either way."""
    rule = rules[argument]

    def callback(value: Any) -> Any:
        if value is not None and not rule(value):
            raise typer.BadParameter(f"must be {rule.description}. Got {value!r} instead.")
        return value

    return callback


def positive(value: float) -> float:
    """Callback for options that take a positive finite number."""
    if not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"must be a positive number. Got {value!r} instead.")
    return value
