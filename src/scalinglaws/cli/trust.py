"""``scalinglaws backtest`` and ``scalinglaws select``: how well laws extrapolate, scored out of sample."""

from __future__ import annotations

import json
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
from scalinglaws.trust._rules import RULES

BACKTEST_EPILOG = """\
Examples:

  scalinglaws backtest runs.csv --law chinchilla --split-by C

  scalinglaws backtest runs.csv --law chinchilla --split-by N --train-fraction 0.5 --train-fraction 0.75
"""

SELECT_EPILOG = """\
Examples:

  scalinglaws select runs.csv --laws chinchilla,kaplan_nd --split-by C

  scalinglaws select runs.csv --laws "chinchilla;E + A*N**-alpha" --split-by N
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


def _frame_json(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return json.loads(frame.write_json())


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
    json_: _JSON = False,
) -> None:
    """Fit on the smaller part of an ordered axis, predict the larger part, and score the forecast.

    Prints one row per split (cut, sizes, mean absolute relative error, R², interval coverage, signed
    bias, fit status) and the held-out points.
    """
    config = fit_config(
        map_=map_, target=target, param=param, init=init, fix=fix, loss=loss, delta=delta, space=space,
        asymmetry=asymmetry, weights=weights, group=group, shared=shared, n_grid=n_grid,
        n_polish=n_polish, max_iter=max_iter, seed=seed, backend=backend,
        choose=choose, choose_by=choose_by, prior=prior, prior_from=prior_from, prior_width=prior_width,
    )
    frame = _io.read_table(data)
    with _console.progress(1, f"backtesting {law!r} on {frame.height} runs, split by {split_by}") as done:
        result = sl.backtest(
            frame, law, split_by=split_by, train_fractions=tuple(train_fraction or (0.75,)),
            prob=interval, n_boot=bootstrap, config=config,
        )
        done("")
    if json_:
        _console.result(json.dumps({
            "summary": result.summary(),
            "axis": result.axis_note,
            "splits": _frame_json(result.splits),
            "points": _frame_json(result.points),
        }))
        return
    summary = result.summary()
    _console.result(
        f"law: {result.law}   axis: {result.axis_note}   intervals: {result.interval_method}\n"
        f"mean ARE {summary['mean_are']:.2%}   bias {summary['bias']:+.2%}   "
        f"coverage {summary['coverage']:.0%} (nominal {interval:.0%})   "
        f"{summary['n_test_points']} held-out points in {summary['n_splits']} split(s)\n"
    )
    import polars as pl

    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, float_precision=4):
        _console.result(str(result.splits))
        _console.result(str(result.points.drop("abs_rel_error")))


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
    json_: _JSON = False,
) -> None:
    """Rank laws by out-of-sample extrapolation error from backtests; AIC/BIC shown for reference."""
    separator = ";" if ";" in laws else ","
    names = [n.strip() for n in laws.split(separator) if n.strip()]
    if len(names) < 2:
        raise typer.BadParameter(f"needs at least two laws. Got {names!r}.", param_hint="'--laws'")
    config = fit_config(
        map_=map_, target=target, param=param, init=init, fix=fix, loss=loss, delta=delta, space=space,
        asymmetry=asymmetry, weights=weights, group=group, shared=shared, n_grid=n_grid,
        n_polish=n_polish, max_iter=max_iter, seed=seed, backend=backend,
        choose=choose, choose_by=choose_by, prior=prior, prior_from=prior_from, prior_width=prior_width,
    )
    frame = _io.read_table(data)
    with _console.progress(1, f"backtesting {len(names)} laws on {frame.height} runs") as done:
        result = sl.select(
            frame, names, split_by=split_by, train_fractions=tuple(train_fraction or (0.75,)),
            prob=interval, n_boot=bootstrap, config=config,
        )
        mixture = None
        if average:
            mixture = sl.average(
                names, frame, split_by=split_by,
                train_fractions=tuple(train_fraction or (0.6, 0.7, 0.8)), config=config,
            )
        done("")
    if result.warning:
        _console.warn(result.warning)
    if json_:
        _console.result(json.dumps({
            "best": result.best,
            "win_probability": result.win_probability,
            "warning": result.warning,
            "ranking": _frame_json(result.table),
            "average": None if mixture is None else mixture.to_dict(),
        }))
        return
    columns = ["law", "mean_are", "bias", "coverage", "aic", "bic", "n_params", "fit_status"]
    import polars as pl

    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, float_precision=4, fmt_str_lengths=60):
        _console.result(str(result.table.select(columns)))
    _console.result(f"best: {result.best} (lowest extrapolation error in {result.win_probability:.0%} of "
                    "paired resamples of the held-out points)")
    if mixture is not None:
        _console.result(mixture.summary())
