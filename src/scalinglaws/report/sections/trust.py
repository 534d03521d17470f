"""Report sections on how far to trust the fit: the backtest of its extrapolation."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from scalinglaws.report import _html as h
from scalinglaws.report.figures import panels
from scalinglaws.report.sections._blocks import figure, warnings

if TYPE_CHECKING:
    from scalinglaws.report.checks import Finding
    from scalinglaws.trust.backtesting import BacktestResult


def backtest_section(
    backtest: BacktestResult, figures: bool, target: str, coverage: Finding | None
) -> str:
    s = backtest.summary()
    flag = " " + h.badge("too low", "#cf222e") if coverage is not None else ""
    items = {
        "law": h.esc(s["law"]),
        "split axis": h.esc(backtest.axis_note),
        "held-out runs": f"{s['n_test_points']} in {s['n_splits']} split(s)",
        "mean absolute relative error": h.percent(s["mean_are"], 2),
        "signed bias": h.percent(s["bias"], 2, signed=True),
        "interval coverage": f"{h.percent(s['coverage'], 0)} (nominal {h.percent(s['prob'], 0)}; "
        f"{h.esc(s['interval_method'])}){flag}",
    }
    out = '<h2 id="backtest">Backtest</h2>' + h.definition_list(items)
    out += warnings([coverage]) if coverage is not None else ""
    out += h.frame_table(
        backtest.splits, caption="One row per split: fit on axis values up to the cut, predict the rest."
    )
    if figures:
        out += figure(
            partial(panels.backtest_figure, backtest=backtest, target=target), (4.8, 4.6),
            "Predicted against actual held-out values",
            "Held-out runs: predicted against actual values "
            f"with {backtest.prob:.0%} prediction intervals; grey is y = x.",
            "backtest",
        )
    points = backtest.points.drop("abs_rel_error")
    return out + (
        "<details><summary>Held-out points</summary>" + h.frame_table(points, max_rows=200) + "</details>"
    )
