"""The figure functions under their first home (``scalinglaws.report.plots``); they now live in
:mod:`scalinglaws.report.figures`, one module per figure, and are re-exported here unchanged."""

from scalinglaws.report.figures import (
    PLOT_EXTRA,
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
    require_matplotlib,
)
from scalinglaws.report.figures._common import target_columns

__all__ = [
    "PLOT_EXTRA",
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
    "require_matplotlib",
    "target_columns",
]
