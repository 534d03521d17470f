"""Read tables of runs from files and data frames into polars, and write them back."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from scalinglaws.errors import DataError

__all__ = [
    "FileFormat", "columns_of", "read_runs", "read_text", "write_bytes", "write_runs", "write_text",
]

FileFormat = Literal["csv", "parquet", "jsonl", "json"]
"""File formats understood by :func:`read_runs` and :func:`write_runs`."""

_SUFFIXES: dict[str, FileFormat] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}


def _read_json(path: Path) -> pl.DataFrame:
    """A JSON array of row objects, or an object of equal-length column arrays."""
    with path.open("rb") as fh:
        data = json.load(fh)
    if isinstance(data, list):
        if not all(isinstance(row, dict) for row in data):
            raise DataError(
                f"`source` of read_runs: {str(path)!r} is a JSON array whose items are not all objects. "
                "Write one object per row, e.g. [{\"run_id\": \"a\", \"loss\": 2.9}, ...]."
            )
        return pl.DataFrame(data, infer_schema_length=None)
    if isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
        return pl.DataFrame(data, strict=False)
    raise DataError(
        f"`source` of read_runs: {str(path)!r} must hold a JSON array of row objects or an object of "
        f"column arrays. Got a JSON {type(data).__name__} instead."
    )


_READERS: dict[FileFormat, Callable[[Path], pl.DataFrame]] = {
    "csv": pl.read_csv,
    "parquet": pl.read_parquet,
    "jsonl": pl.read_ndjson,
    "json": _read_json,
}


def read_runs(source: Any, *, format: FileFormat | None = None) -> pl.DataFrame:
    """Return ``source`` as a polars DataFrame, without changing any value.

    Parameters
    ----------
    source
        One of:

        * a path (``str`` or ``Path``) to a ``.csv``, ``.parquet``, ``.jsonl``/``.ndjson`` (one JSON
          object per line) or ``.json`` file (an array of row objects, or an object of column arrays);
        * a polars DataFrame (returned as is) or LazyFrame (collected);
        * a pandas DataFrame (converted with ``polars.from_pandas``; needs pyarrow);
        * a pyarrow Table;
        * a mapping of column name to a sequence of values.
    format
        File format, overriding the file suffix (for example ``"csv"`` for a ``.txt`` file).

    Returns
    -------
    polars.DataFrame
        The table as read. Column names and values are not renamed, cast or corrected; use
        :func:`scalinglaws.data.validate_runs` to check it.

    Raises
    ------
    DataError
        If the file does not exist, has an unknown suffix, cannot be parsed, or ``source`` is of an
        unsupported type.

    Examples
    --------
    >>> read_runs({"run_id": ["a"], "loss": [2.9]}).columns
    ['run_id', 'loss']
    """
    if isinstance(source, pl.DataFrame):
        return source
    if isinstance(source, pl.LazyFrame):
        return _guarded("the LazyFrame", source.collect)
    if isinstance(source, str | Path):
        return _read_file(Path(source), format)
    module = type(source).__module__
    if module.startswith("pandas"):
        return _guarded("the pandas DataFrame", lambda: pl.from_pandas(source))
    if module.startswith("pyarrow"):
        return _guarded("the pyarrow Table", lambda: _from_arrow(source))
    if isinstance(source, Mapping):
        return _guarded("the mapping", lambda: pl.DataFrame(dict(source), strict=False))
    raise DataError(
        "`source` of read_runs must be a path, a polars, pandas or pyarrow table, or a mapping of columns. "
        f"Got {type(source).__name__} instead."
    )


def _from_arrow(table: Any) -> pl.DataFrame:
    out = pl.from_arrow(table)
    if not isinstance(out, pl.DataFrame):
        raise DataError(f"`source` of read_runs: a pyarrow {type(table).__name__} is not a table.")
    return out


def _read_file(path: Path, format: FileFormat | None) -> pl.DataFrame:
    if format is None:
        fmt = _SUFFIXES.get(path.suffix.lower())
        if fmt is None:
            raise DataError(
                "`source` of read_runs must be a .csv, .parquet, .jsonl/.ndjson or .json file. "
                f"Got {str(path)!r} instead. Pass `format=` to read another suffix."
            )
    elif format in _READERS:
        fmt = format
    else:
        raise DataError(
            f"`format` of read_runs must be one of {sorted(_READERS)}. Got {format!r} instead."
        )
    if not path.is_file():
        raise DataError(f"`source` of read_runs: no file at {str(path)!r}.")
    reader = _READERS[fmt]
    return _guarded(repr(str(path)), lambda: reader(path))


def _guarded(what: str, read: Callable[[], pl.DataFrame]) -> pl.DataFrame:
    """Run ``read``, turning parser failures into a DataError that names the source."""
    try:
        return read()
    except DataError:
        raise
    except (pl.exceptions.PolarsError, OSError, ValueError, TypeError, OverflowError,
            RecursionError) as exc:
        raise DataError(f"`source` of read_runs: could not read {what}: {_first_line(exc)}") from exc
    except BaseException as exc:  # polars reports some malformed input as a Rust panic
        if type(exc).__name__ != "PanicException":
            raise
        raise DataError(f"`source` of read_runs: could not read {what}: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def write_runs(df: pl.DataFrame, path: str | Path, *, format: FileFormat | None = None) -> Path:
    """Write a runs table to ``path`` as CSV, Parquet, JSON lines or JSON (by suffix or ``format``).

    Parameters
    ----------
    df
        The table.
    path
        Destination file; its parent folder must exist.
    format
        Overrides the suffix.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    DataError
        If the suffix or format is unknown, or the file cannot be written.
    """
    path = Path(path)
    fmt = format or _SUFFIXES.get(path.suffix.lower())
    if fmt not in _READERS:
        raise DataError(
            f"`path` of write_runs must end in .csv, .parquet, .jsonl or .json (or pass `format=`). "
            f"Got {str(path)!r} instead."
        )
    try:
        if fmt == "csv":
            df.write_csv(path)
        elif fmt == "parquet":
            df.write_parquet(path)
        elif fmt == "jsonl":
            df.write_ndjson(path)
        else:
            df.write_json(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DataError(f"`path` of write_runs: could not write {str(path)!r}: {_first_line(exc)}") from exc
    return path


def columns_of(data: Any, function: str) -> dict[str, np.ndarray]:
    """``data`` as NumPy columns: a mapping of column -> values, a polars or pandas DataFrame, or
    anything else :func:`read_runs` reads (a path, a LazyFrame, a pyarrow Table).

    Counts past 2**63 (FLOPs) arrive from polars as 128-bit integers, which NumPy lacks; they become
    float64, the precision every computation here uses anyway.

    Raises
    ------
    DataError
        If ``data`` is none of those, or a file cannot be read.
    """
    if isinstance(data, Mapping):
        return {str(k): np.asarray(v) for k, v in data.items()}
    readable = isinstance(data, str | Path | pl.DataFrame | pl.LazyFrame) or type(data).__module__.startswith(
        ("pandas", "pyarrow")
    )
    if not readable:
        raise DataError(
            f"`data` of {function} must be a polars or pandas DataFrame or a mapping of column -> values. "
            f"Got {type(data).__name__} instead."
        )
    frame = read_runs(data)
    wide = [c for c, t in frame.schema.items() if t in (pl.Int128, pl.UInt128)]
    frame = frame.with_columns(pl.col(wide).cast(pl.Float64)) if wide else frame
    return {c: frame[c].to_numpy() for c in frame.columns}


def read_text(path: str | Path, function: str) -> str:
    """The text of ``path`` (the argument ``path`` of ``function``).

    Raises
    ------
    DataError
        If there is no file there or it cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"`path` of {function}: no file at {str(path)!r}.")
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"`path` of {function}: could not read {str(path)!r}: {_first_line(exc)}") from exc


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` whole or not at all: into a temporary file beside it, then renamed
    over it, so an interrupted write never leaves a truncated file.

    Raises
    ------
    DataError
        If the file cannot be written (its folder is missing, or is not writable).
    """
    return _write_whole(Path(path), text.encode())


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` (a figure file, say) to ``path`` whole or not at all, as :func:`write_text`.

    Raises
    ------
    DataError
        If the file cannot be written (its folder is missing, or is not writable).
    """
    return _write_whole(Path(path), bytes(data))


def _write_whole(path: Path, payload: bytes) -> Path:
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise DataError(f"`path`: could not write {str(path)!r}: {_first_line(exc)}") from exc
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
        os.replace(temporary, path)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise DataError(f"`path`: could not write {str(path)!r}: {_first_line(exc)}") from exc
        raise
    return path
