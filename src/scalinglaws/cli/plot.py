"""``scalinglaws plot KIND FIT [DATA] --out fig.png``: one figure of a saved fit, as PNG, SVG or PDF.

Each kind is the same figure the HTML report shows (``scalinglaws.report.figures.panels``); the file is
written whole or not at all (a temporary file renamed over it).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from scalinglaws.cli import _console, _io
from scalinglaws.cli._options import probability
from scalinglaws.cli.plan import ProfileMethod

if TYPE_CHECKING:
    from collections.abc import Callable

    from matplotlib.figure import Figure

    import scalinglaws as sl

EPILOG = """\
Examples:

  scalinglaws fit runs.csv --law chinchilla --bootstrap 200 --out fit.json

  scalinglaws plot fit fit.json runs.csv --at n_params=7e10 --at n_tokens=1.4e12 --out fit.png

  scalinglaws plot compute fit.json runs.csv --out frontier.svg

  scalinglaws plot contours fit.json --compute-range 1e18 1e24 --out contours.pdf

  scalinglaws plot isoflop fit.json sweep.csv --method parabola --out isoflop.png

  scalinglaws plot bootstrap fit.json --out corner.png
"""


class Kind(enum.StrEnum):
    """The figures ``plot`` draws."""

    fit = "fit"
    predicted = "predicted"
    residuals = "residuals"
    bootstrap = "bootstrap"
    backtest = "backtest"
    compute = "compute"
    contours = "contours"
    allocation = "allocation"
    isoflop = "isoflop"


@dataclass(frozen=True)
class _Spec:
    what: str
    data: bool | None
    """True: needs DATA; None: DATA optional; False: DATA unused."""
    draws: bool = False


SPECS: dict[Kind, _Spec] = {
    Kind.fit: _Spec("the runs and the fitted law along one input, the others coloured", True),
    Kind.predicted: _Spec("the law's value at each run against the observed value", True),
    Kind.residuals: _Spec("residuals against each input, with the lack-of-fit trend", True),
    Kind.bootstrap: _Spec("corner plot of the bootstrap parameter draws", False, draws=True),
    Kind.backtest: _Spec("a backtest: held-out runs predicted against actual", True),
    Kind.compute: _Spec("loss against compute with the compute-optimal frontier L*(C)", None),
    Kind.contours: _Spec("iso-loss contours in (N, D) with the efficient frontier", None),
    Kind.allocation: _Spec("compute-optimal N* and D* against compute", None),
    Kind.isoflop: _Spec("IsoFLOP profiles with their fitted curves, and N_opt(C)", True),
}

_SUFFIXES = {".png": "png", ".svg": "svg", ".pdf": "pdf"}

KIND_HELP = "The figure to draw (kinds listed below)."
EPILOG += "\nKinds:\n\n" + "\n\n".join(f"  {k.value}: {s.what}" for k, s in SPECS.items()) + "\n"


def _format(out: Path) -> str:
    fmt = _SUFFIXES.get(out.suffix.lower())
    if fmt is None:
        raise typer.BadParameter(
            f"must end in .png, .svg or .pdf (the file format). Got {str(out)!r} instead.",
            param_hint="'--out'",
        )
    return fmt


def _needs(kind: Kind, result: sl.FitResult, data: Path | None) -> None:
    """Exit 2 before any drawing when the kind needs DATA or draws that were not given."""
    spec = SPECS[kind]
    if spec.data and data is None:
        raise typer.BadParameter(
            f"the {kind.value} figure needs the table of runs: scalinglaws plot {kind.value} FIT DATA "
            "--out FILE.", param_hint="'DATA'",
        )
    if spec.draws and result.bootstrap is None:
        raise typer.BadParameter(
            f"the {kind.value} figure needs bootstrap draws, and this fit has none. Save a fit with "
            "them: scalinglaws fit DATA --bootstrap 200 --out fit.json.", param_hint="'FIT'",
        )
    if spec.data is False and data is not None:
        _console.note(f"the {kind.value} figure does not use DATA; ignoring {str(data)!r}.")


def _drawing(
    kind: Kind, result: sl.FitResult, frame: Any, *, target: dict[str, Any], prob: float,
    split_by: str, method: str, compute_range: tuple[float, float] | None, seed: int,
) -> tuple[Callable[[Figure], object], tuple[float, float]]:
    """What to draw and the figure size (inches), computing the backtest or IsoFLOP analysis the
    kind shows."""
    import numpy as np

    import scalinglaws as sl
    from scalinglaws.data.io import columns_of
    from scalinglaws.report.figures import panels
    from scalinglaws.report.figures._common import target_columns
    from scalinglaws.report.figures.frontier import flops_range, frontier_allocation

    if kind is Kind.fit:
        goal = target_columns(result, target, "plot") if target else None
        return (lambda f: panels.fit_figure(f, result, frame, target=goal, prob=prob)), (8.4, 4.8)
    if kind is Kind.predicted:
        return (lambda f: panels.predicted_figure(f, result, frame)), (5.4, 4.6)
    if kind is Kind.residuals:
        return (lambda f: panels.residuals_figure(f, result, frame)), panels.residuals_size(result)
    if kind is Kind.bootstrap:
        return (lambda f: panels.bootstrap_figure(f, result)), panels.bootstrap_size(result)
    if kind is Kind.backtest:
        scores = sl.backtest(frame, result.law, split_by=split_by, prob=prob, config=result.config,
                             n_boot=100, seed=seed)
        target_name = result.config.target
        return (lambda f: panels.backtest_figure(f, scores, target_name)), (4.8, 4.6)
    if kind is Kind.compute:
        return (lambda f: panels.compute_figure(f, result, frame, flops=compute_range, prob=prob)), (7.8, 4.8)
    if kind is Kind.contours:
        return (lambda f: panels.contours_figure(f, result, frame, flops=compute_range)), (6.8, 5.2)
    if kind is Kind.allocation:
        columns = None if frame is None else columns_of(frame, "plot")
        lo, hi = flops_range(result, columns, compute_range, "plot")
        allocation = frontier_allocation(result, lo, hi, prob, None, "plot")
        return (lambda f: panels.allocation_figure(f, allocation)), (6.0, 4.2)
    from scalinglaws.cli.report import compute_isoflop
    from scalinglaws.plan import allocate, isoflop_profiles

    if method not in ("cubic", "parabola", "akima"):
        raise typer.BadParameter(f"must be cubic, parabola or akima. Got {method!r} instead.",
                                 param_hint="'--method'")
    found, sweep = compute_isoflop(result, frame, prob, 200, seed)
    if found is None:
        raise typer.BadParameter(
            "the runs form no IsoFLOP sweeps (at least two budgets, each with a minimum inside its "
            "range of model sizes); see the note above.", param_hint="'DATA'",
        )
    if method != found.method:
        flops, n_params, loss = found.columns
        found = isoflop_profiles(sweep, method=method, flops=flops, n_params=n_params, loss=loss,  # type: ignore[arg-type]
                                 n_boot=200, prob=prob, seed=seed)
    budgets = found.budgets["flops"].to_numpy()
    try:
        law = allocate(result, flops=np.geomspace(budgets.min() / 2, budgets.max() * 2, 30), prob=prob)
    except ValueError:  # the law has no N and D, or no optimum there: profiles alone
        law = None
    analysis = found
    return (lambda f: panels.isoflop_figure(f, analysis, sweep, law)), (11.4, 4.6)


def plot_command(
    kind: Annotated[Kind, typer.Argument(metavar="KIND", help=KIND_HELP, show_default=False)],
    fit: Annotated[
        Path, typer.Argument(metavar="FIT", help="A fit saved by `scalinglaws fit --out fit.json`.",
                             exists=True, dir_okay=False, show_default=False),
    ],
    data: Annotated[
        Path | None, typer.Argument(metavar="DATA", help="The table of runs it was fitted on.",
                                    exists=True, dir_okay=False, show_default=False),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="FILE.png|svg|pdf", dir_okay=False,
                           help="Where to write the figure (required); the suffix picks the format."),
    ] = ...,  # type: ignore[assignment]
    at: Annotated[
        list[str] | None,
        typer.Option("--at", metavar="COLUMN=VALUE",
                     help="fit: extrapolation target, one value per input column (repeatable)."),
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", metavar="PROB", callback=probability,
                            help="Interval probability of bands and error bars."),
    ] = 0.95,
    split_by: Annotated[
        str, typer.Option("--split-by", help="backtest: the axis to split on: C, N, D or a column.")
    ] = "C",
    method: Annotated[
        ProfileMethod, typer.Option("--method", help="isoflop: profile fit: cubic, parabola or akima.")
    ] = ProfileMethod.cubic,
    compute_range: Annotated[
        tuple[float, float] | None,
        typer.Option("--compute-range", metavar="LO HI",
                     help="compute, contours, allocation: the FLOP range (default: the runs' range, 3x wider)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the backtest's and IsoFLOP resamples.")] = 0,
    separator: _io.SEPARATOR = None,
) -> None:
    """Draw one figure of a saved fit and write it to a PNG, SVG or PDF file.

    Kinds that show the runs (fit, predicted, residuals, backtest, isoflop) need DATA; bootstrap needs
    a fit saved with draws (fit --bootstrap N). Prints the path of the figure on stdout.
    """
    from scalinglaws.cli.report import parse_at
    from scalinglaws.report.figures import has_matplotlib
    from scalinglaws.report.figures._common import PLOT_EXTRA
    from scalinglaws.report.figures.panels import figure_bytes

    _io.check_output(out, inputs=[("FIT", fit), ("DATA", data)])
    fmt = _format(out)
    if not has_matplotlib():
        raise typer.BadParameter(f"figures need matplotlib; install it with `{PLOT_EXTRA}`.",
                                 param_hint="'KIND'")
    result = _io.read_fit(fit)
    _needs(kind, result, data)
    goal = parse_at(at)
    if goal and kind is not Kind.fit:
        raise typer.BadParameter(f"applies to the fit figure only, not {kind.value}.", param_hint="'--at'")
    if compute_range is not None and not 0 < compute_range[0] < compute_range[1]:
        raise typer.BadParameter(
            f"must be two positive FLOP counts LO < HI, e.g. 1e18 1e24. Got {compute_range!r} instead.",
            param_hint="'--compute-range'",
        )
    frame = _io.read_table(data, separator=separator) if data is not None and SPECS[kind].data is not False else None
    draw, size = _drawing(kind, result, frame, target=goal, prob=interval, split_by=split_by,
                          method=method.value, compute_range=compute_range, seed=seed)
    layout = None if kind is Kind.bootstrap else "constrained"  # the corner plot places its own grid
    payload = figure_bytes(draw, size, fmt, layout=layout)  # type: ignore[arg-type]
    _io.write_bytes(payload, out)
    _console.result(str(out))
