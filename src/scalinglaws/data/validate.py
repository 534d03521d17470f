"""Check a runs table against the schema, listing every bad row instead of fixing it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from scalinglaws.data._rows import bad_rows, describe_rows, is_id_dtype, is_numeric, plural, suggest
from scalinglaws.data.schema import COLUMNS, ColumnSpec, unique_key
from scalinglaws.errors import DataError, MissingColumnError, SchemaError

__all__ = ["RunProblem", "check_runs", "validate_runs"]

ProblemKind = Literal["missing", "schema", "value"]


@dataclass(frozen=True)
class RunProblem:
    """One problem found by :func:`check_runs`.

    Attributes
    ----------
    column
        The column concerned (for a duplicate key, the key columns joined by ``", "``).
    rule
        Short identifier of the broken rule, e.g. ``"not_positive"`` or ``"duplicate_key"``.
    kind
        ``"missing"`` (column absent), ``"schema"`` (wrong dtype) or ``"value"`` (bad rows).
    n_rows
        Number of bad rows (0 for missing columns and dtype problems).
    rows
        Up to five 0-based indices of bad rows.
    values
        The offending values of those rows, when meaningful.
    message
        One sentence naming the column, the rows and the rule.
    fix
        How to fix it.
    """

    column: str
    rule: str
    kind: ProblemKind
    message: str
    fix: str
    n_rows: int = 0
    rows: tuple[int, ...] = ()
    values: tuple[Any, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {
            "column": self.column,
            "rule": self.rule,
            "kind": self.kind,
            "n_rows": self.n_rows,
            "rows": list(self.rows),
            "values": [_jsonable(v) for v in self.values],
            "message": self.message,
            "fix": self.fix,
        }

    def __str__(self) -> str:
        return f"{self.message} Fix: {self.fix}"


def _jsonable(value: Any) -> Any:
    # Non-finite floats stay floats: every JSON writer encodes them the one way (scalinglaws.data.strict_json).
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


def check_runs(
    df: pl.DataFrame,
    *,
    target: str = "loss",
    metrics: Sequence[str] = (),
    require: Sequence[str] = (),
) -> tuple[RunProblem, ...]:
    """Return every problem of ``df`` as a runs table (an empty tuple when it is valid).

    The rules are those of :data:`scalinglaws.data.schema.COLUMNS` for the canonical columns present, plus:
    ``target`` and each of ``metrics`` must be finite numbers with no missing values; the columns in
    ``require`` must exist; the key of :func:`scalinglaws.data.schema.unique_key` (``(run_id, step)``
    for tracker tables) must be unique;
    ``n_unique_tokens <= n_tokens``; each convention column holds one value for the whole table; and the
    table must have at least one row. Other columns are free-form and not checked.

    Parameters
    ----------
    df
        The runs table.
    target
        The column the law will be fitted to.
    metrics
        Further metric columns that must be finite and present.
    require
        Further columns that must exist (for example the inputs of a law).

    Returns
    -------
    tuple of RunProblem
        In column order; empty when ``df`` is a valid runs table.

    Raises
    ------
    DataError
        If ``df`` is not a polars DataFrame.

    Examples
    --------
    >>> import polars as pl
    >>> problems = check_runs(pl.DataFrame({"n_params": [1e6, 0.0], "loss": [3.0, 2.9]}))
    >>> [p.rule for p in problems]
    ['not_positive']
    """
    if not isinstance(df, pl.DataFrame):
        raise DataError(
            f"`df` of check_runs must be a polars DataFrame. Got {type(df).__name__} instead. "
            "Read files and other frames with `scalinglaws.data.read_runs`."
        )
    problems: list[RunProblem] = []
    required = _unique([target, *metrics, *require])
    for name in required:
        if name not in df.columns:
            near = suggest(name, df.columns)
            hint = f" Similar columns: {near}." if near else ""
            rename = (
                f"rename it, e.g. `df.rename({{{near[0]!r}: {name!r}}})`"
                if near else f"add a `{name}` column"
            )
            problems.append(RunProblem(
                column=name, rule="missing_column", kind="missing",
                message=f"column `{name}` is missing (columns: {sorted(df.columns)}).{hint}",
                fix=f"{rename}, or choose another column with `target=`/`require=`.",
            ))
    if df.height == 0:
        problems.append(RunProblem(
            column="*", rule="empty", kind="value",
            message="the table has no rows.", fix="check the source file or the filters applied before.",
        ))
    metric_names = {target, *metrics}
    for name in df.columns:
        spec = COLUMNS.get(name)
        if name in metric_names and (spec is None or spec.kind == "metric"):
            spec = ColumnSpec(name, "metric", "", "fit target or metric")
        if spec is not None:
            problems.extend(_check_column(df, spec))
    problems.extend(_check_key(df))
    problems.extend(_check_unique_tokens(df))
    return tuple(problems)


def validate_runs(
    df: pl.DataFrame,
    *,
    target: str = "loss",
    metrics: Sequence[str] = (),
    require: Sequence[str] = (),
) -> pl.DataFrame:
    """Return ``df`` unchanged if it is a valid runs table, else raise listing every problem.

    Nothing is dropped, cast or corrected: the returned object is ``df`` itself. See :func:`check_runs`
    for the rules and the parameters.

    Returns
    -------
    polars.DataFrame
        ``df``, unchanged.

    Raises
    ------
    MissingColumnError
        If ``target``, a metric or a required column is absent (other problems are listed too).
    SchemaError
        If a canonical column has the wrong dtype (other problems are listed too).
    DataError
        If ``df`` is not a polars DataFrame, or if rows break a rule: each problem names the column, the
        number of bad rows, up to five row indices and values, and the fix.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"run_id": ["a", "a"], "step": [1, 2], "loss": [3.1, 2.9]})
    >>> validate_runs(df) is df
    True
    """
    problems = check_runs(df, target=target, metrics=metrics, require=require)
    if not problems:
        return df
    raise _error(problems)


def _error(problems: Sequence[RunProblem]) -> DataError:
    kinds = {p.kind for p in problems}
    cls: type[DataError] = (
        MissingColumnError if "missing" in kinds else SchemaError if "schema" in kinds else DataError
    )
    lines = "\n".join(f"  - {p}" for p in problems)
    return cls(f"`df` of validate_runs is not a valid runs table: {plural(len(problems), 'problem')}.\n"
               f"{lines}")


def _unique(names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        if n not in out:
            out.append(n)
    return out


_DTYPE_FIX = (
    "cast it explicitly, e.g. `df.with_columns(pl.col({name!r}).cast(pl.Float64))`, after checking "
    "for text such as '1.2B' or thousands separators."
)


def _check_column(df: pl.DataFrame, spec: ColumnSpec) -> list[RunProblem]:
    name = spec.name
    dtype = df.schema[name]
    col = pl.col(name)
    out: list[RunProblem] = []

    def value_problem(rule: str, mask: pl.Expr, what: str, fix: str, show: bool = True) -> None:
        n, rows, values = bad_rows(df, mask, name if show else None)
        if n:
            out.append(RunProblem(
                column=name, rule=rule, kind="value", n_rows=n, rows=tuple(rows), values=tuple(values),
                message=f"column `{name}` {what} in {describe_rows(n, rows, values)}.", fix=fix,
            ))

    if dtype == pl.Null:  # every value missing; no dtype to check
        if not spec.nullable and df.height:
            value_problem("null", col.is_null(), "is empty (every value missing)",
                          f"fill `{name}` from the source, or drop the column if it is not needed.", False)
        return out
    if not spec.nullable:
        value_problem("null", col.is_null(), "is missing",
                      f"drop those rows explicitly with `drop_missing(df, [{name!r}])`, or fill the "
                      "values from the source.", False)

    kind = spec.kind
    if kind in ("id", "label"):
        ok = is_id_dtype(dtype) or (kind == "label" and dtype == pl.Boolean)
        if not ok:
            out.append(_dtype_problem(name, dtype, "a string or integer identifier",
                                      f"cast it, e.g. `df.with_columns(pl.col({name!r}).cast(pl.String))`."))
        return out
    if kind == "convention":
        if not (dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)):
            out.append(_dtype_problem(name, dtype, f"a string, one of {list(spec.allowed)}",
                                      f"write the convention as text, one of {list(spec.allowed)}."))
            return out
        text = col.cast(pl.String)
        value_problem("not_allowed", text.is_not_null() & ~text.is_in(list(spec.allowed)),
                      f"is not one of {list(spec.allowed)}",
                      "use one of the documented conventions (see `scalinglaws.data.schema`).")
        counts = (df.select(text.alias("v")).drop_nulls().group_by("v").len()
                  .sort(["len", "v"], descending=[True, False]))
        if counts.height > 1:
            majority = counts.item(0, "v")
            pairs = ", ".join(f"{v!r}: {plural(n, 'row')}" for v, n in counts.iter_rows())
            n, rows, values = bad_rows(df, text.is_not_null() & (text != majority), name)
            out.append(RunProblem(
                column=name, rule="mixed_convention", kind="value", n_rows=n, rows=tuple(rows),
                values=tuple(values),
                message=f"column `{name}` mixes conventions ({pairs}): it differs from the most common "
                        f"{majority!r} in {describe_rows(n, rows, values)}.",
                fix="convert every row to one convention with `scalinglaws.data.accounting`, or filter "
                    f"the rows explicitly, e.g. `df.filter(pl.col({name!r}) == {majority!r})`.",
            ))
        return out

    # numeric kinds: step, count, real, metric
    if not is_numeric(dtype):
        out.append(_dtype_problem(name, dtype, "numeric", _DTYPE_FIX.format(name=name)))
        return out
    v = col.cast(pl.Float64)
    if dtype.is_float() or dtype == pl.Decimal:
        value_problem("nan", v.is_nan(), "is NaN",
                      "NaN usually marks a diverged run or a failed evaluation: drop those rows "
                      f"explicitly, e.g. `df.filter(pl.col({name!r}).is_not_nan())`, or fix the export.")
        value_problem("infinite", v.is_infinite(), "is infinite",
                      "drop those rows explicitly, e.g. "
                      f"`df.filter(pl.col({name!r}).is_finite())`, or fix the export.")
    finite = v.is_finite()
    if kind == "count":
        fix = (f"counts must be > 0; drop the rows explicitly, e.g. `df.filter(pl.col({name!r}) > 0)`"
               + (", or drop early checkpoints with `drop_first_fraction`/`drop_before`"
                  if name in ("n_tokens", "flops") else "")
               + ".")
        value_problem("not_positive", finite & (v <= 0), "is not positive", fix)
    elif kind == "step":
        value_problem("negative", finite & (v < 0), "is negative", "steps count from 0; check the export.")
        if dtype.is_float() or dtype == pl.Decimal:
            value_problem("not_integer", finite & (v != v.floor()), "is not a whole number",
                          "steps are whole numbers; check the export (a step column holding tokens or "
                          "epochs should be renamed).")
    elif kind == "real" and spec.lower is not None:
        value_problem("below_lower", finite & (v < spec.lower), f"is below {spec.lower:g}",
                      "check the export or the unit of the column.")
    return out


def _dtype_problem(name: str, dtype: pl.DataType, expected: str, fix: str) -> RunProblem:
    return RunProblem(
        column=name, rule="dtype", kind="schema",
        message=f"column `{name}` must be {expected}. Got dtype {dtype} instead.", fix=fix,
    )


def _check_key(df: pl.DataFrame) -> list[RunProblem]:
    key = list(unique_key(df.columns))
    if not key or df.height == 0:
        return []
    n, rows, _ = bad_rows(df, pl.struct(key).is_duplicated())
    if not n:
        return []
    shown = df.with_row_index("__r").filter(pl.col("__r").is_in(rows)).select(key).rows()
    values = tuple(r if len(r) > 1 else r[0] for r in shown)
    names = ", ".join(key)
    fix = (
        f"each ({names}) must appear once. Resumed runs log the same steps twice: keep one explicitly, "
        f"e.g. `df.unique({key!r}, keep='last', maintain_order=True)`, or give restarts distinct run ids."
        if len(key) > 1 else
        "each run must appear once; add a `step` or `n_tokens` column for checkpoint tables, or give the "
        "runs distinct ids."
    )
    return [RunProblem(
        column=names, rule="duplicate_key", kind="value", n_rows=n, rows=tuple(rows), values=values,
        message=f"key ({names}) is duplicated in {describe_rows(n, rows, values)}.", fix=fix,
    )]


def _check_unique_tokens(df: pl.DataFrame) -> list[RunProblem]:
    cols = ("n_unique_tokens", "n_tokens")
    if not all(c in df.columns and is_numeric(df.schema[c]) for c in cols):
        return []
    u, d = (pl.col(c).cast(pl.Float64) for c in cols)
    n, rows, values = bad_rows(df, u.is_finite() & d.is_finite() & (u > d), "n_unique_tokens")
    if not n:
        return []
    return [RunProblem(
        column="n_unique_tokens", rule="unique_exceeds_total", kind="value", n_rows=n, rows=tuple(rows),
        values=tuple(values),
        message=f"column `n_unique_tokens` exceeds `n_tokens` of the same row in "
                f"{describe_rows(n, rows, values)}.",
        fix="a run cannot see more distinct tokens than tokens; check whether the columns were swapped.",
    )]
