"""Scoring candidates by nested leave-future-out error, and ranking them.

The runs are ordered along a scale axis and split twice (per group, when the search is grouped, so every
group has a past and a future):

- the **outer** split holds out the top of the axis (above :data:`OUTER_FRACTION` of its distinct
  values). It is never used to choose: it gives the leaderboard's out-of-sample error and R²;
- the **inner** splits cut the outer training part at :data:`INNER_FRACTIONS` of its distinct axis
  values. A candidate is fitted afresh on the runs below each cut and predicts the runs above; its
  *nested error* is the mean absolute log error of those predictions (relative error in linear
  space), averaged over the cuts. Forms are chosen by it.

A candidate is fitted with the engine (:func:`scalinglaws.fit`) on the outer training part; a fit whose
optimum the degenerate-optimum guard flags is discarded. Ranking sorts by nested error; forms whose
errors are *equal within noise* of the best (:func:`ties`) come first, simplest first (fewest fitted
values, then a published form, then BIC), so the simplest of equals wins.

Evaluation goes through one function over chunks of candidates, :func:`evaluate_chunk`, so the
search can hand chunks to any ``map``.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from scalinglaws.discover.grammar import Form
from scalinglaws.errors import ToolkitError
from scalinglaws.fit import api as engine
from scalinglaws.fit.config import FitConfig
from scalinglaws.fit.losses import Space
from scalinglaws.fit.result import FitResult
from scalinglaws.fit.splits import cut_points
from scalinglaws.laws import Law

OUTER_FRACTION = 0.75
"""The outer split trains on the axis values up to this fraction of the distinct values (the backtest's
default cut): the top quarter is held out for the leaderboard."""
INNER_FRACTIONS = (0.5, 0.65, 0.8)
"""Cuts of the outer training part that choose forms (from half to four fifths of its distinct axis
values, so that a ladder of a few sizes still gives two cuts; three cuts, as each costs a fit of
every candidate)."""
TIE_STANDARD_ERRORS = 1.0
"""Two forms tie when the mean paired difference of their held-out errors is below this many standard
errors of that mean (the one-standard-error rule of cross-validation, Breiman et al. 1984) (over clusters of held-out runs at one axis value: checkpoints of one model are one
piece of evidence, not many)..."""
MIN_CLUSTERS = 5
"""Below this many clusters of held-out runs (a ladder whose inner cuts hold out one or two model
sizes), a standard error over clusters is itself too uncertain to call forms equal: only the relative
tie applies."""
TIE_RELATIVE = 0.10
"""...or below this share of the best error: the best of a hundred candidates scored on the same
held-out runs is lucky by about that much (on 1%-noise synthetic mixtures, forms 8% apart in nested
error were 1% and 6% apart held out), so a form that close is not worse."""


@dataclass(frozen=True, eq=False)
class Splits:
    """Row masks of the outer split and of the inner splits inside its training part."""

    axis: str
    outer_train: np.ndarray
    outer_test: np.ndarray
    inner: tuple[tuple[np.ndarray, np.ndarray], ...]
    clusters: np.ndarray
    """For each held-out point of the inner splits, in order, the index of its cluster: the runs of
    one group at one axis value, under every inner cut that holds them out."""


def make_splits(axis: np.ndarray, labels: np.ndarray | None, note: str) -> Splits:
    """The nested splits along ``axis``, cut within each group of ``labels`` (all rows when None)."""
    n = axis.size
    groups = (
        [np.ones(n, dtype=bool)]
        if labels is None
        else [labels == g for g in dict.fromkeys(labels.tolist())]
    )
    outer_train = np.zeros(n, dtype=bool)
    for rows in groups:
        outer_train |= rows & (axis <= _cut(axis[rows], OUTER_FRACTION))
    inner = []
    seen: set[bytes] = set()
    for fraction in INNER_FRACTIONS:
        train = np.zeros(n, dtype=bool)
        for rows in groups:
            part = rows & outer_train
            if part.any():
                train |= part & (axis <= _cut(axis[part], fraction))
        test = outer_train & ~train
        if test.any() and train.any() and train.tobytes() not in seen:
            seen.add(train.tobytes())
            inner.append((train, test))
    # A run held out by several inner cuts is one piece of evidence, not several: its errors under the
    # different cuts are strongly correlated, so it forms one cluster with the other runs at its value.
    keys = [
        ("" if labels is None else str(labels[j]), float(axis[j]))
        for _, test in inner
        for j in np.flatnonzero(test)
    ]
    index = {k: c for c, k in enumerate(dict.fromkeys(keys))}
    clusters = np.array([index[k] for k in keys], dtype=int)
    return Splits(note, outer_train, ~outer_train, tuple(inner), clusters)


def _cut(values: np.ndarray, fraction: float) -> float:
    return (
        cut_points(values, [fraction])[0] if np.unique(values).size > 1 else float(np.max(values))
    )


@dataclass(frozen=True)
class Candidate:
    """A law to score: a formula (from the grammar) or a catalog law, the column each input reads, the
    start ranges and bounds of the roles the scale-aware starts miss, the parameters shared across
    groups, and the canonical identity under which equivalent candidates are merged."""

    label: str
    law: str | Law
    mapping: Mapping[str, str]
    identity: str
    n_params: int
    complexity: tuple[int, float]
    init: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    shared: tuple[str, ...] = ()
    form: Form | None = None
    catalog: str = ""
    published: bool = False
    """A catalog law, or a form equivalent to one."""
    optima: tuple[tuple[str, str], ...] = ()
    """``(column, parameter)``: a quadratic in log whose optimum (the parameter) must lie in the data."""

    @property
    def formula(self) -> str:
        return self.law if isinstance(self.law, str) else self.law.formula

    @property
    def key(self) -> str:
        """The identity of the form together with its sharing across groups."""
        return f"{self.identity} || shared {','.join(self.shared)}"


@dataclass(frozen=True)
class Settings:
    """The fit options of a scoring: small grids and iteration limits while searching, the engine's
    defaults for the winners."""

    n_grid: int
    n_polish: int
    max_iter: int
    seed: int

    def options(self) -> dict[str, Any]:
        return {
            "n_grid": self.n_grid,
            "n_polish": self.n_polish,
            "max_iter": self.max_iter,
            "seed": self.seed,
        }


def search_settings(seed: int) -> Settings:
    """Cheap fits for the search: a 128-cell start grid, 4 polished starts, 150 iterations."""
    return Settings(128, 4, 150, seed)


def full_settings(seed: int) -> Settings:
    defaults = FitConfig()
    return Settings(defaults.n_grid, defaults.n_polish, defaults.max_iter, seed)


@dataclass(frozen=True, eq=False)
class Context:
    """The data of one target's search: the columns used, the target, the group column, the residual
    space and the splits."""

    columns: Mapping[str, np.ndarray]
    target: str
    group: str | None
    space: Space
    splits: Splits

    def rows(self, mask: np.ndarray) -> dict[str, np.ndarray]:
        return {k: v[mask] for k, v in self.columns.items()}


@dataclass(frozen=True, eq=False)
class Score:
    """A scored candidate: nested error (and its per-point errors over the inner splits), out-of-sample
    error and R² on the outer held-out runs, in-sample objective, BIC and free-parameter count of the
    fit on the outer training part. ``note`` says why a candidate was discarded ("" when kept)."""

    candidate: Candidate
    error: float
    point_errors: np.ndarray
    outer_error: float
    outer_r2: float
    objective: float
    bic: float
    n_free: int
    status: str
    note: str
    seconds: float
    full: bool

    @property
    def ok(self) -> bool:
        return not self.note and math.isfinite(self.error)


@dataclass(frozen=True, eq=False)
class Chunk:
    """Candidates to score together, with everything scoring needs (so a chunk can go anywhere)."""

    candidates: tuple[Candidate, ...]
    context: Context
    settings: Settings
    full: bool = False


def evaluate_chunk(chunk: Chunk) -> list[Score]:
    """Score every candidate of the chunk (the one function a search maps over chunks)."""
    return [score(c, chunk.context, chunk.settings, chunk.full) for c in chunk.candidates]


def fit(
    columns: Mapping[str, np.ndarray],
    candidate: Candidate,
    context: Context,
    settings: Settings,
    start: FitResult | None = None,
) -> FitResult:
    """The engine's fit of ``candidate`` to ``columns``; from the optimum of ``start`` (a fit of the
    same candidate) when given, instead of a fresh start grid."""
    options = settings.options()
    init = dict(candidate.init)
    if start is not None:
        init.update(_warm(start))
        options.update(n_grid=1, n_polish=2)
    config = FitConfig(
        target=context.target,
        mapping=dict(candidate.mapping),
        init=init,
        bounds=dict(candidate.bounds),
        group=context.group,
        shared=candidate.shared,
        space=context.space,
        **options,
    )
    return engine.fit(columns, candidate.law, config=config)


def _warm(result: FitResult) -> dict[str, tuple[float, float]]:
    """Start ranges at the optimum of ``result``: each searched parameter's value (its range over the
    groups of a grouped fit). Linear parameters are solved exactly anyway; a log-spaced parameter that
    ended at a value <= 0 keeps its own range."""
    law = result.law
    linear = set(law.compiled.linear_params)
    sets = list(result.groups.values()) if result.groups is not None else [result.params]
    out = {}
    for name in law.param_names:
        if name in linear or name in law.fixed:
            continue
        values = [float(p[name]) for p in sets]
        low, high = min(values), max(values)
        if not (math.isfinite(low) and math.isfinite(high)):
            continue
        if law.spec(name).init_scale == "log" and low <= 0:
            continue
        out[name] = (low, high)
    return out


def score(candidate: Candidate, context: Context, settings: Settings, full: bool = False) -> Score:
    """Score ``candidate``: fitted on each inner training part (the smallest afresh, each larger one
    from the optimum of the one before: every fit sees only data the next one also sees, so nothing
    leaks from a held-out part) and on the outer training part (from the largest inner fit). With
    ``full``, every fit starts afresh with the full settings."""
    start = time.perf_counter()
    splits = context.splits
    nan = float("nan")

    def failed(note: str, status: str = "failed") -> Score:
        return Score(
            candidate,
            math.inf,
            np.zeros(0),
            nan,
            nan,
            nan,
            nan,
            0,
            status,
            note,
            time.perf_counter() - start,
            full,
        )

    # Candidate fits are trials: warnings about a form the search will discard are not the user's.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = []
        previous: FitResult | None = None
        for train, test in splits.inner:
            try:
                inner = fit(
                    context.rows(train), candidate, context, settings, None if full else previous
                )
                predicted = inner.predict(context.rows(test))
                previous = inner
            except (ToolkitError, ArithmeticError):
                predicted = np.full(int(test.sum()), np.nan)
            parts.append(
                point_errors(predicted, context.columns[context.target][test], context.space)
            )
        try:
            main = fit(
                context.rows(splits.outer_train),
                candidate,
                context,
                settings,
                None if full else previous,
            )
        except (ToolkitError, ArithmeticError) as exc:
            return failed(f"{type(exc).__name__}: {exc}")
        degenerate = [d.message for d in main.diagnostics if d.kind == "degenerate"]
        degenerate += outside_optima(main, candidate, context.rows(splits.outer_train))
        if degenerate:
            return failed(degenerate[0], main.status.value)
        if not math.isfinite(main.objective):
            return failed("the objective is not finite at the optimum", main.status.value)
        outer_error, outer_r2 = _held_out(main, context.rows(splits.outer_test), context)
    errors = np.concatenate(parts) if parts else np.zeros(0)
    error = float(np.mean([np.mean(p) for p in parts])) if parts else math.inf
    n, k = main.n_points, main.n_params
    bic = n * math.log(max(main.rss, 1e-300) / n) + k * math.log(n)
    return Score(
        candidate,
        error if math.isfinite(error) else math.inf,
        errors,
        outer_error,
        outer_r2,
        float(main.objective),
        float(bic),
        k,
        main.status.value,
        "",
        time.perf_counter() - start,
        full,
    )


def outside_optima(
    result: FitResult, candidate: Candidate, columns: Mapping[str, np.ndarray]
) -> list[str]:
    """A quadratic in log whose fitted optimum lies outside the observed range of its input is not an
    optimum the data show: it only bends the law, and turns it around past the data."""
    out = []
    sets = list(result.groups.values()) if result.groups is not None else [result.params]
    for column, name in candidate.optima:
        low, high = float(np.min(columns[column])), float(np.max(columns[column]))
        outside = [p[name] for p in sets if not low <= p[name] <= high]
        if outside:
            out.append(
                f"degenerate optimum (outside): the quadratic in log {column!r} has its optimum "
                f"{name} = {outside[0]:.3g} outside the data ({low:.3g} to {high:.3g})"
            )
    return out


def point_errors(predicted: np.ndarray, actual: np.ndarray, space: Space) -> np.ndarray:
    """Absolute log errors (relative to the mean size of ``actual`` in linear space); inf where the
    prediction is not finite (or not positive in log space)."""
    with np.errstate(all="ignore"):
        if space == "log":
            gap = np.abs(np.log(np.where(predicted > 0, predicted, np.nan) / actual))
        else:
            gap = np.abs(predicted - actual) / max(float(np.mean(np.abs(actual))), 1e-300)
    return np.where(np.isfinite(gap), gap, np.inf)


def _held_out(
    result: FitResult, held: Mapping[str, np.ndarray], context: Context
) -> tuple[float, float]:
    """Mean absolute relative error and R² of ``result`` on the held-out rows."""
    actual = held[context.target].astype(float)
    try:
        predicted = result.predict(held)
    except ToolkitError:
        return math.inf, math.nan
    return held_out_scores(predicted, actual, context.space)


def held_out_scores(predicted: np.ndarray, actual: np.ndarray, space: Space) -> tuple[float, float]:
    """Mean absolute relative error (relative to the mean size in linear space) and R² about the
    held-out mean (NaN below 3 points)."""
    if not np.all(np.isfinite(predicted)):
        return math.inf, math.nan
    size = np.abs(actual) if space == "log" else max(float(np.mean(np.abs(actual))), 1e-300)
    error = float(np.mean(np.abs(predicted - actual) / size))
    spread = float(np.sum((actual - actual.mean()) ** 2))
    r2 = (
        1.0 - float(np.sum((actual - predicted) ** 2)) / spread
        if actual.size >= 3 and spread > 0
        else math.nan
    )
    return error, r2


def ties(a: Score, best: Score, clusters: np.ndarray | None = None) -> bool:
    """Whether ``a``'s nested error is equal to ``best``'s within noise: paired over the same held-out
    points, the mean gap is below :data:`TIE_STANDARD_ERRORS` standard errors (over ``clusters`` of
    points, each point its own when None; only with :data:`MIN_CLUSTERS` or more) or below
    :data:`TIE_RELATIVE` of the best error."""
    if a is best:
        return True
    if a.point_errors.shape != best.point_errors.shape or not a.ok or not best.ok:
        return False
    gap = a.point_errors - best.point_errors
    if not np.all(np.isfinite(gap)):
        return False
    if clusters is not None and clusters.shape == gap.shape:
        sums = np.bincount(clusters, weights=gap)
        counts = np.bincount(clusters)
        units = sums[counts > 0] / counts[counts > 0]
    else:
        units = gap
    spread = (
        float(np.std(units, ddof=1)) / math.sqrt(units.size) if units.size >= MIN_CLUSTERS else 0.0
    )
    return float(np.mean(gap)) <= max(TIE_STANDARD_ERRORS * spread, TIE_RELATIVE * best.error)


def simplicity(s: Score) -> tuple[int, int, float, float, str]:
    """Order among equals, simplest first: fewer fitted values, a published form, less structure,
    lower BIC."""
    c = s.candidate
    return (s.n_free, 0 if c.published else 1, c.complexity[1], s.bic, c.label)


def rank(scores: Sequence[Score], clusters: np.ndarray | None = None) -> list[Score]:
    """Kept scores, best first: by nested error, except that the forms tied with the best (within
    noise, :func:`ties`) come first, simplest first (:func:`simplicity`): among equals the simplest
    form wins."""
    kept = sorted((s for s in scores if s.ok), key=lambda s: (s.error, s.bic, s.candidate.label))
    if not kept:
        return []
    equals = [s for s in kept if ties(s, kept[0], clusters)]
    equals.sort(key=simplicity)
    chosen = {id(s) for s in equals}
    return equals + [s for s in kept if id(s) not in chosen]


Stop = Literal["complete", "budget", "limit"]
