"""``scalinglaws predict FIT DATA``: evaluate a saved fit at new points."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from scalinglaws.cli import _console, _io
from scalinglaws.cli._options import IntervalKind, probability

PREDICTION = "prediction"

EPILOG = """\
Examples:

  scalinglaws predict fit.json new_points.csv --out predictions.csv

  scalinglaws predict fit.json new_points.csv --json

  scalinglaws predict fit.json new_points.csv --interval 0.95 --out predictions.csv

  scalinglaws predict chain.json new_models.csv --interval 0.95   # loss -> metric, both steps' uncertainty

  scalinglaws predict fit.json points.csv --map N=params --map D=tokens   # other column names
"""


def predict_command(
    fit: Annotated[
        Path,
        typer.Argument(metavar="FIT", help="A fit written by `scalinglaws fit --out` (or a chain: "
                       "`fit --through LOSS_FIT.json --out`).", exists=True, dir_okay=False, show_default=False),
    ],
    data: Annotated[
        Path,
        typer.Argument(metavar="DATA", help="Points to predict: .csv, .tsv, .parquet or .jsonl with the fit's "
                       "input columns.", exists=True, dir_okay=False, show_default=False),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", dir_okay=False, metavar="FILE",
                     help="Write the rows plus a `prediction` column; the suffix (.csv, .tsv, .parquet, "
                     ".jsonl, .json) picks the format. Without it, print CSV."),
    ] = None,
    json_: Annotated[
        bool, typer.Option("--json", help="Print the rows as a JSON list of records.")
    ] = False,
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval", metavar="PROB", callback=probability,
            help="Add `lower` and `upper` columns: a PROB interval (from the fit's bootstrap draws "
            "when it has them, else the delta method) and an `interval_method` column.",
        ),
    ] = None,
    kind: Annotated[
        IntervalKind,
        typer.Option("--kind", help="confidence: for the law's value; prediction: for a new run."),
    ] = IntervalKind.prediction,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map", metavar="SYMBOL=COLUMN",
            help="Read law input SYMBOL from COLUMN of DATA (repeatable), where DATA names it otherwise "
            "than the table the fit was made on.",
        ),
    ] = None,
    separator: _io.SEPARATOR = None,
) -> None:
    """Predict the target for each row of DATA with a saved fit.

    The output is the input rows with one more column, `prediction` (and `lower`, `upper`,
    `interval_method` with --interval). Rows outside the law's domain (N <= 0, say) are an error, as
    in the fit.
    """
    import polars as pl

    from scalinglaws.cli._options import parse_map

    mapping = parse_map(map_)
    _io.check_output(out, inputs=[("FIT", fit), ("DATA", data)])
    result = _io.read_model(fit)
    frame = _io.read_table(data, separator=separator)
    if mapping:
        frame = _mapped(frame, result, mapping)
    added = [PREDICTION, *(["lower", "upper", "interval_method"] if interval else [])]
    clashing = [c for c in added if c in frame.columns]
    if clashing:
        _console.warn(f"DATA has column(s) {clashing} already; they are replaced in the output.")
    if interval:
        values, lower, upper, method = result.predict_interval(frame, interval, kind.value)
        table = frame.with_columns(
            pl.Series(PREDICTION, values, dtype=pl.Float64),
            pl.Series("lower", lower, dtype=pl.Float64),
            pl.Series("upper", upper, dtype=pl.Float64),
            pl.lit(method).alias("interval_method"),
        )
    else:
        table = frame.with_columns(pl.Series(PREDICTION, result.predict(frame), dtype=pl.Float64))
    bad = int((~np.isfinite(table[PREDICTION].to_numpy())).sum())
    if bad:
        _console.warn(
            f"{bad} prediction(s) are not finite numbers (the law overflows or is undefined there); "
            "they are NaN/inf in the output."
        )
    far = result.extrapolation(frame)
    if far.size and float(far.max()) > 1:
        _console.warn(
            f"{int((far > 1).sum())} point(s) lie more than a decade outside the fitted range (up to "
            f"{_decades(float(far.max()))}); extrapolation that far is only as good as the law."
        )
    if out is not None:
        _io.write_table(table, out)
        _console.note(f"wrote {table.height} predictions to {str(out)!r}")
    if json_:
        _console.result_json(table.to_dicts())
    elif out is None:
        _console.result(table.write_csv().rstrip("\n"))


def _decades(value: float) -> str:
    """How far outside, in words that stay readable for any value (never 1797693134862315...0.0)."""
    if not math.isfinite(value):
        return "an unbounded distance"
    return f"{value:.3g} decades"


def _mapped(frame: Any, result: Any, mapping: dict[str, str]) -> Any:
    """DATA with the columns named by ``--map`` renamed to those the fit reads."""
    from scalinglaws._validation import close_names
    from scalinglaws.fit import FitResult

    fits = [result] if isinstance(result, FitResult) else [result.loss_fit]
    reads = {s: c for f in fits for s, c in f.config.mapping.items()}
    law_inputs = {s for f in fits for s in f.law.inputs}
    renames = {}
    for symbol, column in mapping.items():
        if symbol not in law_inputs:
            raise typer.BadParameter(
                f"{symbol!r} is not an input of the fit's law (its inputs: {sorted(law_inputs)}).",
                param_hint="'--map'",
            )
        if column not in frame.columns:
            raise typer.BadParameter(
                f"DATA has no column {column!r}. Columns: {sorted(frame.columns)}."
                + close_names(column, frame.columns), param_hint="'--map'",
            )
        renames[column] = reads.get(symbol, symbol)
    return frame.rename(renames)
