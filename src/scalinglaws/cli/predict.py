"""``scalinglaws predict FIT DATA``: evaluate a saved fit at new points."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

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
"""


def predict_command(
    fit: Annotated[
        Path,
        typer.Argument(metavar="FIT", help="A fit written by `scalinglaws fit --out` (or a chain: "
                       "`fit --through LOSS_FIT.json --out`).", exists=True, dir_okay=False, show_default=False),
    ],
    data: Annotated[
        Path,
        typer.Argument(metavar="DATA", help="Points to predict: .csv, .parquet or .jsonl with the fit's input columns.",
                       exists=True, dir_okay=False, show_default=False),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", dir_okay=False, metavar="FILE",
                     help="Write the rows plus a `prediction` column; the suffix (.csv, .parquet, "
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
) -> None:
    """Predict the target for each row of DATA with a saved fit.

    The output is the input rows with one more column, `prediction` (and `lower`, `upper`,
    `interval_method` with --interval).
    """
    import polars as pl

    _io.check_output(out)
    result = _io.read_model(fit)
    frame = _io.read_table(data)
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
    far = result.extrapolation(frame)
    if far.size and float(far.max()) > 1:
        _console.warn(
            f"{int((far > 1).sum())} point(s) lie more than a decade outside the fitted range (up to "
            f"{float(far.max()):.1f} decades); extrapolation that far is only as good as the law."
        )
    if out is not None:
        _io.write_table(table, out)
        _console.note(f"wrote {table.height} predictions to {str(out)!r}")
    if json_:
        _console.result(json.dumps([_finite(row) for row in table.to_dicts()], default=str))
    elif out is None:
        _console.result(table.write_csv().rstrip("\n"))


def _finite(row: dict[str, Any]) -> dict[str, Any]:
    """JSON has no NaN or infinity: write them as null."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in row.items()}
