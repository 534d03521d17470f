"""The compute-optimal frontier: loss against compute with the law's iso-N curves and L*(C)
(:func:`plot_loss_vs_compute`, the figure scaling-law papers lead with), and the allocation N*(C),
D*(C) (:func:`plot_frontier`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from scalinglaws.data.io import columns_of
from scalinglaws.errors import ArgumentError
from scalinglaws.laws import DEFAULT_COST, cost_model
from scalinglaws.report.figures._common import (
    DATA_COLOUR,
    FRONTIER_COLOUR,
    TOKENS_COLOUR,
    colour_bar,
    compute_values,
    group_of,
    input_label,
    input_values,
    nd_columns,
    new_axes,
    plain_log_labels,
    representative,
    require_matplotlib,
    scale_map,
    style,
    target_label,
    target_values,
    with_group,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from scalinglaws.fit.result import FitResult
    from scalinglaws.plan import Allocation

__all__ = ["frontier_allocation", "plot_frontier", "plot_loss_vs_compute"]

N_BUDGETS = 60
"""Budgets along a drawn frontier (log-spaced): smooth at figure size."""


def flops_range(
    result: FitResult, columns: dict[str, np.ndarray] | None, flops: Sequence[float] | None,
    function: str,
) -> tuple[float, float]:
    """The compute range of a frontier figure: ``flops`` (lo, hi), else the runs' compute widened
    by a factor 3 either side."""
    if flops is not None:
        lo, hi = (float(v) for v in flops)
        if not (0 < lo < hi and np.isfinite(hi)):
            raise ArgumentError(
                f"`flops` of {function} must be a range (lo, hi) of positive FLOPs with lo < hi, e.g. "
                f"(1e18, 1e24). Got {flops!r} instead.", argument="flops", function=function,
            )
        return lo, hi
    if columns is None:
        raise ArgumentError(
            f"`flops` of {function} must give the compute range (lo, hi) when no `data` is given.",
            argument="flops", function=function,
        )
    c, _ = compute_values(result, columns, function)
    c = c[np.isfinite(c) & (c > 0)]
    return float(c.min()) / 3.0, float(c.max()) * 3.0


def frontier_allocation(
    result: FitResult, lo: float, hi: float, prob: float, group: str | None, function: str
) -> Allocation:
    """The law's compute-optimal allocation at ``N_BUDGETS`` budgets from ``lo`` to ``hi`` (with
    bootstrap intervals when the fit carries draws)."""
    from scalinglaws.plan import allocate

    try:
        return allocate(result, flops=np.geomspace(lo, hi, N_BUDGETS), prob=prob, group=group)
    except ValueError as exc:
        raise ArgumentError(
            f"`result` of {function} has no compute-optimal frontier over {lo:.3g}..{hi:.3g} FLOPs: {exc}",
            argument="result", function=function,
        ) from exc


def plot_loss_vs_compute(
    result: FitResult,
    data: Any = None,
    ax: Axes | None = None,
    *,
    flops: Sequence[float] | None = None,
    prob: float = 0.95,
    n_sizes: int = 7,
    group: str | None = None,
) -> Axes:
    """Loss against training compute: the runs coloured by model size, the law's iso-N curves, and
    the compute-optimal frontier L*(C) with its bootstrap band.

    Each thin curve is the law at one model size N (actual sizes of the runs, spread over their
    range) as compute grows by training on more tokens (D = C / 6N); the thick black line is the
    lowest loss the law reaches at each compute, at the allocation of :func:`scalinglaws.plan.allocate`.
    When the fit carries bootstrap draws, the grey band is the ``prob`` interval of that optimum.

    Parameters
    ----------
    result
        A fit of a law in N and D (such as chinchilla).
    data
        The runs (optional): drawn as points, and they set the compute range and sizes.
    ax
        Axes to draw on; a new figure's when omitted.
    flops
        Compute range ``(lo, hi)`` in FLOPs; default: the runs' range widened by 3x either side.
    prob
        Probability of the band.
    n_sizes
        Iso-N curves drawn.
    group
        The group whose parameters to use, for a grouped fit.

    Returns
    -------
    Axes

    Raises
    ------
    ValueError
        If the law has no inputs N and D, no frontier on the range, ``flops`` is not a range (or
        missing without ``data``), or ``group`` is not a fitted group.
    MissingColumnError
        If ``data`` lacks the columns of N, D or the target.
    ImportError
        If matplotlib is not installed.
    """
    function = "plot_loss_vs_compute"
    n_column, d_column = nd_columns(result, function)
    group = group_of(result, group, function)
    columns = columns_of(data, function) if data is not None else None
    lo, hi = flops_range(result, columns, flops, function)
    allocation = frontier_allocation(result, lo, hi, prob, group, function)
    require_matplotlib()
    ax = new_axes((7.0, 4.6)) if ax is None else ax
    model = cost_model(DEFAULT_COST)
    c_grid = np.geomspace(lo, hi, 200)
    loss_values: list[np.ndarray] = [allocation.predicted_loss]
    if columns is not None:
        n = input_values(result, columns, "N", function)
        y = target_values(result, columns, function)
        c, _ = compute_values(result, columns, function)
        sizes = representative(n, n_sizes)
        norm, cmap = scale_map(n)
        ax.scatter(c, y, c=n, cmap=cmap, norm=norm, s=20, edgecolors="white", linewidths=0.4,
                   zorder=3, gid="data", label="runs (colour: model size)")
        loss_values.append(y)
    else:
        sizes = np.geomspace(allocation.n_params.min(), allocation.n_params.max(), n_sizes)
        norm, cmap = scale_map(sizes)
    for i, size in enumerate(sizes):
        tokens = model.tokens(np.full(c_grid.shape, size), c_grid)
        keep = np.isfinite(tokens) & (tokens > 0)
        values = with_group(result, {n_column: np.full(int(keep.sum()), size), d_column: tokens[keep]}, group)
        ax.plot(c_grid[keep], result.predict(values), color=cmap(norm(size)), linewidth=1.0,
                alpha=0.85, zorder=2, gid="iso-N " + json.dumps({n_column: float(size)}),
                label="law at fixed N (colour)" if i == 0 else None)
    ax.plot(allocation.flops, allocation.predicted_loss, color=FRONTIER_COLOUR, linewidth=2.4,
            zorder=4, gid="frontier loss", label="compute-optimal L*(C)")
    if "predicted_loss" in allocation.intervals:
        lower, upper = (np.asarray(v, dtype=float) for v in allocation.intervals["predicted_loss"])
        ax.fill_between(allocation.flops, lower, upper, color="0.55", alpha=0.35, linewidth=0,
                        zorder=3.5, gid="frontier band",
                        label=f"{allocation.prob:.0%} interval ({allocation.n_draws} draws)")
    every = np.concatenate(loss_values)
    every = every[np.isfinite(every) & (every > 0)]
    span = (float(every.min()), float(every.max()))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(span[0] / 1.03, span[1] * 1.03)
    ax.set_xlabel(f"training compute C [FLOP] (C = {allocation.cost})")
    ax.set_ylabel(target_label(result))
    ax.set_title(
        rf"$N^* \propto C^{{{allocation.exponent_a:.3f}}}$, "
        rf"$D^* \propto C^{{{allocation.exponent_b:.3f}}}$ ({allocation.method})",
        fontsize="medium",
    )
    style(ax)
    plain_log_labels(ax)
    colour_bar(ax, norm, cmap, input_label(result, "N"))
    ax.legend(fontsize="small", frameon=True, framealpha=0.85, edgecolor="none", loc="upper right")
    return ax


def plot_frontier(allocation: Allocation, ax: Axes | None = None) -> Axes:
    """The compute-optimal allocation: N* and D* against compute, log-log, with their interval fans.

    Draws the allocation as computed by :func:`scalinglaws.plan.allocate` (pass many budgets, e.g.
    ``numpy.geomspace(1e20, 1e25, 40)``, for smooth lines); bands are its bootstrap intervals.

    Returns
    -------
    Axes

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    require_matplotlib()
    ax = new_axes((5.5, 4.0)) if ax is None else ax
    flops = np.atleast_1d(np.asarray(allocation.flops, dtype=float))
    intervals = allocation.intervals or {}
    for key, text, colour in (
        ("n_params", "$N^*$ [parameters]", DATA_COLOUR),
        ("n_tokens", "$D^*$ [tokens]", TOKENS_COLOUR),
    ):
        values = np.atleast_1d(np.asarray(getattr(allocation, key), dtype=float))
        ax.plot(flops, values, color=colour, linewidth=1.8, marker="o" if flops.size < 8 else None,
                markersize=4, label=text, gid=f"frontier {key}")
        if key in intervals:
            lower, upper = (np.atleast_1d(np.asarray(v, dtype=float)) for v in intervals[key])
            ax.fill_between(flops, lower, upper, color=colour, alpha=0.15, linewidth=0,
                            label=f"{allocation.prob:.0%} interval", gid=f"fan {key}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"training compute C [FLOP] (C = {allocation.cost})")
    ax.set_ylabel("compute-optimal size [parameters or tokens]")
    ax.set_title(
        rf"$N^* \propto C^{{{allocation.exponent_a:.3f}}}$, $D^* \propto C^{{{allocation.exponent_b:.3f}}}$",
        fontsize="medium",
    )
    style(ax)
    ax.legend(fontsize="small", frameon=False)
    return ax
