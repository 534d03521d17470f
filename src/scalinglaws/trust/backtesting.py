"""Backtests: fit on the smaller part of an ordered axis, predict the larger part, score the forecast."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Unpack

import numpy as np
import polars as pl

from scalinglaws import _validation as v
from scalinglaws import _views
from scalinglaws.data.io import columns_of
from scalinglaws.errors import DataError, FitError
from scalinglaws.fit import api as engine
from scalinglaws.fit.config import FitConfig, FitOptions
from scalinglaws.fit.gate import check_target, resolve_law
from scalinglaws.fit.resampling import Method
from scalinglaws.fit.splits import cut_points, split_axis
from scalinglaws.laws import DEFAULT_COST, CostModel, Law
from scalinglaws.trust._rules import RULES

DEFAULT_FRACTIONS = (0.75,)


@dataclass(frozen=True)
class BacktestResult:
    """Per held-out point and per split scores of a law's extrapolation.

    ``points`` has one row per held-out point and split: the axis value, actual and predicted target,
    interval bounds, signed relative error and whether the interval covered the actual value.
    ``splits`` has one row per cut: sizes, mean absolute relative error (ARE), R², coverage, signed
    bias and the fit's status.
    """

    law: str
    axis: str
    axis_note: str
    prob: float
    interval_method: str
    points: pl.DataFrame
    splits: pl.DataFrame

    @property
    def mean_are(self) -> float:
        """Mean absolute relative error over every held-out point of every split."""
        return float(self.points["abs_rel_error"].mean())  # type: ignore[arg-type]

    def summary(self) -> dict[str, Any]:
        p = self.points
        return {
            "law": self.law,
            "axis": self.axis,
            "n_splits": self.splits.height,
            "n_test_points": p.height,
            "mean_are": self.mean_are,
            "bias": float(p["rel_error"].mean()),  # type: ignore[arg-type]
            "coverage": _mean(p["covered"]),
            "prob": self.prob,
            "interval_method": self.interval_method,
        }

    def _repr_html_(self) -> str | None:  # notebook view, drawn by the report layer (see _views)
        return _views.html(self)


def _mean(values: pl.Series) -> float:
    """Mean of a column; NaN when it has no values (coverage without intervals)."""
    mean = values.mean()
    return float("nan") if mean is None else float(mean)  # type: ignore[arg-type]


def backtest(
    data: Any,
    law: str | Law = "chinchilla",
    *,
    split_by: str = "C",
    train_fractions: Sequence[float] = DEFAULT_FRACTIONS,
    prob: float = 0.95,
    n_boot: int = 200,
    boot_method: Method = "pairs",
    cost: CostModel | str = DEFAULT_COST,
    config: FitConfig | None = None,
    **overrides: Unpack[FitOptions],
) -> BacktestResult:
    """Fit on the smaller part of an ordered axis and score the prediction of the larger part.

    Parameters
    ----------
    data
        The runs: a frame, a mapping of columns, or a path (as :func:`scalinglaws.fit`).
    split_by
        ``"C"`` (a compute column, else the cost of each run, ``6*N*D`` by default), ``"N"``,
        ``"D"``, or any column name.
    train_fractions
        Each value makes one split: training takes the axis values up to that fraction of its
        distinct values, the test set is everything above. Several values give a rolling
        (leave-future-out) backtest.
    prob, n_boot, boot_method
        Prediction intervals on the held-out points from a bootstrap of each training fit
        (``n_boot=0``: the delta method).
    cost
        The cost model that makes ``C`` from N and D when the table has no compute column.
    config, overrides
        The fit's options, as for :func:`scalinglaws.fit`; its ``seed`` also seeds the bootstraps.

    Returns
    -------
    BacktestResult
        Per-point and per-split relative error, R², interval coverage and signed bias.
    """
    v.check_all("backtest", {k: r for k, r in RULES.items() if k != "train_fractions"}, {"prob": prob, "n_boot": n_boot})
    config = (config if config is not None else FitConfig()).with_options(**overrides)
    columns = columns_of(data, "backtest")
    check_target(columns, config.target)
    resolved, _ = resolve_law(law, list(columns), config.mapping, config.target)
    axis, note = split_axis(columns, resolved, config.mapping, split_by, cost)
    if not np.all(np.isfinite(axis)):
        bad = np.flatnonzero(~np.isfinite(axis))[:5].tolist()
        raise DataError(f"`split_by` axis {split_by!r} has non-finite values at rows {bad}; fix them first.")
    if np.unique(axis).size < 2:
        raise DataError(f"`split_by` axis {split_by!r} has a single value; nothing to extrapolate to.")
    target = np.asarray(columns[config.target], dtype=float)
    point_rows, split_rows = [], []
    method = "none"
    for k, cut in enumerate(cut_points(axis, train_fractions)):
        train, test = axis <= cut, axis > cut
        subset = {c: np.asarray(v)[train] for c, v in columns.items()}
        result = engine.fit(subset, law, config=config)
        held = {c: np.asarray(v)[test] for c, v in columns.items()}
        if n_boot > 0:
            result = result.with_bootstrap(engine.bootstrap(result, subset, n_boot, config.seed, boot_method))
        try:
            predicted, lower, upper, method = result.predict_interval(held, prob, kind="prediction")
        except FitError:  # no covariance and no draws: score the forecast, leave coverage unknown
            predicted = result.predict(held)
            lower = upper = np.full(predicted.shape, np.nan)
            method = "none (the fit has no covariance; pass n_boot > 0)"
        actual = target[test]
        rel = (predicted - actual) / actual
        covered = pl.Series(
            "covered",
            [None] * actual.size if np.isnan(lower).all() else (actual >= lower) & (actual <= upper),
            dtype=pl.Boolean,
        )
        residual = np.sum((actual - predicted) ** 2)
        spread = np.sum((actual - actual.mean()) ** 2)
        split_rows.append({
            "split": k,
            "cut": cut,
            "n_train": int(train.sum()),
            "n_test": int(test.sum()),
            "mean_are": float(np.mean(np.abs(rel))),
            "r2": float(1 - residual / spread) if spread > 0 else float("nan"),
            "coverage": _mean(covered),
            "bias": float(np.mean(rel)),
            "status": result.status.value,
        })
        point_rows.append(pl.DataFrame({
            "split": np.full(actual.size, k),
            "row": np.flatnonzero(test),
            "axis": axis[test],
            "extrapolation_decades": result.extrapolation(held),
            "actual": actual,
            "predicted": predicted,
            "lower": lower,
            "upper": upper,
            "rel_error": rel,
            "abs_rel_error": np.abs(rel),
            "covered": covered,
        }))
    return BacktestResult(
        law=resolved.label,
        axis=split_by,
        axis_note=note,
        prob=prob,
        interval_method=method,
        points=pl.concat(point_rows),
        splits=pl.DataFrame(split_rows),
    )
