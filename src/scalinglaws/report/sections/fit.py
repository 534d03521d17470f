"""Report sections about the fit itself: the law, its parameters, the prediction at a target, warnings,
figures of the data against the law, and provenance."""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from scalinglaws.errors import FitError
from scalinglaws.report import _html as h
from scalinglaws.report._math import law_latex, math_svg, svg_data_uri
from scalinglaws.report.figures import panels
from scalinglaws.report.sections._blocks import figure, warnings

if TYPE_CHECKING:
    from scalinglaws.fit.result import FitResult
    from scalinglaws.report.checks import Finding
    from scalinglaws.trust.backtesting import BacktestResult


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def law_section(result: FitResult) -> str:
    law = result.law
    svg = math_svg(law_latex(law, result.config.target))
    if svg is not None:
        math = f'<div class="sl-math"><img src="{svg_data_uri(svg)}" alt="{h.esc(law.formula)}"></div>'
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
        '<h2 id="law">Law</h2>' + math + h.definition_list(about)
        + h.table(["input", "column", "convention"], inputs)
    )


def parameter_section(result: FitResult, prob: float) -> str:
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
                f"[{h.number(interval.lower, 4)}, {h.number(interval.upper, 4)}]" if interval else h.DASH
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
    out = '<h2 id="parameters">Parameters</h2>' + h.table(header, rows, numeric=numeric, caption=caption + ".")
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


def optima_section(result: FitResult) -> str:
    """The priors the fit used (and how far the data moved each), and every distinct optimum the
    multistart found: the fit and the others, with their in-sample and leave-future-out scores."""
    out = []
    effects = result.prior_effects
    if effects:
        rows = [
            [f"<code>{h.esc(e.name)}</code>", h.number(e.mean, 4), h.number(e.sd, 3), h.number(e.estimate, 5),
             f"{e.shift:+.2f}", h.DASH if e.data_share is None else h.percent(e.data_share, 0)]
            for e in effects
        ]
        out.append(h.table(
            ["parameter", "prior mean", "prior sd", "estimate", "shift (sd)", "data share"], rows,
            numeric=[False, True, True, True, True, True],
            caption="Normal priors of the MAP fit. Shift: the estimate's distance from the prior mean in "
            "prior standard deviations; data share: 1 - posterior variance / prior variance (0: the prior "
            "alone sets the value, 100%: the data do).",
        ))
    if len(result.optima) > 1:
        names = list(result.optima[0].params)
        rows = []
        for o in result.optima:
            tags = (h.badge("the fit", "#1a7f37") if o.chosen else "") + "".join(
                " " + h.badge(n, "#cf222e" if n == "degenerate" else "#57606a") for n in o.notes
            )
            rows.append([
                tags, h.number(o.objective, 6), h.DASH if o.lfo_error is None else h.number(o.lfo_error, 4),
                *(h.number(o.params[n], 4) for n in names),
            ])
        out.append(h.table(
            ["", "objective", "leave-future-out error", *(f"<code>{h.esc(n)}</code>" for n in names)], rows,
            numeric=[False, True, True, *([True] * len(names))],
            caption="Every distinct optimum the multistart found (other optima are other basins of the same "
            "law). Objective: in sample; leave-future-out error: mean absolute log error of later runs "
            "predicted from earlier ones (scored with choose=backtest).",
        ))
    if not out:
        return ""
    return '<h2 id="optima">Priors and other optima</h2>' + "".join(out)


def _one_row(columns: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {c: np.asarray([v], dtype=object if isinstance(v, str) else float) for c, v in columns.items()}


def target_section(
    result: FitResult, target: Mapping[str, Any], prob: float,
    kind: Literal["confidence", "prediction"], extrapolation: Finding | None,
) -> str:
    row = _one_row(target)
    try:
        point, lower, upper, method = result.predict_interval(row, prob, kind)
        interval = f"[{h.number(lower[0], 5)}, {h.number(upper[0], 5)}]"
    except FitError:
        point, interval, method = result.predict(row), h.DASH, "no covariance and no bootstrap draws"
    decades = float(result.extrapolation(row)[0])
    items = {
        **{c: h.number(float(v[0]) if v.dtype != object else v[0], 4) for c, v in row.items()},
        f"predicted {result.config.target}": f"<b>{h.number(point[0], 5)}</b>",
        f"{prob:.0%} {kind} interval": f"{interval} <span class='sl-note'>({h.esc(method)})</span>",
        "beyond the fitted range": f"{decades:.2f} decades",
    }
    out = '<h2 id="prediction">Prediction at the target</h2>' + h.definition_list(items)
    return out + (warnings([extrapolation]) if extrapolation is not None else "")


def diagnostics_section(result: FitResult, notes: Sequence[str], findings: Sequence[Finding]) -> str:
    items = []
    if not result.is_usable:
        items.append(
            f"<div class='sl-warn'><b>status {h.esc(result.status.value)}</b>: {h.esc(result.message)}</div>"
        )
    items += [
        f"<div class='sl-warn'><b>{h.esc(d.kind)}</b>: {h.esc(d.message)}"
        + (
            f" <span class='sl-note'>(rows {h.esc(', '.join(map(str, d.rows[:10])))})</span>"
            if d.rows else ""
        )
        + "</div>"
        for d in result.diagnostics
    ]
    items.append(warnings(findings))
    if result.bootstrap is not None and result.bootstrap.n_failed:
        items.append(
            f"<div class='sl-warn'><b>bootstrap</b>: {result.bootstrap.n_failed} of "
            f"{result.bootstrap.n_boot} refits did not converge and were dropped.</div>"
        )
    items += [f"<div class='sl-warn'><b>warning</b>: {h.esc(n)}</div>" for n in notes]
    if not "".join(items):
        items.append("<div class='sl-ok'>No warnings: the fit converged and every check passed.</div>")
    return '<h2 id="diagnostics">Diagnostics and warnings</h2>' + "".join(items)


def figures_section(
    result: FitResult, data: Any, target: Mapping[str, Any] | None, prob: float,
    kind: Literal["confidence", "prediction"],
) -> str:
    """The data against the law (along an input; predicted against observed), the residuals and the
    bootstrap draws."""
    out = ['<h2 id="figures">Figures</h2>']
    extrapolated = (
        f" The dashed red curve runs to the target, with the {prob:.0%} {kind} interval (shaded grey: "
        "beyond the largest run)."
        if target else ""
    )
    structure = (
        "Runs (points, coloured by the other input) and the fitted law (curves at actual sizes of "
        "the runs, in the colour of their size); each run's segment ends at the law's value at its "
        "own inputs." if len(result.law.point_inputs) > 1 else "Runs (points) and the fitted law."
    )
    out.append(figure(
        partial(panels.fit_figure, result=result, data=data, target=target, prob=prob, kind=kind),
        (8.4, 4.8), "Runs and fitted law", structure + extrapolated, "fit",
    ))
    if not result.law.compiled.history_inputs:
        out.append(figure(
            partial(panels.predicted_figure, result=result, data=data), (5.4, 4.6),
            "Fitted against observed values",
            "The law's value at every run against the observed value; grey is y = x.", "predicted",
        ))
    out.append(figure(
        partial(panels.residuals_figure, result=result, data=data), panels.residuals_size(result),
        "Residuals against each input",
        "Residuals of the fit against each input, with the quadratic trend the lack-of-fit test fits "
        "(title: its F statistic and p-value, red when significant); a trend means the law misses "
        "structure in the data.",
        "residuals",
    ))
    if result.bootstrap is not None and result.bootstrap.good_draws().shape[0] > 2:
        out.append(figure(
            partial(panels.bootstrap_figure, result=result), panels.bootstrap_size(result),
            "Bootstrap parameter draws",
            f"Bootstrap draws of the parameters ({h.esc(result.bootstrap.label)}): histograms, pairs and "
            "correlations; amplitudes on log axes (correlations of their logs); the red mark is the "
            "estimate. Long thin clouds are parameters that trade off.",
            "bootstrap", layout=None,
        ))
    return "".join(out)


def provenance_section(
    result: FitResult, source: str | None, command: str | None, created: str | None,
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
        items["bootstrap"] = f"{b.n_boot} draws, method {h.esc(b.method)}, seed {b.seed}, {b.n_failed} failed"
    if result.interval_scale != 1.0:
        items["calibration"] = (
            f"prediction intervals scaled x{result.interval_scale:.3g} so that they cover leave-future-out "
            "errors of the runs (refits on the smaller runs predicting the larger; <code>sl.calibrate</code>)"
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
        '<h2 id="provenance">Provenance</h2>' + h.definition_list(items)
        + h.table(["setting", "value"], settings, caption="Fit settings (FitConfig).")
    )
