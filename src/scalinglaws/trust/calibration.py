"""Prediction intervals calibrated by the future: widen (or narrow) them to what backtests show.

A fit's intervals (bootstrap or delta method) describe the spread of the parameters and the noise of a
new run under the law. Beyond the data they are too narrow whenever the law is only approximately
right, or the runs are not independent (checkpoints of one training run err together). Calibration
measures this on the data themselves: for each cut along the scale axis the law is refitted on the runs
below and its intervals are compared with the errors of the runs above. The factor by which the
intervals must be scaled so that a share ``prob`` of those held-out errors falls inside is stored in
the result (``FitResult.interval_scale``) and applied by ``predict_interval``: a split-conformal
calibration in the direction of extrapolation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from scalinglaws.data.io import columns_of
from scalinglaws.errors import ArgumentError, DataError, FitError
from scalinglaws.fit import api as engine
from scalinglaws.fit.gate import choose_axis
from scalinglaws.fit.result import FitResult
from scalinglaws.fit.splits import cut_points

DEFAULT_FRACTIONS = (0.6, 0.7, 0.8)
MIN_HELD_OUT = 8
"""Fewer held-out points than this over all cuts cannot estimate a quantile: the scale stays 1."""


def calibrate(
    result: FitResult,
    data: Any,
    *,
    split_by: str = "auto",
    train_fractions: Sequence[float] = DEFAULT_FRACTIONS,
    prob: float = 0.95,
    n_boot: int | None = None,
) -> FitResult:
    """``result`` with its intervals scaled to cover ``prob`` of leave-future-out errors on ``data``.

    Parameters
    ----------
    result
        A fit of ``data``.
    split_by, train_fractions
        The scale axis and the cuts (``"auto"``: compute, or 6ND, or the law's only input).
    prob
        The coverage to calibrate to.
    n_boot
        Bootstrap draws for each backtest fit's intervals (default: as many as the fit carries, or the
        delta method when it carries none).

    Raises
    ------
    ArgumentError
        If ``prob`` is not strictly between 0 and 1.
    """
    if not 0 < prob < 1:
        raise ArgumentError(f"`prob` of calibrate must be strictly between 0 and 1. Got {prob!r} instead.",
                            argument="prob", function="calibrate", rule="strictly between 0 and 1", value=prob)
    columns = columns_of(data, "calibrate")
    axis = choose_axis(columns, result.law, result.config.mapping, split_by)
    draws = result.bootstrap.n_boot if (n_boot is None and result.bootstrap is not None) else (n_boot or 0)
    target = np.asarray(columns[result.config.target], dtype=float)
    log = result.config.space == "log"
    ratios: list[np.ndarray] = []
    for cut in cut_points(axis, train_fractions):
        train, test = axis <= cut, axis > cut
        if not test.any():  # a cut at the largest scale (one size only, say) has no future to score
            continue
        past = {c: np.asarray(v)[train] for c, v in columns.items()}
        future = {c: np.asarray(v)[test] for c, v in columns.items()}
        try:  # a cut too early for the law (fewer runs than parameters) or an unusable refit scores nothing
            fitted = engine.fit(past, result.law, config=result.config.with_options(strict=False))
            if draws:
                fitted = fitted.with_bootstrap(engine.bootstrap(fitted, past, draws, result.config.seed))
            point, lower, upper, _ = fitted.predict_interval(future, prob, kind="prediction")
        except (DataError, FitError):
            continue
        actual = target[test]
        with np.errstate(all="ignore"):
            if log:
                error = np.log(actual) - np.log(point)
                half = np.where(error > 0, np.log(upper) - np.log(point), np.log(point) - np.log(lower))
            else:
                error = actual - point
                half = np.where(error > 0, upper - point, point - lower)
            ratio = np.abs(error) / half
        ratios.append(ratio[np.isfinite(ratio)])
    held = np.concatenate(ratios) if ratios else np.zeros(0)
    if held.size < MIN_HELD_OUT:
        return replace(result, interval_scale=1.0)
    # half is the half-width at `prob`; the ratio's `prob` quantile is the factor that makes a share
    # `prob` of held-out errors fall inside (in units of the interval the law itself gives).
    factor = float(np.quantile(held, prob))
    return replace(result, interval_scale=factor)
