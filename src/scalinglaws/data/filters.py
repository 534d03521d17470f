"""Explicit row filters for runs tables, each returning the new frame and a record of what it did.

Every filter is a pure function ``f(df, ...) -> (new_df, record)``. ``record`` is one short sentence
(how many rows were removed, out of how many, and why) meant to be stored with a fit as provenance::

    df, r1 = drop_warmup(df, warmup_steps=2000)
    df, r2 = drop_first_fraction(df, 0.1)
    result = fit(df, "chinchilla", provenance=[r1, r2])

A filter never drops a row for a reason it does not report: rows whose filter column is missing or not
finite raise :class:`~scalinglaws.errors.DataError` instead of being dropped quietly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from scalinglaws.data._rows import (
    bad_rows,
    describe_rows,
    finite_column,
    is_real,
    plural,
)
from scalinglaws.errors import DataError, MissingColumnError

__all__ = ["drop_before", "drop_first_fraction", "drop_missing", "drop_warmup", "keep_final"]

Filtered = tuple[pl.DataFrame, str]


def _need(df: pl.DataFrame, function: str, columns: Sequence[str], fix: str = "") -> None:
    if not isinstance(df, pl.DataFrame):
        raise DataError(
            f"`df` of {function} must be a polars DataFrame. Got {type(df).__name__} instead. "
            "Read it with `scalinglaws.data.read_runs`."
        )
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise MissingColumnError(
            f"{function} needs column(s) {missing}, which `df` does not have (columns: "
            f"{sorted(df.columns)}).{' ' + fix if fix else ''}"
        )


def _need_finite(df: pl.DataFrame, function: str, column: str) -> None:
    finite_column(
        df, function, column,
        ", so they can be neither kept nor dropped by this filter. Drop them explicitly first with "
        f"`drop_missing(df, [{column!r}])` or `df.filter(pl.col({column!r}).is_finite())`.",
    )


def _need_ids(df: pl.DataFrame, function: str) -> None:
    n, rows, _ = bad_rows(df, pl.col("run_id").is_null())
    if n:
        raise DataError(
            f"column `run_id` used by {function}: {describe_rows(n, rows)} are missing, so their run is "
            "unknown. Fill or drop them explicitly first."
        )


_RUN_FIX = "Add a `run_id` column, e.g. `df.with_columns(run_id=pl.lit('run'))` for a single run."


def _removed(before: int, after: int) -> str:
    return f"removed {plural(before - after, 'row')} of {before:,}"


def keep_final(df: pl.DataFrame, *, by: str = "step") -> Filtered:
    """Keep only the final checkpoint of each run: the row with the largest ``by`` per ``run_id``.

    Parameters
    ----------
    df
        Runs table with ``run_id`` and ``by``.
    by
        Column that orders checkpoints within a run (``"step"``, ``"n_tokens"`` or ``"flops"``).

    Returns
    -------
    (polars.DataFrame, str)
        The rows kept, in their original order, and a provenance record.

    Raises
    ------
    MissingColumnError
        If ``run_id`` or ``by`` is absent.
    SchemaError
        If ``by`` is not numeric.
    DataError
        If ``run_id`` or ``by`` has missing or non-finite values, or a run has several rows at its
        largest ``by`` (so "final" is ambiguous).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"run_id": ["a", "a", "b"], "step": [1, 2, 5], "loss": [3.0, 2.5, 2.7]})
    >>> out, record = keep_final(df)
    >>> out["step"].to_list(), record
    ([2, 5], 'keep_final(by=step): kept the final checkpoint of each of 2 runs; removed 1 row of 3.')
    """
    _need(df, "keep_final", ["run_id", by], _RUN_FIX)
    _need_ids(df, "keep_final")
    _need_finite(df, "keep_final", by)
    is_last = pl.col(by) == pl.col(by).max().over("run_id")
    ties = df.filter(is_last).group_by("run_id").len().filter(pl.col("len") > 1)
    if ties.height:
        examples = ", ".join(repr(r) for r in ties.get_column("run_id").head(5))
        raise DataError(
            f"keep_final: {plural(ties.height, 'run')} ({examples}) have several rows at their largest "
            f"`{by}`, so the final checkpoint is ambiguous. Remove duplicate checkpoints explicitly first "
            "(see `validate_runs`)."
        )
    out = df.filter(is_last)
    n_runs = out.height
    return out, (
        f"keep_final(by={by}): kept the final checkpoint of each of {plural(n_runs, 'run')}; "
        f"{_removed(df.height, out.height)}."
    )


def drop_first_fraction(df: pl.DataFrame, fraction: float, *, by: str = "n_tokens") -> Filtered:
    """Drop each run's checkpoints from the first ``fraction`` of its training.

    A row is dropped when ``by < fraction * max(by)`` over its run. Early checkpoints sit in a transient
    regime that distorts fits; *A Hitchhiker's Guide to Scaling Law Estimation* (Choshen et al. 2025)
    recommends leaving them out.

    Parameters
    ----------
    df
        Runs table with ``run_id`` and ``by``.
    fraction
        In ``[0, 1)``; ``0.1`` drops checkpoints before 10 % of each run's final ``by``.
    by
        Progress column: ``"n_tokens"`` (default), ``"step"`` or ``"flops"``.

    Returns
    -------
    (polars.DataFrame, str)
        The rows kept, in their original order, and a provenance record.

    Raises
    ------
    DataError
        If ``fraction`` is not in ``[0, 1)``, or ``run_id``/``by`` has missing or non-finite values.
    MissingColumnError
        If ``run_id`` or ``by`` is absent.
    SchemaError
        If ``by`` is not numeric.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"run_id": ["a"] * 4, "n_tokens": [1e8, 5e8, 1e9, 2e9],
    ...                    "loss": [4.0, 3.0, 2.8, 2.6]})
    >>> out, record = drop_first_fraction(df, 0.25)
    >>> out["n_tokens"].to_list()
    [500000000.0, 1000000000.0, 2000000000.0]
    """
    if not (is_real(fraction) and 0 <= fraction < 1):
        raise DataError(
            f"`fraction` of drop_first_fraction must be a number in [0, 1). Got {fraction!r} instead. "
            "Write 10 % as 0.1."
        )
    _need(df, "drop_first_fraction", ["run_id", by], _RUN_FIX)
    _need_ids(df, "drop_first_fraction")
    _need_finite(df, "drop_first_fraction", by)
    v = pl.col(by).cast(pl.Float64)
    out = df.filter(v >= fraction * v.max().over("run_id"))
    return out, (
        f"drop_first_fraction(fraction={fraction:g}, by={by}): {_removed(df.height, out.height)} whose "
        f"`{by}` is below {fraction:.0%} of their run's final `{by}`."
    )


def drop_before(df: pl.DataFrame, threshold: float, *, by: str = "n_tokens") -> Filtered:
    """Drop every checkpoint with ``by < threshold``, e.g. all checkpoints before 10B tokens.

    *A Hitchhiker's Guide to Scaling Law Estimation* (Choshen et al. 2025) reports that dropping
    checkpoints before about 1e10 tokens markedly lowers extrapolation error.

    Parameters
    ----------
    df
        Runs table with ``by``.
    threshold
        Rows with ``by`` strictly below it are dropped.
    by
        ``"n_tokens"`` (default), ``"step"`` or ``"flops"``.

    Returns
    -------
    (polars.DataFrame, str)
        The rows kept, in their original order, and a provenance record.

    Raises
    ------
    DataError
        If ``threshold`` is not a finite number, or ``by`` has missing or non-finite values.
    MissingColumnError
        If ``by`` is absent.
    SchemaError
        If ``by`` is not numeric.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"n_tokens": [1e9, 2e10], "loss": [3.0, 2.5]})
    >>> drop_before(df, 1e10)[1]
    'drop_before(threshold=1e+10, by=n_tokens): removed 1 row of 2 with `n_tokens` < 1e+10.'
    """
    if not is_real(threshold):
        raise DataError(f"`threshold` of drop_before must be a finite number. Got {threshold!r} instead.")
    _need(df, "drop_before", [by])
    _need_finite(df, "drop_before", by)
    out = df.filter(pl.col(by).cast(pl.Float64) >= threshold)
    return out, (
        f"drop_before(threshold={threshold:g}, by={by}): {_removed(df.height, out.height)} with "
        f"`{by}` < {threshold:g}."
    )


def drop_warmup(
    df: pl.DataFrame, warmup_steps: int | Mapping[str, int] | None = None
) -> Filtered:
    """Drop the checkpoints taken during learning-rate warm-up.

    Parameters
    ----------
    df
        Runs table with ``run_id`` and ``step`` (and ``lr`` when ``warmup_steps`` is None).
    warmup_steps
        Number of warm-up steps: one int for every run, or a mapping ``run_id -> steps`` that covers every
        run. Rows with ``step < warmup_steps`` are dropped. When None, the warm-up of each run is read
        from its ``lr`` column: rows before the first checkpoint at the run's peak learning rate are
        dropped.

    Returns
    -------
    (polars.DataFrame, str)
        The rows kept, in their original order, and a provenance record.

    Raises
    ------
    DataError
        If ``warmup_steps`` is negative or misses runs, or the columns used hold missing or non-finite
        values.
    MissingColumnError
        If ``run_id``, ``step`` or (with ``warmup_steps=None``) ``lr`` is absent.
    SchemaError
        If ``step`` or ``lr`` is not numeric.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"run_id": ["a"] * 3, "step": [0, 100, 200], "lr": [1e-4, 1e-3, 5e-4],
    ...                    "loss": [5.0, 3.0, 2.8]})
    >>> drop_warmup(df)[0]["step"].to_list()
    [100, 200]
    """
    needed = ["run_id", "step"] + (["lr"] if warmup_steps is None else [])
    _need(df, "drop_warmup", needed, _RUN_FIX)
    _need_ids(df, "drop_warmup")
    _need_finite(df, "drop_warmup", "step")
    step = pl.col("step").cast(pl.Float64)
    if warmup_steps is None:
        _need_finite(df, "drop_warmup", "lr")
        lr = pl.col("lr").cast(pl.Float64)
        peak_step = step.filter(lr == lr.max()).min().over("run_id")
        out = df.filter(step >= peak_step)
        how = "before each run's first checkpoint at its peak `lr`"
        label = "warmup_steps=from lr"
    elif isinstance(warmup_steps, Mapping):
        runs = df.get_column("run_id").unique().to_list()
        missing = [r for r in runs if r not in warmup_steps]
        if missing:
            raise DataError(
                f"`warmup_steps` of drop_warmup has no entry for {plural(len(missing), 'run')} "
                f"({missing[:5]!r}). Give every run a warm-up length (0 for none)."
            )
        for run, steps in warmup_steps.items():
            _check_steps(steps, f"warmup_steps[{run!r}]")
        thresholds = pl.Series(
            [float(warmup_steps[r]) for r in df.get_column("run_id").to_list()], dtype=pl.Float64
        )
        out = df.filter(df.get_column("step").cast(pl.Float64) >= thresholds)
        how = "inside their run's warm-up"
        label = "warmup_steps=per run"
    else:
        _check_steps(warmup_steps, "warmup_steps")
        out = df.filter(step >= warmup_steps)
        how = f"with `step` < {warmup_steps}"
        label = f"warmup_steps={warmup_steps}"
    return out, f"drop_warmup({label}): {_removed(df.height, out.height)} {how}."


def _check_steps(steps: object, name: str) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise DataError(f"`{name}` of drop_warmup must be an int >= 0. Got {steps!r} instead.")


def drop_missing(df: pl.DataFrame, columns: Sequence[str]) -> Filtered:
    """Drop the rows where any of ``columns`` is missing, NaN or infinite.

    Useful after importing from a tracker, where metrics logged at different steps leave gaps.

    Parameters
    ----------
    df
        Any table.
    columns
        Columns that must hold a (finite, for numeric columns) value.

    Returns
    -------
    (polars.DataFrame, str)
        The rows kept, in their original order, and a provenance record naming the count per column.

    Raises
    ------
    DataError
        If ``columns`` is empty or a single string.
    MissingColumnError
        If a column is absent.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"step": [1, 2, 3], "loss": [3.0, None, float("nan")]})
    >>> drop_missing(df, ["loss"])[1]
    'drop_missing(loss): removed 2 rows of 3 (loss: 2).'
    """
    if isinstance(columns, str) or not columns:
        raise DataError(
            f"`columns` of drop_missing must be a non-empty list of column names. Got {columns!r} "
            "instead. Write one column as a list: `drop_missing(df, ['loss'])`."
        )
    _need(df, "drop_missing", list(columns))
    bad_exprs = []
    counts = []
    for c in columns:
        dtype = df.schema[c]
        bad = pl.col(c).is_null()
        if dtype.is_float() or dtype == pl.Decimal:
            bad = bad | ~pl.col(c).cast(pl.Float64).is_finite()
        bad_exprs.append(bad)
        counts.append(f"{c}: {df.select(bad.sum()).item():,}")
    out = df.filter(~pl.any_horizontal(bad_exprs))
    return out, f"drop_missing({', '.join(columns)}): {_removed(df.height, out.height)} ({'; '.join(counts)})."
