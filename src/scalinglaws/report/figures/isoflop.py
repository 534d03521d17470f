"""IsoFLOP analyses: each budget's runs with its fitted profile and minimum (:func:`plot_isoflop`), and
the minima against compute with the fitted N_opt(C) power law (:func:`plot_isoflop_optima`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from scalinglaws.data.io import columns_of
from scalinglaws.errors import MissingColumnError
from scalinglaws.report.figures._common import (
    DATA_COLOUR,
    FRONTIER_COLOUR,
    TARGET_COLOUR,
    colour_bar,
    label,
    new_axes,
    plain_log_labels,
    require_matplotlib,
    scale_map,
    style,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from scalinglaws.plan import Allocation, IsoFlopResult

__all__ = ["plot_isoflop", "plot_isoflop_optima"]


def plot_isoflop(
    isoflop: IsoFlopResult,
    data: Any,
    ax: Axes | None = None,
    *,
    flops: str | None = None,
    n_params: str | None = None,
    loss: str | None = None,
) -> Axes:
    """IsoFLOP profiles: loss against model size per compute budget, with each budget's fitted
    profile and minimum.

    Runs are coloured by their budget's compute (a continuous scale); each budget's profile from
    :func:`scalinglaws.plan.isoflop_profiles` (cubic, parabola or Akima, in log loss against log N)
    is drawn across its sweep, and its minimum is a star with its interval on N (hollow when it
    sits on the edge of the sweep and was left out of the frontier). Runs on no budget are grey.

    Parameters
    ----------
    isoflop
        The analysis.
    data
        The runs it analysed.
    ax
        Axes to draw on; a new figure's when omitted.
    flops, n_params, loss
        Column names; default: the ones the analysis read.

    Returns
    -------
    Axes

    Raises
    ------
    MissingColumnError
        If ``data`` lacks one of the named columns.
    ImportError
        If matplotlib is not installed.
    """
    function = "plot_isoflop"
    columns = columns_of(data, function)
    names = (flops or isoflop.columns[0], n_params or isoflop.columns[1], loss or isoflop.columns[2])
    missing = [c for c in names if c not in columns]
    if missing:
        raise MissingColumnError(
            f"columns {missing} are missing from `data` of {function}. Available columns: {sorted(columns)}."
        )
    require_matplotlib()
    ax = new_axes((6.0, 4.2)) if ax is None else ax
    c, n, y = (np.asarray(columns[name], dtype=float) for name in names)
    budgets = isoflop.budgets
    budget_flops = budgets["flops"].to_numpy()
    norm, cmap = scale_map(budget_flops)
    rows = isoflop.assign(c)
    if np.any(rows < 0):
        ax.scatter(n[rows < 0], y[rows < 0], s=10, color="0.75", zorder=1, gid="isoflop unassigned",
                   label=f"runs on no budget ({int(np.sum(rows < 0))})")
    for k, row in enumerate(budgets.iter_rows(named=True)):
        colour = cmap(norm(row["flops"]))
        mask = rows == k
        ax.scatter(n[mask], y[mask], s=18, color=colour, edgecolors="white", linewidths=0.4, zorder=3,
                   gid=f"isoflop runs {row['flops']!r}")
        profile = isoflop.profiles[k] if k < len(isoflop.profiles) else None
        if profile is not None:
            sizes = np.exp(np.linspace(*profile.log_n_range, 120))
            ax.plot(sizes, profile.loss(sizes), color=colour, linewidth=1.4, zorder=2,
                    gid=f"isoflop profile {row['flops']!r}")
        if not np.isfinite(row["n_opt"]):
            continue
        lower, upper = row.get("n_opt_lower"), row.get("n_opt_upper")
        if lower is not None and upper is not None and np.isfinite([lower, upper]).all():
            ax.errorbar([row["n_opt"]], [row["loss_opt"]],
                        xerr=[[max(row["n_opt"] - lower, 0.0)], [max(upper - row["n_opt"], 0.0)]],
                        fmt="none", ecolor=colour, capsize=3, zorder=4)
        ax.plot([row["n_opt"]], [row["loss_opt"]], marker="*", markersize=12, linestyle="none",
                zorder=5, markerfacecolor=colour if row["interior"] else "none",
                markeredgecolor=FRONTIER_COLOUR if row["interior"] else colour, markeredgewidth=0.6,
                gid="isoflop minima")
    ax.set_xscale("log")
    ax.set_yscale("log" if np.all(y > 0) else "linear")
    ax.set_xlabel(label(names[1], "N"))
    ax.set_ylabel(label(names[2]))
    edge = int((~budgets["interior"]).sum())
    ax.set_title(
        f"{budgets.height} IsoFLOP profiles ({isoflop.method})"
        + (f"; {edge} minima at a sweep edge (hollow)" if edge else ""),
        fontsize="medium",
    )
    style(ax)
    plain_log_labels(ax)
    colour_bar(ax, norm, cmap, label(names[0], "C", "budget"))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small", frameon=False, loc="upper right")
    return ax


def plot_isoflop_optima(
    isoflop: IsoFlopResult, ax: Axes | None = None, *, allocation: Allocation | None = None
) -> Axes:
    """Each budget's optimal model size N_opt against compute, with the fitted power law
    N_opt = k C^a and its interval (and, given an ``allocation`` of a fitted law at the same or other
    budgets, the law's N*(C) for comparison).

    Minima at the edge of their sweep are hollow: they were left out of the power-law fit.

    Returns
    -------
    Axes

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    require_matplotlib()
    ax = new_axes((4.6, 4.2)) if ax is None else ax
    table = isoflop.budgets
    c = table["flops"].to_numpy()
    n_opt = table["n_opt"].to_numpy()
    lower, upper = table["n_opt_lower"].to_numpy(), table["n_opt_upper"].to_numpy()
    interior = table["interior"].to_numpy() & np.isfinite(n_opt)
    edge = ~table["interior"].to_numpy() & np.isfinite(n_opt)
    bars = interior & np.isfinite(lower) & np.isfinite(upper)
    ax.errorbar(c[bars], n_opt[bars],
                yerr=[np.maximum(n_opt[bars] - lower[bars], 0), np.maximum(upper[bars] - n_opt[bars], 0)],
                fmt="none", ecolor=DATA_COLOUR, elinewidth=1.0, capsize=2.5, zorder=3)
    ax.plot(c[interior], n_opt[interior], "o", color=DATA_COLOUR, markersize=5, zorder=4,
            gid="isoflop optima", label=f"profile minima ({int(interior.sum())})")
    if edge.any():
        ax.plot(c[edge], n_opt[edge], "o", markerfacecolor="none", markeredgecolor=DATA_COLOUR,
                markersize=5, zorder=4, gid="isoflop edge optima", label="at a sweep edge (left out)")
    span = np.geomspace(c.min() / 2, c.max() * 2, 50)
    interval = isoflop.intervals.get("exponent_a")
    text = rf"$N_{{opt}} \propto C^{{{isoflop.exponent_a:.3f}}}$"
    if interval:
        text += f" [{interval[0]:.3f}, {interval[1]:.3f}]"
    ax.plot(span, isoflop.coef_a * span**isoflop.exponent_a, color=FRONTIER_COLOUR, linewidth=1.6,
            zorder=2, gid="isoflop frontier", label=text)
    if allocation is not None:
        ax.plot(allocation.flops, allocation.n_params, color=TARGET_COLOUR, linewidth=1.4,
                linestyle="--", zorder=2, gid="law frontier",
                label=rf"fitted law $N^* \propto C^{{{allocation.exponent_a:.3f}}}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(label(isoflop.columns[0], "C"))
    ax.set_ylabel(label(isoflop.columns[1], "N", "compute-optimal"))
    ax.set_title("compute-optimal model size", fontsize="medium")
    style(ax)
    plain_log_labels(ax)
    ax.legend(fontsize="small", frameon=False, loc="upper left")
    return ax
