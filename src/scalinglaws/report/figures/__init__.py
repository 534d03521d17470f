"""Figures of a fit, one module per job: data and law (``fit``), residuals, backtest, bootstrap draws,
the compute-optimal frontier, iso-loss contours and IsoFLOP profiles; ``panels`` composes whole
figures for the report and ``scalinglaws plot``.

Rendering only: every ``plot_*`` function draws on the matplotlib ``Axes`` it is given (or on a new
pyplot figure when given none) and returns it; none fits anything, calls ``show()`` or writes a file.
Values drawn come from the result's own methods (``predict``, ``predict_interval``) and the planning
functions (``allocate``), so a figure shows exactly what the library would answer.

matplotlib is an optional dependency (``pip install 'scalinglaws[plot]'``); it is imported when a figure
is drawn, never when this package is imported.

Artists that carry numbers a reader (or a test) may want back are tagged with a ``gid``:
``"fit {json}"`` for a fitted curve (the JSON gives the columns held fixed along it), ``"data"`` for
observed runs, ``"law at runs"``/``"prediction"`` for the law at each run, ``"extrapolation {json}"``
for the curve through the target, ``"interval"`` for its band, ``"target"`` for the target point,
``"predicted"`` for predicted-against-observed points, ``"residuals"`` and ``"residual trend"``,
``"identity"`` (y = x), ``"backtest covered"``/``"backtest missed"``, ``"draws a b"`` for bootstrap
pairs, ``"frontier n_params"``/``"frontier n_tokens"`` with their ``"fan ..."`` bands,
``"frontier loss"``/``"frontier band"`` and ``"iso-N {json}"`` for loss against compute,
``"iso-loss"``, ``"efficient frontier"`` and ``"isoflop line C"`` for contours, and ``"isoflop runs C"``,
``"isoflop profile C"``, ``"isoflop minima"``, ``"isoflop optima"``, ``"isoflop frontier"`` and
``"law frontier"`` for IsoFLOP analyses.
"""

from scalinglaws.report.figures._common import PLOT_EXTRA, has_matplotlib, require_matplotlib
from scalinglaws.report.figures.backtest import plot_backtest
from scalinglaws.report.figures.bootstrap import plot_bootstrap_pairs
from scalinglaws.report.figures.contours import plot_iso_loss
from scalinglaws.report.figures.fit import plot_fit, plot_predicted
from scalinglaws.report.figures.frontier import plot_frontier, plot_loss_vs_compute
from scalinglaws.report.figures.isoflop import plot_isoflop, plot_isoflop_optima
from scalinglaws.report.figures.residuals import plot_residuals

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
]
