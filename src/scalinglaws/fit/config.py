"""``FitConfig``: every option of a fit and its default, in one place.

``fit(data, law, config=FitConfig(...), **overrides)`` takes it, the command line builds one from its
flags, and every result carries the one that made it, so a fit can be repeated exactly. The options are
validated once, here, by the rules in :data:`RULES` (the CLI's option callbacks run the same rules).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any, Literal, TypedDict, get_args

from scalinglaws import _validation as v
from scalinglaws.errors import ArgumentError
from scalinglaws.fit.backends import Backend
from scalinglaws.fit.losses import Loss, Space

Bounds = Mapping[str, tuple[float, float]]
Choose = Literal["in-sample", "backtest"]
Starts = Mapping[str, tuple[float, float] | float]

RULES: Mapping[str, v.Rule] = MappingProxyType({
    "loss": v.one_of(get_args(Loss)),
    "delta": v.positive(),
    "space": v.one_of(get_args(Space)),
    "asymmetry": v.positive(),
    "n_grid": v.at_least(1),
    "n_polish": v.at_least(1),
    "max_iter": v.at_least(1),
    "seed": v.integer(),
    "backend": v.one_of(get_args(Backend)),
    "choose": v.one_of(get_args(Choose)),
    "choose_fractions": v.fractions(),
    "prior_width": v.positive(),
})
"""The rule of each scalar option (also run by the CLI's option callbacks)."""


@dataclass(frozen=True)
class FitConfig:
    """Every setting that decides a fit; stored in the result so the fit can be repeated.

    Parameters
    ----------
    loss, delta
        ``"huber"`` with threshold ``delta`` (default, as Hoffmann et al.) or ``"squared"``.
    space
        Residuals as ``log(prediction) - log(target)`` (``"log"``, the standard for losses) or
        ``prediction - target`` (``"linear"``, for targets that can be zero or negative).
    asymmetry
        Weight on over-predictions relative to under-predictions (1 = symmetric).
    target
        The column to predict.
    mapping
        Law input -> column, e.g. ``{"N": "n_params"}``. ``N``, ``D``, ``C`` and ``U`` also find
        ``n_params``, ``n_tokens``, ``flops`` and ``n_unique_tokens`` by themselves. A result's config
        holds the column every input read.
    bounds, init, fixed
        Per parameter: bounds ``(lo, hi)``; a start range ``(lo, hi)`` (or one start value); a value to
        hold it at. They replace the law's own specs for this fit.
    weights
        Column of non-negative per-point weights.
    group, shared
        Fit one set of parameters per value of column ``group``; parameters named in ``shared``
        take one value across groups.
    n_grid, n_polish, max_iter
        Size of the start grid, how many of its best cells (one per basin) are polished, and the
        iteration limit of the polish. Past three searched dimensions the grid is a Sobol sample that
        doubles with each extra dimension (up to 16x), with eight more polished starts per dimension.
    seed
        Seeds every random choice (Sobol starts in many dimensions).
    backend
        The kernels that evaluate and solve the fit: ``"numpy"`` (default) or ``"jax"`` (jitted and
        vmapped JAX kernels in float64, on a GPU where JAX sees one; ``pip install
        'scalinglaws[jax]'``). Both give the same result; JAX pays a compile per law and shape and is
        worth it for big batches (many bootstrap draws or groups). See ``docs/backends.md``.
    choose, choose_by, choose_fractions
        Which of the distinct optima the multistart found is the fit: the best in-sample
        (``"in-sample"``) or the one with the lowest leave-future-out error (``"backtest"``) along the
        axis ``choose_by`` (``"auto"``: compute, or 6ND from N and D, or a law's only input; or C, N, D,
        or a column), cut at each of ``choose_fractions`` of its distinct values. Every optimum is kept
        in the result's ``optima``.
    priors, prior_from, prior_width
        Normal priors on parameters, ``{name: (mean, sd)}``, and/or the published constants of a
        catalog preset, ``"law:preset"`` (``"chinchilla:hoffmann2022"``), each with sd
        ``prior_width * |value|``; an explicit prior replaces a preset's. The fit is then the MAP
        estimate and its intervals include the priors.
    strict
        Raise :class:`ConvergenceError` unless the status is ``CONVERGED``.
    provenance
        Notes on how the data were filtered, stored in the result.

    Raises
    ------
    ArgumentError
        If an option has a value it cannot take (the message names it).
    """

    loss: Loss = "huber"
    delta: float = 1e-3
    space: Space = "log"
    asymmetry: float = 1.0
    target: str = "loss"
    mapping: Mapping[str, str] = field(default_factory=dict)
    bounds: Bounds = field(default_factory=dict)
    init: Starts = field(default_factory=dict)
    fixed: Mapping[str, float] = field(default_factory=dict)
    weights: str | None = None
    group: str | None = None
    shared: tuple[str, ...] = ()
    n_grid: int = 1024
    n_polish: int = 8
    max_iter: int = 500
    seed: int = 0
    backend: Backend = "numpy"
    choose: Choose = "in-sample"
    choose_by: str = "auto"
    choose_fractions: tuple[float, ...] = (0.6, 0.7, 0.8)
    priors: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    prior_from: str | None = None
    prior_width: float = 0.25
    strict: bool = False
    provenance: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        v.check_all("fit", RULES, {f.name: getattr(self, f.name) for f in fields(self)})
        freeze = object.__setattr__
        freeze(self, "mapping", MappingProxyType(_names("mapping", self.mapping, str)))
        freeze(self, "bounds", MappingProxyType(_bounds(self.bounds)))
        freeze(self, "init", MappingProxyType(_starts(self.init)))
        freeze(self, "fixed", MappingProxyType(_fixed(self.fixed)))
        freeze(self, "priors", MappingProxyType(_priors(self.priors)))
        freeze(self, "choose_fractions", tuple(float(f) for f in self.choose_fractions))
        if self.prior_from is not None and self.prior_from.count(":") != 1:
            raise v.argument_error(
                "fit", "prior_from", self.prior_from, "LAW:PRESET, e.g. 'chinchilla:hoffmann2022'"
            )
        freeze(self, "shared", tuple(self.shared))
        freeze(self, "provenance", tuple(self.provenance))
        if self.shared and self.group is None:
            raise ArgumentError(
                "`shared` of fit needs `group`: parameters are shared across groups.",
                argument="shared", function="fit",
            )
        both = sorted(set(self.fixed) & set(self.init))
        if both:
            raise ArgumentError(
                f"`fixed` and `init` of fit both name {both}: a fixed parameter has no start. Drop one.",
                argument="fixed", function="fit",
            )

    def with_options(self, **overrides: Any) -> FitConfig:
        """A copy with some options replaced.

        Raises
        ------
        ArgumentError
            If an option is unknown or has a value it cannot take.
        """
        unknown = sorted(set(overrides) - OPTIONS)
        if unknown:
            raise ArgumentError(
                f"{', '.join(f'`{u}`' for u in unknown)} {'is not an option' if len(unknown) == 1 else 'are not options'} "
                f"of fit. Its options: {', '.join(sorted(OPTIONS))}.",
                argument=unknown[0], function="fit",
            )
        return replace(self, **overrides) if overrides else self

    def start_range(self, name: str) -> tuple[float, float]:
        """The start range given for ``name`` (a single start value ``v`` is the range ``(v, v)``)."""
        value = self.init[name]
        return (value, value) if isinstance(value, int | float) else (value[0], value[1])

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["mapping"] = dict(self.mapping)
        out["bounds"] = {k: [float(lo), float(hi)] for k, (lo, hi) in self.bounds.items()}
        out["init"] = {k: list(self.start_range(k)) for k in self.init}
        out["fixed"] = dict(self.fixed)
        out["priors"] = {k: list(p) for k, p in self.priors.items()}
        out["choose_fractions"] = list(self.choose_fractions)
        out["shared"] = list(self.shared)
        out["provenance"] = list(self.provenance)
        if self.backend == "numpy":
            # The default kernels are not written: a fit's JSON reads as it did before backends existed.
            del out["backend"]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FitConfig:
        values = dict(data)
        values["shared"] = tuple(values.get("shared", ()))
        values["provenance"] = tuple(values.get("provenance", ()))
        values["mapping"] = dict(values.get("mapping", {}))
        values["bounds"] = {k: (float(lo), float(hi)) for k, (lo, hi) in values.get("bounds", {}).items()}
        values["init"] = {k: (float(lo), float(hi)) for k, (lo, hi) in values.get("init", {}).items()}
        values["fixed"] = {k: float(x) for k, x in values.get("fixed", {}).items()}
        values["priors"] = {k: (float(m), float(sd)) for k, (m, sd) in values.get("priors", {}).items()}
        values["choose_fractions"] = tuple(values.get("choose_fractions", (0.6, 0.7, 0.8)))
        unknown = sorted(set(values) - OPTIONS)
        if unknown:
            raise ArgumentError(
                f"unknown fit option(s) {unknown} in a stored config.",
                argument=unknown[0],
            )
        return cls(**values)


OPTIONS = frozenset(f.name for f in fields(FitConfig))
"""The names ``fit`` takes as keyword overrides."""


class FitOptions(TypedDict, total=False):
    """The keyword overrides of :func:`scalinglaws.fit` (the fields of :class:`FitConfig`)."""

    loss: Loss
    delta: float
    space: Space
    asymmetry: float
    target: str
    mapping: Mapping[str, str]
    bounds: Bounds
    init: Starts
    fixed: Mapping[str, float]
    weights: str | None
    group: str | None
    shared: Sequence[str]
    n_grid: int
    n_polish: int
    max_iter: int
    seed: int
    backend: Backend
    choose: Choose
    choose_by: str
    choose_fractions: Sequence[float]
    priors: Mapping[str, tuple[float, float]]
    prior_from: str | None
    prior_width: float
    strict: bool
    provenance: Sequence[str]


def _names(argument: str, values: Any, kind: type) -> dict[str, Any]:
    if not isinstance(values, Mapping) or not all(isinstance(k, str) for k in values):
        raise v.argument_error("fit", argument, values, "a mapping from names to values")
    if kind is str and not all(isinstance(x, str) for x in values.values()):
        raise v.argument_error("fit", argument, values, "a mapping from law symbols to column names")
    return dict(values)


def _number(argument: str, name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise v.argument_error("fit", argument, {name: value}, "a mapping from names to numbers") from None
    if math.isnan(number):
        raise v.argument_error("fit", argument, {name: value}, "free of NaN")
    return number


def _bounds(values: Any) -> dict[str, tuple[float, float]]:
    out = {}
    for name, pair in _names("bounds", values, object).items():
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise v.argument_error("fit", "bounds", {name: pair}, "a mapping from names to (lower, upper)")
        lo, hi = (_number("bounds", name, x) for x in pair)
        if not lo < hi:
            raise v.argument_error(
                "fit", "bounds", {name: pair}, "(lower, upper) pairs with lower < upper",
                "An empty side is no bound: use -inf or inf.",
            )
        out[name] = (lo, hi)
    return out


def _starts(values: Any) -> dict[str, tuple[float, float]]:
    out = {}
    for name, value in _names("init", values, object).items():
        pair = (value, value) if isinstance(value, int | float) else value
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise v.argument_error("fit", "init", {name: value}, "a mapping from names to (lo, hi) or a value")
        lo, hi = (_number("init", name, x) for x in pair)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
            raise v.argument_error("fit", "init", {name: value}, "finite start ranges (lo, hi) with lo <= hi")
        out[name] = (lo, hi)
    return out


def _fixed(values: Any) -> dict[str, float]:
    out = {}
    for name, value in _names("fixed", values, object).items():
        number = _number("fixed", name, value)
        if not math.isfinite(number):
            raise v.argument_error("fit", "fixed", {name: value}, "a mapping from names to finite numbers")
        out[name] = number
    return out


def _priors(values: Any) -> dict[str, tuple[float, float]]:
    out = {}
    for name, pair in _names("priors", values, object).items():
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise v.argument_error("fit", "priors", {name: pair}, "a mapping from names to (mean, sd)")
        mean, sd = (_number("priors", name, x) for x in pair)
        if not (math.isfinite(mean) and math.isfinite(sd) and sd > 0):
            raise v.argument_error("fit", "priors", {name: pair}, "(mean, sd) pairs of finite numbers with sd > 0")
        out[name] = (mean, sd)
    return out
