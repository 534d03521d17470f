"""read_runs / write_runs: every input kind, round trips, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

from scalinglaws.data import read_runs, write_runs
from scalinglaws.errors import DataError


@pytest.fixture
def table() -> pl.DataFrame:
    return pl.DataFrame({
        "run_id": ["a", "a", "b"],
        "step": [100, 200, 100],
        "n_params": [1.5e7, 1.5e7, 6.0e7],
        "n_tokens": [1.0e8, 2.0e8, 1.0e8],
        "loss": [3.25, 3.0, 2.875],
        "note": ["x", None, "z"],
    })


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl", ".ndjson", ".json"])
def test_file_round_trip(table: pl.DataFrame, tmp_path: Path, suffix: str) -> None:
    path = write_runs(table, tmp_path / f"runs{suffix}")
    assert_frame_equal(read_runs(path), table)
    assert_frame_equal(read_runs(str(path)), table)


def test_json_object_of_columns(table: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "columns.json"
    path.write_text(json.dumps(table.to_dict(as_series=False)))
    assert_frame_equal(read_runs(path), table)


def test_format_overrides_suffix(table: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "runs.txt"
    table.write_csv(path)
    assert_frame_equal(read_runs(path, format="csv"), table)
    with pytest.raises(DataError, match=r"`format` of read_runs must be one of"):
        read_runs(path, format="xlsx")  # type: ignore[arg-type]


def test_frames_and_mappings(table: pl.DataFrame) -> None:
    assert read_runs(table) is table
    assert_frame_equal(read_runs(table.lazy()), table)
    assert_frame_equal(read_runs(table.to_pandas()), table)
    assert_frame_equal(read_runs(table.to_arrow()), table)
    assert_frame_equal(read_runs(table.to_dict(as_series=False)), table)


def test_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"`source` of read_runs must be a .csv, .parquet, .jsonl/.ndjson or "
                                        r".json file. Got '.*runs.xlsx' instead"):
        read_runs(tmp_path / "runs.xlsx")
    with pytest.raises(DataError, match=r"`source` of read_runs: no file at '.*missing.csv'"):
        read_runs(tmp_path / "missing.csv")


def test_unsupported_type() -> None:
    with pytest.raises(DataError, match=r"`source` of read_runs must be a path, a polars, pandas or pyarrow "
                                        r"table, or a mapping of columns. Got int instead"):
        read_runs(3)


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("bad.parquet", b"not a parquet file", r"could not read '.*bad.parquet'"),
        ("bad.jsonl", b'{"loss": 1.0}\n{"loss": \n', r"could not read '.*bad.jsonl'"),
        ("bad.json", b"[1, 2, 3]", r"is a JSON array whose items are not all objects"),
        ("scalar.json", b"3.5", r"must hold a JSON array of row objects or an object of column arrays"),
        ("truncated.json", b'[{"loss": 1', r"could not read '.*truncated.json': JSONDecodeError"),
        ("empty.csv", b"", r"could not read '.*empty.csv'"),
    ],
)
def test_malformed_files_raise_data_error(tmp_path: Path, name: str, content: bytes, fragment: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=fragment):
        read_runs(path)


def test_bad_pandas_frame_raises_data_error() -> None:
    mixed = pd.DataFrame({"x": [1, "a", 2.5]}, dtype=object)
    with pytest.raises(DataError, match=r"could not read the pandas DataFrame"):
        read_runs(mixed)


def test_ragged_mapping_raises_data_error() -> None:
    with pytest.raises(DataError, match=r"could not read the mapping"):
        read_runs({"a": [1, 2], "b": [1]})


def test_pyarrow_array_is_not_a_table() -> None:
    with pytest.raises(DataError, match=r"a pyarrow .* is not a table"):
        read_runs(pa.chunked_array([[1, 2]]))


def test_write_runs_errors(table: pl.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"`path` of write_runs must end in .csv, .parquet, .jsonl or .json"):
        write_runs(table, tmp_path / "runs.xlsx")
    with pytest.raises(DataError, match=r"`path` of write_runs: could not write"):
        write_runs(table, tmp_path / "missing-folder" / "runs.csv")
