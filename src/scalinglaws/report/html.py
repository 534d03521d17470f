"""One self-contained HTML report of a fit: law, parameters, diagnostics and honesty checks, figures,
backtest, compute-optimal frontier, plan, IsoFLOP analysis and provenance.

:func:`render_report` takes results that were already computed (the fit, its bootstrap, a backtest, a
plan, an IsoFLOP analysis) and returns the page as a string; it computes no fit and writes no file (the
CLI does both). The frontier figures evaluate the fitted law's compute-optimal allocation
(:func:`scalinglaws.plan.allocate`) over the runs' compute. The page loads nothing: styles are inline,
figures are base64 PNG images and the law is an SVG drawn by matplotlib's mathtext, all in ``data:``
URIs, and a Content-Security-Policy forbids any other source. The sections live in
:mod:`scalinglaws.report.sections`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from scalinglaws.data.io import columns_of
from scalinglaws.errors import ArgumentError
from scalinglaws.report import _html as h
from scalinglaws.report import checks
from scalinglaws.report.figures._common import (
    PLOT_EXTRA,
    compute_values,
    require_matplotlib,
    target_columns,
)
from scalinglaws.report.sections import fit as fit_sections
from scalinglaws.report.sections import plan as plan_sections
from scalinglaws.report.sections._blocks import rendering
from scalinglaws.report.sections.trust import backtest_section

if TYPE_CHECKING:
    from scalinglaws.fit.resampling import BootstrapResult
    from scalinglaws.fit.result import FitResult
    from scalinglaws.plan import Allocation, IsoFlopResult
    from scalinglaws.trust.backtesting import BacktestResult

__all__ = ["render_report"]

CSS = """
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1f2328; background: #fff; margin: 0; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 1.6em; margin: 0.2em 0 0.1em; }
h2 { font-size: 1.25em; margin: 1.8em 0 0.6em; padding-bottom: 0.2em; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
code { font: 0.9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f6f8fa;
       padding: 1px 4px; border-radius: 4px; }
.sl-sub { color: #57606a; margin: 0; }
.sl-table { border-collapse: collapse; margin: 0.4em 0 0.8em; font-size: 0.92em; }
.sl-table caption { text-align: left; color: #57606a; padding-bottom: 4px; }
.sl-table th, .sl-table td { padding: 4px 10px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
.sl-table th { background: #f6f8fa; text-align: left; font-weight: 600; }
.sl-dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0.4em 0; }
.sl-dl dt { color: #57606a; }
.sl-dl dd { margin: 0; overflow-wrap: anywhere; }
.sl-note { color: #57606a; font-size: 0.9em; }
.sl-math { margin: 0.6em 0; }
.sl-math img { max-width: 100%; height: auto; }
.sl-warn { border-left: 4px solid #d4a72c; background: #fff8c5; padding: 6px 12px; margin: 6px 0; }
.sl-ok { border-left: 4px solid #1a7f37; background: #dafbe1; padding: 6px 12px; margin: 6px 0; }
figure { margin: 1em 0 1.4em; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { color: #57606a; font-size: 0.9em; margin-top: 4px; max-width: 860px; }
details summary { cursor: pointer; color: #0969da; }
nav { font-size: 0.9em; color: #57606a; }
nav a { color: #0969da; text-decoration: none; margin-right: 12px; }
"""

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""Content-Security-Policy of the page: nothing may load except ``data:`` images and the inline style."""



def _extent(
    result: FitResult, data: Any, target: Mapping[str, Any] | None, plan: Allocation | None
) -> tuple[float, float]:
    """The compute range of the frontier figures: the runs' compute widened by 3x either side, and
    far enough to reach the target and the planned budgets."""
    from scalinglaws.laws import DEFAULT_COST, cost_model

    c, _ = compute_values(result, columns_of(data, "render_report"), "render_report")
    c = c[np.isfinite(c) & (c > 0)]
    lo, hi = float(c.min()) / 3.0, float(c.max()) * 3.0
    if target:
        n, d = result.config.mapping.get("N", "N"), result.config.mapping.get("D", "D")
        if isinstance(target.get(n), float) and isinstance(target.get(d), float):
            hi = max(hi, 1.5 * float(cost_model(DEFAULT_COST).flops(target[n], target[d])))
    if plan is not None:
        lo, hi = min(lo, float(plan.flops.min()) / 1.5), max(hi, float(plan.flops.max()) * 1.5)
    return lo, hi


def _frontier(
    result: FitResult, data: Any, target: Mapping[str, Any] | None, plan: Allocation | None,
    frontier: Allocation | None, prob: float,
) -> str:
    """The frontier section, or a note saying why there is none (empty for a law without N and D)."""
    from scalinglaws.report.figures.frontier import frontier_allocation

    if not {"N", "D"} <= set(result.law.inputs):
        return ""
    if result.groups is not None:
        return (
            '<h2 id="frontier">Compute-optimal frontier</h2><p class="sl-note">A grouped fit has one '
            "frontier per group; draw them with <code>plot_loss_vs_compute(result, data, group=...)</code>.</p>"
        )
    try:
        extent = _extent(result, data, target, plan)
        allocation = frontier_allocation(result, *extent, prob, None, "render_report")
    except ValueError as exc:  # no interior optimum on the range (an exponent at its bound?)
        return (
            '<h2 id="frontier">Compute-optimal frontier</h2>'
            f"<div class='sl-warn'><b>no frontier</b>: {h.esc(exc)}</div>"
        )
    return plan_sections.frontier_section(
        result, data, frontier if frontier is not None else allocation, extent, prob
    )


def _law_at_budgets(result: FitResult, isoflop: IsoFlopResult, prob: float) -> Allocation | None:
    """The fitted law's allocation across the IsoFLOP budgets, for comparison (None when it has none)."""
    from scalinglaws.plan import allocate

    if not {"N", "D"} <= set(result.law.inputs) or result.groups is not None:
        return None
    budgets = isoflop.budgets["flops"].to_numpy()
    try:
        return allocate(result, flops=np.geomspace(budgets.min() / 2, budgets.max() * 2, 30), prob=prob)
    except ValueError:
        return None


def render_report(
    result: FitResult,
    data: Any,
    *,
    bootstrap: BootstrapResult | None = None,
    backtest: BacktestResult | None = None,
    plan: Allocation | None = None,
    frontier: Allocation | None = None,
    isoflop: IsoFlopResult | None = None,
    isoflop_data: Any = None,
    target: Mapping[str, Any] | None = None,
    prob: float = 0.95,
    kind: Literal["confidence", "prediction"] = "prediction",
    figures: bool = True,
    title: str | None = None,
    source: str | None = None,
    command: str | None = None,
    notes: Sequence[str] = (),
    created: str | None = None,
    pool: Executor | None = None,
) -> str:
    """The report of a fit as one self-contained HTML page (a string; write it wherever you like).

    Besides the results given, the page checks them and shows what it finds as warnings
    (:mod:`scalinglaws.report.checks`): backtest intervals that cover significantly less than their
    nominal probability, residuals that trend with an input (lack of fit, with its F test), and how
    many decades the target lies beyond the fitted range. For a law in N and D it draws the
    compute-optimal frontier: loss against compute with L*(C) and its band, iso-loss contours with
    the efficient frontier, and N*(C), D*(C).

    Parameters
    ----------
    result
        The fit. Its bootstrap draws (``result.with_bootstrap``), if any, give parameter intervals,
        prediction bands, the frontier's band and the pairs figure.
    data
        The runs it was fitted on (for the figures and checks).
    bootstrap
        Draws to attach to ``result`` when it carries none.
    backtest
        A :func:`scalinglaws.backtest` of the same law on the same data: its scores, table and figure.
    plan
        An allocation from :func:`scalinglaws.plan.allocate` for the budgets of interest: a table of
        N*, D* and predicted loss.
    frontier
        An allocation over many budgets for the N*(C), D*(C) figure (default: the fit's, over the
        runs' compute).
    isoflop, isoflop_data
        An IsoFLOP analysis (:func:`scalinglaws.plan.isoflop_profiles`) and the table it read
        (default ``data``): its minima, profiles and N_opt(C).
    target
        Column (or law input) -> value: where to extrapolate, e.g. ``{"n_params": 7e10,
        "n_tokens": 1.4e12}``; shown as a prediction with its interval and in the fit figure.
    prob, kind
        Interval probability, and ``"prediction"`` (a new run) or ``"confidence"`` (the law's value).
    figures
        Draw figures (needs matplotlib). Without them the page says how to get them.
    title, source, command, notes, created
        Heading; where the data came from; the command line that made the report; warnings raised
        while computing the results; a timestamp. All shown as given.
    pool
        An executor of other processes (e.g. ``ProcessPoolExecutor(1, mp_context=spawn)``, see
        :func:`scalinglaws.report.figure_pool`) that draws figures while this process draws others
        (each goes there while it keeps up); the page is the same byte for byte. Figures it fails to
        draw are drawn here, and what drawing them warned is raised here. The worker draws with the
        style its own matplotlib loads (matplotlibrc, environment): rcParams changed at run time in
        this process do not reach it, so draw without a pool to see them on every figure.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    ValueError
        If ``bootstrap`` is for other parameters than ``result``, or ``prob`` is not in (0, 1).
    MissingColumnError
        If ``data`` lacks a column of the law, or ``target`` lacks an input.
    ImportError
        If ``figures`` and matplotlib is not installed (``pip install 'scalinglaws[plot]'``).

    Examples
    --------
    >>> import scalinglaws as sl
    >>> from scalinglaws.report import render_report
    >>> runs = sl.testing.synthetic_runs("chinchilla", seed=0)
    >>> result = sl.fit(runs, "chinchilla")
    >>> page = render_report(result, runs, figures=False)
    >>> page.startswith("<!DOCTYPE html>")
    True
    """
    if not 0 < prob < 1:
        raise ArgumentError(
            f"`prob` of render_report must be strictly between 0 and 1. Got {prob!r} instead.",
            argument="prob", function="render_report",
        )
    if figures:
        require_matplotlib()
    if bootstrap is not None and result.bootstrap is None:
        result = result.with_bootstrap(bootstrap)
    if target:
        target = target_columns(result, target, "render_report")
    coverage = checks.under_coverage(backtest) if backtest is not None else None
    extrapolation = checks.extrapolation_finding(result, target) if target else None
    findings = [*checks.lack_of_fit(result, data), *(f for f in (coverage, extrapolation) if f)]
    with rendering(pool) as fill:
        heading = title or f"Scaling-law report: {result.law.label}"
        sections = [
            ("law", "Law", fit_sections.law_section(result)),
            ("parameters", "Parameters", fit_sections.parameter_section(result, prob)),
            ("prediction", "Prediction", fit_sections.target_section(result, target, prob, kind, extrapolation)
             if target else ""),
            ("optima", "Optima", fit_sections.optima_section(result)),
            ("diagnostics", "Diagnostics", fit_sections.diagnostics_section(result, notes, findings)),
            ("figures", "Figures", fit_sections.figures_section(result, data, target, prob, kind) if figures else (
                '<h2 id="figures">Figures</h2><p class="sl-note">Figures need matplotlib: '
                f"<code>{h.esc(PLOT_EXTRA)}</code>, then make the report again.</p>"
            )),
            ("backtest", "Backtest", backtest_section(backtest, figures, result.config.target, coverage)
             if backtest is not None else ""),
            ("frontier", "Frontier", _frontier(result, data, target, plan, frontier, prob) if figures else ""),
            ("plan", "Plan", plan_sections.plan_section(plan) if plan is not None else ""),
            ("isoflop", "IsoFLOP", plan_sections.isoflop_section(
                isoflop, data if isoflop_data is None else isoflop_data,
                _law_at_budgets(result, isoflop, prob), figures,
            ) if isoflop is not None else ""),
            ("provenance", "Provenance",
             fit_sections.provenance_section(result, source, command, created, backtest)),
        ]
        shown = [(a, t, s) for a, t, s in sections if s]
        nav = "<nav>" + "".join(f'<a href="#{a}">{t}</a>' for a, t, _ in shown) + "</nav>"
        subtitle = (
            f'<p class="sl-sub">{h.status_badge(result.status.value)} {result.n_points} runs · '
            f"{h.esc(result.config.loss)} loss in {h.esc(result.config.space)} space · data "
            f"<code>{h.esc(result.data_digest[:19])}…</code>"
            + (f" · {h.badge(f'{len(findings)} warning' + ('s' if len(findings) > 1 else ''), '#9a6700')}"
               if findings else "")
            + "</p>"
        )
        return fill(
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="icon" href="data:,">'
            f"<title>{h.esc(heading)}</title><style>{CSS}</style></head>\n<body><main>"
            f"<h1>{h.esc(heading)}</h1>{subtitle}{nav}"
            + "\n".join(s for _, _, s in shown)
            + "</main></body></html>\n"
        )
