"""``scalinglaws backtest`` and ``scalinglaws select``: how well laws extrapolate, scored out of sample."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

import scalinglaws as sl
from scalinglaws.cli import _console, _io
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
    EXECUTOR,
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
    make_executor,
)
from scalinglaws.cli._options import checked, probability
from scalinglaws.cli.report import preflight
from scalinglaws.trust._rules import RULES

BACKTEST_EPILOG = """\
Examples:

  scalinglaws backtest runs.csv --law chinchilla --split-by C

  scalinglaws backtest runs.csv --law chinchilla --split-by N --train-fraction 0.5 --train-fraction 0.75

  scalinglaws backtest runs.csv --law chinchilla --train-fraction 0.5 --train-fraction 0.75 --executor ray
"""

SELECT_EPILOG = """\
Examples:

  scalinglaws select runs.csv --laws chinchilla,kaplan_nd --split-by C

  scalinglaws select runs.csv --laws "chinchilla;E + A*N**-alpha" --split-by N

  scalinglaws select runs.csv --laws chinchilla,kaplan_nd,farseer --executor ray://head:10001
"""

_DATA = Annotated[
    Path, typer.Argument(metavar="DATA", help="Table of runs.", exists=True, dir_okay=False, show_default=False)
]
_SPLIT = Annotated[
    str, typer.Option("--split-by", help="Ordered axis: C (compute; 6*N*D if no column), N, D or a column.")
]
_FRACTIONS = Annotated[
    list[float] | None,
    typer.Option(
        "--train-fraction", metavar="F", callback=checked(RULES, "train_fractions"),
        help="Train on axis values up to this fraction of the distinct values; repeat for a rolling "
        "backtest over several cuts (default 0.75).",
    ),
]
if TYPE_CHECKING:
    import polars as pl

_INTERVAL = Annotated[
    float, typer.Option("--interval", metavar="PROB", callback=probability, help="Prediction-interval probability.")
]
_BOOT = Annotated[int, typer.Option("--bootstrap", min=0, metavar="N", help="Draws for the intervals (0: delta method).")]
_JSON = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")]
_OUT = Annotated[
    Path | None,
    typer.Option("--out", "-o", metavar="FILE", dir_okay=False,
                 help="Also write the table (.csv, .tsv, .parquet, .jsonl or .json, by suffix)."),
]


def _frame_json(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()


def backtest_command(
    data: _DATA,
    law: LAW = "chinchilla",
    split_by: _SPLIT = "C",
    train_fraction: _FRACTIONS = None,
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
    interval: _INTERVAL = 0.95,
    bootstrap: _BOOT = 200,
    seed: SEED = DEFAULTS.seed,
    backend: BACKEND = DEFAULT_BACKEND,
    choose: CHOOSE = DEFAULT_CHOOSE,
    choose_by: CHOOSE_BY = DEFAULTS.choose_by,
    prior: PRIOR = None,
    prior_from: PRIOR_FROM = DEFAULTS.prior_from,
    prior_width: PRIOR_WIDTH = DEFAULTS.prior_width,
    executor: EXECUTOR = None,
    json_: _JSON = False,
    out: _OUT = None,
    separator: _io.SEPARATOR = None,
) -> None:
    """Fit on the smaller part of an ordered axis, predict the larger part, and score the forecast.

    Prints one row per split (cut, sizes, mean absolute relative error, R², interval coverage, signed
    bias, fit status) and the held-out points; --out writes the held-out points.
    """
    config = fit_config(
        map_=map_, target=target, param=param, init=init, fix=fix, loss=loss, delta=delta, space=space,
        asymmetry=asymmetry, weights=weights, group=group, shared=shared, n_grid=n_grid,
        n_polish=n_polish, max_iter=max_iter, seed=seed, backend=backend,
        choose=choose, choose_by=choose_by, prior=prior, prior_from=prior_from, prior_width=prior_width,
    )
    _io.check_output(out, inputs=[("DATA", data)])
    frame = _io.read_table(data, separator=separator)
    preflight(frame, law, config, split_by=split_by)
    fractions = tuple(train_fraction or (0.75,))
    what = f"backtesting {law!r} on {frame.height} runs, split by {split_by}"
    with _console.counted(what, len(fractions)) as update:
        result = sl.backtest(
            frame, law, split_by=split_by, train_fractions=fractions,
            prob=interval, n_boot=bootstrap, config=config, progress=update,
            executor=make_executor(executor, "backtest", lambda done, total, _label: update(done, total)),
        )
    if out is not None:
        _io.write_table(result.points, out)
        _console.note(f"wrote {result.points.height} held-out points to {str(out)!r}")
    if json_:
        _console.result_json({
            "summary": result.summary(),
            "axis": result.axis_note,
            "splits": _frame_json(result.splits),
            "points": _frame_json(result.points),
        })
        return
    summary = result.summary()
    _console.result(
        f"law: {result.law}   axis: {result.axis_note}   intervals: {result.interval_method}\n"
        f"mean ARE {summary['mean_are']:.2%}   bias {summary['bias']:+.2%}   "
        f"coverage {summary['coverage']:.0%} (nominal {interval:.0%})   "
        f"{summary['n_test_points']} held-out points in {summary['n_splits']} split(s)\n"
    )
    _console.result(_console.frame_table(result.splits, title="splits"))
    _console.result("")
    _console.result(_console.frame_table(
        result.points.drop("abs_rel_error", "row").rename({"extrapolation_decades": "decades beyond"}),
        title="held-out points",
    ))


def select_command(
    data: _DATA,
    laws: Annotated[
        str,
        typer.Option(
            "--laws", help="Laws to compare: catalog names separated by commas, or by semicolons when "
            "a formula contains commas.",
        ),
    ],
    split_by: _SPLIT = "C",
    train_fraction: _FRACTIONS = None,
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
    interval: _INTERVAL = 0.95,
    bootstrap: _BOOT = 100,
    seed: SEED = DEFAULTS.seed,
    backend: BACKEND = DEFAULT_BACKEND,
    choose: CHOOSE = DEFAULT_CHOOSE,
    choose_by: CHOOSE_BY = DEFAULTS.choose_by,
    prior: PRIOR = None,
    prior_from: PRIOR_FROM = DEFAULTS.prior_from,
    prior_width: PRIOR_WIDTH = DEFAULTS.prior_width,
    average: Annotated[
        bool,
        typer.Option(
            "--average/--no-average",
            help="Also average the laws with stacking weights from leave-future-out predictions.",
        ),
    ] = False,
    executor: EXECUTOR = None,
    json_: _JSON = False,
    out: _OUT = None,
    separator: _io.SEPARATOR = None,
) -> None:
    """Rank laws by out-of-sample extrapolation error from backtests; AIC/BIC shown for reference."""
    between = ";" if ";" in laws else ","
    names = [n.strip() for n in laws.split(between) if n.strip()]
    if len(names) < 2:
        raise typer.BadParameter(f"needs at least two laws. Got {names!r}.", param_hint="'--laws'")
    config = fit_config(
        map_=map_, target=target, param=param, init=init, fix=fix, loss=loss, delta=delta, space=space,
        asymmetry=asymmetry, weights=weights, group=group, shared=shared, n_grid=n_grid,
        n_polish=n_polish, max_iter=max_iter, seed=seed, backend=backend,
        choose=choose, choose_by=choose_by, prior=prior, prior_from=prior_from, prior_width=prior_width,
    )
    _io.check_output(out, inputs=[("DATA", data)])
    frame = _io.read_table(data, separator=separator)
    for name in names:
        preflight(frame, name, _for_law(name, frame, config), split_by=split_by)
    with _console.counted(f"backtesting {len(names)} laws on {frame.height} runs", len(names)) as update:
        result = sl.select(
            frame, names, split_by=split_by, train_fractions=tuple(train_fraction or (0.75,)),
            prob=interval, n_boot=bootstrap, config=config, progress=update,
            executor=make_executor(executor, "select", lambda done, total, _label: update(done, total)),
        )
    mixture = None
    if average:
        with _console.progress(1, f"averaging {len(names)} laws by leave-future-out stacking") as done:
            mixture = sl.average(
                names, frame, split_by=split_by,
                train_fractions=tuple(train_fraction or (0.6, 0.7, 0.8)), config=config,
            )
            done("")
    if result.warning:
        _console.warn(result.warning)
    if out is not None:
        _io.write_table(result.table, out)
        _console.note(f"wrote the ranking of {result.table.height} laws to {str(out)!r}")
    if json_:
        _console.result_json({
            "best": result.best,
            "win_probability": result.win_probability,
            "warning": result.warning,
            "ranking": _frame_json(result.table),
            "average": None if mixture is None else mixture.to_dict(),
        })
        return
    columns = ["law", "mean_are", "bias", "coverage", "aic", "bic", "n_params", "fit_status"]
    _console.result(_console.frame_table(result.table, columns=columns, wrap=["law"]))
    _console.result(f"best: {result.best} (lowest extrapolation error in {result.win_probability:.0%} of "
                    "paired resamples of the held-out points)")
    if mixture is not None:
        _console.result(mixture.summary())


def _for_law(name: str, frame: pl.DataFrame, config: sl.FitConfig) -> sl.FitConfig:
    """The part of a config shared by several laws that applies to law ``name`` (as ``select`` does)."""
    from scalinglaws.fit.gate import config_for, mapping_for, resolve_law

    law, _ = resolve_law(name, frame.columns, mapping_for(name, config.mapping), config.target)
    return config_for(law, config)
