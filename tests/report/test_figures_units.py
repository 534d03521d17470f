"""Every figure kind draws data on every panel and labels every axis with its unit.

The figures are the ones the report and ``scalinglaws plot`` draw (``report.figures.panels``), on the
synthetic Chinchilla runs and on a planted IsoFLOP sweep. Parameter axes of the bootstrap corner plot
carry parameter names (dimensionless, or in the law's own units), so that kind is left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import scalinglaws as sl
from scalinglaws.plan import allocate, isoflop_grid, isoflop_profiles
from scalinglaws.report.figures import panels

UNIT = re.compile(r"\[[^\]]+\]")


def isoflop_inputs() -> tuple[Any, pl.DataFrame]:
    law, truth = sl.get_law("chinchilla"), sl.testing.PLANTED["chinchilla"]
    grid = isoflop_grid([1e18, 1e19, 1e20], n_sizes=9)
    sweep = grid.with_columns(loss=pl.Series(law.predict(truth, {"N": grid["n_params"].to_numpy(),
                                                                 "D": grid["n_tokens"].to_numpy()})))
    return isoflop_profiles(sweep, n_boot=20), sweep


def drawings(runs: pl.DataFrame, fitted: sl.FitResult, scores: sl.BacktestResult) -> dict[str, Callable[[Figure], Any]]:
    analysis, sweep = isoflop_inputs()
    allocation = allocate(fitted, flops=np.geomspace(1e19, 1e23, 20))
    return {
        "fit": lambda f: panels.fit_figure(f, fitted, runs, target={"n_params": 7e10, "n_tokens": 1.4e12}),
        "predicted": lambda f: panels.predicted_figure(f, fitted, runs),
        "residuals": lambda f: panels.residuals_figure(f, fitted, runs),
        "backtest": lambda f: panels.backtest_figure(f, scores),
        "compute": lambda f: panels.compute_figure(f, fitted, runs),
        "contours": lambda f: panels.contours_figure(f, fitted, runs),
        "allocation": lambda f: panels.allocation_figure(f, allocation),
        "isoflop": lambda f: panels.isoflop_figure(f, analysis, sweep, allocation),
    }


KINDS = ("fit", "predicted", "residuals", "backtest", "compute", "contours", "allocation", "isoflop")


@pytest.mark.parametrize("kind", KINDS)
def test_every_panel_has_data_and_units(kind: str, runs: pl.DataFrame, fitted: sl.FitResult,
                                        scores: sl.BacktestResult) -> None:
    figure = Figure(figsize=(9, 5), layout="constrained")
    FigureCanvasAgg(figure)
    drawings(runs, fitted, scores)[kind](figure)
    figure.canvas.draw()
    bars = [ax for ax in figure.axes if ax.get_label() == "<colorbar>"]
    panels_drawn = [ax for ax in figure.axes if ax not in bars]
    assert panels_drawn
    for ax in panels_drawn:
        assert ax.lines or ax.collections or ax.patches, ax  # data drawn, not an empty frame
        assert ax.get_xlabel(), ax
        for text in (ax.get_xlabel(), ax.get_ylabel()):
            if text:  # the second residual panel shares the first one's y label
                assert UNIT.search(text), (kind, text)
    assert panels_drawn[0].get_ylabel()
    for bar in bars:
        assert UNIT.search(bar.get_ylabel()), (kind, bar.get_ylabel())


def test_figure_bytes_renders_each_format(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    def draw(figure: Figure) -> None:
        panels.predicted_figure(figure, fitted, runs)

    assert panels.figure_bytes(draw, (4, 3), "png").startswith(b"\x89PNG\r\n\x1a\n")
    assert panels.figure_bytes(draw, (4, 3), "svg").startswith(b"<?xml")
    assert panels.figure_bytes(draw, (4, 3), "pdf").startswith(b"%PDF-")
    assert panels.figure_bytes(draw, (4, 3), "svg") == panels.figure_bytes(draw, (4, 3), "svg")
    with pytest.raises(ValueError, match=r"`format` of figure_bytes must be one of \['png', 'svg', 'pdf'\]"):
        panels.figure_bytes(draw, (4, 3), "jpg")  # type: ignore[arg-type]


def test_figures_are_reached_from_the_package_root_and_return_axes(runs: pl.DataFrame, fitted: sl.FitResult,
                                                                   scores: sl.BacktestResult) -> None:
    from matplotlib.axes import Axes

    analysis, sweep = isoflop_inputs()
    report = sl.report  # a lazy module of the package root
    drawn = [
        report.plot_fit(fitted, runs), report.plot_predicted(fitted, runs), report.plot_residuals(fitted, runs),
        report.plot_backtest(scores), report.plot_loss_vs_compute(fitted, runs), report.plot_iso_loss(fitted, runs),
        report.plot_frontier(allocate(fitted, flops=[1e20, 1e21])), report.plot_isoflop(analysis, sweep),
        report.plot_isoflop_optima(analysis),
    ]
    assert all(isinstance(ax, Axes) for ax in drawn)
    assert report.plot_bootstrap_pairs(fitted).shape == (5, 5)
