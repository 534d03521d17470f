"""Shared pieces of the tracker adapters: optional imports, long-to-wide reshaping, metadata columns."""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import polars as pl

from scalinglaws.data._rows import plural
from scalinglaws.errors import DataError

OnDuplicate = Literal["error", "last"]
"""What to do when a run logs the same metric twice at one step: raise, or keep the last value logged."""

RESERVED = ("run_id", "step")


def require(module: str, extra: str) -> Any:
    """Import an optional dependency, or raise an ImportError naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"`{module}` is needed for this reader but is not installed. Install it with "
            f"`pip install 'scalinglaws[{extra}]'`."
        ) from exc


def check_on_duplicate(value: object, function: str) -> None:
    if value not in ("error", "last"):
        raise DataError(f"`on_duplicate` of {function} must be 'error' or 'last'. Got {value!r} instead.")


def check_rename(columns: object, function: str) -> dict[str, str]:
    if columns is None:
        return {}
    if not isinstance(columns, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise DataError(
            f"`columns` of {function} must map source names to column names (str -> str). "
            f"Got {columns!r} instead."
        )
    return dict(columns)


def wide_table(
    records: Sequence[tuple[str, int, str, float]],
    *,
    rename: Mapping[str, str],
    on_duplicate: OnDuplicate,
    function: str,
    source: str,
    constants: Sequence[str] = (),
    auto_constants: bool = True,
) -> pl.DataFrame:
    """Turn ``(run_id, step, key, value)`` records into one row per (run_id, step), one column per key.

    Records are in logging order; with ``on_duplicate="last"`` the last of repeated (run, key, step)
    values wins. Missing (run, step, key) combinations are null. Rows are sorted by run_id, then step.

    Run-constant keys (see :func:`constant_keys`) are attached to every row of their run, and rows that
    held nothing but run-constant values are dropped (they are not observations).
    """
    if not records:
        return pl.DataFrame(schema={"run_id": pl.String, "step": pl.Int64})
    long = pl.DataFrame(
        records, schema={"run_id": pl.String, "step": pl.Int64, "key": pl.String, "value": pl.Float64},
        orient="row",
    ).with_row_index("__order")
    keys = list(dict.fromkeys(long.get_column("key").to_list()))
    names = {k: rename.get(k, k) for k in keys}
    check_names(names, function, source)
    dup = long.filter(pl.struct("run_id", "key", "step").is_duplicated())
    if dup.height:
        if on_duplicate == "error":
            firsts = dup.unique(["run_id", "key", "step"], maintain_order=True).head(5)
            shown = ", ".join(f"({r!r}, {k!r}, step {s})" for r, k, s in
                              firsts.select("run_id", "key", "step").iter_rows())
            raise DataError(
                f"{function}: {plural(dup.height, 'value')} of {source} are logged more than once at the "
                f"same step ({shown}{', ...' if dup.height > 5 else ''}); resumed runs usually do this. "
                "Pass `on_duplicate='last'` to keep the value logged last, or clean the run."
            )
        long = long.unique(["run_id", "key", "step"], keep="last", maintain_order=True)
    fixed = constant_keys(long, constants, auto_constants, function, source)
    long = long.with_columns(pl.col("key").replace_strict(names, return_dtype=pl.String))
    wide = long.drop("__order").pivot(on="key", index=["run_id", "step"], values="value")
    wide = wide.select("run_id", "step", *[names[k] for k in keys]).sort(["run_id", "step"])
    return spread_constants(wide, [names[k] for k in keys if k in fixed],
                            [names[k] for k in keys if k not in fixed])


def check_constants(constants: object, function: str) -> tuple[str, ...]:
    if isinstance(constants, str) or not isinstance(constants, Sequence) or not all(
            isinstance(c, str) and c for c in constants):
        raise DataError(
            f"`constants` of {function} must be a list of logged keys. Got {constants!r} instead."
        )
    return tuple(constants)


def constant_keys(
    long: pl.DataFrame, constants: Sequence[str], auto: bool, function: str, source: str
) -> set[str]:
    """The keys of ``long`` (``run_id, step, key, value`` records) that hold one value per run.

    With ``auto``, a key is run-constant when, in every run that logs it, it has a single value and is
    logged at the run's first step (``n_params`` written at step 0, say, and again when a resumed run
    restarts). A value logged only at a later step (a final evaluation, say) stays at its step. Keys in
    ``constants`` are run-constant whatever the steps, and must have a single value in each run.
    """
    present = set(long.get_column("key").unique().to_list())
    missing = [c for c in constants if c not in present]
    if missing:
        raise DataError(
            f"`constants` of {function}: {missing} {'is' if len(missing) == 1 else 'are'} not logged in "
            f"{source}. Logged keys: {sorted(present)[:20]}."
        )
    fixed = set(constants)
    if fixed:
        spread = (long.filter(pl.col("key").is_in(list(fixed)))
                  .group_by("run_id", "key", maintain_order=True)
                  .agg(pl.col("value").unique(maintain_order=True), pl.col("step"))
                  .filter(pl.col("value").list.len() > 1))
        if spread.height:
            run, key, values, steps = spread.row(0)
            raise DataError(
                f"`constants` of {function}: key {key!r} has {len(values)} different values in run "
                f"{run!r} ({values[:5]} at steps {steps[:5]}), so it is not constant in that run. Leave it "
                "out of `constants` to keep one value per step."
            )
    if auto:
        first = pl.col("step").min().over("run_id")
        per_run = (long.with_columns((pl.col("step") == first).alias("__first"))
                   .group_by("run_id", "key")
                   .agg(pl.col("value").n_unique().alias("__n"), pl.col("__first").any()))
        per_key = per_run.group_by("key").agg(((pl.col("__n") == 1) & pl.col("__first")).all().alias("__ok"))
        fixed |= set(per_key.filter(pl.col("__ok")).get_column("key").to_list())
    return fixed


def spread_constants(wide: pl.DataFrame, fixed: Sequence[str], varying: Sequence[str]) -> pl.DataFrame:
    """Copy each run's value of the ``fixed`` columns to all its rows; then drop rows that have a value
    only in ``fixed`` columns (kept when a run has nothing else, or when there are no ``varying``)."""
    if not fixed:
        return wide
    wide = wide.with_columns(pl.col(c).drop_nulls().first().over("run_id") for c in fixed)
    if not varying:
        return wide
    observed = pl.any_horizontal(pl.col(c).is_not_null() for c in varying)
    return wide.filter(observed | ~observed.any().over("run_id"))


def check_names(names: Mapping[str, str], function: str, source: str) -> None:
    """Refuse renamings that collide with each other or with ``run_id``/``step``."""
    seen: dict[str, str] = {}
    for key, name in names.items():
        if name in RESERVED:
            raise DataError(
                f"{function}: {source} key {key!r} would become column `{name}`, which is reserved. "
                f"Rename it with `columns={{{key!r}: 'other_name'}}`."
            )
        if name in seen:
            raise DataError(
                f"{function}: {source} keys {seen[name]!r} and {key!r} would both become column `{name}`. "
                "Rename one of them with `columns=`."
            )
        seen[name] = key


def metadata_table(rows: Mapping[str, Mapping[str, Any]], rename: Mapping[str, str]) -> pl.DataFrame:
    """One row per run_id from ``{run_id: {name: value}}``, one typed column per name.

    A column whose values are all numbers (int/float, not bool) is Float64 (Int64 if all ints); all
    booleans give Boolean; strings that all parse as numbers give Float64; anything else is kept as
    text (JSON for lists and dicts). Missing entries are null.
    """
    run_ids = list(rows)
    names = list(dict.fromkeys(k for meta in rows.values() for k in meta))
    series = [pl.Series("run_id", run_ids, dtype=pl.String)]
    for name in names:
        values = [rows[r].get(name) for r in run_ids]
        series.append(typed_series(rename.get(name, name), values))
    return pl.DataFrame(series)


def typed_series(name: str, values: Sequence[Any]) -> pl.Series:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pl.Series(name, values, dtype=pl.Boolean)
    if present and all(isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63
                       for v in present):
        return pl.Series(name, values, dtype=pl.Int64)
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pl.Series(name, [None if v is None else float(v) for v in values], dtype=pl.Float64)
    if present and all(isinstance(v, str) for v in present):
        parsed = [parse_number(v) for v in present]
        if all(p is not None for p in parsed):
            return pl.Series(name, [None if v is None else parse_number(v) for v in values],
                             dtype=pl.Float64)
    return pl.Series(name, [None if v is None else to_text(v) for v in values], dtype=pl.String)


def parse_number(text: str) -> float | None:
    """``float(text)`` for plain decimal numbers (also 'nan'/'inf' spellings), else None."""
    stripped = text.strip()
    if not stripped or stripped.lower() in ("true", "false") or "_" in stripped:
        return None
    try:
        return float(stripped)
    except ValueError:
        return None


def to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def scalar_value(value: Any) -> float | None:
    """A logged scalar as float, or None when the value is not a number (images, tables, text).

    W&B encodes non-finite floats as the strings 'NaN', 'Infinity' and '-Infinity'; these become floats.
    """
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[value]
    return None


def join_metadata(wide: pl.DataFrame, meta: pl.DataFrame, function: str) -> pl.DataFrame:
    """Left-join run metadata onto the metric rows, refusing column-name clashes."""
    clash = [c for c in meta.columns if c != "run_id" and c in wide.columns]
    if clash:
        raise DataError(
            f"{function}: run metadata and logged metrics both have column(s) {clash}. Rename one side "
            "with `columns=` or leave metadata out."
        )
    if wide.height == 0:
        return meta
    return wide.join(meta, on="run_id", how="left", maintain_order="left")


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; keys starting with ``_`` are tracker internals and skipped."""
    out: dict[str, Any] = {}
    for raw_key, value in config.items():
        key = str(raw_key)
        if key.startswith("_"):
            continue
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def unique_in_order(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
