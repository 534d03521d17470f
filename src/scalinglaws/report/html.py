"""One self-contained HTML report of a fit: law, parameters, diagnostics, backtest, plan, figures, provenance.

:func:`render_report` takes results that were already computed (the fit, its bootstrap, a backtest, a
plan) and returns the page as a string; it computes no fit and writes no file (the CLI does both). The
page loads nothing: styles are inline, figures are base64 PNG images and the law is an SVG drawn by
matplotlib's mathtext, all in ``data:`` URIs, and a Content-Security-Policy forbids any other source.
"""

from __future__ import annotations

import base64
import io
import platform
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from scalinglaws.errors import ArgumentError, FitError
from scalinglaws.report import _html as h
from scalinglaws.report._math import law_latex, math_svg, svg_data_uri
from scalinglaws.report.plots import (
    PLOT_EXTRA,
    plot_backtest,
    plot_bootstrap_pairs,
    plot_fit,
    plot_frontier,
    plot_isoflop,
    plot_residuals,
    require_matplotlib,
    target_columns,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from scalinglaws.fit.resampling import BootstrapResult
    from scalinglaws.fit.result import FitResult
    from scalinglaws.plan import Allocation, IsoFlopResult
    from scalinglaws.trust.backtesting import BacktestResult

__all__ = ["render_report"]

DPI = 150
"""Pixels per inch of the figures; shown at 96 CSS px per inch, so they stay sharp on dense screens."""

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


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _png(draw: Callable[[Figure], object], size: tuple[float, float]) -> tuple[str, int]:
    """Draw on a new (pyplot-free) figure and return it as a base64 PNG and its CSS width in pixels.

    The PNG is encoded in memory by the Agg canvas: no file is written and no window is shown.
    """
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    canvas = FigureCanvasAgg(figure)
    draw(figure)
    buffer = io.BytesIO()
    canvas.print_figure(buffer, format="png", dpi=DPI)
    return base64.b64encode(buffer.getvalue()).decode("ascii"), round(size[0] * 96)


def _figure(
    draw: Callable[[Figure], object], size: tuple[float, float], alt: str, caption: str, key: str
) -> str:
    data, width = _png(draw, size)
    return (
        f'<figure id="fig-{h.esc(key)}"><img src="data:image/png;base64,{data}" width="{width}" '
        f'alt="{h.esc(alt)}"><figcaption>{caption}</figcaption></figure>'
    )


def _law_section(result: FitResult) -> str:
    law = result.law
    svg = math_svg(law_latex(law, result.config.target))
    if svg is not None:
        math = (
            f'<div class="sl-math"><img src="{svg_data_uri(svg)}" alt="{h.esc(law.formula)}"></div>'
        )
    else:
        math = f'<div class="sl-math"><code>{h.esc(law.equation(result.config.target))}</code></div>'
    inputs = [
        [
            f"<code>{h.esc(n)}</code>",
            f"<code>{h.esc(result.config.mapping.get(n, n))}</code>",
            h.esc(law.conventions.get(n, "")),
        ]
        for n in law.inputs
    ]
    about = {"law": h.esc(law.label), "formula": f"<code>{h.esc(law.formula)}</code>"}
    if law.reference:
        about["reference"] = h.esc(law.reference)
    if law.description:
        about["about"] = h.esc(law.description)
    return (
        '<h2 id="law">Law</h2>'
        + math
        + h.definition_list(about)
        + h.table(["input", "column", "convention"], inputs)
    )


def _parameter_section(result: FitResult, prob: float) -> str:
    specs = {p.name: p for p in result.law.params}
    intervals: Mapping[str, Any] = {}
    method = ""
    if result.bootstrap is not None:
        try:
            intervals = result.bootstrap.interval(prob)
            method = result.bootstrap.label
        except (ValueError, IndexError):  # no finite draw of some parameter
            intervals = {}
    header = ["parameter", "estimate", "std. error"]
    if intervals:
        header += [f"{prob:.0%} interval"]
    header += ["bounds", ""]
    rows = []
    fixed = set(result.fixed)
    for name, base in zip(result.layout.names, result.layout.base_names, strict=True):
        value = result.params[name]
        spec = specs.get(base)
        se = result.stderr.get(name) if result.stderr else None
        row = [f"<code>{h.esc(name)}</code>", h.number(value, 5), h.number(se, 3)]
        if intervals:
            interval = intervals.get(name)
            row.append(
                f"[{h.number(interval.lower, 4)}, {h.number(interval.upper, 4)}]"
                if interval
                else h.DASH
            )
        note = ""
        if name in fixed:
            bounds = "fixed"
            note = h.badge("fixed", "#57606a")
        elif spec is not None:
            bounds = f"[{h.number(spec.lower)}, {h.number(spec.upper)}]"
            scale = max(1.0, abs(value))
            if min(abs(value - spec.lower), abs(value - spec.upper)) <= 1e-9 * scale:
                note = h.badge("at bound", "#9a6700")
        else:
            bounds = h.DASH
        row += [bounds, note]
        rows.append(row)
    numeric = [False, True, True] + ([True] if intervals else []) + [False, False]
    caption = "Standard errors from the covariance (delta method)"
    if intervals:
        caption += f"; intervals are bootstrap percentiles ({h.esc(method)})"
    out = '<h2 id="parameters">Parameters</h2>' + h.table(
        header, rows, numeric=numeric, caption=caption + "."
    )
    if result.groups is not None:
        out += (
            f'<p class="sl-note">Grouped fit by column <code>{h.esc(result.config.group)}</code>: '
            f"{len(result.groups)} groups; shared parameters: {h.esc(', '.join(result.config.shared) or 'none')}.</p>"
        )
    stats = {
        "status": h.status_badge(result.status.value) + " " + h.esc(result.message),
        "objective": f"{h.number(result.objective, 6)} ({h.esc(result.config.loss)}, "
        f"{h.esc(result.config.space)} space)",
        "residual sum of squares": h.number(result.rss, 6),
        "runs fitted": str(result.n_points),
        "starts": f"{result.n_converged} of {result.n_starts} converged; {result.nfev} evaluations",
    }
    return out + h.definition_list(stats)


def _frame(columns: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {
        c: np.asarray([v], dtype=object if isinstance(v, str) else float)
        for c, v in columns.items()
    }


def _target_section(
    result: FitResult,
    target: Mapping[str, Any],
    prob: float,
    kind: Literal["confidence", "prediction"],
) -> str:
    frame = _frame(target)
    try:
        point, lower, upper, method = result.predict_interval(frame, prob, kind)
        interval = f"[{h.number(lower[0], 5)}, {h.number(upper[0], 5)}]"
    except FitError:
        point, interval, method = (
            result.predict(frame),
            h.DASH,
            "no covariance and no bootstrap draws",
        )
    decades = float(result.extrapolation(frame)[0])
    items = {
        **{c: h.number(float(v[0]) if v.dtype != object else v[0], 4) for c, v in frame.items()},
        f"predicted {result.config.target}": f"<b>{h.number(point[0], 5)}</b>",
        f"{prob:.0%} {kind} interval": f"{interval} <span class='sl-note'>({h.esc(method)})</span>",
        "beyond the fitted range": f"{decades:.2f} decades",
    }
    return '<h2 id="prediction">Prediction at the target</h2>' + h.definition_list(items)


def _diagnostics_section(result: FitResult, notes: Sequence[str]) -> str:
    items = []
    if not result.is_usable:
        items.append(
            f"<div class='sl-warn'><b>status {h.esc(result.status.value)}</b>: "
            f"{h.esc(result.message)}</div>"
        )
    items += [
        f"<div class='sl-warn'><b>{h.esc(d.kind)}</b>: {h.esc(d.message)}"
        + (
            f" <span class='sl-note'>(rows {h.esc(', '.join(map(str, d.rows[:10])))})</span>"
            if d.rows
            else ""
        )
        + "</div>"
        for d in result.diagnostics
    ]
    if result.bootstrap is not None and result.bootstrap.n_failed:
        items.append(
            f"<div class='sl-warn'><b>bootstrap</b>: {result.bootstrap.n_failed} of "
            f"{result.bootstrap.n_boot} refits did not converge and were dropped.</div>"
        )
    items += [f"<div class='sl-warn'><b>warning</b>: {h.esc(n)}</div>" for n in notes]
    if not items:
        items.append(
            "<div class='sl-ok'>No warnings: the fit converged and every check passed.</div>"
        )
    return '<h2 id="diagnostics">Diagnostics and warnings</h2>' + "".join(items)


def _backtest_section(backtest: BacktestResult, figures: bool) -> str:
    s = backtest.summary()
    items = {
        "law": h.esc(s["law"]),
        "split axis": h.esc(backtest.axis_note),
        "held-out runs": f"{s['n_test_points']} in {s['n_splits']} split(s)",
        "mean absolute relative error": h.percent(s["mean_are"], 2),
        "signed bias": h.percent(s["bias"], 2, signed=True),
        "interval coverage": f"{h.percent(s['coverage'], 0)} (nominal {h.percent(s['prob'], 0)}; "
        f"{h.esc(s['interval_method'])})",
    }
    out = '<h2 id="backtest">Backtest</h2>' + h.definition_list(items)
    out += h.frame_table(
        backtest.splits,
        caption="One row per split: fit on axis values up to the cut, predict the rest.",
    )
    if figures:
        out += _figure(
            lambda fig: plot_backtest(backtest, fig.add_subplot()),
            (4.8, 4.4),
            "Predicted against actual held-out values",
            "Held-out runs: predicted against actual values "
            f"with {backtest.prob:.0%} prediction intervals; grey is y = x.",
            "backtest",
        )
    points = backtest.points.drop("abs_rel_error")
    out += (
        "<details><summary>Held-out points</summary>"
        + h.frame_table(points, max_rows=200)
        + "</details>"
    )
    return out


def _plan_section(plan: Allocation, frontier: Allocation | None, figures: bool) -> str:
    """An allocation (``scalinglaws.plan``): N*, D* and loss per budget, with intervals when present."""
    intervals: Mapping[str, Any] = plan.intervals or {}
    header = ["compute (FLOPs)", "N*", "D*", "tokens / param", "predicted loss"]
    rows = []
    for i, c in enumerate(np.atleast_1d(plan.flops)):
        row = [h.number(c, 3)]
        for key in ("n_params", "n_tokens"):
            value = h.number(np.atleast_1d(getattr(plan, key))[i], 3)
            if key in intervals:
                lo, hi = intervals[key]
                value += (
                    f" <span class='sl-note'>[{h.number(np.atleast_1d(lo)[i], 3)}, "
                    f"{h.number(np.atleast_1d(hi)[i], 3)}]</span>"
                )
            row.append(value)
        row.append(h.number(np.atleast_1d(plan.n_tokens)[i] / np.atleast_1d(plan.n_params)[i], 3))
        loss = h.number(np.atleast_1d(plan.predicted_loss)[i], 4)
        if "predicted_loss" in intervals:
            lo, hi = intervals["predicted_loss"]
            loss += (
                f" <span class='sl-note'>[{h.number(np.atleast_1d(lo)[i], 4)}, "
                f"{h.number(np.atleast_1d(hi)[i], 4)}]</span>"
            )
        row.append(loss)
        rows.append(row)
    caption = f"Compute-optimal allocation under C = {h.esc(plan.cost)} ({h.esc(plan.method)})"
    if intervals:
        caption += (
            f"; brackets: {h.percent(plan.prob, 0)} intervals ({h.esc(plan.interval_method or '')})"
        )
    out = '<h2 id="plan">Plan</h2>' + h.table(
        header, rows, numeric=[True] * 5, caption=caption + "."
    )
    out += f"<p>N* \u221d C<sup>{plan.exponent_a:.3f}</sup>, D* \u221d C<sup>{plan.exponent_b:.3f}</sup>"
    if "exponent_a" in intervals:
        (a_lo, a_hi), (b_lo, b_hi) = intervals["exponent_a"], intervals["exponent_b"]
        out += f" (intervals [{float(a_lo):.3f}, {float(a_hi):.3f}] and [{float(b_lo):.3f}, {float(b_hi):.3f}])"
    out += ".</p>"
    if figures:
        shown = frontier if frontier is not None else plan
        out += _figure(
            lambda fig: plot_frontier(shown, fig.add_subplot()),
            (6.0, 4.2),
            "Compute-optimal frontier",
            "Compute-optimal model size N* and tokens D* against compute, with their interval fans.",
            "frontier",
        )
    return out


def _isoflop_section(isoflop: IsoFlopResult, data: Any, figures: bool) -> str:
    out = '<h2 id="isoflop">IsoFLOP analysis</h2>'
    out += (
        f"<p>{h.esc(isoflop.method)} profiles; frontier N<sub>opt</sub> \u221d "
        f"C<sup>{isoflop.exponent_a:.3f}</sup>, D<sub>opt</sub> \u221d C<sup>{isoflop.exponent_b:.3f}</sup>.</p>"
    )
    out += h.frame_table(
        isoflop.budgets, caption="One row per budget: the fitted minimum of its profile."
    )
    if figures:
        out += _figure(
            lambda fig: plot_isoflop(isoflop, data, fig.add_subplot()),
            (7.0, 4.4),
            "IsoFLOP profiles",
            "Loss against model size per compute budget; stars are the fitted minima with their "
            "intervals (hollow: at the edge of the sweep, left out of the frontier).",
            "isoflop",
        )
    return out


def _figures_section(
    result: FitResult,
    data: Any,
    target: Mapping[str, Any] | None,
    prob: float,
    kind: Literal["confidence", "prediction"],
) -> str:
    out = ['<h2 id="figures">Figures</h2>']
    extrapolated = (
        f" and its extrapolation to the target with the {prob:.0%} {kind} interval (shaded: beyond the "
        "largest run)"
        if target
        else ""
    )
    out.append(
        _figure(
            lambda fig: plot_fit(
                result, data, fig.add_subplot(), target=target, prob=prob, kind=kind
            ),
            (8.4, 4.6),
            "Runs and fitted law",
            f"Runs (points) and the fitted law (lines) per series of fixed inputs{extrapolated}.",
            "fit",
        )
    )
    inputs = result.law.point_inputs

    def residuals(fig: Figure) -> None:
        axes = fig.subplots(1, len(inputs), sharey=True, squeeze=False)[0]
        for ax, name in zip(axes, inputs, strict=True):
            plot_residuals(result, data, ax, against=name)
            if ax is not axes[0]:
                ax.set_ylabel("")

    out.append(
        _figure(
            residuals,
            (min(3.6 * len(inputs), 11.0), 3.2),
            "Residuals against each input",
            "Residuals of the fit against each input; a trend means the law misses structure in the data.",
            "residuals",
        )
    )
    if result.bootstrap is not None and result.bootstrap.good_draws().shape[0] > 2:
        k = min(len(result.params), 6)
        out.append(
            _figure(
                lambda fig: plot_bootstrap_pairs(
                    result, np.asarray(fig.subplots(k, k, squeeze=False))
                ),
                (1.75 * k + 0.6, 1.75 * k + 0.4),
                "Bootstrap parameter draws",
                f"Bootstrap draws of the parameters ({h.esc(result.bootstrap.label)}): histograms, pairs and "
                "correlations; the red mark is the estimate. Long thin clouds are parameters that trade off.",
                "bootstrap",
            )
        )
    return "".join(out)


def _provenance_section(
    result: FitResult,
    source: str | None,
    command: str | None,
    created: str | None,
    backtest: BacktestResult | None,
) -> str:
    items = {
        "data": h.esc(source) if source else h.DASH,
        "data digest": f"<code>{h.esc(result.data_digest)}</code>",
        "fitted with": f"scalinglaws {h.esc(result.version)}",
        "report by": f"scalinglaws {h.esc(_version('scalinglaws'))}; Python {h.esc(platform.python_version())}, "
        f"NumPy {h.esc(np.__version__)}, matplotlib {h.esc(_version('matplotlib'))}",
    }
    if command:
        items["command"] = f"<code>{h.esc(command)}</code>"
    if created:
        items["created"] = h.esc(created)
    if result.bootstrap is not None:
        b = result.bootstrap
        items["bootstrap"] = (
            f"{b.n_boot} draws, method {h.esc(b.method)}, seed {b.seed}, {b.n_failed} failed"
        )
    if backtest is not None:
        items["backtest"] = (
            f"split by {h.esc(backtest.axis_note)}, {h.percent(backtest.prob, 0)} intervals "
            f"({h.esc(backtest.interval_method)})"
        )
    if result.config.provenance:
        items["data notes"] = "<br>".join(h.esc(p) for p in result.config.provenance)
    settings = [
        [f"<code>{h.esc(k)}</code>", f"<code>{h.esc(v)}</code>"]
        for k, v in result.config.to_dict().items()
        if k != "provenance"
    ]
    return (
        '<h2 id="provenance">Provenance</h2>'
        + h.definition_list(items)
        + h.table(["setting", "value"], settings, caption="Fit settings (FitConfig).")
    )


def render_report(
    result: FitResult,
    data: Any,
    *,
    bootstrap: BootstrapResult | None = None,
    backtest: BacktestResult | None = None,
    plan: Allocation | None = None,
    frontier: Allocation | None = None,
    isoflop: IsoFlopResult | None = None,
    target: Mapping[str, Any] | None = None,
    prob: float = 0.95,
    kind: Literal["confidence", "prediction"] = "prediction",
    figures: bool = True,
    title: str | None = None,
    source: str | None = None,
    command: str | None = None,
    notes: Sequence[str] = (),
    created: str | None = None,
) -> str:
    """The report of a fit as one self-contained HTML page (a string; write it wherever you like).

    Parameters
    ----------
    result
        The fit. Its bootstrap draws (``result.with_bootstrap``), if any, give parameter intervals,
        prediction bands and the pairs figure.
    data
        The runs it was fitted on (for the figures).
    bootstrap
        Draws to attach to ``result`` when it carries none.
    backtest
        A :func:`scalinglaws.backtest` of the same law on the same data: its scores, table and figure.
    plan
        An allocation from :func:`scalinglaws.plan.allocate` for the budgets of interest: a table of
        N*, D* and predicted loss, and the frontier figure.
    frontier
        An allocation over many budgets for a smooth frontier figure (default: ``plan``'s budgets).
    isoflop
        An IsoFLOP analysis (:func:`scalinglaws.plan.isoflop_profiles`) of ``data``: its minima and figure.
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
    heading = title or f"Scaling-law report: {result.law.label}"
    sections = [
        _law_section(result),
        _parameter_section(result, prob),
        _target_section(result, target, prob, kind) if target else "",
        _diagnostics_section(result, notes),
    ]
    if figures:
        sections.append(_figures_section(result, data, target, prob, kind))
    else:
        sections.append(
            '<h2 id="figures">Figures</h2><p class="sl-note">Figures need matplotlib: '
            f"<code>{h.esc(PLOT_EXTRA)}</code>, then make the report again.</p>"
        )
    if backtest is not None:
        sections.append(_backtest_section(backtest, figures))
    if plan is not None:
        sections.append(_plan_section(plan, frontier, figures))
    if isoflop is not None:
        sections.append(_isoflop_section(isoflop, data, figures))
    sections.append(_provenance_section(result, source, command, created, backtest))
    anchors = [("law", "Law"), ("parameters", "Parameters")]
    anchors += [("prediction", "Prediction")] if target else []
    anchors += [("diagnostics", "Diagnostics"), ("figures", "Figures")]
    anchors += [("backtest", "Backtest")] if backtest is not None else []
    anchors += [("plan", "Plan")] if plan is not None else []
    anchors += [("isoflop", "IsoFLOP")] if isoflop is not None else []
    anchors += [("provenance", "Provenance")]
    nav = "<nav>" + "".join(f'<a href="#{a}">{t}</a>' for a, t in anchors) + "</nav>"
    subtitle = (
        f'<p class="sl-sub">{h.status_badge(result.status.value)} {result.n_points} runs · '
        f"{h.esc(result.config.loss)} loss in {h.esc(result.config.space)} space · data "
        f"<code>{h.esc(result.data_digest[:19])}…</code></p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{h.esc(heading)}</title><style>{CSS}</style></head>\n<body><main>"
        f"<h1>{h.esc(heading)}</h1>{subtitle}{nav}"
        + "\n".join(s for s in sections if s)
        + "</main></body></html>\n"
    )
