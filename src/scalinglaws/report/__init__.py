"""Rendering only: figures, a self-contained HTML report and notebook views of computed results.

Nothing here fits, reads or writes files, or shows windows; matplotlib (``pip install
'scalinglaws[plot]'``) is imported only when a figure is drawn. Figures live in
:mod:`scalinglaws.report.figures` (one module per figure), the report's sections in
:mod:`scalinglaws.report.sections`, and its honesty checks in :mod:`scalinglaws.report.checks`.
"""

from scalinglaws.report.figures import (
    has_matplotlib,
    plot_backtest,
    plot_bootstrap_pairs,
    plot_fit,
    plot_frontier,
    plot_iso_loss,
    plot_isoflop,
    plot_isoflop_optima,
    plot_loss_vs_compute,
    plot_predicted,
    plot_residuals,
)
from scalinglaws.report.html import render_report
from scalinglaws.report.notebook import backtest_html, bootstrap_html, fit_html, selection_html
from scalinglaws.report.pool import figure_pool

__all__ = [
    "backtest_html",
    "bootstrap_html",
    "figure_pool",
    "fit_html",
    "has_matplotlib",
    "plot_backtest",
    "plot_bootstrap_pairs",
    "plot_fit",
    "plot_frontier",
    "plot_iso_loss",
    "plot_isoflop",
    "plot_isoflop_optima",
    "plot_loss_vs_compute",
    "plot_predicted",
    "plot_residuals",
    "render_report",
    "selection_html",
]
