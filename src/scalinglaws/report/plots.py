"""Figures of a fit: data and fitted law, residuals, backtests and bootstrap draws.

Rendering only: every function draws on the matplotlib ``Axes`` it is given (or on a new pyplot figure
when given none) and returns it; none fits anything, calls ``show()`` or writes a file. Values drawn
come from the result's own methods (``predict``, ``predict_interval``), so a figure shows exactly what
the library would answer.

matplotlib is an optional dependency (``pip install 'scalinglaws[plot]'``); it is imported when a figure
is drawn, never when this module is imported.

Artists that carry numbers a reader (or a test) may want back are tagged with a ``gid``:
``"fit {json}"`` for a fitted curve (the JSON gives the columns held fixed along it), ``"extrapolation
{json}"`` for the curve through the target, ``"interval"`` for its band, ``"target"`` for the target
point, ``"data"`` for observed runs, ``"residuals"``, ``"identity"`` (the y = x line of a backtest),
``"backtest covered"``/``"backtest missed"``, ``"draws a b"`` for bootstrap pairs, ``"frontier n_params"``
/``"frontier n_tokens"`` for compute-optimal allocations with their ``"fan ..."`` bands, and
``"isoflop minima"``/``"isoflop frontier"`` for IsoFLOP analyses.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from scalinglaws.data.io import columns_of
from scalinglaws.errors import ArgumentError, FitError, MissingColumnError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from scalinglaws.fit.resampling import BootstrapResult
    from scalinglaws.fit.result import FitResult
    from scalinglaws.plan import Allocation, IsoFlopResult
    from scalinglaws.trust.backtesting import BacktestResult

__all__ = [
    "PLOT_EXTRA",
    "has_matplotlib",
    "plot_backtest",
    "plot_bootstrap_pairs",
    "plot_fit",
    "plot_frontier",
    "plot_isoflop",
    "plot_residuals",
    "require_matplotlib",
]

PLOT_EXTRA = "pip install 'scalinglaws[plot]'"
"""The command that installs what figures need."""

DATA_COLOUR = "#0969da"
TARGET_COLOUR = "#cf222e"
MISSED_COLOUR = "#cf222e"
CLUSTER_GAP = 0.1
"""Decades between sorted values of an input that start a new series (model sizes jittered by a few %
stay one series; sizes a factor 1.26 apart do not)."""


def has_matplotlib() -> bool:
    """Whether matplotlib is installed (figures can be drawn)."""
    return importlib.util.find_spec("matplotlib") is not None


def require_matplotlib() -> Any:
    """Import matplotlib, or raise an ImportError naming the extra that provides it.

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install 'scalinglaws[plot]'``).
    """
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(
            f"figures need matplotlib, which is not installed. Install it with `{PLOT_EXTRA}`."
        ) from exc
    return matplotlib


def _new_axes(figsize: tuple[float, float] = (5.5, 4.0)) -> Axes:
    require_matplotlib()
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _column_of(result: FitResult, name: str) -> str:
    """The data column a law input reads (after the fit's mapping)."""
    return result.config.mapping.get(name, name)


def _input_values(
    result: FitResult, columns: Mapping[str, np.ndarray], name: str, function: str
) -> np.ndarray:
    column = _column_of(result, name)
    if column not in columns:
        raise MissingColumnError(
            f"column {column!r} (input `{name}` of law {result.law.label!r}) is missing from `data` of "
            f"{function}. Available columns: {sorted(columns)}."
        )
    return np.asarray(columns[column], dtype=float)


def _target_values(
    result: FitResult, columns: Mapping[str, np.ndarray], function: str
) -> np.ndarray:
    target = result.config.target
    if target not in columns:
        raise MissingColumnError(
            f"column {target!r} (the fitted target) is missing from `data` of {function}. "
            f"Available columns: {sorted(columns)}."
        )
    return np.asarray(columns[target], dtype=float)


def _scale(values: np.ndarray) -> np.ndarray:
    """Values on the axis they are compared on: log10 when all positive, else a 0..10 linear range."""
    if values.size and np.all(values > 0):
        return np.log10(values)
    span = float(np.ptp(values)) if values.size else 0.0
    return (values - (values.min() if values.size else 0.0)) / max(span, 1e-300) * 10.0


def _clusters(values: np.ndarray) -> np.ndarray:
    """Label each value by its run of sorted values separated by more than ``CLUSTER_GAP`` decades."""
    scaled = _scale(values)
    order = np.argsort(scaled, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.diff(scaled[order]) > CLUSTER_GAP)])
    labels = np.empty(values.size, dtype=int)
    labels[order] = starts
    return labels


def _quantile_bins(values: np.ndarray, k: int) -> np.ndarray:
    scaled = _scale(values)
    edges = np.quantile(scaled, np.linspace(0, 1, k + 1))
    return np.clip(np.searchsorted(edges, scaled, side="right") - 1, 0, k - 1)


def _centre(values: np.ndarray) -> float:
    """Geometric mean of positive values, else the mean."""
    return float(np.exp(np.mean(np.log(values)))) if np.all(values > 0) else float(np.mean(values))


def _sci(value: float) -> str:
    """``2.0 x 10^7`` in mathtext (two significant digits)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10**exponent
    if -2 <= exponent <= 3:
        return f"{value:.3g}"
    return rf"${mantissa:.1f}\times10^{{{exponent}}}$"


def _name(symbol: str, column: str) -> str:
    return symbol if symbol == column else f"{column} ({symbol})"


def _short(symbol: str) -> str:
    """A law input for a legend: math italic for a one-letter symbol, plain text otherwise."""
    return f"${symbol}$" if re.fullmatch(r"[A-Za-z]", symbol) else symbol


def _style(ax: Axes) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, which="major", color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)


def _plain_log_labels(ax: Axes) -> None:
    """On a log axis spanning less than a decade, label ticks 2, 2.5, 3 rather than 2x10^0."""
    require_matplotlib()
    from matplotlib.ticker import FuncFormatter

    plain = FuncFormatter(lambda value, _: f"{value:.3g}")
    for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        lo, hi = sorted(limits)
        if axis.get_scale() == "log" and lo > 0 and hi / lo < 10:
            axis.set_major_formatter(plain)
            axis.set_minor_formatter(plain)


def _colours(n: int) -> list[Any]:
    require_matplotlib()
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(0.85 * i / max(n - 1, 1)) for i in range(n)]


def _within_share(values: np.ndarray) -> float:
    """Share of an input's spread (on its axis scale) left within its clusters: near 0 for a few
    distinct sizes (series), large for an input that varies continuously."""
    scaled = _scale(values)
    total = float(np.var(scaled))
    if total == 0:
        return 0.0
    labels = _clusters(values)
    means = np.bincount(labels, weights=scaled) / np.bincount(labels)
    return float(np.var(scaled - means[labels])) / total


def _choose_x(
    result: FitResult, columns: Mapping[str, np.ndarray], x: str | None, function: str
) -> str:
    """The law input drawn along the horizontal axis: ``x`` (an input or its column), else the input
    that varies most continuously (the others come in a few distinct values: the series)."""
    inputs = result.law.inputs
    if x is not None:
        for name in inputs:
            if x in (name, _column_of(result, name)):
                return name
        raise ArgumentError(
            f"`x` of {function} must be an input of law {result.law.label!r} or its column: "
            f"{[(n, _column_of(result, n)) for n in inputs]}. Got {x!r} instead.",
            argument="x", function=function,
        )
    if len(inputs) == 1:
        return inputs[0]
    scores = []
    for name in inputs:
        values = _input_values(result, columns, name, function)
        scores.append((round(_within_share(values), 3), int(_clusters(values).max()) + 1))
    best = max(scores)
    return [n for n, c in zip(inputs, scores, strict=True) if c == best][-1]


def _series(
    result: FitResult,
    columns: Mapping[str, np.ndarray],
    others: Sequence[str],
    max_series: int,
    function: str,
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Label every row with its series (group and scale of the inputs not on the x axis).

    Returns the labels and, per series (sorted by the first fixed input), the column values that are
    held fixed along its curve.
    """
    n = next(iter(columns.values())).shape[0]
    group = result.config.group if result.groups is not None else None
    groups = np.asarray([str(g) for g in columns[group]]) if group is not None else np.full(n, "")
    values = [_input_values(result, columns, o, function) for o in others]
    labels = [_clusters(v) for v in values]
    keys = list(zip(groups.tolist(), *(lab.tolist() for lab in labels), strict=True))
    if others and len(set(keys)) > max_series:
        n_groups = len(set(groups.tolist()))
        per_input = max(1, int((max_series / n_groups) ** (1 / len(others))))
        labels = [_quantile_bins(v, per_input) for v in values]
        keys = list(zip(groups.tolist(), *(lab.tolist() for lab in labels), strict=True))
    distinct = sorted(set(keys), key=lambda k: (k[0], *k[1:]))
    index = {k: i for i, k in enumerate(distinct)}
    rows = np.array([index[k] for k in keys], dtype=int)
    fixed: list[dict[str, Any]] = []
    for i in range(len(distinct)):
        mask = rows == i
        entry: dict[str, Any] = {
            _column_of(result, o): _centre(v[mask]) for o, v in zip(others, values, strict=True)
        }
        if group is not None:
            entry[group] = str(groups[mask][0])
        fixed.append(entry)
    if others:
        first = _column_of(result, others[0])
        order = sorted(
            range(len(fixed)), key=lambda i: (str(fixed[i].get(group or "", "")), fixed[i][first])
        )
        remap = np.empty(len(order), dtype=int)
        remap[order] = np.arange(len(order))
        rows, fixed = remap[rows], [fixed[i] for i in order]
    return rows, fixed


def _grid(lo: float, hi: float, log: bool, n: int = 200) -> np.ndarray:
    return np.geomspace(lo, hi, n) if log else np.linspace(lo, hi, n)


def _frame(x_column: str, grid: np.ndarray, fixed: Mapping[str, Any]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {x_column: grid}
    for column, value in fixed.items():
        out[column] = np.full(grid.size, value, dtype=object if isinstance(value, str) else float)
    return out


def target_columns(result: FitResult, target: Mapping[str, Any], function: str) -> dict[str, Any]:
    """``target`` keyed by column (law inputs given by symbol are translated), every input present."""
    out: dict[str, Any] = {}
    for key, value in target.items():
        column = _column_of(result, key) if key in result.law.inputs else key
        out[column] = value if isinstance(value, str) else float(value)
    needed = [_column_of(result, n) for n in result.law.inputs]
    if result.groups is not None:
        needed.append(result.config.group or "")
    missing = [c for c in needed if c not in out]
    if missing:
        raise MissingColumnError(
            f"`target` of {function} must give a value for every input of law {result.law.label!r}"
            f"{' and the group column' if result.groups is not None else ''}: {needed}. "
            f"Missing {missing}."
        )
    return out


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
    """Observed runs and the fitted law, per series, on log axes; optionally the extrapolation to a target.

    The horizontal axis is one law input (``x``); runs are split into series by the values of the
    other inputs (model sizes, say) and by group in a grouped fit, and each series gets the law's
    curve at its fixed values. With ``target`` (column or input -> value, e.g. ``{"n_params": 7e10,
    "n_tokens": 1.4e12}``), the law is drawn through the target with its ``prob`` interval band
    (``kind``: for the law's value or for a new run, see :meth:`FitResult.predict_interval`).

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
        Input (or its column) for the horizontal axis; default: the one with the most distinct
        scales.
    prob, kind
        The interval drawn around the extrapolation.
    max_series
        At most this many series (values of the other inputs are binned when there are more).

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
    ax = _new_axes((7.5, 4.5)) if ax is None else ax
    if result.law.compiled.history_inputs:
        return _plot_curves(result, data, columns, ax, target, x)
    x_name = _choose_x(result, columns, x, function)
    x_column = _column_of(result, x_name)
    others = [n for n in result.law.inputs if n != x_name]
    x_values = _input_values(result, columns, x_name, function)
    y_values = _target_values(result, columns, function)
    goal = target_columns(result, target, function) if target is not None else None
    every_x = np.concatenate([x_values, [goal[x_column]] if goal else []])
    log_x = bool(np.all(every_x > 0))

    rows, fixed = _series(result, columns, others, max_series, function)
    colours = _colours(len(fixed))
    for i, values in enumerate(fixed):
        mask = rows == i
        label = ", ".join(f"{_short(o)} = {_sci(values[_column_of(result, o)])}" for o in others)
        if result.groups is not None:
            label = f"{values[result.config.group or '']}" + (f", {label}" if label else "")
        ax.scatter(
            x_values[mask],
            y_values[mask],
            s=22,
            color=colours[i],
            edgecolors="white",
            linewidths=0.5,
            zorder=3,
            gid="data",
        )
        lo, hi = float(x_values[mask].min()), float(x_values[mask].max())
        if lo == hi:
            continue
        grid = _grid(lo, hi, log_x)
        curve = result.predict(_frame(x_column, grid, values))
        ax.plot(
            grid,
            curve,
            color=colours[i],
            linewidth=1.6,
            label=label or "fitted law",
            zorder=2,
            gid="fit " + json.dumps(values),
        )

    if goal is not None:
        _draw_target(ax, result, goal, x_column, x_values, log_x, prob, kind)

    return _finish_fit_axes(ax, result, _name(x_name, x_column), log_x, y_values)


def _finish_fit_axes(ax: Axes, result: FitResult, x_label: str, log_x: bool, y_values: np.ndarray) -> Axes:
    """Scales, labels, style and legend of a fit plot: a log loss axis for positive targets fitted in
    log space."""
    ax.set_xscale("log" if log_x else "linear")
    log_y = bool(np.all(y_values > 0)) and result.config.space == "log"
    ax.set_yscale("log" if log_y else "linear")
    ax.set_xlabel(x_label)
    ax.set_ylabel(result.config.target)
    _style(ax)
    _plain_log_labels(ax)
    ax.legend(fontsize="small", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def _plot_curves(
    result: FitResult,
    data: Any,
    columns: Mapping[str, np.ndarray],
    ax: Axes,
    target: Mapping[str, Any] | None,
    x: str | None,
) -> Axes:
    """A loss-curve law (with history inputs) at the observed points: each curve (a run of rows along
    which ``x`` keeps growing) as observed points and the law's values there. Its values need a
    schedule up to each point, so there is no curve between or beyond them."""
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
    x_column = _column_of(result, x_name) if x_name in point_inputs else x_name
    x_values = np.asarray(columns[x_column], dtype=float)
    y_values = _target_values(result, columns, function)
    predicted = result.predict(data)
    starts = np.flatnonzero(np.diff(x_values) < 0) + 1
    pieces = np.split(np.arange(x_values.size), starts)
    colours = _colours(len(pieces))
    for i, rows in enumerate(pieces):
        ax.scatter(x_values[rows], y_values[rows], s=10, color=colours[i], zorder=3, gid="data")
        ax.plot(
            x_values[rows], predicted[rows], color=colours[i], linewidth=1.4, zorder=2,
            label="fitted law" if i == 0 else None, gid=f"fit curve {i}",
        )
    return _finish_fit_axes(ax, result, x_column, bool(np.all(x_values > 0)), y_values)


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
    grid = _grid(lo, hi, log_x)
    frame = _frame(x_column, grid, fixed)
    point_frame = _frame(x_column, np.array([x_target]), fixed)
    try:
        curve, lower, upper, _ = result.predict_interval(frame, prob, kind)
        point, p_lower, p_upper, _ = result.predict_interval(point_frame, prob, kind)
    except FitError:  # neither covariance nor bootstrap draws: the curve alone, no band
        curve, lower, upper = result.predict(frame), None, None
        point, p_lower, p_upper = result.predict(point_frame), None, None
    description = ", ".join(
        f"{c} = {_sci(v) if not isinstance(v, str) else v}" for c, v in fixed.items()
    )
    ax.plot(
        grid,
        curve,
        color=TARGET_COLOUR,
        linewidth=1.6,
        linestyle="--",
        zorder=4,
        label=f"extrapolation ({description})" if description else "extrapolation",
        gid="extrapolation " + json.dumps(dict(fixed)),
    )
    if lower is not None and upper is not None:
        ax.fill_between(
            grid,
            lower,
            upper,
            color=TARGET_COLOUR,
            alpha=0.15,
            linewidth=0,
            zorder=1,
            label=f"{prob:.0%} {kind} interval",
            gid="interval",
        )
    if x_target > float(x_values.max()):
        ax.axvspan(float(x_values.max()), x_target, color="0.96", zorder=0, gid="beyond-data")
    y = float(point[0])
    if p_lower is not None and p_upper is not None:
        ax.errorbar(
            [x_target],
            [y],
            yerr=[[y - float(p_lower[0])], [float(p_upper[0]) - y]],
            fmt="none",
            ecolor=TARGET_COLOUR,
            elinewidth=1.4,
            capsize=4,
            zorder=5,
        )
        text = f"{y:.4g}\n[{float(p_lower[0]):.4g}, {float(p_upper[0]):.4g}]"
    else:
        text = f"{y:.4g}"
    ax.plot(
        [x_target],
        [y],
        marker="*",
        markersize=13,
        color=TARGET_COLOUR,
        markeredgecolor="white",
        linestyle="none",
        zorder=6,
        gid="target",
        label="target",
    )
    ax.annotate(
        text,
        (x_target, y),
        xytext=(-8, 10),
        textcoords="offset points",
        ha="right",
        fontsize="small",
        color=TARGET_COLOUR,
    )


def plot_residuals(
    result: FitResult,
    data: Any,
    ax: Axes | None = None,
    *,
    against: str | None = None,
) -> Axes:
    """Residuals of the fit against one law input, in the fit's residual space.

    In log space the residual is ``log(observed / fitted)``, otherwise ``observed - fitted``. Points
    that the fit's diagnostics flag as influential are ringed in red.

    Parameters
    ----------
    result, data
        The fit and the runs it was fitted on.
    ax
        Axes to draw on; a new figure's when omitted.
    against
        Law input (or its column) for the horizontal axis; default: the law's first input.

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
    ax = _new_axes((5.0, 3.2)) if ax is None else ax
    name = (
        _choose_x(result, columns, against, function)
        if against is not None
        else result.law.inputs[0]
    )
    x_values = _input_values(result, columns, name, function)
    observed = _target_values(result, columns, function)
    fitted = result.predict(columns)
    log = result.config.space == "log"
    with np.errstate(all="ignore"):
        residuals = np.log(observed / fitted) if log else observed - fitted
    ax.axhline(0.0, color="0.4", linewidth=1.0, zorder=1)
    ax.scatter(
        x_values,
        residuals,
        s=20,
        color=DATA_COLOUR,
        edgecolors="white",
        linewidths=0.5,
        zorder=3,
        gid="residuals",
    )
    flagged = sorted(
        {
            r
            for d in result.diagnostics
            if d.kind == "influential"
            for r in d.rows
            if 0 <= r < x_values.size
        }
    )
    if flagged:
        ax.scatter(
            x_values[flagged],
            residuals[flagged],
            s=70,
            facecolors="none",
            edgecolors=MISSED_COLOUR,
            linewidths=1.2,
            zorder=4,
            label="influential",
            gid="influential",
        )
        ax.legend(fontsize="small", frameon=False)
    ax.set_xscale("log" if np.all(x_values > 0) else "linear")
    column = _column_of(result, name)
    ax.set_xlabel(_name(name, column))
    target = result.config.target
    ax.set_ylabel(f"log({target} / fit)" if log else f"{target} \u2212 fit")
    _style(ax)
    return ax


def plot_backtest(backtest: BacktestResult, ax: Axes | None = None) -> Axes:
    """Predicted against actual values of the held-out runs, with their prediction intervals.

    Points whose interval covers the actual value are blue, misses red; the grey line is y = x.
    Axes are logarithmic when every value is positive.

    Returns
    -------
    Axes

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    require_matplotlib()
    ax = _new_axes((4.6, 4.2)) if ax is None else ax
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
            actual[mask],
            predicted[mask],
            yerr=[predicted[mask] - lower[mask], upper[mask] - predicted[mask]],
            fmt="o",
            markersize=4.5,
            color=colour,
            ecolor=colour,
            elinewidth=1.0,
            capsize=2,
            alpha=0.9,
            label=f"{what} ({int(mask.sum())}/{mask.size})",
            gid=tag,
            zorder=3,
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
    ax.set_xlabel("actual")
    ax.set_ylabel(f"predicted ({backtest.prob:.0%} interval)")
    _style(ax)
    _plain_log_labels(ax)
    ax.legend(fontsize="small", frameon=False, loc="upper left")
    return ax


def plot_bootstrap_pairs(
    draws: FitResult | BootstrapResult,
    axes: np.ndarray | None = None,
    *,
    params: Sequence[str] | None = None,
    max_points: int = 1000,
) -> np.ndarray:
    """Pairs plot of bootstrap parameter draws: histograms on the diagonal, scatter below, correlations above.

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

    Returns
    -------
    numpy.ndarray
        The square array of Axes.

    Raises
    ------
    ValueError
        If the fit carries no draws, a name in ``params`` is unknown, or ``axes`` has the wrong shape.
    ImportError
        If matplotlib is not installed.
    """
    function = "plot_bootstrap_pairs"
    from scalinglaws.fit.resampling import BootstrapResult

    estimate: Mapping[str, float] | None = None
    if isinstance(draws, BootstrapResult):
        boot = draws
    else:
        estimate = draws.params
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
    for i, row_name in enumerate(chosen):
        for j, col_name in enumerate(chosen):
            ax = grid[i, j]
            x, y = samples[col_name], samples[row_name]
            if i == j:
                ax.hist(
                    x[np.isfinite(x)],
                    bins=30,
                    color=DATA_COLOUR,
                    alpha=0.75,
                    gid=f"draws {col_name}",
                )
                if estimate is not None:
                    ax.axvline(estimate[col_name], color=TARGET_COLOUR, linewidth=1.2)
                ax.set_yticks([])
            elif i > j:
                ax.scatter(
                    x[:max_points],
                    y[:max_points],
                    s=4,
                    color=DATA_COLOUR,
                    alpha=0.35,
                    linewidths=0,
                    gid=f"draws {col_name} {row_name}",
                )
                if estimate is not None:
                    ax.plot(
                        [estimate[col_name]],
                        [estimate[row_name]],
                        marker="+",
                        markersize=9,
                        color=TARGET_COLOUR,
                        linestyle="none",
                    )
            else:
                ok = np.isfinite(x) & np.isfinite(y)
                rho = float(np.corrcoef(x[ok], y[ok])[0, 1]) if ok.sum() > 2 else float("nan")
                ax.text(
                    0.5,
                    0.5,
                    rf"$\rho$ = {rho:+.2f}",
                    ha="center",
                    va="center",
                    transform=ax.transAxes,
                    fontsize=10,
                    color="0.2" if abs(rho) < 0.9 else TARGET_COLOUR,
                )
                ax.set_xticks([])
                ax.set_yticks([])
                ax.spines[:].set_visible(False)
                continue
            ax.spines[["top", "right"]].set_visible(False)
            ax.tick_params(labelsize="x-small")
            if i == k - 1:
                ax.set_xlabel(col_name)
            else:
                ax.tick_params(labelbottom=False)
            if j == 0 and i > 0:
                ax.set_ylabel(row_name)
            elif j > 0:
                ax.tick_params(labelleft=False)
    return grid


def plot_frontier(allocation: Allocation, ax: Axes | None = None) -> Axes:
    """The compute-optimal frontier: N* and D* against compute, log-log, with their interval fans.

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
    ax = _new_axes((5.5, 4.0)) if ax is None else ax
    flops = np.atleast_1d(np.asarray(allocation.flops, dtype=float))
    intervals = allocation.intervals or {}
    for key, label, colour in (
        ("n_params", "$N^*$ (parameters)", DATA_COLOUR),
        ("n_tokens", "$D^*$ (tokens)", "#8250df"),
    ):
        values = np.atleast_1d(np.asarray(getattr(allocation, key), dtype=float))
        ax.plot(
            flops,
            values,
            color=colour,
            linewidth=1.8,
            marker="o" if flops.size < 8 else None,
            markersize=4,
            label=label,
            gid=f"frontier {key}",
        )
        if key in intervals:
            lower, upper = (np.atleast_1d(np.asarray(v, dtype=float)) for v in intervals[key])
            ax.fill_between(
                flops,
                lower,
                upper,
                color=colour,
                alpha=0.15,
                linewidth=0,
                label=f"{allocation.prob:.0%} interval",
                gid=f"fan {key}",
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"compute C (FLOPs, C = {allocation.cost})")
    ax.set_ylabel("compute-optimal size")
    ax.set_title(
        rf"$N^* \propto C^{{{allocation.exponent_a:.3f}}}$, $D^* \propto C^{{{allocation.exponent_b:.3f}}}$",
        fontsize="medium",
    )
    _style(ax)
    ax.legend(fontsize="small", frameon=False)
    return ax


def plot_isoflop(
    isoflop: IsoFlopResult,
    data: Any,
    ax: Axes | None = None,
    *,
    flops: str = "flops",
    n_params: str = "n_params",
    loss: str = "loss",
) -> Axes:
    """IsoFLOP profiles: loss against model size per compute budget, with each budget's fitted minimum.

    Runs are coloured by budget; each minimum from :func:`scalinglaws.plan.isoflop_profiles` is a
    star with its interval on N (hollow when it sits on the edge of its sweep and was left out of the
    frontier).

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
    missing = [c for c in (flops, n_params, loss) if c not in columns]
    if missing:
        raise MissingColumnError(
            f"columns {missing} are missing from `data` of {function}. Available columns: {sorted(columns)}."
        )
    require_matplotlib()
    ax = _new_axes((5.5, 4.0)) if ax is None else ax
    budgets = isoflop.budgets
    c = np.asarray(columns[flops], dtype=float)
    n = np.asarray(columns[n_params], dtype=float)
    y = np.asarray(columns[loss], dtype=float)
    colours = _colours(budgets.height)
    for i, row in enumerate(budgets.iter_rows(named=True)):
        mask = c == row["flops"]
        order = np.argsort(n[mask])
        ax.plot(
            n[mask][order],
            y[mask][order],
            color=colours[i],
            marker="o",
            markersize=4,
            linewidth=0.8,
            alpha=0.8,
            label=f"C = {_sci(row['flops'])}",
            gid=f"isoflop {row['flops']!r}",
        )
        lower, upper = row.get("n_opt_lower"), row.get("n_opt_upper")
        if lower is not None and upper is not None and np.isfinite([lower, upper]).all():
            ax.errorbar(
                [row["n_opt"]],
                [row["loss_opt"]],
                xerr=[[row["n_opt"] - lower], [upper - row["n_opt"]]],
                fmt="none",
                ecolor=colours[i],
                capsize=3,
                zorder=4,
            )
        ax.plot(
            [row["n_opt"]],
            [row["loss_opt"]],
            marker="*",
            markersize=12,
            linestyle="none",
            zorder=5,
            markerfacecolor=colours[i] if row["interior"] else "none",
            markeredgecolor=colours[i],
            gid="isoflop minima",
        )
    ax.set_xscale("log")
    ax.set_yscale("log" if np.all(y > 0) else "linear")
    ax.set_xlabel(n_params)
    ax.set_ylabel(loss)
    ax.set_title(
        rf"$N_{{opt}} \propto C^{{{isoflop.exponent_a:.3f}}}$ ({isoflop.method} profiles)",
        fontsize="medium",
    )
    _style(ax)
    _plain_log_labels(ax)
    ax.legend(fontsize="small", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
