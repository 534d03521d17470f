"""The data against the fitted law: along one input with the others coloured (:func:`plot_fit`), and
predicted against observed (:func:`plot_predicted`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from scalinglaws.data.io import columns_of
from scalinglaws.errors import ArgumentError, FitError
from scalinglaws.report.figures._common import (
    DATA_COLOUR,
    TARGET_COLOUR,
    colour_bar,
    colours,
    column_of,
    frame,
    grid,
    input_label,
    input_values,
    label,
    new_axes,
    plain_log_labels,
    require_matplotlib,
    scale_map,
    sci,
    style,
    target_columns,
    target_label,
    target_values,
)
from scalinglaws.report.figures._series import choose_x, series

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from scalinglaws.fit.result import FitResult

__all__ = ["plot_fit", "plot_predicted"]

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
"""Marker of each group in a grouped fit (colour is taken by model size)."""
LABEL_COLUMNS = ("schedule", "run_id", "run", "name")
"""Columns that name a loss curve's run, looked for in this order."""


def plot_fit(
    result: FitResult,
    data: Any,
    ax: Axes | None = None,
    *,
    target: Mapping[str, Any] | None = None,
    x: str | None = None,
    prob: float = 0.95,
    kind: Literal["confidence", "prediction"] = "prediction",
    max_series: int = 8,
) -> Axes:
    """Observed runs and the fitted law on log axes, along one input with the others coloured.

    Every run is a point at its own inputs, coloured by the first input not on the horizontal axis
    (model size, say) on a continuous colour scale, with a short segment to the law's value at that
    run (its residual). Curves show the law along ``x`` at up to ``max_series`` sizes: one per
    cluster when the other inputs come in a few values (each maybe jittered by a few per cent), else
    at actual runs' sizes spread over the range, each across the runs nearest that size. In a grouped
    fit each group has its own marker and curves. With ``target`` (column or input -> value, e.g.
    ``{"n_params": 7e10, "n_tokens": 1.4e12}``) the law is drawn through the target with its
    ``prob`` interval band (``kind``: for the law's value or for a new run, see
    :meth:`FitResult.predict_interval`).

    Parameters
    ----------
    result
        The fit.
    data
        The runs it was fitted on (a polars or pandas frame, or a mapping column -> values).
    ax
        Axes to draw on; a new figure's when omitted.
    target
        Where to extrapolate to; every input (and the group column in a grouped fit) needs a value.
    x
        Input (or its column) for the horizontal axis; default: the one that varies most
        continuously.
    prob, kind
        The interval drawn around the extrapolation.
    max_series
        At most this many curves.

    Returns
    -------
    Axes

    Raises
    ------
    MissingColumnError
        If ``data`` lacks an input column or the target column, or ``target`` misses an input.
    ValueError
        If ``x`` is not an input of the law, or ``max_series`` < 1.
    ImportError
        If matplotlib is not installed.

    Examples
    --------
    >>> import scalinglaws as sl
    >>> from scalinglaws.report import plot_fit
    >>> runs = sl.testing.synthetic_runs("chinchilla", seed=0)
    >>> result = sl.fit(runs, "chinchilla")
    >>> ax = plot_fit(result, runs, target={"n_params": 7e10, "n_tokens": 1.4e12})
    """
    function = "plot_fit"
    if max_series < 1:
        raise ArgumentError(
            f"`max_series` of {function} must be at least 1. Got {max_series!r} instead.",
            argument="max_series", function=function,
        )
    columns = columns_of(data, function)
    require_matplotlib()
    ax = new_axes((7.5, 4.5)) if ax is None else ax
    if result.law.compiled.history_inputs:
        return _plot_curves(result, data, columns, ax, target, x)
    x_name = choose_x(result, columns, x, function)
    x_column = column_of(result, x_name)
    others = [n for n in result.law.inputs if n != x_name]
    x_values = input_values(result, columns, x_name, function)
    y_values = target_values(result, columns, function)
    goal = target_columns(result, target, function) if target is not None else None
    every_x = np.concatenate([x_values, [goal[x_column]] if goal else []])
    log_x = bool(np.all(every_x > 0))
    rows, fixed, _ = series(result, columns, others, max_series, function)

    shade = input_values(result, columns, others[0], function) if others else None
    norm, cmap = scale_map(shade) if shade is not None else (None, None)
    group = result.config.group if result.groups is not None else None
    labels = np.asarray([str(g) for g in columns[group]]) if group else np.full(x_values.size, "")
    for i, name in enumerate(sorted(set(labels.tolist()))):
        mask = labels == name
        ax.scatter(
            x_values[mask], y_values[mask], s=22, c=shade[mask] if shade is not None else DATA_COLOUR,
            cmap=cmap, norm=norm, marker=MARKERS[i % len(MARKERS)], edgecolors="white",
            linewidths=0.5, zorder=3, gid="data", label=f"runs: {name}" if name else "runs",
        )
    _draw_residuals(ax, x_values, y_values, result.predict(columns))
    named = False
    for i, values in enumerate(fixed):
        mask = rows == i
        lo, hi = float(x_values[mask].min()), float(x_values[mask].max())
        if lo == hi:
            continue
        along = grid(lo, hi, log_x)
        colour = cmap(norm(values[column_of(result, others[0])])) if norm and cmap else DATA_COLOUR
        name = None if named else ("fitted law (colour: its size)" if others else "fitted law")
        named = True
        ax.plot(
            along, result.predict(frame(x_column, along, values)), color=colour, linewidth=1.6,
            zorder=2, label=name, gid="fit " + json.dumps(values),
        )
    if goal is not None:
        _draw_target(ax, result, goal, x_column, x_values, log_x, prob, kind)
    if norm is not None and cmap is not None:
        colour_bar(ax, norm, cmap, input_label(result, others[0]))
    return _finish(ax, result, input_label(result, x_name), log_x, y_values)


def _draw_residuals(ax: Axes, x: np.ndarray, observed: np.ndarray, predicted: np.ndarray) -> None:
    """A segment from each run to the law's value at its own inputs, ending in a tick."""
    from matplotlib.collections import LineCollection

    segments = np.stack([np.column_stack([x, observed]), np.column_stack([x, predicted])], axis=1)
    ax.add_collection(LineCollection(
        list(segments), colors="0.45", linewidths=0.7, zorder=2.5, gid="law at runs"
    ))
    ax.scatter(
        x, predicted, marker="_", s=14, color="0.35", linewidths=0.8, zorder=4,
        gid="prediction", label="law at each run",
    )


def _finish(ax: Axes, result: FitResult, x_label: str, log_x: bool, y_values: np.ndarray) -> Axes:
    """Scales, labels, style and legend of a fit figure: a log loss axis for positive targets fitted
    in log space."""
    ax.set_xscale("log" if log_x else "linear")
    log_y = bool(np.all(y_values > 0)) and result.config.space == "log"
    ax.set_yscale("log" if log_y else "linear")
    ax.set_xlabel(x_label)
    ax.set_ylabel(target_label(result))
    style(ax)
    plain_log_labels(ax)
    ax.legend(fontsize="small", frameon=True, framealpha=0.85, edgecolor="none", loc="upper right")
    return ax


def _curve_names(columns: Mapping[str, np.ndarray], pieces: list[np.ndarray], x_column: str,
                 x_values: np.ndarray) -> list[str]:
    """A legend name per loss curve: its value of a naming column when it has one, else its number,
    checkpoints and reach."""
    for column in LABEL_COLUMNS:
        if column in columns:
            values = np.asarray(columns[column])
            if all(np.unique(values[rows]).size == 1 for rows in pieces):
                return [f"{column} {values[rows][0]}" for rows in pieces]
    return [
        f"schedule {i + 1} ({rows.size} checkpoints, {x_column} \u2264 {float(x_values[rows].max()):.3g})"
        for i, rows in enumerate(pieces)
    ]


def _plot_curves(
    result: FitResult,
    data: Any,
    columns: Mapping[str, np.ndarray],
    ax: Axes,
    target: Mapping[str, Any] | None,
    x: str | None,
) -> Axes:
    """A loss-curve law (with history inputs) at the observed points: each curve (a run of rows along
    which ``x`` keeps growing) as observed points and the law's values there, named in the legend.
    Its values need a schedule up to each point, so there is no curve between or beyond them."""
    function = "plot_fit"
    point_inputs = result.law.point_inputs
    if target is not None:
        raise ArgumentError(
            f"`target` of {function} cannot be drawn for law {result.law.label!r}: its value at a "
            "point needs that point's whole learning-rate schedule. Predict the target's rows "
            "(with their history inputs) with FitResult.predict instead.",
            argument="target", function=function,
        )
    x_name = point_inputs[0] if x is None else x
    if x_name not in point_inputs and x_name not in columns:
        raise ArgumentError(
            f"`x` of {function} must be a column or one of {point_inputs}. Got {x!r} instead.",
            argument="x", function=function,
        )
    x_column = column_of(result, x_name) if x_name in point_inputs else x_name
    x_values = np.asarray(columns[x_column], dtype=float)
    y_values = target_values(result, columns, function)
    predicted = result.predict(data)
    starts = np.flatnonzero(np.diff(x_values) < 0) + 1
    pieces = np.split(np.arange(x_values.size), starts)
    palette = colours(len(pieces))
    for i, (rows, name) in enumerate(zip(pieces, _curve_names(columns, pieces, x_column, x_values),
                                         strict=True)):
        ax.scatter(x_values[rows], y_values[rows], s=12, color=palette[i], zorder=3, gid="data")
        ax.plot(
            x_values[rows], predicted[rows], color=palette[i], linewidth=1.4, zorder=2, label=name,
            gid=f"fit curve {i}",
        )
    x_label = (
        input_label(result, x_name) if x_name in point_inputs else label(x_column)
    )
    _finish(ax, result, x_label, bool(np.all(x_values > 0)), y_values)
    legend = ax.get_legend()
    if legend is not None:
        legend.set_title("points: observed; lines: fitted law")
        legend.get_title().set_fontsize("small")
    return ax


def _draw_target(
    ax: Axes,
    result: FitResult,
    goal: Mapping[str, Any],
    x_column: str,
    x_values: np.ndarray,
    log_x: bool,
    prob: float,
    kind: Literal["confidence", "prediction"],
) -> None:
    fixed = {c: v for c, v in goal.items() if c != x_column}
    x_target = float(goal[x_column])
    lo, hi = min(float(x_values.min()), x_target), max(float(x_values.max()), x_target)
    along = grid(lo, hi, log_x)
    curve_frame = frame(x_column, along, fixed)
    point_frame = frame(x_column, np.array([x_target]), fixed)
    try:
        curve, lower, upper, _ = result.predict_interval(curve_frame, prob, kind)
        point, p_lower, p_upper, _ = result.predict_interval(point_frame, prob, kind)
    except FitError:  # neither covariance nor bootstrap draws: the curve alone, no band
        curve, lower, upper = result.predict(curve_frame), None, None
        point, p_lower, p_upper = result.predict(point_frame), None, None
    description = ", ".join(
        f"{c} = {sci(v) if not isinstance(v, str) else v}" for c, v in fixed.items()
    )
    ax.plot(
        along, curve, color=TARGET_COLOUR, linewidth=1.6, linestyle="--", zorder=4,
        label=f"extrapolation ({description})" if description else "extrapolation",
        gid="extrapolation " + json.dumps(dict(fixed)),
    )
    if lower is not None and upper is not None:
        ax.fill_between(
            along, lower, upper, color=TARGET_COLOUR, alpha=0.15, linewidth=0, zorder=1,
            label=f"{prob:.0%} {kind} interval", gid="interval",
        )
    if x_target > float(x_values.max()):
        ax.axvspan(float(x_values.max()), x_target, color="0.96", zorder=0, gid="beyond-data")
    y = float(point[0])
    if p_lower is not None and p_upper is not None:
        ax.errorbar(
            [x_target], [y], yerr=[[y - float(p_lower[0])], [float(p_upper[0]) - y]], fmt="none",
            ecolor=TARGET_COLOUR, elinewidth=1.4, capsize=4, zorder=5,
        )
        text = f"{y:.4g}\n[{float(p_lower[0]):.4g}, {float(p_upper[0]):.4g}]"
    else:
        text = f"{y:.4g}"
    ax.plot(
        [x_target], [y], marker="*", markersize=13, color=TARGET_COLOUR, markeredgecolor="white",
        linestyle="none", zorder=6, gid="target", label="target",
    )
    ax.annotate(
        text, (x_target, y), xytext=(-8, 10), textcoords="offset points", ha="right",
        fontsize="small", color=TARGET_COLOUR,
    )


def plot_predicted(
    result: FitResult,
    data: Any,
    ax: Axes | None = None,
    *,
    colour_by: str | None = None,
) -> Axes:
    """The law's value at each run against the observed value, with the line y = x.

    Points are coloured by an input (``colour_by``, an input or its column; default: the first) on a
    continuous scale. The title gives the root-mean-square residual in the fit's residual space
    (log ratio: about the relative error) and R² of the observed values. Axes are logarithmic for
    positive targets fitted in log space.

    Returns
    -------
    Axes

    Raises
    ------
    MissingColumnError
        If ``data`` lacks an input column or the target column.
    ValueError
        If ``colour_by`` is not an input of the law.
    ImportError
        If matplotlib is not installed.
    """
    function = "plot_predicted"
    columns = columns_of(data, function)
    require_matplotlib()
    ax = new_axes((4.8, 4.4)) if ax is None else ax
    name = choose_x(result, columns, colour_by, function, "colour_by") if colour_by else result.law.point_inputs[0]
    shade = input_values(result, columns, name, function)
    observed = target_values(result, columns, function)
    fitted = result.predict(columns)
    norm, cmap = scale_map(shade)
    ax.scatter(
        observed, fitted, c=shade, cmap=cmap, norm=norm, s=20, edgecolors="white", linewidths=0.4,
        zorder=3, gid="predicted",
    )
    finite = np.concatenate([observed, fitted])
    finite = finite[np.isfinite(finite)]
    lo, hi = float(finite.min()), float(finite.max())
    log = lo > 0 and result.config.space == "log"
    pad = (hi / lo) ** 0.04 if log else 1.0
    limits = (lo / pad, hi * pad) if log else (lo - 0.04 * (hi - lo), hi + 0.04 * (hi - lo))
    ax.plot(limits, limits, color="0.5", linewidth=1.0, zorder=1, gid="identity", label="y = x")
    with np.errstate(all="ignore"):
        residual = np.log(observed / fitted) if result.config.space == "log" else observed - fitted
    ok = np.isfinite(residual)
    rms = float(np.sqrt(np.mean(residual[ok] ** 2))) if ok.any() else float("nan")
    total = float(np.sum((observed[ok] - observed[ok].mean()) ** 2))
    r2 = 1.0 - float(np.sum((observed[ok] - fitted[ok]) ** 2)) / total if total > 0 else float("nan")
    spread = f"RMS log ratio {rms:.2%}" if result.config.space == "log" else f"RMS residual {rms:.3g}"
    ax.set_title(f"{spread}, R\u00b2 = {r2:.3f} ({int(ok.sum())} runs)", fontsize="medium")
    for setter in (ax.set_xscale, ax.set_yscale):
        setter("log" if log else "linear")
    ax.set_xlim(*limits)
    ax.set_ylim(*limits)
    ax.set_xlabel(target_label(result, "observed"))
    ax.set_ylabel(target_label(result, "fitted"))
    style(ax)
    plain_log_labels(ax)
    colour_bar(ax, norm, cmap, input_label(result, name))
    ax.legend(fontsize="small", frameon=False, loc="upper left")
    return ax
