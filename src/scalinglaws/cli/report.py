"""``scalinglaws report DATA``: fit, bootstrap and backtest a law, and write one self-contained HTML report.

(Longer than 400 lines for a reason: the command takes every fit option plus its own, each declared
with its help text, and checks them all before any work.)
"""

from __future__ import annotations

import math
import os
import shlex
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

import scalinglaws as sl
from scalinglaws.cli import _console, _io, _log_to
from scalinglaws.cli._fit_options import (
    ASYMMETRY,
    BACKEND,
    CHOOSE,
    CHOOSE_BY,
    DEFAULT_BACKEND,
    DEFAULT_CHOOSE,
    DEFAULT_LOSS,
    DEFAULT_SPACE,
    DEFAULTS,
    DELTA,
    FIX,
    GROUP,
    INIT,
    LAW,
    LOSS,
    MAP,
    MAX_ITER,
    N_GRID,
    N_POLISH,
    PARAM,
    PRIOR,
    PRIOR_FROM,
    PRIOR_WIDTH,
    SEED,
    SHARED,
    SPACE,
    TARGET,
    WEIGHTS,
    fit_config,
)
from scalinglaws.cli._options import checked, probability
from scalinglaws.errors import ToolkitWarning
from scalinglaws.trust._rules import RULES

if TYPE_CHECKING:
    import polars as pl

    from scalinglaws import plan as planning

EPILOG = """\
Examples:

  scalinglaws report runs.csv --law chinchilla --out report.html

  scalinglaws report runs.csv --law chinchilla --at n_params=7e10 --at n_tokens=1.4e12 --out report.html

  scalinglaws report runs.csv --law chinchilla --compute 1e22 --compute 1e24 --out report.html

  scalinglaws report runs.csv --law "E + A*N**-alpha + B*D**-beta" --bootstrap 500 --split-by N --json
"""

_DATA = Annotated[
    Path,
    typer.Argument(
        metavar="DATA",
        help="Table of runs: .csv, .tsv, .parquet or .jsonl (.csv.gz too).",
        exists=True,
        dir_okay=False,
        show_default=False,
    ),
]


def parse_at(values: Sequence[str] | None) -> dict[str, Any]:
    """``--at COLUMN=VALUE`` (repeatable) -> ``{column: value}``; numbers where they parse, else text
    (a group label)."""
    out: dict[str, Any] = {}
    for text in values or ():
        name, sep, value = (p.strip() for p in text.partition("="))
        if not sep or not name or not value:
            raise typer.BadParameter(
                f"must be COLUMN=VALUE, e.g. n_params=7e10. Got {text!r} instead.",
                param_hint="'--at'",
            )
        if name in out:
            raise typer.BadParameter(
                f"gives {name} more than once; give each column once.", param_hint="'--at'"
            )
        try:
            number = float(value)
        except ValueError:
            out[name] = value
            continue
        if not (math.isfinite(number) and number > 0):
            raise typer.BadParameter(
                f"must give a positive finite value. Got {text!r} instead.", param_hint="'--at'"
            )
        out[name] = number
    return out


def command_line(ctx: typer.Context) -> str:
    """The command as it was given, rebuilt from the parsed options (defaults left out), for provenance."""
    words = ["scalinglaws", str(ctx.info_name)]
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if param.param_type_name == "argument":
            words.append(str(value))
            continue
        if value is None or value in (param.default, [], ()):
            continue
        option = max(param.opts, key=len)
        if isinstance(value, bool):
            secondary = max(param.secondary_opts, key=len) if param.secondary_opts else None
            if value or secondary:
                words.append(option if value else str(secondary))
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            words += [option, str(getattr(item, "value", item))]
    return shlex.join(words)


@contextmanager
def recorded_warnings() -> Iterator[list[str]]:
    """Collect scalinglaws' warnings raised inside (for the report) and show each on stderr as well."""
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ToolkitWarning)
        yield notes
    for item in caught:
        message = f"{item.message} ({item.category.__name__})"
        notes.append(message)
        _console.warn(message)


def compute_plan(
    result: sl.FitResult, budgets: Sequence[float], prob: float
) -> tuple[planning.Allocation | None, planning.Allocation | None]:
    """The allocation for ``budgets`` and a dense one for the frontier figure; (None, None) with a
    warning when the law has no N and D to allocate."""
    if not budgets:
        return None, None
    from scalinglaws import plan as planning

    try:
        table = planning.allocate(result, flops=list(budgets), prob=prob)
        dense = np.geomspace(min(budgets) / 100.0, max(budgets), 40)
        return table, planning.allocate(result, flops=dense, prob=prob)
    except ValueError as exc:  # LawSpecError, or allocate's ValueError for a law without N and D
        _console.warn(f"no plan in the report: {exc}")
        return None, None


def compute_isoflop(
    result: sl.FitResult, frame: pl.DataFrame, prob: float, n_boot: int, seed: int
) -> tuple[planning.IsoFlopResult | None, pl.DataFrame]:
    """An IsoFLOP analysis of the runs when they admit one (several budgets, each a sweep of model
    sizes; budgets bucketed by nearest log-compute level), and the table it read (the runs, with a
    compute column from C = 6ND when they have none); (None, frame) with a note otherwise."""
    import polars as pl

    from scalinglaws.laws import DEFAULT_COST, ColumnMap, cost_model
    from scalinglaws.plan import isoflop_profiles

    rule = ColumnMap(result.config.mapping)
    n, d = rule.column("N", frame.columns), rule.column("D", frame.columns)
    flops = rule.column("C", frame.columns)
    if n is None or "N" not in result.law.inputs or result.groups is not None:
        return None, frame
    if flops is None and d is not None:
        flops = "flops"
        frame = frame.with_columns(
            pl.Series(flops, cost_model(DEFAULT_COST).flops(frame[n].to_numpy(), frame[d].to_numpy()))
        )
    if flops is None:
        return None, frame
    try:
        found = isoflop_profiles(
            frame, flops=flops, n_params=n, loss=result.config.target, n_boot=n_boot, prob=prob, seed=seed
        )
    except sl.DataError as exc:
        _console.note(f"no IsoFLOP section: {exc}")
        return None, frame
    return found, frame


def figures_available() -> bool:
    """Whether figures can be drawn; warns once (naming the extra) when they cannot."""
    from scalinglaws.report import has_matplotlib
    from scalinglaws.report.figures import PLOT_EXTRA

    if has_matplotlib():
        return True
    _console.warn(f"figures need matplotlib ({PLOT_EXTRA}); writing the report without them.")
    return False


def report_command(
    ctx: typer.Context,
    data: _DATA,
    law: LAW = "chinchilla",
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", metavar="FILE.html", dir_okay=False, help="Where to write the report."
        ),
    ] = Path("report.html"),
    at: Annotated[
        list[str] | None,
        typer.Option(
            "--at",
            metavar="COLUMN=VALUE",
            help="Extrapolation target, one value per input column (repeatable), e.g. --at n_params=7e10 "
            "--at n_tokens=1.4e12; shown as a prediction with its interval and in the fit figure.",
        ),
    ] = None,
    compute: Annotated[
        list[float] | None,
        typer.Option(
            "--compute", "-c",
            metavar="FLOPS",
            help="Compute budget to plan for (repeatable): the report gives N*, D* and the loss for each.",
        ),
    ] = None,
    flops: Annotated[
        list[float] | None, typer.Option("--flops", hidden=True, help="Old spelling of --compute.")
    ] = None,
    bootstrap: Annotated[
        int,
        typer.Option(
            "--bootstrap",
            min=0,
            metavar="N",
            help="Bootstrap refits for intervals and the pairs figure (0 = none).",
        ),
    ] = 200,
    backtest: Annotated[
        bool, typer.Option("--backtest/--no-backtest", help="Backtest the law's extrapolation.")
    ] = True,
    calibrate: Annotated[
        bool,
        typer.Option(
            "--calibrate/--no-calibrate",
            help="Scale the prediction intervals by leave-future-out errors along --split-by (refits at "
            "three cuts; benchmarks/bench_extrapolation.py: 91% coverage of nominal 95% against 81% "
            "without).",
        ),
    ] = True,
    split_by: Annotated[
        str,
        typer.Option(
            "--split-by", help="Backtest axis: C (compute; 6*N*D if no column), N, D or a column."
        ),
    ] = "C",
    train_fraction: Annotated[
        list[float] | None,
        typer.Option(
            "--train-fraction",
            metavar="F",
            callback=checked(RULES, "train_fractions"),
            help="Backtest training share of the axis values; repeat for several cuts (default 0.75).",
        ),
    ] = None,
    map_: MAP = None,
    target: TARGET = DEFAULTS.target,
    param: PARAM = None,
    init: INIT = None,
    fix: FIX = None,
    loss: LOSS = DEFAULT_LOSS,
    delta: DELTA = DEFAULTS.delta,
    space: SPACE = DEFAULT_SPACE,
    asymmetry: ASYMMETRY = DEFAULTS.asymmetry,
    weights: WEIGHTS = DEFAULTS.weights,
    group: GROUP = DEFAULTS.group,
    shared: SHARED = None,
    n_grid: N_GRID = DEFAULTS.n_grid,
    n_polish: N_POLISH = DEFAULTS.n_polish,
    max_iter: MAX_ITER = DEFAULTS.max_iter,
    interval: Annotated[
        float,
        typer.Option(
            "--interval", metavar="PROB", callback=probability, help="Interval probability."
        ),
    ] = 0.95,
    seed: SEED = DEFAULTS.seed,
    backend: BACKEND = DEFAULT_BACKEND,
    choose: CHOOSE = DEFAULT_CHOOSE,
    choose_by: CHOOSE_BY = DEFAULTS.choose_by,
    prior: PRIOR = None,
    prior_from: PRIOR_FROM = DEFAULTS.prior_from,
    prior_width: PRIOR_WIDTH = DEFAULTS.prior_width,
    title: Annotated[str | None, typer.Option("--title", help="Heading of the report.")] = None,
    figures: Annotated[
        bool, typer.Option("--figures/--no-figures", help="Draw figures (needs matplotlib).")
    ] = True,
    json_: Annotated[
        bool,
        typer.Option(
            "--json", help="Print a JSON summary (report path, fit, backtest) instead of the path."
        ),
    ] = False,
    log_to: _log_to.LOG_TO = None,
    log_experiment: _log_to.LOG_EXPERIMENT = None,
    log_run: _log_to.LOG_RUN = None,
    tracking_uri: _log_to.TRACKING_URI = None,
    separator: _io.SEPARATOR = None,
) -> None:
    """Fit a law, bootstrap it and backtest it, then write everything to one self-contained HTML report.

    The report has the law as math, the parameters with intervals, diagnostics and warnings (backtest
    under-coverage, lack of fit, extrapolation), the backtest, figures (data and fitted law, predicted
    against observed, residuals, bootstrap pairs, backtest), the compute-optimal frontier (loss against
    compute, iso-loss contours, N* and D*), an IsoFLOP analysis when the runs form IsoFLOP sweeps, and
    provenance (data hash, version, settings, this command line). It loads nothing from the network:
    open it anywhere.

    Prints the path of the report on stdout.
    """
    from scalinglaws.report import figure_pool, render_report
    from scalinglaws.report.pool import compile_law

    goal = parse_at(at)
    config = fit_config(
        map_=map_, target=target, param=param, init=init, fix=fix, loss=loss, delta=delta, space=space,
        asymmetry=asymmetry, weights=weights, group=group, shared=shared, n_grid=n_grid,
        n_polish=n_polish, max_iter=max_iter, seed=seed, backend=backend,
        choose=choose, choose_by=choose_by, prior=prior, prior_from=prior_from, prior_width=prior_width,
    )
    _io.check_output(out, inputs=[("DATA", data)])
    budgets = [float(c) for c in [*(compute or ()), *(flops or ())]]
    if any(not (math.isfinite(c) and c > 0) for c in budgets):
        raise typer.BadParameter(
            f"must be positive FLOPs, e.g. 1e23. Got {budgets!r} instead.", param_hint="'--compute'"
        )
    draw = figures and figures_available()
    frame = _io.read_table(data, separator=separator)
    preflight(frame, law, config, split_by=split_by if backtest or calibrate else None, at=goal)
    destination = _log_to.prepare(log_to, log_experiment, log_run, tracking_uri, frame)
    steps = 3 + (bootstrap > 0) + calibrate + backtest + bool(budgets)
    with (
        figure_pool() if draw else nullcontext() as pool,
        recorded_warnings() as notes,
        _console.progress(steps, f"fitting {law!r} to {frame.height} runs") as advance,
    ):
        result = sl.fit(frame, law, config=config)
        if pool is not None:
            pool.submit(compile_law, result.law)
        if bootstrap:
            advance(f"bootstrap: refitting on {bootstrap} resamples")
            draws = sl.bootstrap(result, frame, n_boot=bootstrap, seed=seed)
            if draws.n_failed:
                _console.warn(
                    f"{draws.n_failed} of {bootstrap} bootstrap refits did not converge; dropped."
                )
            result = result.with_bootstrap(draws)
        if calibrate:
            advance(f"calibrating the intervals by leave-future-out errors along {split_by}")
            result = sl.calibrate(result, frame, split_by=split_by, prob=interval, n_boot=min(bootstrap, 200))
        scores = None
        if backtest:
            advance(f"backtest: split by {split_by}")
            scores = sl.backtest(
                frame,
                law,
                split_by=split_by,
                train_fractions=tuple(train_fraction or (0.75,)),
                prob=interval,
                n_boot=min(bootstrap, 200),
                config=config,
            )
        if budgets:
            advance(f"plan: {len(budgets)} budget(s)")
        allocation, frontier = compute_plan(result, budgets, interval)
        advance("IsoFLOP profiles, if the runs have them")
        isoflop, sweep = compute_isoflop(result, frame, interval, min(bootstrap, 200), seed)
        advance("drawing the report")
        page = render_report(
            result,
            frame,
            backtest=scores,
            plan=allocation,
            frontier=frontier,
            isoflop=isoflop,
            isoflop_data=sweep,
            target=goal or None,
            prob=interval,
            figures=draw,
            title=title,
            source=str(data),
            command=command_line(ctx),
            notes=notes,
            created=creation_time(),
            pool=pool,
        )
        advance("")
    if not result.is_usable:
        _console.warn(
            f"the fit ended with status {result.status.value}: {result.message}; see the report."
        )
    _io.write_text(page, out)
    _print_outcome(out, result, scores, allocation, json_)
    _log_to.send(destination, result, report=out, prob=interval)


def _print_outcome(
    path: Path,
    result: sl.FitResult,
    scores: sl.BacktestResult | None,
    allocation: planning.Allocation | None,
    json_: bool,
) -> None:
    _console.diagnostics(result)
    if not json_:
        _console.result(str(path))
        return
    intervals = result.param_intervals(0.95)
    _console.result_json(
        {
            "report": str(path),
            "law": result.law.label,
            "status": result.status.value,
            "params": dict(result.params),
            "stderr": None if result.stderr is None else dict(result.stderr),
            "intervals": {
                n: None if i is None else {"lower": i.lower, "upper": i.upper, "prob": i.prob, "method": i.method}
                for n, i in intervals.items()
            },
            "diagnostics": [d.to_dict() for d in result.diagnostics],
            "backtest": None if scores is None else scores.summary(),
            "plan": None if allocation is None else allocation.to_dict(),
        }
    )


def creation_time() -> str | None:
    """When the report was made, for its provenance: ``SOURCE_DATE_EPOCH`` (reproducible builds) when
    set, else nothing, so the same command gives the same bytes in another minute (the file's own
    modification time says when it was written).

    Raises
    ------
    typer.BadParameter
        If ``SOURCE_DATE_EPOCH`` is set but is not a whole number of seconds.
    """
    text = os.environ.get("SOURCE_DATE_EPOCH")
    if text is None or not text.strip():
        return None
    try:
        seconds = int(text)
    except ValueError:
        raise typer.BadParameter(
            f"must be a whole number of seconds since 1970-01-01 UTC. Got {text!r} instead.",
            param_hint="'SOURCE_DATE_EPOCH' (environment)",
        ) from None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def preflight(
    frame: pl.DataFrame, law: str, config: sl.FitConfig, *, split_by: str | None = None,
    at: Mapping[str, Any] | None = None,
) -> None:
    """Check every column the command will need before any work: the law's inputs, the target,
    weights and groups (the fit's own gate), the backtest axis, and the --at target's columns."""
    from scalinglaws._validation import close_names
    from scalinglaws.fit.gate import prepare
    from scalinglaws.fit.splits import split_axis

    columns = {c: frame[c].to_numpy() for c in frame.columns}
    prepared = prepare(columns, law, config)
    if split_by is not None:
        try:
            split_axis(columns, prepared.problem.law, prepared.config.mapping, split_by)
        except sl.DataError as exc:
            raise typer.BadParameter(str(exc), param_hint="'--split-by'") from exc
    if at:
        needed = list(dict.fromkeys(prepared.config.mapping.values()))
        if config.group is not None:
            needed.append(config.group)
        unknown = [k for k in at if k not in needed]
        if unknown:
            raise typer.BadParameter(
                f"names {unknown}, which the law does not read: give a value for each of its input "
                f"columns {needed}.{close_names(unknown[0], needed)}", param_hint="'--at'",
            )
        missing = [c for c in needed if c not in at]
        if missing:
            raise typer.BadParameter(
                f"gives no value for {missing}: the target needs one for every input column {needed}, "
                f"e.g. --at {missing[0]}=VALUE.", param_hint="'--at'",
            )
