"""Honesty checks for a report: backtest intervals that cover too little, residuals that trend with an
input (lack of fit), and a target beyond the fitted range. Each returns findings the report shows as
visible warnings; none fits anything.

- **Under-coverage**: with ``k`` of ``n`` held-out runs inside their nominal ``p`` intervals, the
  one-sided binomial probability ``P(X <= k)`` for ``X ~ Binomial(n, p)`` says how surprising so few
  covered runs would be if the intervals were right; below :data:`COVERAGE_ALPHA` the report warns.
  (Points of different splits share runs, so they are not independent: read the number as a guide.)
- **Lack of fit**: the residuals (in the fit's residual space) are regressed on a quadratic in the
  input's log; the F statistic against a constant, on 2 and n - 3 degrees of freedom, tests for a
  trend the law does not capture. Residuals further than five robust standard deviations from their
  median (outliers the robust loss discounts) are left out first. The report warns when
  ``p < TREND_ALPHA / k`` over the ``k`` inputs tested (Bonferroni), and gives the size of the trend.
- **Extrapolation**: how many decades each input of the target lies beyond the fitted range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from scalinglaws.data.io import columns_of
from scalinglaws.report.figures._common import column_of, input_values, target_values

if TYPE_CHECKING:
    from scalinglaws.fit.result import FitResult
    from scalinglaws.trust.backtesting import BacktestResult

__all__ = [
    "COVERAGE_ALPHA",
    "TREND_ALPHA",
    "Finding",
    "Trend",
    "extrapolation_finding",
    "lack_of_fit",
    "residual_trend",
    "residuals_of",
    "under_coverage",
]

COVERAGE_ALPHA = 0.05
"""Binomial tail probability below which a backtest's coverage counts as too low."""
TREND_ALPHA = 0.01
"""Family-wise level of the residual-trend tests (split over the inputs)."""
OUTLIER_SDS = 5.0
"""Robust standard deviations beyond which a residual is left out of the trend test."""


@dataclass(frozen=True)
class Finding:
    """One warning for the report: a short ``kind`` ("under-coverage", "lack of fit",
    "extrapolation") and a message with the numbers."""

    kind: str
    message: str


@dataclass(frozen=True)
class Trend:
    """A quadratic trend of the residuals in one input's log: F statistic, its degrees of freedom and
    p-value, and the trend's span (max - min over the runs, in residual units: a log ratio in log
    space, about a relative error)."""

    input: str
    column: str
    statistic: float
    df: tuple[int, int]
    p_value: float
    span: float
    n_used: int
    n_dropped: int
    curve: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 1.0)
    """(c0, c1, c2, mean, sd) of the fitted trend ``c0 + c1 z + c2 z^2``, ``z = (log10 x - mean) / sd``."""

    def at(self, values: np.ndarray) -> np.ndarray:
        """The fitted trend at input ``values``."""
        c0, c1, c2, mean, sd = self.curve
        x = np.asarray(values, dtype=float)
        z = ((np.log10(x) if np.all(x > 0) else x) - mean) / sd
        return c0 + c1 * z + c2 * z**2


def residuals_of(result: FitResult, columns: Mapping[str, np.ndarray], function: str) -> np.ndarray:
    """Residuals in the fit's space: ``log(observed / fitted)`` in log space, else the difference."""
    observed = target_values(result, columns, function)
    fitted = result.predict(columns)
    with np.errstate(all="ignore"):
        return np.log(observed / fitted) if result.config.space == "log" else observed - fitted


def residual_trend(result: FitResult, data: Any, name: str) -> Trend | None:
    """The quadratic trend test of the residuals against input ``name`` (None when the input has
    fewer than four distinct values or too few runs to test)."""
    from scipy import special  # scipy.stats would add half a second to every report's start

    function = "residual_trend"
    columns = columns_of(data, function)
    x = input_values(result, columns, name, function)
    r = residuals_of(result, columns, function)
    ok = np.isfinite(x) & np.isfinite(r)
    x, r = x[ok], r[ok]
    if r.size == 0:
        return None
    scale = 1.4826 * float(np.median(np.abs(r - np.median(r))))
    keep = np.abs(r - np.median(r)) <= OUTLIER_SDS * scale if scale > 0 else np.ones(r.size, bool)
    dropped = int(r.size - keep.sum())
    x, r = x[keep], r[keep]
    log = bool(np.all(x > 0))
    raw = np.log10(x) if log else x
    if np.unique(raw).size < 4 or r.size < 8:
        return None
    mean, sd = float(raw.mean()), float(raw.std()) or 1.0
    z = (raw - mean) / sd
    design = np.column_stack([np.ones_like(z), z, z**2])
    coefs, *_ = np.linalg.lstsq(design, r, rcond=None)
    rss1 = float(np.sum((r - design @ coefs) ** 2))
    rss0 = float(np.sum((r - r.mean()) ** 2))
    df = (2, int(r.size - 3))
    statistic = ((rss0 - rss1) / df[0]) / (rss1 / df[1]) if rss1 > 0 else math.inf
    p_value = float(special.fdtrc(*df, statistic))  # F's upper tail
    trend = design @ coefs
    return Trend(
        input=name, column=column_of(result, name), statistic=float(statistic), df=df,
        p_value=p_value, span=float(trend.max() - trend.min()), n_used=int(r.size),
        n_dropped=dropped, curve=(float(coefs[0]), float(coefs[1]), float(coefs[2]), mean, sd),
    )


def lack_of_fit(result: FitResult, data: Any, alpha: float = TREND_ALPHA) -> list[Finding]:
    """A finding per input whose residual trend is significant at ``alpha`` / (inputs tested)."""
    trends = [t for n in result.law.point_inputs if (t := residual_trend(result, data, n)) is not None]
    out = []
    space = "log ratio" if result.config.space == "log" else "residual"
    for t in trends:
        if t.p_value < alpha / len(trends):
            size = f"{t.span:.1%} of the target" if result.config.space == "log" else f"{t.span:.3g}"
            name = t.column if t.column == t.input else f"{t.column} ({t.input})"
            out.append(Finding("lack of fit", (
                f"the residuals trend with {name}: a quadratic in log {t.column} "
                f"explains them with F = {t.statistic:.1f} on {t.df[0]} and {t.df[1]} degrees of "
                f"freedom (p = {t.p_value:.1e}); the trend spans {size} ({space}) across the runs. "
                f"The law misses structure along {t.input}: check the residual figure, and trust "
                f"extrapolation in {t.input} less."
                + (f" ({t.n_dropped} outlying residuals left out of the test.)" if t.n_dropped else "")
            )))
    return out


def under_coverage(backtest: BacktestResult, alpha: float = COVERAGE_ALPHA) -> Finding | None:
    """A finding when the backtest's intervals covered significantly fewer held-out runs than their
    nominal probability (one-sided binomial test); None otherwise or without intervals."""
    from scipy import special

    covered = backtest.points["covered"].drop_nulls()
    n = covered.len()
    if n == 0:
        return None
    k = int(covered.sum())
    tail = float(special.bdtr(k, n, backtest.prob))  # P(at most k covered)
    if tail >= alpha:
        return None
    return Finding("under-coverage", (
        f"the backtest's {backtest.prob:.0%} intervals covered {k / n:.0%} ({k} of {n}) of the held-out "
        f"runs: so few would be covered with probability {tail:.1e} if the intervals were right. They "
        "are too narrow for extrapolation: widen them (more bootstrap draws, prediction intervals) or "
        "trust the law's intervals beyond the data less."
    ))


def extrapolation_finding(result: FitResult, target: Mapping[str, Any]) -> Finding | None:
    """A finding naming how many decades the target lies beyond the fitted range, per input."""
    parts = []
    worst = 0.0
    for name in result.law.point_inputs:
        column = column_of(result, name)
        if name not in result.input_ranges or column not in target:
            continue
        value = float(target[column])
        lo, hi = result.input_ranges[name]
        if not (value > 0 and lo > 0 and hi > 0):
            continue
        beyond = max(math.log10(value / hi), math.log10(lo / value), 0.0)
        if beyond > 0:
            edge = "largest" if value > hi else "smallest"
            symbol = "" if column == name else f" ({name})"
            parts.append(
                f"{beyond:.2f} decades in {column}{symbol}: target {value:.3g}, {edge} run "
                f"{hi if value > hi else lo:.3g}"
            )
            worst = max(worst, beyond)
    if not parts:
        return None
    return Finding("extrapolation", (
        f"the target lies beyond the fitted range: {'; '.join(parts)}. The prediction extrapolates "
        f"{worst:.2f} decades; the backtest measures how well this law extrapolates on these runs."
    ))
