"""Model averaging by the future: stacking weights from leave-future-out predictions.

When several laws (or several optima of one law) fit the data about equally well, picking one throws the
model uncertainty away. :func:`average` scores each candidate as a backtest does — polished on the runs
below each cut along a scale axis, predicting the runs above — and finds the stacking weights (Yao et
al. 2018): the convex combination of the candidates' held-out log predictions closest to the held-out
log targets in mean absolute error, the error each candidate is scored by. Predictions are the weighted geometric mean of the candidates'; prediction intervals come
from the mixture of their predictive distributions, so disagreement between laws widens the band.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Unpack

import numpy as np
import polars as pl

from scalinglaws import _views
from scalinglaws.data.io import columns_of
from scalinglaws.errors import ArgumentError, FitError
from scalinglaws.fit import api as engine
from scalinglaws.fit.config import FitConfig, FitOptions
from scalinglaws.fit.gate import choose_axis, config_for, mapping_for, prepare, resolve_law
from scalinglaws.fit.result import FitResult
from scalinglaws.fit.solver import LevenbergMarquardt
from scalinglaws.fit.splits import check_axis, cut_points
from scalinglaws.laws import Law

DEFAULT_FRACTIONS = (0.6, 0.7, 0.8)


@dataclass(frozen=True, eq=False)
class Average:
    """A weighted mixture of fitted candidates (laws, or optima of one law).

    ``table`` has one row per candidate: its label, stacking weight, leave-future-out error (mean
    absolute log error of the held-out runs) and in-sample objective. ``lfo_error`` is the stacked
    mixture's own leave-future-out error.
    """

    candidates: tuple[FitResult, ...]
    labels: tuple[str, ...]
    weights: np.ndarray
    errors: np.ndarray
    lfo_error: float
    axis: str
    table: pl.DataFrame = field(repr=False)

    def predict(self, data: Any) -> np.ndarray:
        """The weighted geometric mean of the candidates' predictions (arithmetic in linear space)."""
        predictions = np.array([c.predict(data) for c in self.candidates])
        if self.candidates[0].config.space == "linear":
            return np.asarray(self.weights @ predictions)
        with np.errstate(all="ignore"):
            return np.exp(self.weights @ np.log(predictions))

    def predict_interval(
        self, data: Any, prob: float = 0.95, kind: Literal["confidence", "prediction"] = "prediction"
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        """Point prediction and the ``prob`` interval of the mixture of the candidates' predictive
        distributions (normal in the fit's residual space, from each candidate's own interval)."""
        if not 0 < prob < 1:
            raise ArgumentError(f"`prob` must be strictly between 0 and 1. Got {prob!r} instead.", argument="prob")
        log = self.candidates[0].config.space == "log"
        centres, spreads = [], []
        for candidate in self.candidates:
            try:
                point, lower, upper, _ = candidate.predict_interval(data, 0.6826894921370859, kind)
            except FitError:  # no covariance and no draws: a point mass at its prediction
                point = candidate.predict(data)
                lower = upper = point
            if log:
                with np.errstate(all="ignore"):
                    centres.append(np.log(point))
                    spreads.append(0.5 * (np.log(upper) - np.log(lower)))
            else:
                centres.append(point)
                spreads.append(0.5 * (upper - lower))
        keep = self.weights > 0
        mean, sd = np.array(centres)[keep], np.array(spreads)[keep]
        sd = np.where(np.isfinite(sd) & (sd > 0), sd, 1e-12 * np.maximum(np.abs(mean), 1.0))
        lower = _mixture_quantile(self.weights[keep], mean, sd, (1 - prob) / 2)
        upper = _mixture_quantile(self.weights[keep], mean, sd, (1 + prob) / 2)
        point = self.predict(data)
        method = f"mixture of {len(self.candidates)} candidates (stacking weights)"
        return (point, np.exp(lower), np.exp(upper), method) if log else (point, lower, upper, method)

    def summary(self) -> str:
        lines = [f"average of {len(self.candidates)} candidates by leave-future-out stacking along {self.axis}:"]
        width = max(len(label) for label in self.labels)
        for label, weight, error in zip(self.labels, self.weights, self.errors, strict=True):
            lines.append(f"  {label:<{width}}  weight {weight:6.1%}  held-out error {error:.4g}")
        lines.append(f"mixture held-out error {self.lfo_error:.4g}")
        return "\n".join(lines)

    def _repr_html_(self) -> str | None:  # notebook view, drawn by the report layer (see _views)
        return _views.html(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "axis": self.axis,
            "lfo_error": self.lfo_error,
            "candidates": [
                {"label": label, "weight": float(w), "lfo_error": float(e), "law": c.law.label,
                 "params": dict(c.params), "objective": c.objective}
                for label, w, e, c in zip(self.labels, self.weights, self.errors, self.candidates, strict=True)
            ],
        }


def _mixture_quantile(weights: np.ndarray, mean: np.ndarray, sd: np.ndarray, q: float) -> np.ndarray:
    """Quantile ``q`` of a mixture of normals per column (bisection on the mixture's CDF)."""
    from scipy.special import ndtr

    lo = np.min(mean - 10 * sd, axis=0)
    hi = np.max(mean + 10 * sd, axis=0)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        cdf = np.sum(weights[:, None] * ndtr((mid - mean) / sd), axis=0)
        lo, hi = np.where(cdf < q, mid, lo), np.where(cdf < q, hi, mid)
    return 0.5 * (lo + hi)


def _stacking_weights(held: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Simplex weights minimising the mean absolute error of the combined held-out predictions: the
    error that scores each candidate, so the mixture is never worse than the best of them on it, and,
    like the fit's Huber loss, robust to a few outlying runs (squared error let them decide). A linear
    programme (HiGHS): weights ``w`` and per-point bounds ``t`` on ``|w @ held - actual|``."""
    from scipy import sparse
    from scipy.optimize import linprog

    k = held.shape[0]
    usable = np.all(np.isfinite(held), axis=1)
    if usable.sum() == 0:
        return np.full(k, 1.0 / k)
    sub = held[usable]
    n, m = sub.shape
    eye = sparse.identity(m, format="csr")
    solution = linprog(
        np.concatenate([np.zeros(n), np.full(m, 1.0 / m)]),
        A_ub=sparse.vstack([sparse.hstack([sub.T, -eye]), sparse.hstack([-sub.T, -eye])], format="csr"),
        b_ub=np.concatenate([actual, -actual]),
        A_eq=np.concatenate([np.ones(n), np.zeros(m)])[None, :],
        b_eq=[1.0],
        bounds=[(0.0, 1.0)] * n + [(0.0, None)] * m,
        method="highs",
    )
    if not solution.success:  # feasible (equal weights) and bounded (t >= 0): only a solver failure
        raise FitError(f"the stacking weights of average were not found: {solution.message}")
    chosen = np.clip(solution.x[:n], 0.0, None)
    weights = np.zeros(k)
    weights[usable] = chosen / np.sum(chosen)
    return weights


def _held_out(candidate: FitResult, columns: Mapping[str, np.ndarray], axis: np.ndarray, cuts: Sequence[float]) -> np.ndarray:
    """The candidate's predictions of the runs above each cut, polished on the runs below (in its basin)."""
    problem = prepare(columns, candidate.law, candidate.config).problem
    start = np.array([[candidate.params[n] for n in problem.names]])
    out = []
    for cut in cuts:
        train, test = np.flatnonzero(axis <= cut), np.flatnonzero(axis > cut)
        polished = LevenbergMarquardt(max_iter=200).solve(problem.subset(train), start).params
        out.append(problem.subset(test).predict(polished)[0])
    return np.concatenate(out)


def _fit(columns: Mapping[str, np.ndarray], law: str | Law, config: FitConfig) -> FitResult:
    """Fit one of several laws with the shared config (entries naming other laws' symbols dropped)."""
    resolved, _ = resolve_law(law, list(columns), mapping_for(law, config.mapping), config.target)
    return engine.fit(columns, law, config=config_for(resolved, config))


def average(
    candidates: Sequence[FitResult | str | Law],
    data: Any,
    *,
    by: Literal["backtest"] = "backtest",
    split_by: str = "auto",
    train_fractions: Sequence[float] = DEFAULT_FRACTIONS,
    basins: bool = False,
    config: FitConfig | None = None,
    **overrides: Unpack[FitOptions],
) -> Average:
    """Average fits (or laws, fitted here) with stacking weights from leave-future-out predictions.

    Parameters
    ----------
    candidates
        FitResults made on ``data``, or laws to fit on it with ``config``/``overrides``.
    split_by, train_fractions
        The scale axis and cuts of the leave-future-out scoring (``"auto"``: compute, or 6ND, or a
        law's only input).
    basins
        Also take each fit's other sound optima (``FitResult.optima``) as candidates (each keeps its
        fit's covariance for its interval).

    Raises
    ------
    ArgumentError
        If fewer than two candidates are given, or ``by`` is not ``"backtest"``.
    DataError
        If the split axis has non-finite values or a single value (no future to hold out).
    """
    if by != "backtest":
        raise ArgumentError(f"`by` of average must be 'backtest'. Got {by!r} instead.", argument="by", function="average")
    config = (config if config is not None else FitConfig()).with_options(**overrides)
    columns = columns_of(data, "average")
    fits = [c if isinstance(c, FitResult) else _fit(columns, c, config) for c in candidates]
    labels = [f.law.label for f in fits]
    if basins:
        for f in list(fits):
            for k, optimum in enumerate(o for o in f.optima if not o.chosen and not o.notes):
                fits.append(replace(f, params=dict(optimum.params), objective=optimum.objective, optima=()))
                labels.append(f"{f.law.label} (optimum {k + 2})")
    if len(fits) < 2:
        raise ArgumentError(
            f"`candidates` of average needs at least two fits to average. Got {len(fits)}.",
            argument="candidates", function="average",
        )
    axis = choose_axis(columns, fits[0].law, fits[0].config.mapping, split_by)
    check_axis(axis, split_by, "average")
    cuts = cut_points(axis, train_fractions)
    test_rows = np.concatenate([np.flatnonzero(axis > cut) for cut in cuts])
    target = np.asarray(columns[fits[0].config.target], dtype=float)[test_rows]
    log = fits[0].config.space == "log"
    held = np.array([_held_out(f, columns, axis, cuts) for f in fits])
    with np.errstate(all="ignore"):
        held_space = np.log(np.where(held > 0, held, np.nan)) if log else held
        actual = np.log(target) if log else target
    weights = _stacking_weights(held_space, actual)
    scale = 1.0 if log else max(float(np.mean(np.abs(actual))), 1e-300)
    errors = np.array([float(np.mean(np.abs(h - actual))) / scale if np.all(np.isfinite(h)) else math.inf for h in held_space])
    combined = weights @ np.nan_to_num(held_space, nan=0.0)
    mixture_error = float(np.mean(np.abs(combined - actual))) / scale
    table = pl.DataFrame({
        "candidate": labels, "weight": weights, "lfo_error": errors, "objective": [f.objective for f in fits],
    })
    return Average(tuple(fits), tuple(labels), weights, errors, mixture_error, split_by, table)
