"""Rich notebook views (``_repr_html_``) of results: compact HTML tables, no figures, nothing loaded.

This module registers them with :mod:`scalinglaws._views` when imported; a result's ``_repr_html_``
asks that registry, which imports this module on the first request. So ``fit`` and ``trust`` have no
arrow to ``report``.
"""

from __future__ import annotations

from scalinglaws import _views
from scalinglaws.fit.resampling import BootstrapResult
from scalinglaws.fit.result import FitResult
from scalinglaws.report import _html as h
from scalinglaws.trust.backtesting import BacktestResult
from scalinglaws.trust.selection import SelectionResult

__all__ = ["backtest_html", "bootstrap_html", "fit_html", "selection_html"]

_BOX = "font-family:system-ui,sans-serif;font-size:13px;line-height:1.45"


def fit_html(result: FitResult, prob: float = 0.95) -> str:
    """A fit as a small HTML block: law, status, parameters (± stderr, bootstrap interval) and warnings."""
    intervals = {}
    if result.bootstrap is not None:
        try:
            intervals = result.bootstrap.interval(prob)
        except (ValueError, IndexError):  # a parameter without finite draws
            intervals = {}
    header = ["parameter", "estimate", "± stderr"] + ([f"{prob:.0%} interval"] if intervals else [])
    rows = []
    for name, value in result.params.items():
        se = result.stderr.get(name) if result.stderr else None
        row = [f"<code>{h.esc(name)}</code>", h.number(value, 5), h.number(se, 3)]
        if intervals:
            i = intervals.get(name)
            row.append(f"[{h.number(i.lower)}, {h.number(i.upper)}]" if i else h.DASH)
        rows.append(row)
    warnings = "".join(
        f"<li><b>{h.esc(d.kind)}</b>: {h.esc(d.message)}</li>" for d in result.diagnostics
    )
    config = result.config
    return (
        f'<div class="sl-fit" style="{_BOX}">'
        f"<div><b>FitResult</b> · {h.esc(result.law.label)} {h.status_badge(result.status.value)}</div>"
        f"<div><code>{h.esc(result.law.equation(config.target))}</code></div>"
        + h.table(header, rows, numeric=[False, True, True] + ([False] if intervals else []))
        + f"<div style='color:#57606a'>{result.n_points} runs · {h.esc(config.loss)} loss in "
        f"{h.esc(config.space)} space · objective {h.number(result.objective, 5)} · "
        f"{h.esc(result.message)}</div>"
        + (f"<ul style='margin:4px 0'>{warnings}</ul>" if warnings else "")
        + "</div>"
    )


def backtest_html(backtest: BacktestResult) -> str:
    """A backtest as its summary and its table of splits."""
    s = backtest.summary()
    return (
        f'<div class="sl-backtest" style="{_BOX}">'
        f"<div><b>BacktestResult</b> · {h.esc(s['law'])} · split by {h.esc(backtest.axis_note)}</div>"
        f"<div>mean ARE {h.percent(s['mean_are'], 2)} · bias {h.percent(s['bias'], 2, signed=True)} · "
        f"coverage {h.percent(s['coverage'], 0)} (nominal {h.percent(s['prob'], 0)}, "
        f"{h.esc(s['interval_method'])}) · {s['n_test_points']} held-out points</div>"
        + h.frame_table(backtest.splits)
        + "</div>"
    )


def bootstrap_html(boot: BootstrapResult, prob: float = 0.95) -> str:
    """Bootstrap draws as a table of percentile intervals."""
    intervals = boot.interval(prob)
    rows = [
        [f"<code>{h.esc(n)}</code>", h.number(i.lower), h.number(i.upper)]
        for n, i in intervals.items()
    ]
    return (
        f'<div class="sl-bootstrap" style="{_BOX}"><div><b>BootstrapResult</b> · {h.esc(boot.label)}, '
        f"{boot.n_failed} failed, seed {boot.seed}</div>"
        + h.table(
            ["parameter", f"{prob:.0%} lower", f"{prob:.0%} upper"],
            rows,
            numeric=[False, True, True],
        )
        + "</div>"
    )


def selection_html(selection: SelectionResult) -> str:
    """A model selection as its ranking table, best first."""
    warning = (
        f"<div style='color:#9a6700'>{h.esc(selection.warning)}</div>" if selection.warning else ""
    )
    return (
        f'<div class="sl-selection" style="{_BOX}"><div><b>SelectionResult</b> · best '
        f"{h.esc(selection.best)} (wins {h.percent(selection.win_probability, 0)} of resamples)</div>"
        + warning
        + h.frame_table(selection.table)
        + "</div>"
    )


_views.register(FitResult, fit_html)
_views.register(BootstrapResult, bootstrap_html)
_views.register(BacktestResult, backtest_html)
_views.register(SelectionResult, selection_html)
