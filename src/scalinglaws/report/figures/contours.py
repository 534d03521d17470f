"""Iso-loss contours of a law in (N, D), with iso-FLOP lines and the efficient frontier."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from scalinglaws.data.io import columns_of
from scalinglaws.errors import ArgumentError
from scalinglaws.laws import DEFAULT_COST, cost_model
from scalinglaws.report.figures._common import (
    TARGET_COLOUR,
    colour_bar,
    group_of,
    input_label,
    input_values,
    nd_columns,
    new_axes,
    require_matplotlib,
    style,
    target_label,
    with_group,
)
from scalinglaws.report.figures.frontier import flops_range, frontier_allocation

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from scalinglaws.fit.result import FitResult

__all__ = ["plot_iso_loss"]

GRID = 160
"""Grid points per axis of the contoured surface."""


def plot_iso_loss(
    result: FitResult,
    data: Any = None,
    ax: Axes | None = None,
    *,
    levels: int | Sequence[float] = 12,
    flops: Sequence[float] | None = None,
    group: str | None = None,
) -> Axes:
    """Contours of the fitted loss over model size N and tokens D, with the efficient frontier.

    The filled contours are the law's loss on a log grid of (N, D); dotted diagonals are iso-FLOP
    lines C = 6ND at whole decades of compute; the red line is the efficient frontier (N*(C), D*(C))
    of :func:`scalinglaws.plan.allocate`, which touches each iso-FLOP line where that line meets its
    lowest contour. Runs (``data``) are drawn at their own (N, D).

    Parameters
    ----------
    result
        A fit of a law in N and D.
    data
        The runs (optional); they set the ranges (else ``flops`` does, through the frontier).
    ax
        Axes to draw on; a new figure's when omitted.
    levels
        Number of contour levels (log-spaced over the view), or the loss values to draw.
    flops
        Compute range ``(lo, hi)`` of the frontier; default: the runs' range widened by 3x.
    group
        The group whose parameters to use, for a grouped fit.

    Returns
    -------
    Axes

    Raises
    ------
    ValueError
        If the law has no inputs N and D or no frontier, ``flops`` or ``levels`` is invalid, or
        ``group`` is not a fitted group.
    MissingColumnError
        If ``data`` lacks the columns of N or D.
    ImportError
        If matplotlib is not installed.
    """
    function = "plot_iso_loss"
    n_column, d_column = nd_columns(result, function)
    group = group_of(result, group, function)
    columns = columns_of(data, function) if data is not None else None
    lo, hi = flops_range(result, columns, flops, function)
    allocation = frontier_allocation(result, lo, hi, 0.95, group, function)
    n_span = [allocation.n_params.min(), allocation.n_params.max()]
    d_span = [allocation.n_tokens.min(), allocation.n_tokens.max()]
    if columns is not None:
        n = input_values(result, columns, "N", function)
        d = input_values(result, columns, "D", function)
        n_span += [n.min(), n.max()]
        d_span += [d.min(), d.max()]
    n_grid = np.geomspace(min(n_span) / 2, max(n_span) * 2, GRID)
    d_grid = np.geomspace(min(d_span) / 2, max(d_span) * 2, GRID)
    nn, dd = np.meshgrid(n_grid, d_grid)
    surface = result.predict(with_group(result, {n_column: nn.ravel(), d_column: dd.ravel()}, group))
    surface = surface.reshape(nn.shape)
    finite = surface[np.isfinite(surface)]
    if isinstance(levels, int):
        if levels < 2:
            raise ArgumentError(f"`levels` of {function} must be at least 2. Got {levels!r} instead.",
                                argument="levels", function=function)
        low, high = np.quantile(finite, [0.01, 0.9])
        values = np.geomspace(low, high, levels) if low > 0 else np.linspace(low, high, levels)
    else:
        values = np.sort(np.asarray(levels, dtype=float))
    require_matplotlib()
    from matplotlib import colormaps
    from matplotlib.colors import BoundaryNorm

    ax = new_axes((6.4, 5.0)) if ax is None else ax
    cmap = colormaps["viridis_r"]
    norm = BoundaryNorm(values, cmap.N, extend="both")
    filled = ax.contourf(nn, dd, surface, levels=values, cmap=cmap, norm=norm, extend="both", alpha=0.85)
    filled.set_gid("iso-loss filled")
    lines = ax.contour(nn, dd, surface, levels=values, colors="white", linewidths=0.6, alpha=0.9)
    lines.set_gid("iso-loss")
    ax.clabel(lines, fmt=lambda v: f"{v:.3g}", fontsize="x-small", inline=True)
    model = cost_model(DEFAULT_COST)
    for exponent in range(math.ceil(math.log10(lo)), math.floor(math.log10(hi)) + 1):
        budget = 10.0**exponent
        tokens = model.tokens(n_grid, np.full(n_grid.shape, budget))
        inside = np.isfinite(tokens) & (tokens >= d_grid[0]) & (tokens <= d_grid[-1])
        if inside.sum() < 2:
            continue
        ax.plot(n_grid[inside], tokens[inside], color="0.15", linewidth=0.7, linestyle=":",
                zorder=3, gid=f"isoflop line {budget:g}")
        end = np.flatnonzero(inside)[-1]  # the large-N end, away from the legend
        ax.annotate(f"$10^{{{exponent}}}$ FLOP", (n_grid[end], tokens[end]), fontsize="x-small",
                    color="0.15", xytext=(-4, 4), textcoords="offset points", ha="right")
    ax.plot(allocation.n_params, allocation.n_tokens, color=TARGET_COLOUR, linewidth=2.0, zorder=5,
            gid="efficient frontier",
            label=rf"efficient frontier $N^* \propto C^{{{allocation.exponent_a:.2f}}}$")
    if columns is not None:
        ax.scatter(n, d, s=10, color="black", edgecolors="white", linewidths=0.4, zorder=4,
                   gid="data", label="runs")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(n_grid[0], n_grid[-1])
    ax.set_ylim(d_grid[0], d_grid[-1])
    ax.set_xlabel(input_label(result, "N"))
    ax.set_ylabel(input_label(result, "D"))
    ax.set_title(f"iso-loss contours; dotted: C = {allocation.cost}", fontsize="medium")
    style(ax)
    ax.grid(False)
    from matplotlib.ticker import FuncFormatter

    bar = colour_bar(ax, norm, cmap, target_label(result, "predicted"))
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.3g}"))
    ax.legend(fontsize="small", frameon=True, framealpha=0.85, edgecolor="none", loc="upper left")
    return ax
