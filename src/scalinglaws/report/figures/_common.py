"""What every figure shares: the optional matplotlib import, colours and style, labels with units, and
reading a fit's inputs from a table.

matplotlib is imported when a figure is drawn, never when this module is imported.
"""

from __future__ import annotations

import importlib.util
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from scalinglaws.data.schema import COLUMNS
from scalinglaws.errors import ArgumentError, MissingColumnError
from scalinglaws.laws import COLUMN_ALIASES, DEFAULT_COST, ColumnMap, cost_model

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colorbar import Colorbar
    from matplotlib.colors import Colormap, Normalize

    from scalinglaws.fit.result import FitResult

PLOT_EXTRA = "pip install 'scalinglaws[plot]'"
"""The command that installs what figures need."""

DATA_COLOUR = "#0969da"
TARGET_COLOUR = "#cf222e"
MISSED_COLOUR = "#cf222e"
FRONTIER_COLOUR = "#1f2328"
TOKENS_COLOUR = "#8250df"
MAP = "viridis"
"""Colour map of continuous quantities (model size, compute); the same in every figure."""

SYMBOL_UNITS: Mapping[str, str] = {"N": "parameters", "D": "tokens", "C": "FLOP", "U": "tokens"}
"""Units of the literature's symbols, for columns named like the symbol (``N``, ``D``...)."""


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


def new_axes(figsize: tuple[float, float] = (5.5, 4.0)) -> Axes:
    """Axes of a new pyplot figure (for calls without ``ax``)."""
    require_matplotlib()
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


# --------------------------------------------------------------------------------------- labels, units


def unit_of(column: str, symbol: str | None = None) -> str:
    """The unit of a column: the schema's for a canonical column (``n_params`` -> parameters), the
    symbol's for a column named like one (``N``), else empty."""
    spec = COLUMNS.get(column)
    if spec is not None and spec.unit:
        return spec.unit
    for name in (column, symbol or column):
        if name in SYMBOL_UNITS:
            return SYMBOL_UNITS[name]
        alias = COLUMN_ALIASES.get(name, "")
        if alias in COLUMNS and COLUMNS[alias].unit:
            return COLUMNS[alias].unit
    return ""


def label(column: str, symbol: str | None = None, what: str = "", convention: str = "") -> str:
    """An axis label: ``what`` (a prefix such as "observed"), the column, its symbol and its unit in
    brackets: ``n_tokens (D) [tokens]``, ``D [tokens]``, ``observed loss [nats/token]``. Without a
    known unit, the first plain words of the law's ``convention`` for the input say what it is:
    ``S1 (cumulative learning rate)``."""
    name = column if symbol is None or symbol == column else f"{column} ({symbol})"
    unit = unit_of(column, symbol)
    text = f"{what} {name}" if what else name
    if unit:
        return f"{text} [{unit}]"
    words: list[str] = []
    for word in convention.split():
        if not word.isalpha() or len(words) == 5:
            break
        words.append(word)
    return f"{text} ({' '.join(words)})" if words else text


def input_label(result: FitResult, name: str, what: str = "") -> str:
    """The axis label of a law input: its column, symbol and unit (or what the law says it is)."""
    return label(column_of(result, name), name, what, result.law.conventions.get(name, ""))


def target_label(result: FitResult, what: str = "") -> str:
    return label(result.config.target, None, what)


def sci(value: float) -> str:
    """``2.0 x 10^7`` in mathtext (two significant digits); plain for moderate values."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10**exponent
    if -2 <= exponent <= 3:
        return f"{value:.3g}"
    return rf"${mantissa:.1f}\times10^{{{exponent}}}$"


def short(symbol: str) -> str:
    """A law input for a legend: math italic for a one-letter symbol, plain text otherwise."""
    return f"${symbol}$" if re.fullmatch(r"[A-Za-z]", symbol) else symbol


# ---------------------------------------------------------------------------------------------- style


def style(ax: Axes) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, which="major", color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)


_STEPS: tuple[tuple[float, ...], ...] = (
    (1.0,), (1.0, 3.0), (1.0, 2.0, 5.0), (1.0, 2.0, 3.0, 5.0), (1.0, 1.5, 2.0, 3.0, 5.0, 7.0),
    (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0),
    *(tuple(round(m, 2) for m in np.arange(1.0, 10.0, step)) for step in (0.5, 0.2, 0.1, 0.05)),
)
"""Mantissas of round tick values, coarsest first."""
_MAX_TICKS = 6


def _nice_ticks(lo: float, hi: float) -> list[float]:
    """Three to six round values inside [lo, hi] (two if no set of round values gives three): the
    coarsest set of mantissas that does."""
    first, last = math.floor(math.log10(lo)), math.floor(math.log10(hi))
    pair: list[float] = []
    for mantissas in _STEPS:
        ticks = [m * 10.0**e for e in range(first, last + 1) for m in mantissas]
        ticks = [t for t in ticks if lo <= t <= hi]
        if 3 <= len(ticks) <= _MAX_TICKS:
            return ticks
        if len(ticks) > _MAX_TICKS:
            break
        if len(ticks) == 2 and not pair:
            pair = ticks
    return pair


def tick_text(value: float) -> str:
    """A tick label: plain for moderate values (2.5, 300), else mathtext (3x10^8, 10^9)."""
    if value == 0 or 1e-3 <= abs(value) < 1e4:
        return f"{value:.4g}"
    exponent = math.floor(math.log10(abs(value)) + 1e-9)
    mantissa = value / 10**exponent
    if abs(mantissa - 1) < 1e-9:
        return rf"$10^{{{exponent}}}$"
    return rf"${mantissa:.3g}\times10^{{{exponent}}}$"


def plain_log_labels(ax: Axes) -> None:
    """On a log axis spanning less than two decades, label a few round values (2, 2.5, 3; or 100,
    300, 1000) instead of matplotlib's choice there: no label at all inside a decade, or one per
    minor tick, which overlap on a small panel."""
    require_matplotlib()
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    plain = FuncFormatter(lambda value, _: tick_text(value))
    for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        lo, hi = sorted(limits)
        if axis.get_scale() == "log" and lo > 0 and hi / lo < 100:
            ticks = _nice_ticks(lo, hi)
            if len(ticks) < 2:
                continue
            axis.set_major_locator(FixedLocator(ticks))
            axis.set_major_formatter(plain)
            axis.set_minor_formatter(NullFormatter())


def colours(n: int) -> list[Any]:
    """``n`` distinct colours along the colour map (its bright yellow end left out)."""
    require_matplotlib()
    from matplotlib import colormaps

    cmap = colormaps[MAP]
    return [cmap(0.85 * i / max(n - 1, 1)) for i in range(n)]


def scale_map(values: np.ndarray) -> tuple[Normalize, Colormap]:
    """A normalisation of ``values`` (logarithmic when all positive) and the colour map."""
    require_matplotlib()
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm, Normalize

    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (1.0, 10.0)
    if lo == hi:
        lo, hi = (lo / 2, hi * 2) if lo > 0 else (lo - 1, hi + 1)
    norm: Normalize = LogNorm(lo, hi) if lo > 0 else Normalize(lo, hi)
    return norm, colormaps[MAP]


def colour_bar(ax: Axes, norm: Normalize, cmap: Colormap, text: str) -> Colorbar:
    """A colour bar beside ``ax`` for ``norm`` and ``cmap``, labelled ``text``."""
    require_matplotlib()
    from matplotlib.cm import ScalarMappable

    bar = ax.figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, pad=0.02, fraction=0.05)
    bar.set_label(text)
    return bar


# ------------------------------------------------------------------------------- a fit's data columns


def column_of(result: FitResult, name: str) -> str:
    """The data column a law input reads (after the fit's mapping)."""
    return result.config.mapping.get(name, name)


def input_values(
    result: FitResult, columns: Mapping[str, np.ndarray], name: str, function: str
) -> np.ndarray:
    column = column_of(result, name)
    if column not in columns:
        raise MissingColumnError(
            f"column {column!r} (input `{name}` of law {result.law.label!r}) is missing from `data` of "
            f"{function}. Available columns: {sorted(columns)}."
        )
    return np.asarray(columns[column], dtype=float)


def target_values(
    result: FitResult, columns: Mapping[str, np.ndarray], function: str
) -> np.ndarray:
    target = result.config.target
    if target not in columns:
        raise MissingColumnError(
            f"column {target!r} (the fitted target) is missing from `data` of {function}. "
            f"Available columns: {sorted(columns)}."
        )
    return np.asarray(columns[target], dtype=float)


def compute_values(
    result: FitResult, columns: Mapping[str, np.ndarray], function: str
) -> tuple[np.ndarray, str]:
    """Each run's training compute and a label for it: the compute column (``C``, else ``flops``), or
    the cost model ``C = 6ND`` applied to the N and D columns."""
    rule = ColumnMap(result.config.mapping)
    column = rule.column("C", columns)
    if column is not None:
        return np.asarray(columns[column], dtype=float), label(column, "C")
    n, d = rule.column("N", columns), rule.column("D", columns)
    if n is None or d is None:
        raise MissingColumnError(
            f"`data` of {function} needs a compute column ({rule.describe('C')}) or model-size and "
            f"token columns ({rule.describe('N')}; {rule.describe('D')}) to place runs on the compute "
            f"axis. Available columns: {sorted(columns)}."
        )
    model = cost_model(DEFAULT_COST)
    return np.asarray(model.flops(columns[n], columns[d]), dtype=float), (
        f"compute C = {DEFAULT_COST} [FLOP]"
    )


def nd_columns(result: FitResult, function: str) -> tuple[str, str]:
    """The columns of a law's N and D inputs, or an error for a law without both."""
    inputs = result.law.inputs
    if "N" not in inputs or "D" not in inputs:
        raise ArgumentError(
            f"`result` of {function} must be a fit of a law in model size N and tokens D (such as "
            f"chinchilla) to draw the compute-optimal frontier. Got law {result.law.label!r} with "
            f"inputs {list(inputs)} instead.",
            argument="result", function=function,
        )
    return column_of(result, "N"), column_of(result, "D")


def frame(x_column: str, grid: np.ndarray, fixed: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Columns for predicting along ``grid`` of ``x_column`` with the other columns held fixed."""
    out: dict[str, np.ndarray] = {x_column: grid}
    for column, value in fixed.items():
        out[column] = np.full(grid.size, value, dtype=object if isinstance(value, str) else float)
    return out


def grid(lo: float, hi: float, log: bool, n: int = 200) -> np.ndarray:
    return np.geomspace(lo, hi, n) if log else np.linspace(lo, hi, n)


def group_of(result: FitResult, group: str | None, function: str) -> str | None:
    """The group whose parameters a frontier figure uses: ``group``, or None for an ungrouped fit."""
    if result.groups is None:
        return None
    if group is None or group not in result.groups:
        raise ArgumentError(
            f"`group` of {function} must name one of the fitted groups {sorted(result.groups)} for a "
            f"grouped fit. Got {group!r} instead.",
            argument="group", function=function,
        )
    return group


def with_group(result: FitResult, columns: dict[str, np.ndarray], group: str | None) -> dict[str, np.ndarray]:
    """``columns`` plus the group column set to ``group`` (a grouped fit predicts per group)."""
    if group is None:
        return columns
    size = next(iter(columns.values())).shape[0]
    return columns | {result.config.group or "": np.full(size, group, dtype=object)}


def target_columns(result: FitResult, target: Mapping[str, Any], function: str) -> dict[str, Any]:
    """``target`` keyed by column (law inputs given by symbol are translated), every input present."""
    out: dict[str, Any] = {}
    for key, value in target.items():
        column = column_of(result, key) if key in result.law.inputs else key
        out[column] = value if isinstance(value, str) else float(value)
    needed = [column_of(result, n) for n in result.law.inputs]
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


def representative(values: np.ndarray, k: int) -> np.ndarray:
    """Up to ``k`` actual values spread evenly (in log when positive) over the distinct ``values``."""
    distinct = np.unique(values[np.isfinite(values)])
    if distinct.size <= k:
        return distinct
    scaled = np.log(distinct) if np.all(distinct > 0) else distinct
    targets = np.linspace(scaled[0], scaled[-1], k)
    picks = np.unique(np.argmin(np.abs(scaled[:, None] - targets[None, :]), axis=0))
    return distinct[picks]


def nearest(values: np.ndarray, centres: Sequence[float] | np.ndarray) -> np.ndarray:
    """Index of the nearest of ``centres`` (in log when all positive) for each value."""
    centres = np.asarray(centres, dtype=float)
    positive = bool(np.all(values > 0) and np.all(centres > 0))
    a = np.log(values) if positive else values
    b = np.log(centres) if positive else centres
    return np.argmin(np.abs(a[:, None] - b[None, :]), axis=1)
