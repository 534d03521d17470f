"""Backtests: fit on the smaller part of an ordered axis, predict the larger part, score the forecast."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

import numpy as np
import polars as pl

from scalinglaws import _validation as v
from scalinglaws import _views
from scalinglaws.data.io import columns_of
from scalinglaws.errors import FitError
from scalinglaws.executors import AbstractExecutor, executor_for, run_chunks
from scalinglaws.fit import api as engine
from scalinglaws.fit.config import FitConfig, FitOptions
from scalinglaws.fit.gate import check_target, resolve_law
from scalinglaws.fit.resampling import Method
from scalinglaws.fit.splits import check_axis, cut_points, split_axis
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


@dataclass(frozen=True, eq=False)
class _SplitContext:
    """What every split of a backtest shares."""

    columns: Mapping[str, Any]
    law: str | Law
    config: FitConfig
    axis: np.ndarray
    prob: float
    n_boot: int
    boot_method: Method


def _split(context: _SplitContext, cut: tuple[int, float]) -> tuple[dict[str, Any], pl.DataFrame, str]:
    """One split: fit below the cut, predict above it; its row of scores, its points, the interval method."""
    k, value = cut
    columns, config, axis = context.columns, context.config, context.axis
    target = np.asarray(columns[config.target], dtype=float)
    train, test = axis <= value, axis > value
    subset = {c: np.asarray(v)[train] for c, v in columns.items()}
    result = engine.fit(subset, context.law, config=config)
    held = {c: np.asarray(v)[test] for c, v in columns.items()}
    if context.n_boot > 0:
        result = result.with_bootstrap(
            engine.bootstrap(result, subset, context.n_boot, config.seed, context.boot_method)
        )
    try:
        predicted, lower, upper, method = result.predict_interval(held, context.prob, kind="prediction")
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
    row = {
        "split": k,
        "cut": value,
        "n_train": int(train.sum()),
        "n_test": int(test.sum()),
        "mean_are": float(np.mean(np.abs(rel))),
        "r2": float(1 - residual / spread) if spread > 0 else float("nan"),
        "coverage": _mean(covered),
        "bias": float(np.mean(rel)),
        "status": result.status.value,
    }
    points = pl.DataFrame({
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
    })
    return row, points, method


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
    progress: Callable[[int, int], None] | None = None,
    executor: str | AbstractExecutor | None = None,
    address: str | None = None,
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
    progress
        Called as ``progress(done, n_splits)`` after each split is fitted and scored.
    executor, address
        Where the splits run, one task per split (as for :func:`scalinglaws.fit`); the same result
        as without.

    Returns
    -------
    BacktestResult
        Per-point and per-split relative error, R², interval coverage and signed bias.

    Raises
    ------
    ArgumentError
        If ``executor`` names no executor.
    DataError
        If the split axis has non-finite values or a single value (no future to hold out).
    ImportError
        If ``executor`` is Ray and Ray is not installed (``pip install "scalinglaws[ray]"``).
    ExecutorError, ChunkError
        If the cluster cannot be reached, or a split failed (the error names it).
    """
    v.check_all("backtest", {k: r for k, r in RULES.items() if k != "train_fractions"}, {"prob": prob, "n_boot": n_boot})
    config = (config if config is not None else FitConfig()).with_options(**overrides)
    columns = columns_of(data, "backtest")
    check_target(columns, config.target)
    resolved, _ = resolve_law(law, list(columns), config.mapping, config.target)
    axis, note = split_axis(columns, resolved, config.mapping, split_by, cost)
    check_axis(axis, split_by, "backtest")
    runner = executor_for(executor, address, function="backtest")
    cuts = list(enumerate(cut_points(axis, train_fractions)))
    context = _SplitContext(columns, law, config, axis, prob, n_boot, boot_method)
    names = [f"split {k} (train on {split_by} <= {cut:.4g})" for k, cut in cuts]
    parts = run_chunks(runner, _split, cuts, context, names, f"backtest of {resolved.label}", progress)
    split_rows = [row for row, _, _ in parts]
    point_rows = [points for _, points, _ in parts]
    method = parts[-1][2] if parts else "none"
    return BacktestResult(
        law=resolved.label,
        axis=split_by,
        axis_note=note,
        prob=prob,
        interval_method=method,
        points=pl.concat(point_rows, rechunk=True),  # one chunk: its means do not depend on how it was built
        splits=pl.DataFrame(split_rows),
    )
