"""Whole figures, one per kind, drawn on a given matplotlib ``Figure``: what the report embeds and what
``scalinglaws plot KIND`` writes, so both show the same thing. :func:`figure_bytes` renders one to PNG,
SVG or PDF in memory, with no pyplot, no window and no file.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from scalinglaws.errors import ArgumentError
from scalinglaws.report.figures._common import require_matplotlib
from scalinglaws.report.figures.backtest import plot_backtest
from scalinglaws.report.figures.bootstrap import plot_bootstrap_pairs
from scalinglaws.report.figures.contours import plot_iso_loss
from scalinglaws.report.figures.fit import plot_fit, plot_predicted
from scalinglaws.report.figures.frontier import plot_frontier, plot_loss_vs_compute
from scalinglaws.report.figures.isoflop import plot_isoflop, plot_isoflop_optima
from scalinglaws.report.figures.residuals import plot_residuals

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from scalinglaws.fit.result import FitResult
    from scalinglaws.plan import Allocation, IsoFlopResult
    from scalinglaws.trust.backtesting import BacktestResult

__all__ = [
    "FORMATS",
    "allocation_figure",
    "backtest_figure",
    "bootstrap_figure",
    "bootstrap_size",
    "compute_figure",
    "contours_figure",
    "figure_bytes",
    "fit_figure",
    "isoflop_figure",
    "predicted_figure",
    "residuals_figure",
    "residuals_size",
]

Format = Literal["png", "svg", "pdf"]
FORMATS: tuple[Format, ...] = ("png", "svg", "pdf")
DPI = 150
"""Pixels per inch of raster figures; shown at 96 CSS px per inch, they stay sharp on dense screens."""
_METADATA: Mapping[str, dict[str, Any]] = {
    "png": {},
    "svg": {"Date": None},
    "pdf": {"CreationDate": None, "ModDate": None},
}
"""No timestamps in the files: the same figure gives the same bytes."""


def figure_bytes(
    draw: Callable[[Figure], object], size: tuple[float, float], format: Format = "png",
    dpi: int = DPI, layout: Literal["constrained"] | None = "constrained",
) -> bytes:
    """Draw on a new (pyplot-free) figure of ``size`` inches and return the encoded file.

    ``layout=None`` leaves the placement of panels to ``draw`` (:func:`bootstrap_figure` places its
    grid itself: constrained layout takes seconds over its k x k panels).

    Raises
    ------
    ValueError
        If ``format`` is not png, svg or pdf.
    ImportError
        If matplotlib is not installed.
    """
    if format not in FORMATS:
        raise ArgumentError(
            f"`format` of figure_bytes must be one of {list(FORMATS)}. Got {format!r} instead.",
            argument="format", function="figure_bytes",
        )
    matplotlib = require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=dpi, layout=layout)
    FigureCanvasAgg(figure)
    draw(figure)
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "scalinglaws"}):  # fixed element ids in SVG
        figure.savefig(buffer, format=format, dpi=dpi, metadata=_METADATA[format])
    return buffer.getvalue()


def fit_figure(figure: Figure, result: FitResult, data: Any, *, target: Mapping[str, Any] | None = None,
               prob: float = 0.95, kind: Literal["confidence", "prediction"] = "prediction") -> None:
    plot_fit(result, data, figure.add_subplot(), target=target, prob=prob, kind=kind)


def predicted_figure(figure: Figure, result: FitResult, data: Any) -> None:
    plot_predicted(result, data, figure.add_subplot())


def residuals_size(result: FitResult) -> tuple[float, float]:
    return min(3.8 * len(result.law.point_inputs), 11.5), 3.4


def residuals_figure(figure: Figure, result: FitResult, data: Any) -> None:
    """One panel per input, sharing the residual axis."""
    inputs = result.law.point_inputs
    axes = figure.subplots(1, len(inputs), sharey=True, squeeze=False)[0]
    for ax, name in zip(axes, inputs, strict=True):
        plot_residuals(result, data, ax, against=name)
        if ax is not axes[0]:
            ax.set_ylabel("")


def bootstrap_size(result: FitResult) -> tuple[float, float]:
    k = min(len(result.params), 6)
    return 1.75 * k + 0.6, 1.75 * k + 0.4


def bootstrap_figure(figure: Figure, result: FitResult) -> None:
    """The corner plot on a fixed grid (draw it on a figure without a layout engine)."""
    k = min(len(result.params), 6)
    width, height = figure.get_size_inches()
    figure.subplots_adjust(left=0.8 / width, right=1 - 0.1 / width, bottom=0.5 / height,
                           top=1 - 0.1 / height, wspace=0.08, hspace=0.08)
    plot_bootstrap_pairs(result, np.asarray(figure.subplots(k, k, squeeze=False)))


def backtest_figure(figure: Figure, backtest: BacktestResult, target: str = "loss") -> None:
    plot_backtest(backtest, figure.add_subplot(), target=target)


def compute_figure(figure: Figure, result: FitResult, data: Any = None, *,
                   flops: Sequence[float] | None = None, prob: float = 0.95,
                   group: str | None = None) -> None:
    plot_loss_vs_compute(result, data, figure.add_subplot(), flops=flops, prob=prob, group=group)


def contours_figure(figure: Figure, result: FitResult, data: Any = None, *,
                    flops: Sequence[float] | None = None, group: str | None = None) -> None:
    plot_iso_loss(result, data, figure.add_subplot(), flops=flops, group=group)


def allocation_figure(figure: Figure, allocation: Allocation) -> None:
    plot_frontier(allocation, figure.add_subplot())


def isoflop_figure(figure: Figure, isoflop: IsoFlopResult, data: Any,
                   allocation: Allocation | None = None) -> None:
    """The profiles (left) and the minima against compute with the fitted N_opt(C) (right)."""
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.55, 1.0]})
    plot_isoflop(isoflop, data, left)
    plot_isoflop_optima(isoflop, right, allocation=allocation)
