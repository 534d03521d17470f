"""A backtest: predicted against actual values of the held-out runs, with their intervals."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from scalinglaws.report.checks import under_coverage
from scalinglaws.report.figures._common import (
    DATA_COLOUR,
    MISSED_COLOUR,
    label,
    new_axes,
    plain_log_labels,
    require_matplotlib,
    style,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from scalinglaws.trust.backtesting import BacktestResult

__all__ = ["plot_backtest"]


def plot_backtest(backtest: BacktestResult, ax: Axes | None = None, *, target: str = "loss") -> Axes:
    """Predicted against actual values of the held-out runs, with their prediction intervals.

    Points whose interval covers the actual value are blue, misses red; the grey line is y = x.
    Axes are logarithmic when every value is positive. The title gives the coverage against the
    nominal probability, in red when it is significantly low
    (:func:`scalinglaws.report.checks.under_coverage`). ``target`` names the predicted column, for
    the axis labels and their unit.

    Returns
    -------
    Axes

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    require_matplotlib()
    ax = new_axes((4.6, 4.4)) if ax is None else ax
    points = backtest.points
    actual = points["actual"].to_numpy()
    predicted = points["predicted"].to_numpy()
    lower, upper = points["lower"].to_numpy(), points["upper"].to_numpy()
    covered = points["covered"].to_numpy().astype(bool)
    for mask, colour, tag, what in (
        (covered, DATA_COLOUR, "backtest covered", "interval covers the actual"),
        (~covered, MISSED_COLOUR, "backtest missed", "interval misses"),
    ):
        if not mask.any():
            continue
        ax.errorbar(
            actual[mask], predicted[mask],
            yerr=[predicted[mask] - lower[mask], upper[mask] - predicted[mask]], fmt="o",
            markersize=4.5, color=colour, ecolor=colour, elinewidth=1.0, capsize=2, alpha=0.9,
            label=f"{what} ({int(mask.sum())}/{mask.size})", gid=tag, zorder=3,
        )
    every = np.concatenate([actual, lower, upper])
    every = every[np.isfinite(every)]
    lo, hi = float(every.min()), float(every.max())
    pad = (hi / lo) ** 0.05 if lo > 0 else 1.0
    limits = (lo / pad, hi * pad) if lo > 0 else (lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))
    ax.plot(limits, limits, color="0.5", linewidth=1.0, zorder=1, gid="identity")
    positive = lo > 0
    ax.set_xscale("log" if positive else "linear")
    ax.set_yscale("log" if positive else "linear")
    ax.set_xlim(*limits)
    ax.set_ylim(*limits)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(label(target, None, "actual"))
    ax.set_ylabel(label(target, None, "predicted") + f", {backtest.prob:.0%} interval")
    coverage = float(covered.mean()) if covered.size else float("nan")
    low = under_coverage(backtest) is not None
    ax.set_title(
        f"coverage {coverage:.0%} at nominal {backtest.prob:.0%}"
        + (": intervals too narrow" if low else ""),
        fontsize="medium", color=MISSED_COLOUR if low else "0.15",
    )
    style(ax)
    plain_log_labels(ax)
    ax.legend(fontsize="small", frameon=False, loc="upper left")
    return ax
