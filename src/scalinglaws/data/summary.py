"""Summarise a runs table: which scales it covers, how many runs and checkpoints per run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from scalinglaws.data._rows import is_numeric
from scalinglaws.errors import DataError

__all__ = ["RunsSummary", "describe_runs"]

_RANGE_COLUMNS = ("n_params", "n_tokens", "n_unique_tokens", "flops", "step", "lr")


@dataclass(frozen=True)
class RunsSummary:
    """What :func:`describe_runs` found.

    Attributes
    ----------
    n_rows
        Rows in the table.
    n_runs
        Distinct ``run_id`` values (None without a ``run_id`` column).
    n_groups
        Distinct ``group`` values (None without a ``group`` column).
    checkpoints_per_run
        ``{"min", "median", "max"}`` rows per run (None without ``run_id``).
    ranges
        ``{column: {"min", "max", "n_missing"}}`` for the scale columns present and the target; min and
        max ignore missing and non-finite values (None when no value is finite).
    conventions
        Distinct values of ``n_params_convention`` and ``flops_convention`` when present.
    columns
        All column names.
    """

    n_rows: int
    n_runs: int | None
    n_groups: int | None
    checkpoints_per_run: Mapping[str, float] | None
    ranges: Mapping[str, Mapping[str, float | int | None]]
    conventions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    columns: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        return {
            "n_rows": self.n_rows,
            "n_runs": self.n_runs,
            "n_groups": self.n_groups,
            "checkpoints_per_run": None if self.checkpoints_per_run is None else dict(self.checkpoints_per_run),
            "ranges": {k: dict(v) for k, v in self.ranges.items()},
            "conventions": {k: list(v) for k, v in self.conventions.items()},
            "columns": list(self.columns),
        }


def describe_runs(df: pl.DataFrame, *, target: str = "loss") -> RunsSummary:
    """Summarise ``df``: rows, runs, checkpoints per run and the range of each scale column.

    Works on any table (it does not validate): absent columns are simply not reported.

    Parameters
    ----------
    df
        Runs table.
    target
        Metric column whose range is reported too.

    Returns
    -------
    RunsSummary

    Raises
    ------
    DataError
        If ``df`` is not a polars DataFrame.

    Examples
    --------
    >>> import polars as pl
    >>> s = describe_runs(pl.DataFrame({"run_id": ["a", "a", "b"], "n_params": [1e6, 1e6, 4e6],
    ...                                 "loss": [3.0, 2.9, 2.7]}))
    >>> s.n_runs, s.ranges["n_params"]["max"]
    (2, 4000000.0)
    """
    if not isinstance(df, pl.DataFrame):
        raise DataError(f"`df` of describe_runs must be a polars DataFrame. Got {type(df).__name__} instead.")
    n_runs = per_run = None
    if "run_id" in df.columns:
        counts = df.group_by("run_id").len().get_column("len").cast(pl.Float64)
        n_runs = counts.len()
        if n_runs:
            per_run = {"min": float(counts.min()), "median": float(counts.median()),  # type: ignore[arg-type]
                       "max": float(counts.max())}  # type: ignore[arg-type]
    n_groups = df.get_column("group").n_unique() if "group" in df.columns else None
    ranges: dict[str, dict[str, float | int | None]] = {}
    for name in (*_RANGE_COLUMNS, target):
        if name in df.columns and name not in ranges and is_numeric(df.schema[name]):
            v = df.get_column(name).cast(pl.Float64)
            finite = v.filter(v.is_finite())
            ranges[name] = {
                "min": float(finite.min()) if finite.len() else None,  # type: ignore[arg-type]
                "max": float(finite.max()) if finite.len() else None,  # type: ignore[arg-type]
                "n_missing": int(df.height - finite.len()),
            }
    conventions: dict[str, tuple[str, ...]] = {
        c: tuple(str(x) for x in df.get_column(c).cast(pl.String).drop_nulls().unique().sort())
        for c in ("n_params_convention", "flops_convention") if c in df.columns
    }
    return RunsSummary(n_rows=df.height, n_runs=n_runs, n_groups=n_groups, checkpoints_per_run=per_run,
                       ranges=ranges, conventions=conventions, columns=tuple(df.columns))
