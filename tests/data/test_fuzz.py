"""Hypothesis fuzzing of the readers, the validator, the filters and the W&B export reader.

Every malformed input must end in a ``DataError`` (or a documented result), never another exception,
and no input row may ever be changed.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from scalinglaws.data import (
    check_runs,
    drop_first_fraction,
    drop_missing,
    drop_warmup,
    keep_final,
    read_runs,
    validate_runs,
)
from scalinglaws.data.adapters import read_wandb_export
from scalinglaws.errors import DataError

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.integers(min_value=-(2**40), max_value=2**40).map(float),
    st.sampled_from([0.0, -1.0, 1e-300, 1e300, math.nan, math.inf, -math.inf]),
)
COLUMN_NAMES = st.sampled_from([
    "run_id", "group", "step", "n_params", "n_params_convention", "n_tokens", "n_unique_tokens", "flops",
    "flops_convention", "lr", "loss", "val_loss", "note",
])


@st.composite
def column_values(draw: st.DrawFn, n: int) -> pl.Series:
    kind = draw(st.sampled_from(["float", "int", "str", "bool", "null", "convention"]))
    if kind == "float":
        values: list[Any] = draw(st.lists(st.one_of(st.none(), NUMBERS), min_size=n, max_size=n))
        return pl.Series(values, dtype=pl.Float64)
    if kind == "int":
        ints = draw(st.lists(st.one_of(st.none(), st.integers(-5, 5)), min_size=n, max_size=n))
        return pl.Series(ints, dtype=pl.Int64)
    if kind == "str":
        texts = draw(st.lists(st.one_of(st.none(), st.text(max_size=4)), min_size=n, max_size=n))
        return pl.Series(texts, dtype=pl.String)
    if kind == "bool":
        return pl.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=pl.Boolean)
    if kind == "null":
        return pl.Series([None] * n, dtype=pl.Null)
    choices = st.sampled_from(["total", "non_embedding", "active", "6nd", "kaplan", "bogus", None])
    return pl.Series(draw(st.lists(choices, min_size=n, max_size=n)), dtype=pl.String)


@st.composite
def tables(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(0, 7))
    names = draw(st.lists(COLUMN_NAMES, min_size=1, max_size=7, unique=True))
    return pl.DataFrame({name: draw(column_values(n)).alias(name) for name in names})


@FUZZ
@given(df=tables(), target=st.sampled_from(["loss", "val_loss", "n_tokens"]))
def test_validator_never_crashes_or_changes_rows(df: pl.DataFrame, target: str) -> None:
    before = df.clone()
    problems = check_runs(df, target=target)
    for p in problems:
        assert p.message
        assert p.fix
        assert len(p.rows) <= 5
        assert p.n_rows >= len(p.rows)
        assert all(0 <= r < df.height for r in p.rows)
    if problems:
        with pytest.raises(DataError) as info:
            validate_runs(df, target=target)
        assert f"{len(problems)} problem" in str(info.value)
    else:
        assert validate_runs(df, target=target) is df
    assert_frame_equal(df, before)


@st.composite
def run_tables(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(0, 8))
    runs = draw(st.lists(st.sampled_from(["a", "b", "c", None]), min_size=n, max_size=n))
    cols: dict[str, Any] = {"run_id": pl.Series(runs, dtype=pl.String)}
    for name in ("step", "n_tokens", "lr"):
        if draw(st.booleans()):
            cols[name] = draw(column_values(n))
    return pl.DataFrame(cols)


@FUZZ
@given(df=run_tables(), fraction=st.one_of(st.floats(allow_nan=True), st.integers(-1, 2)))
def test_filters_return_subsets_with_records_or_raise(df: pl.DataFrame, fraction: float) -> None:
    indexed = df.with_row_index("row")  # a free-form column the filters carry along
    before = indexed.clone()
    attempts = [
        lambda: keep_final(indexed),
        lambda: keep_final(indexed, by="n_tokens"),
        lambda: drop_first_fraction(indexed, fraction),
        lambda: drop_first_fraction(indexed, 0.3, by="step"),
        lambda: drop_warmup(indexed),
        lambda: drop_warmup(indexed, 2),
        lambda: drop_missing(indexed, ["run_id"]),
    ]
    for attempt in attempts:
        try:
            out, record = attempt()
        except DataError:
            continue
        assert f"removed {indexed.height - out.height:,} row" in record
        kept = out.get_column("row").to_list()
        assert kept == sorted(set(kept))  # a subset, in the original order
        assert_frame_equal(out, indexed[kept])  # every kept row unchanged
    assert_frame_equal(indexed, before)


CSV_CELLS = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=6),
    NUMBERS.map(repr),
    st.sampled_from(["", '"', '""', ",", "\n", "NaN", "inf", "1e400", "-0", "true", "1,5"]),
)


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    width = draw(st.integers(1, 4))
    lines = draw(st.lists(st.lists(CSV_CELLS, min_size=1, max_size=width + 1), min_size=0, max_size=6))
    return "\n".join(",".join(cells) for cells in lines)


def read_file(name: str, content: bytes) -> pl.DataFrame | None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            return read_runs(path)
        except DataError:
            return None


@FUZZ
@given(text=csv_texts())
def test_csv_reader(text: str) -> None:
    result = read_file("runs.csv", text.encode())
    assert result is None or isinstance(result, pl.DataFrame)


@FUZZ
@given(content=st.one_of(
    st.binary(max_size=200),
    st.recursive(st.one_of(st.none(), st.booleans(), NUMBERS.filter(math.isfinite), st.text(max_size=5)),
                 lambda inner: st.one_of(st.lists(inner, max_size=4),
                                         st.dictionaries(st.text(max_size=4), inner, max_size=4)),
                 max_leaves=12).map(lambda v: __import__("json").dumps(v).encode()),
), name=st.sampled_from(["runs.json", "runs.jsonl", "runs.parquet"]))
def test_json_and_parquet_readers(content: bytes, name: str) -> None:
    result = read_file(name, content)
    assert result is None or isinstance(result, pl.DataFrame)


@FUZZ
@given(text=st.one_of(csv_texts(), st.text(max_size=120)),
       name=st.sampled_from(["export.csv", "export.jsonl", "export.json"]),
       kind=st.sampled_from(["auto", "panel", "runs", "history"]))
def test_wandb_export_reader(text: str, name: str, kind: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8")
        try:
            out = read_wandb_export(path, kind=kind)  # type: ignore[arg-type]
        except DataError:
            return
        assert isinstance(out, pl.DataFrame)


@FUZZ
@given(rows=st.lists(st.tuples(st.integers(0, 3), NUMBERS), min_size=1, max_size=8))
def test_wandb_panel_values_round_trip(rows: list[tuple[int, float]]) -> None:
    """Numbers written in a panel export come back bit-for-bit (NaN as NaN), or the export is refused."""
    unique = dict(rows)
    lines = ['"Step","r - loss","r - loss__MIN","r - loss__MAX"']
    lines += [f'"{s}","{v!r}","",""' for s, v in unique.items()]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.csv"
        path.write_text("\n".join(lines))
        out = read_wandb_export(path)
    got = dict(zip(out.get_column("step").to_list(), out.get_column("loss").to_list(), strict=True))
    assert got.keys() == unique.keys()
    for step, value in unique.items():
        assert (math.isnan(value) and math.isnan(got[step])) or got[step] == value
