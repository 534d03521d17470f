"""The typed grammar of law forms: the building blocks published scaling laws are made of.

A :class:`Form` is an optional offset plus a sum of :class:`Term` s. Terms are typed by the inputs
they read (:class:`Input`): a *scale* (positive, spanning a range: parameters, tokens, compute,
learning rates) takes powers, logs, ratios and saturating transforms; a *share* (values in [0, 1]:
mixture proportions) and any other real input take exponentials of linear combinations and linear
terms. The blocks:

- ``power``: ``A*x**-a`` per quantity, a product of quantities for a multiplicative term
  (``A*N**-a*D**-b``); a quantity is an input, a ratio ``(D/N)``, a saturating quantity
  ``(x/(1 + x/K))`` or effective repeated data ``(U*(1 + R*(1 - exp(-(D/U - 1)/R))))``;
- ``broken``: a broken power law with one break, ``A*x**-a*(1 + (x/d)**(1/f))**(-c*f)``;
- ``log`` and ``loglog``: ``A*log(x)`` and the interaction ``A*log(x)*log(y)``;
- ``exp``: ``A*exp(t1*r1 + t2*r2)``, the mixture-proportion law's exponential of a linear combination;
- ``linear``: ``A*r``;
- ``quad``: a quadratic in log for a hyper-parameter optimum,
  ``A*(log(h/F) - s1*log(N/N0) - s2*log(D/D0))**2`` (``N0``, ``D0``: the inputs' geometric means, so
  ``F`` is the optimum at the middle of the data).

Rendering a form gives a formula the engine fits like any typed formula (linear parameters projected,
scale-aware starts), plus start ranges and bounds for the few roles the scale-aware starts do not
cover (a repetition constant, a break's sharpness, an exponential's rate, a quadratic's slopes).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

InputKind = Literal["scale", "share", "real"]
QuantityKind = Literal["input", "ratio", "saturated", "repeated"]
TermKind = Literal["power", "broken", "log", "loglog", "exp", "linear", "quad"]

MIN_SCALE_DECADES = 0.1
"""A positive input spanning less than this (a factor 1.26) is treated as a plain real input: a power
of it is indistinguishable from a linear term over so short a range."""

_COST: Mapping[str, float] = {
    "input": 0.0,
    "ratio": 0.25,
    "saturated": 0.5,
    "repeated": 0.5,
    "power": 0.0,
    "broken": 1.0,
    "log": 0.25,
    "loglog": 0.5,
    "exp": 0.25,
    "linear": 0.25,
    "quad": 1.0,
}
"""Structural cost of each block beyond its parameters, for ordering forms of equal size."""


@dataclass(frozen=True)
class Input:
    """One input of the search: the symbol formulas use, the column it reads and its type."""

    symbol: str
    column: str
    kind: InputKind
    low: float
    high: float

    @property
    def decades(self) -> float:
        """Decades spanned on the data (0 unless a scale)."""
        return math.log10(self.high / self.low) if self.kind == "scale" else 0.0

    @property
    def centre(self) -> float:
        """Geometric mean of the range (a scale), the centre a quadratic in log is written around."""
        return math.sqrt(self.low * self.high)

    @property
    def span(self) -> float:
        return self.high - self.low


@dataclass(frozen=True)
class Vocabulary:
    """What the grammar may say about the data: the inputs by symbol, and the ordered pairs
    ``(D, U)`` with ``D >= U`` on every row (and ``>`` on some) that can form effective repeated data."""

    inputs: Mapping[str, Input]
    repeats: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(cls, inputs: Sequence[Input], columns: Mapping[str, np.ndarray]) -> Vocabulary:
        scales = [i for i in inputs if i.kind == "scale"]
        repeats = set()
        for total in scales:
            for unique in scales:
                if total is unique:
                    continue
                d = np.asarray(columns[total.column], dtype=float)
                u = np.asarray(columns[unique.column], dtype=float)
                if np.all(d >= u) and np.any(d > u):
                    repeats.add((total.symbol, unique.symbol))
        return cls({i.symbol: i for i in inputs}, frozenset(repeats))

    @property
    def scales(self) -> tuple[str, ...]:
        return tuple(s for s, i in self.inputs.items() if i.kind == "scale")

    @property
    def others(self) -> tuple[str, ...]:
        return tuple(s for s, i in self.inputs.items() if i.kind != "scale")


def input_kind(values: np.ndarray) -> InputKind:
    """``share`` for values in [0, 1], ``scale`` for positive values spanning a range, else ``real``."""
    low, high = float(np.min(values)), float(np.max(values))
    if low >= 0.0 and high <= 1.0:
        return "share"
    if low > 0.0 and math.log10(high / low) >= MIN_SCALE_DECADES:
        return "scale"
    return "real"


@dataclass(frozen=True, order=True)
class Quantity:
    """Something raised to a power: an input, a ratio ``x/y``, ``x/(1 + x/K)``, or effective repeated
    data ``U*(1 + R*(1 - exp(-(D/U - 1)/R)))`` for ``inputs = (D, U)``."""

    kind: QuantityKind
    inputs: tuple[str, ...]


@dataclass(frozen=True, order=True)
class Term:
    """One additive term. ``quantities`` for ``power`` (one exponent each) and ``broken`` (one);
    ``inputs`` for the others (``quad``: the hyper-parameter first, then the scales its optimum moves
    with)."""

    kind: TermKind
    quantities: tuple[Quantity, ...] = ()
    inputs: tuple[str, ...] = ()

    def reads(self) -> tuple[str, ...]:
        """Every input symbol the term reads, in first-use order."""
        names = [s for q in self.quantities for s in q.inputs] + list(self.inputs)
        return tuple(dict.fromkeys(names))

    @property
    def cost(self) -> float:
        return _COST[self.kind] + sum(_COST[q.kind] for q in self.quantities)


@dataclass(frozen=True)
class Rendered:
    """A form as the engine takes it: the formula, its parameters (with each one's role), the symbols
    it reads, and start ranges and bounds for the roles the scale-aware starts do not cover."""

    formula: str
    params: tuple[str, ...]
    roles: Mapping[str, str]
    symbols: tuple[str, ...]
    init: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    optima: tuple[tuple[str, str], ...] = ()
    """``(input symbol, parameter)`` of each quadratic in log: the parameter is the optimum of the input
    at the centre of the data, which a fit must place inside the data."""


@dataclass(frozen=True, order=True)
class Form:
    """An optional offset ``E`` plus a sum of terms (kept sorted, so equal forms compare equal).

    ``tied``: every one-quantity power term shares one exponent (Muennighoff's preset, Gadre's equal
    exponents).
    """

    terms: tuple[Term, ...]
    offset: bool = True
    tied: bool = False

    @classmethod
    def of(cls, terms: Sequence[Term], offset: bool = True, tied: bool = False) -> Form:
        unique = tuple(sorted(set(terms)))
        return cls(unique, offset, tied and sum(_tieable(t) for t in unique) >= 2)

    def reads(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for t in self.terms for s in t.reads()))

    def render(self, inputs: Mapping[str, Input], reserved: Collection[str] = ()) -> Rendered:
        """The formula of the form over ``inputs`` (by symbol), with parameter names that avoid
        ``reserved`` (the table's columns) and the input symbols."""
        namer = _Namer({*reserved, *inputs})
        parts: list[str] = []
        if self.offset:
            parts.append(namer.take("E", "offset", plain=True))
        shared = namer.take("a", "exponent", plain=True) if self.tied else None
        for term in self.terms:
            parts.append(_render_term(term, inputs, namer, shared if _tieable(term) else None))
        formula = " + ".join(parts)
        return Rendered(
            formula=formula,
            params=tuple(namer.roles),
            roles=dict(namer.roles),
            symbols=self.reads(),
            init=dict(namer.init),
            bounds=dict(namer.bounds),
            optima=tuple(namer.optima),
        )

    @property
    def cost(self) -> float:
        return (
            sum(t.cost for t in self.terms)
            + (0.0 if self.offset else 0.25)
            - (0.25 if self.tied else 0.0)
        )


def _tieable(term: Term) -> bool:
    return term.kind == "power" and len(term.quantities) == 1


class _Namer:
    """Parameter names by role prefix and counter (``A1``, ``a2``...), skipping reserved names."""

    def __init__(self, reserved: Collection[str]) -> None:
        self.reserved = set(reserved)
        self.counters: dict[str, int] = {}
        self.roles: dict[str, str] = {}
        self.init: dict[str, tuple[float, float]] = {}
        self.bounds: dict[str, tuple[float, float]] = {}
        self.optima: list[tuple[str, str]] = []

    def take(self, prefix: str, role: str, plain: bool = False) -> str:
        """A fresh name: ``prefix`` itself when ``plain`` and free, else ``prefix`` and a counter."""
        if plain and prefix not in self.reserved and prefix not in self.roles:
            self.roles[prefix] = role
            return prefix
        while True:
            count = self.counters.get(prefix, 0) + 1
            self.counters[prefix] = count
            name = f"{prefix}{count}"
            if name not in self.reserved and name not in self.roles:
                self.roles[name] = role
                return name


def _quantity(q: Quantity, inputs: Mapping[str, Input], namer: _Namer) -> str:
    if q.kind == "input":
        return q.inputs[0]
    if q.kind == "ratio":
        return f"({q.inputs[0]}/{q.inputs[1]})"
    if q.kind == "saturated":
        (x,) = q.inputs
        k = namer.take("K", "scale")
        return f"({x}/(1 + {x}/{k}))"
    d, u = q.inputs
    r = namer.take("R", "repetition")
    # Muennighoff et al.'s effective data: repeated epochs (D/U - 1) are worth less and less, decaying
    # with constant R (in epochs); R of 1 to 50 covers their fitted 15.4.
    namer.init[r] = (1.0, 50.0)
    namer.bounds[r] = (1e-3, 1e3)
    return f"({u}*(1 + {r}*(1 - exp(-({d}/{u} - 1)/{r}))))"


def _render_term(term: Term, inputs: Mapping[str, Input], namer: _Namer, shared: str | None) -> str:
    amplitude = namer.take("A", "amplitude")
    kind = term.kind
    if kind == "power":
        factors = []
        for q in term.quantities:
            exponent = shared or namer.take("a", "exponent")
            factors.append(f"{_quantity(q, inputs, namer)}**-{exponent}")
        return "*".join([amplitude, *factors])
    if kind == "broken":
        (q,) = term.quantities
        base = _quantity(q, inputs, namer)
        a = namer.take("a", "exponent")
        d = namer.take("d", "scale")
        f = namer.take("f", "sharpness")
        c = namer.take("c", "exponent")
        # BNSL's sharpness f is positive; 0.1-2 spans sharp to smooth breaks (Caballero et al.).
        namer.init[f] = (0.1, 2.0)
        namer.bounds[f] = (1e-2, 10.0)
        return f"{amplitude}*{base}**-{a}*(1 + ({base}/{d})**(1/{f}))**(-{c}*{f})"
    if kind == "log":
        return f"{amplitude}*log({term.inputs[0]})"
    if kind == "loglog":
        x, y = term.inputs
        return f"{amplitude}*log({x})*log({y})"
    if kind == "linear":
        return f"{amplitude}*{term.inputs[0]}"
    if kind == "exp":
        pieces = []
        for symbol in term.inputs:
            t = namer.take("t", "rate")
            # A rate that moves the exponent by up to 3 across the input's range (a factor e**3 in
            # the term): wider than a mixture law's effects, and the polish may leave the range.
            reach = 3.0 / max(inputs[symbol].span, 1e-300)
            namer.init[t] = (-reach, reach)
            pieces.append(f"{t}*{symbol}")
        return f"{amplitude}*exp({' + '.join(pieces)})"
    if kind == "quad":
        h, *scales = term.inputs
        location = namer.take("F", "scale")
        namer.optima.append((h, location))
        inside = [f"log({h}/{location})"]
        for symbol in scales:
            s = namer.take("s", "slope")
            # Optimum exponents of hyper-parameters in model or data size are below 1 in magnitude.
            namer.init[s] = (-1.0, 1.0)
            inside.append(f"{s}*log({symbol}/{inputs[symbol].centre:.3g})")
        return f"{amplitude}*({' - '.join(inside)})**2"
    raise ValueError(f"unknown term kind {kind!r}")  # pragma: no cover - Literal exhausts the kinds


def power(*symbols: str) -> Term:
    """``A*x**-a*y**-b...``: one plain input per factor."""
    return Term("power", tuple(Quantity("input", (s,)) for s in symbols))
