"""Residuals of a fit against one input, with the trend the lack-of-fit test measures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from scalinglaws.data.io import columns_of
from scalinglaws.report.checks import TREND_ALPHA, residual_trend, residuals_of
from scalinglaws.report.figures._common import (
    DATA_COLOUR,
    MISSED_COLOUR,
    input_label,
    input_values,
    new_axes,
    require_matplotlib,
    style,
    unit_of,
)
from scalinglaws.report.figures._series import choose_x

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from scalinglaws.fit.result import FitResult

__all__ = ["plot_residuals"]


def plot_residuals(
    result: FitResult,
    data: Any,
    ax: Axes | None = None,
    *,
    against: str | None = None,
    trend: bool = True,
) -> Axes:
    """Residuals of the fit against one law input, in the fit's residual space.

    In log space the residual is ``log(observed / fitted)`` (about the relative error), otherwise
    ``observed - fitted``. Points that the fit's diagnostics flag as influential are ringed in red.
    With ``trend``, the quadratic trend in the input's log that the lack-of-fit test fits is drawn
    and its F statistic and p-value are the title (:func:`scalinglaws.report.checks.residual_trend`);
    the title is red when the trend is significant at 1%.

    Parameters
    ----------
    result, data
        The fit and the runs it was fitted on.
    ax
        Axes to draw on; a new figure's when omitted.
    against
        Law input (or its column) for the horizontal axis; default: the law's first input.
    trend
        Draw the fitted trend and its test.

    Returns
    -------
    Axes

    Raises
    ------
    MissingColumnError
        If ``data`` lacks an input column or the target column.
    ValueError
        If ``against`` is not an input of the law.
    ImportError
        If matplotlib is not installed.
    """
    function = "plot_residuals"
    columns = columns_of(data, function)
    require_matplotlib()
    ax = new_axes((5.0, 3.4)) if ax is None else ax
    name = (
        choose_x(result, columns, against, function, "against")
        if against is not None
        else result.law.inputs[0]
    )
    x_values = input_values(result, columns, name, function)
    residuals = residuals_of(result, columns, function)
    ax.axhline(0.0, color="0.4", linewidth=1.0, zorder=1)
    ax.scatter(
        x_values, residuals, s=20, color=DATA_COLOUR, edgecolors="white", linewidths=0.5,
        zorder=3, gid="residuals",
    )
    flagged = sorted(
        {r for d in result.diagnostics if d.kind == "influential" for r in d.rows if 0 <= r < x_values.size}
    )
    if flagged:
        ax.scatter(
            x_values[flagged], residuals[flagged], s=70, facecolors="none", edgecolors=MISSED_COLOUR,
            linewidths=1.2, zorder=4, label="influential", gid="influential",
        )
    log_x = bool(np.all(x_values > 0))
    if trend and name in result.law.point_inputs:
        found = residual_trend(result, columns, name)
        if found is not None:
            along = np.geomspace(x_values.min(), x_values.max(), 100) if log_x else np.linspace(
                x_values.min(), x_values.max(), 100
            )
            ax.plot(along, found.at(along), color="#9a6700", linewidth=1.4, zorder=2,
                    label="quadratic trend", gid="residual trend")
            significant = found.p_value < TREND_ALPHA / max(len(result.law.point_inputs), 1)
            ax.set_title(
                f"trend F = {found.statistic:.1f}, p = {found.p_value:.2g}",
                fontsize="small", color=MISSED_COLOUR if significant else "0.25",
            )
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small", frameon=False)
    ax.set_xscale("log" if log_x else "linear")
    ax.set_xlabel(input_label(result, name))
    target = result.config.target
    unit = unit_of(target)
    ax.set_ylabel(
        f"log({target} / fit) [\u2248 relative error]" if result.config.space == "log"
        else f"{target} \u2212 fit" + (f" [{unit}]" if unit else "")
    )
    style(ax)
    return ax
