"""Bootstrap parameter draws as a corner (pairs) plot, amplitudes on log axes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from scalinglaws.errors import ArgumentError
from scalinglaws.report.figures._common import (
    DATA_COLOUR,
    TARGET_COLOUR,
    plain_log_labels,
    require_matplotlib,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from scalinglaws.fit.resampling import BootstrapResult
    from scalinglaws.fit.result import FitResult
    from scalinglaws.laws import Law

__all__ = ["log_scaled", "plot_bootstrap_pairs"]

WIDE = 10.0
"""Ratio of the 99th to the 1st percentile of positive draws beyond which a parameter is shown on a
log axis even when it is not an amplitude."""


def amplitudes(law: Law) -> set[str]:
    """Parameters that multiply an input-dependent term linearly (A and B of A/N^alpha + B/D^beta):
    positive scales whose draws spread over decades, so they belong on log axes. An additive constant
    (E) enters linearly too but multiplies no input."""
    import sympy as sp

    try:
        compiled = law.compiled
        expr = compiled.expr
        linear = compiled.linear_params
    except (AttributeError, TypeError, ValueError):  # an implicit law: no linear structure to read
        return set()
    inputs = {s for s in expr.free_symbols if str(s) in law.inputs}
    out = set()
    for name in linear:
        symbol = next((s for s in expr.free_symbols if str(s) == name), None)
        if symbol is not None and sp.diff(expr, symbol).free_symbols & inputs:
            out.add(name)
    return out


def log_scaled(samples: Mapping[str, np.ndarray], names: Sequence[str], base: Mapping[str, str],
               law: Law | None) -> set[str]:
    """Which of ``names`` to draw on log axes: positive draws of an amplitude of ``law`` (``base``
    maps a shown name to its law parameter), or positive draws spreading over more than a decade."""
    scales = amplitudes(law) if law is not None else set()
    out = set()
    for name in names:
        x = samples[name][np.isfinite(samples[name])]
        if x.size == 0 or np.any(x <= 0):
            continue
        lo, hi = np.quantile(x, [0.01, 0.99])
        if base.get(name, name) in scales or hi / lo > WIDE:
            out.add(name)
    return out


def plot_bootstrap_pairs(
    draws: FitResult | BootstrapResult,
    axes: np.ndarray | None = None,
    *,
    params: Sequence[str] | None = None,
    max_points: int = 1000,
    log: Sequence[str] | None = None,
) -> np.ndarray:
    """Corner plot of bootstrap parameter draws: histograms on the diagonal, scatter below, correlations above.

    Amplitudes (parameters multiplying a power of an input, such as Chinchilla's A and B) and any
    positive parameter whose draws spread over more than a decade are drawn on log axes with
    log-spaced bins, and their correlations are computed on the log; ``log`` names the log-scaled
    parameters explicitly instead.

    Parameters
    ----------
    draws
        A fit carrying bootstrap draws (its estimate is marked) or a :class:`BootstrapResult`.
    axes
        A square array of Axes, one row and column per parameter; a new figure's when omitted.
    params
        Parameters to show; default: all (the first six in a fit with more).
    max_points
        Draws shown in each scatter (the first ones).
    log
        Parameters on log axes (default: found as above).

    Returns
    -------
    numpy.ndarray
        The square array of Axes.

    Raises
    ------
    ValueError
        If the fit carries no draws, a name in ``params`` or ``log`` is unknown, ``log`` names a
        parameter with draws <= 0, or ``axes`` has the wrong shape.
    ImportError
        If matplotlib is not installed.
    """
    function = "plot_bootstrap_pairs"
    from scalinglaws.fit.resampling import BootstrapResult

    estimate: Mapping[str, float] | None = None
    law = None
    base: Mapping[str, str] = {}
    if isinstance(draws, BootstrapResult):
        boot = draws
    else:
        estimate, law = draws.params, draws.law
        base = dict(zip(draws.layout.names, draws.layout.base_names, strict=True))
        if draws.bootstrap is None:
            raise ArgumentError(
                f"`draws` of {function} must carry bootstrap draws. Attach them with "
                "`result.with_bootstrap(sl.bootstrap(result, data))` (CLI: `fit --bootstrap N`).",
                argument="draws", function=function,
            )
        boot = draws.bootstrap
    names = list(boot.param_names)
    chosen = list(params) if params is not None else names[:6]
    unknown = [p for p in chosen if p not in names]
    if unknown or not chosen:
        raise ArgumentError(
            f"`params` of {function} must name at least one of the bootstrapped parameters {names}. "
            f"Got {chosen!r} instead.",
            argument="params", function=function,
        )
    samples = boot.samples()
    if log is None:
        logged = log_scaled(samples, chosen, base, law)
    else:
        logged = set(log)
        bad = sorted(p for p in logged if p not in chosen or np.any(samples[p] <= 0))
        if bad:
            raise ArgumentError(
                f"`log` of {function} must name shown parameters whose draws are all positive. "
                f"Got {bad!r} instead.",
                argument="log", function=function,
            )
    k = len(chosen)
    require_matplotlib()
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(
            k, k, figsize=(1.9 * k + 0.6, 1.9 * k + 0.4), layout="constrained", squeeze=False
        )
    grid = np.asarray(axes, dtype=object)
    if grid.shape != (k, k):
        raise ArgumentError(
            f"`axes` of {function} must be a {k}x{k} array. Got shape {grid.shape} instead.",
            argument="axes", function=function,
        )
    for i in range(k):
        for j in range(k):
            _cell(grid, i, j, chosen, samples, estimate, logged, max_points)
    return grid


def _cell(grid: np.ndarray, i: int, j: int, chosen: Sequence[str], samples: Mapping[str, np.ndarray],
          estimate: Mapping[str, float] | None, logged: set[str], max_points: int) -> None:
    ax: Axes = grid[i, j]
    k = len(chosen)
    row_name, col_name = chosen[i], chosen[j]
    x, y = samples[col_name], samples[row_name]
    if i < j:
        ok = np.isfinite(x) & np.isfinite(y)
        with np.errstate(all="ignore"):
            a = np.log(x[ok]) if col_name in logged else x[ok]
            b = np.log(y[ok]) if row_name in logged else y[ok]
        rho = float(np.corrcoef(a, b)[0, 1]) if ok.sum() > 2 else float("nan")
        ax.text(
            0.5, 0.5, rf"$\rho$ = {rho:+.2f}", ha="center", va="center", transform=ax.transAxes,
            fontsize=10, color="0.2" if abs(rho) < 0.9 else TARGET_COLOUR,
        )
        ax.set_xticks([])
        ax.set_yticks([])
        ax.spines[:].set_visible(False)
        return
    if i == j:
        finite = x[np.isfinite(x)]
        bins: int | list[float] = 30
        if col_name in logged and finite.size and finite.min() < finite.max():
            bins = np.geomspace(finite.min(), finite.max(), 31).tolist()
        ax.hist(finite, bins=bins, color=DATA_COLOUR, alpha=0.75, gid=f"draws {col_name}")
        if estimate is not None:
            ax.axvline(estimate[col_name], color=TARGET_COLOUR, linewidth=1.2)
        ax.set_yticks([])
    else:
        ax.scatter(
            x[:max_points], y[:max_points], s=4, color=DATA_COLOUR, alpha=0.35, linewidths=0,
            gid=f"draws {col_name} {row_name}",
        )
        if estimate is not None:
            ax.plot([estimate[col_name]], [estimate[row_name]], marker="+", markersize=9,
                    color=TARGET_COLOUR, linestyle="none")
        if row_name in logged:
            ax.set_yscale("log")
    if col_name in logged:
        ax.set_xscale("log")
    ax.autoscale_view()
    plain_log_labels(ax)  # a log axis spanning less than a decade: a few round labels, no minor ones
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(which="both", labelsize="x-small")
    if i == k - 1:
        ax.set_xlabel(col_name + (" (log)" if col_name in logged else ""))
    else:
        ax.tick_params(which="both", labelbottom=False)
    if j == 0 and i > 0:
        ax.set_ylabel(row_name + (" (log)" if row_name in logged else ""))
    elif j > 0:
        ax.tick_params(which="both", labelleft=False)
