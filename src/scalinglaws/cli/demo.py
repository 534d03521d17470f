"""``scalinglaws demo``: the whole main job on built-in synthetic runs from a planted Chinchilla law."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer

import scalinglaws as sl
from scalinglaws.cli import _console, _io
from scalinglaws.cli.report import compute_plan, figures_available, recorded_warnings

if TYPE_CHECKING:
    import polars as pl

LAW = "chinchilla"
NOISE = 0.01
"""Log-normal noise on the synthetic losses (1%)."""
LARGE_SCALE = {"n_params": 7e10, "n_tokens": 1.4e12}
"""Where the demo predicts: the size of Chinchilla itself (70B parameters, 1.4T tokens)."""
N_BOOT = 200
"""Bootstrap refits behind the report's intervals (a fraction of a second)."""
BUDGETS = (1e21, 1e22, 1e23, 1e24)
"""Compute budgets the demo plans for (Chinchilla itself took about 5.8e23 FLOPs)."""
REPORT_PREFIX = "scalinglaws-demo-"
"""Without --out, the report goes to a new file of the temporary folder named like this (its own name
for each run: demos run side by side never write over each other's report)."""

EPILOG = """\
Examples:

  scalinglaws demo

  scalinglaws demo --seed 3

  scalinglaws demo --out demo.html --json
"""


@dataclass(frozen=True)
class Demo:
    """Everything the demo computed; printed by :func:`render` (and later also written as a report)."""

    runs: pl.DataFrame
    truth: Mapping[str, float]
    result: sl.FitResult
    point: Mapping[str, float]
    predicted: float
    planted: float


def run_demo(seed: int = 0) -> Demo:
    """Generate runs from the planted law, fit it, and predict at a larger scale."""
    law = sl.get_law(LAW)
    truth = sl.testing.PLANTED[LAW]
    runs = sl.testing.synthetic_runs(LAW, noise=NOISE, seed=seed)
    result = sl.fit(runs, law, seed=seed)
    point = {k: np.array([v]) for k, v in LARGE_SCALE.items()}
    predicted = float(result.predict(point)[0])
    planted = float(law.predict(truth, {"N": point["n_params"], "D": point["n_tokens"]})[0])
    return Demo(runs, truth, result, LARGE_SCALE, predicted, planted)


def render(demo: Demo) -> str:
    result, runs = demo.result, demo.runs
    n, d = runs["n_params"].to_numpy(), runs["n_tokens"].to_numpy()
    rows = [("parameter", "fitted", "± stderr", "planted")]
    for name, value in result.params.items():
        se = result.stderr.get(name) if result.stderr else None
        rows.append(
            (name, f"{value:.4g}", "-" if se is None else f"{se:.2g}", f"{demo.truth[name]:.4g}")
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    table = [
        "  "
        + "  ".join(
            [row[0].ljust(widths[0])]
            + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        )
        for row in rows
    ]
    config = result.config
    scale = demo.point["n_params"] / float(n.max())
    error = demo.predicted / demo.planted - 1
    return "\n".join(
        [
            f"planted law: {result.law.label}  L = {result.law.formula}",
            (
                f"data: {runs.height} synthetic runs, N = {n.min():.3g} .. {n.max():.3g} parameters, "
                f"D = {d.min():.3g} .. {d.max():.3g} tokens, {NOISE:.0%} log-normal noise"
            ),
            (
                f"fit: {result.status.value} - {result.message} "
                f"({config.loss}, delta={config.delta:g}, {config.space} space)"
            ),
            "",
            *table,
            "",
            (
                f"prediction at N = {demo.point['n_params']:.3g}, D = {demo.point['n_tokens']:.3g} "
                f"({scale:.0f}x the largest run):"
            ),
            f"  fitted law   {demo.predicted:.4f}",
            f"  planted law  {demo.planted:.4f}   (fitted is {error:+.2%} off)",
        ]
    )


def demo_command(
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the synthetic runs and the fit.")
    ] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE.html",
            dir_okay=False,
            show_default=False,
            help="Where to write the HTML report (default: a new file in the temporary folder, "
            f"{REPORT_PREFIX}XXXX.html).",
        ),
    ] = None,
    json_: Annotated[
        bool,
        typer.Option("--json", help="Print the fit, the prediction and the report path as JSON."),
    ] = False,
) -> None:
    """Fit a Chinchilla law to built-in synthetic runs, compare it with the planted values, write a report.

    Generates 60 runs from a planted Chinchilla law with 1% noise and fits them.

    Prints the fitted parameters beside the planted ones, and one prediction at 70B/1.4T; then
    bootstraps and backtests the fit and writes everything to one HTML report, whose path it prints.

    Needs no files; takes a few seconds.
    """
    from scalinglaws.report import figure_pool, render_report

    _io.check_output(out, "--out")
    draw = figures_available()
    with (
        figure_pool() if draw else nullcontext() as pool,
        recorded_warnings() as notes,
        _console.progress(5, f"fitting the {LAW!r} law to synthetic runs (seed {seed})") as advance,
    ):
        demo = run_demo(seed)
        advance(f"bootstrap: refitting on {N_BOOT} resamples")
        result = demo.result.with_bootstrap(
            sl.bootstrap(demo.result, demo.runs, n_boot=N_BOOT, seed=seed)
        )
        advance("backtest: fit the smaller 75% of compute, predict the rest")
        scores = sl.backtest(demo.runs, LAW, n_boot=N_BOOT // 2, seed=seed)
        advance("plan: compute-optimal allocation for 1e21..1e24 FLOPs")
        allocation, frontier = compute_plan(result, BUDGETS, 0.95)
        advance("drawing the report")
        page = render_report(
            result,
            demo.runs,
            backtest=scores,
            plan=allocation,
            frontier=frontier,
            target=demo.point,
            figures=draw,
            title=f"scalinglaws demo: planted {LAW} law, seed {seed}",
            source=f"scalinglaws.testing.synthetic_runs({LAW!r}, noise={NOISE}, seed={seed})",
            command=f"scalinglaws demo --seed {seed}",
            notes=notes,
            pool=pool,
        )
        advance("")
    out = out if out is not None else _new_report_path()
    _io.write_text(page, out, "--out")
    if json_:
        _console.result_json(
            {
                "law": LAW,
                "status": demo.result.status.value,
                "params": dict(demo.result.params),
                "planted": dict(demo.truth),
                "prediction": {**demo.point, "fitted": demo.predicted, "planted": demo.planted},
                "report": str(out),
            }
        )
    else:
        _console.result(render(demo))
        _console.result(f"\nreport: {out}")
    _console.diagnostics(demo.result)


def _new_report_path() -> Path:
    """A new, empty file of the temporary folder for the report (created now, so no other run takes it)."""
    handle, name = tempfile.mkstemp(prefix=REPORT_PREFIX, suffix=".html")
    os.close(handle)
    return Path(name)
