"""Helpers shared by the data modules: locating bad rows and formatting them for messages."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from scalinglaws.errors import DataError, SchemaError

MAX_SHOWN = 5
"""How many row indices or values an error message lists."""

_ROW = "__scalinglaws_row__"


def bad_rows(df: pl.DataFrame, mask: pl.Expr, column: str | None = None) -> tuple[int, list[int], list[Any]]:
    """Return (count, first row indices, their values of ``column``) of the rows where ``mask`` is true.

    Rows where ``mask`` evaluates to null are not counted.
    """
    selected = df.with_row_index(_ROW).filter(mask.fill_null(False))
    n = selected.height
    head = selected.head(MAX_SHOWN)
    rows = [int(i) for i in head.get_column(_ROW)]
    values = list(head.get_column(column)) if column is not None else []
    return n, rows, values


def describe_rows(n: int, rows: Sequence[int], values: Sequence[Any] = ()) -> str:
    """``"3 rows (rows 0, 4, 7; values 0.0, -1.0, nan)"``, ``"1 row (row 2; value 0.0)"``."""
    noun = "row" if n == 1 else "rows"
    shown = ", ".join(str(r) for r in rows)
    more = ", ..." if n > len(rows) else ""
    text = f"{n:,} {noun} (row{'s' if n != 1 else ''} {shown}{more}"
    if values:
        text += f"; value{'s' if n != 1 else ''} " + ", ".join(_short(v) for v in values) + more
    return text + ")"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def suggest(name: str, candidates: Iterable[str]) -> list[str]:
    """Column names that look like ``name``, best first: same name in another case, same last segment
    (``train/loss`` for ``loss``), containing it, then close spellings."""
    target = name.lower()
    pool = [c for c in candidates if c != name]
    ranked = [
        [c for c in pool if c.lower() == target],
        [c for c in pool if re.split(r"[/.:\- ]", c.lower())[-1] == target],
        [c for c in pool if target in c.lower()],
        difflib.get_close_matches(name, pool, n=3, cutoff=0.8),
    ]
    out: list[str] = []
    for group in ranked:
        for c in group:
            if c not in out:
                out.append(c)
    return out[:3]


def plural(n: int, word: str) -> str:
    """``"1 row"``, ``"2 rows"`` with thousands separators."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def is_real(value: object) -> bool:
    """A finite int or float (not bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_numeric(dtype: pl.DataType) -> bool:
    """Integer, float or decimal (not boolean)."""
    return bool(dtype.is_numeric())


def is_id_dtype(dtype: pl.DataType) -> bool:
    """String, categorical, enum or integer."""
    return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum) or dtype.is_integer()


def finite_column(df: pl.DataFrame, function: str, column: str, fix: str) -> pl.Expr:
    """``column`` as a float expression, after checking it is numeric and finite in every row.

    ``fix`` ends the message about bad rows (what happens to them and how to remove them).

    Raises
    ------
    SchemaError
        If the column is not numeric.
    DataError
        If some rows are missing or not finite; the message lists them.
    """
    dtype = df.schema[column]
    if not is_numeric(dtype):
        raise SchemaError(
            f"column `{column}` used by {function} must be numeric. Got dtype {dtype} instead. "
            f"Cast it explicitly, e.g. `df.with_columns(pl.col({column!r}).cast(pl.Float64))`."
        )
    v = pl.col(column).cast(pl.Float64)
    n, rows, values = bad_rows(df, v.is_null() | ~v.is_finite(), column)
    if n:
        raise DataError(
            f"column `{column}` used by {function}: {describe_rows(n, rows, values)} are missing or not "
            f"finite{fix}"
        )
    return v
