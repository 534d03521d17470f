"""Read tables of runs from files and data frames into polars, and write them back."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from scalinglaws.data import strict_json
from scalinglaws.errors import DataError

__all__ = [
    "FileFormat", "available_memory", "columns_of", "format_of", "read_runs", "read_text", "write_bytes",
    "write_runs", "write_text",
]

FileFormat = Literal["csv", "tsv", "parquet", "jsonl", "json"]
"""File formats understood by :func:`read_runs` and :func:`write_runs`."""

_SUFFIXES: dict[str, FileFormat] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}
_COMPRESSED = (".gz",)
"""Suffixes of compressed text tables (``runs.csv.gz``): polars decompresses them as it reads."""
_SEPARATORS: dict[str, str] = {"csv": ",", "tsv": "\t"}
_OTHER_SEPARATORS = (";", "\t", "|")
"""Separators a one-column CSV is checked for, to say which one the file probably uses."""


def format_of(path: str | Path) -> FileFormat | None:
    """The format a file name's suffix names (``runs.csv.gz`` is CSV), or None."""
    path = Path(path)
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes = suffixes[:-1]
        fmt = _SUFFIXES.get(suffixes[-1]) if suffixes else None
        return fmt if fmt in ("csv", "tsv", "jsonl") else None
    return _SUFFIXES.get(path.suffix.lower())


def available_memory() -> int | None:
    """Bytes of memory available to this process now (Linux ``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def _size(n_bytes: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n_bytes < 1000 or unit == "TB":
            return f"{n_bytes:.0f} {unit}" if unit == "bytes" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1000
    return f"{n_bytes:.1f} TB"  # pragma: no cover


MEMORY_FACTOR: dict[str, float] = {"text": 1.5, "compressed": 8.0}
"""Memory needed to hold a table, per byte of its file: text formats (CSV, JSON) hold each number in more
bytes than the 8 of a float, but polars keeps some of the text while it parses (1.5); compressed files
(Parquet, .gz) expand several times (8, a typical ratio for numeric tables)."""


def _read_json(path: Path) -> pl.DataFrame:
    """A JSON array of row objects, or an object of equal-length column arrays."""
    data = strict_json.loads(path.read_bytes())
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


def _read_ndjson(path: Path) -> pl.DataFrame:
    """JSON lines; lines holding a non-finite number (``{"$float": "nan"}``) are decoded by the one JSON
    encoding, so a table written by :func:`write_runs` reads back with its NaN and infinities."""
    if path.suffix.lower() != ".gz" and b'"$float"' not in path.read_bytes():
        return pl.read_ndjson(path)
    import gzip

    raw = gzip.decompress(path.read_bytes()) if path.suffix.lower() == ".gz" else path.read_bytes()
    rows = [strict_json.loads(line) for line in raw.splitlines() if line.strip()]
    if not all(isinstance(row, dict) for row in rows):
        raise DataError(f"`source` of read_runs: {str(path)!r} has lines that are not JSON objects.")
    return pl.DataFrame(rows, infer_schema_length=None)


_READERS: dict[FileFormat, Callable[[Path], pl.DataFrame]] = {
    "csv": pl.read_csv,
    "tsv": lambda path: pl.read_csv(path, separator="\t"),
    "parquet": pl.read_parquet,
    "jsonl": _read_ndjson,
    "json": _read_json,
}


def read_runs(
    source: Any, *, format: FileFormat | None = None, separator: str | None = None
) -> pl.DataFrame:
    """Return ``source`` as a polars DataFrame, without changing any value.

    Parameters
    ----------
    source
        One of:

        * a path (``str`` or ``Path``) to a ``.csv``, ``.tsv``, ``.parquet``, ``.jsonl``/``.ndjson`` (one
          JSON object per line) or ``.json`` file (an array of row objects, or an object of column
          arrays); ``.csv.gz``, ``.tsv.gz`` and ``.jsonl.gz`` are read compressed;
        * a polars DataFrame (returned as is) or LazyFrame (collected);
        * a pandas DataFrame (converted with ``polars.from_pandas``; needs pyarrow);
        * a pyarrow Table;
        * a mapping of column name to a sequence of values.
    format
        File format, overriding the file suffix (for example ``"csv"`` for a ``.txt`` file).
    separator
        The column separator of a CSV file (default ``","``, and a tab for ``.tsv``), e.g. ``";"``.

    Returns
    -------
    polars.DataFrame
        The table as read. Column names and values are not renamed, cast or corrected; use
        :func:`scalinglaws.data.validate_runs` to check it.

    Raises
    ------
    DataError
        If the file does not exist, has an unknown suffix, cannot be parsed, names a column twice in its
        header, looks separated by another character than ``separator`` (the message says which), is
        larger than the memory available, or ``source`` is of an unsupported type.

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
        return _read_file(Path(source), format, separator)
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


def _read_file(path: Path, format: FileFormat | None, separator: str | None = None) -> pl.DataFrame:
    if format is None:
        fmt = format_of(path)
        if fmt is None:
            raise DataError(
                "`source` of read_runs must be a .csv, .tsv, .parquet, .jsonl/.ndjson or .json file (.csv.gz, "
                f".tsv.gz and .jsonl.gz too). Got {str(path)!r} instead. Pass `format=` to read another suffix."
            )
    elif format in _READERS:
        fmt = format
    else:
        raise DataError(
            f"`format` of read_runs must be one of {sorted(_READERS)}. Got {format!r} instead."
        )
    if separator is not None and (fmt not in _SEPARATORS or len(separator) != 1):
        raise DataError(
            f"`separator` of read_runs must be one character, for a .csv or .tsv file. Got {separator!r} "
            f"for a {fmt} file instead."
        )
    if not path.is_file():
        raise DataError(f"`source` of read_runs: no file at {str(path)!r}.")
    _check_memory(path, fmt)
    if fmt in _SEPARATORS:
        sep = separator or _SEPARATORS[fmt]
        _check_header(path, sep)
        frame = _guarded(repr(str(path)), lambda: pl.read_csv(path, separator=sep))
        _check_separator(path, frame, sep)
        return frame
    reader = _READERS[fmt]
    return _guarded(repr(str(path)), lambda: reader(path))


def _check_memory(path: Path, fmt: FileFormat) -> None:
    """Refuse, before reading, a file whose table would not fit in the memory available."""
    size = path.stat().st_size
    compressed = fmt == "parquet" or path.suffix.lower() in _COMPRESSED
    needed = size * MEMORY_FACTOR["compressed" if compressed else "text"]
    free = available_memory()
    if free is not None and needed > free:
        raise DataError(
            f"`source` of read_runs: {str(path)!r} is {_size(size)}, and its table needs about "
            f"{_size(needed)} of memory, more than the {_size(free)} available. Read a part of it (fewer "
            "columns or rows, e.g. with polars' scan_csv/scan_parquet and a filter), or use a machine with "
            "more memory."
        )


def _header(path: Path) -> str:
    """The first line of a (possibly gzip-compressed) text file."""
    import gzip

    compressed = path.suffix.lower() == ".gz"
    try:
        with (gzip.open(path, "rt", encoding="utf-8", errors="replace") if compressed
              else path.open(encoding="utf-8", errors="replace")) as handle:
            return str(handle.readline()).rstrip("\r\n")
    except (OSError, EOFError) as exc:
        raise DataError(f"`source` of read_runs: could not read {str(path)!r}: {_first_line(exc)}") from exc


def _check_header(path: Path, separator: str) -> None:
    """A header that names a column twice is an error (polars would rename the second silently)."""
    import csv

    names = next(csv.reader([_header(path)], delimiter=separator), [])
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen:
            raise DataError(
                f"`source` of read_runs: the header of {str(path)!r} names column {name!r} twice (columns "
                f"{seen[name]} and {position}). Rename one of them; which one a fit should read is not "
                "something to guess."
            )
        seen[name] = position


def _check_separator(path: Path, frame: pl.DataFrame, separator: str) -> None:
    """A table read as one column whose name holds another separator was probably split wrongly."""
    if frame.width != 1:
        return
    (name,) = frame.columns
    for other in _OTHER_SEPARATORS:
        if other != separator and other in name:
            shown = "\\t" if other == "\t" else other
            raise DataError(
                f"`source` of read_runs: {str(path)!r} reads as one column named {name[:60]!r}: it looks "
                f"{shown!r}-separated, not {separator!r}-separated. Pass the separator: "
                f"`separator={other!r}` (CLI: `--separator '{shown}'`)."
            )


def _guarded(what: str, read: Callable[[], pl.DataFrame]) -> pl.DataFrame:
    """Run ``read``, turning parser failures into a DataError that names the source."""
    try:
        return read()
    except DataError:
        raise
    except (pl.exceptions.PolarsError, OSError, ValueError, TypeError, OverflowError,
            RecursionError) as exc:
        raise DataError(f"`source` of read_runs: could not read {what}: {_first_line(exc)}") from exc
    except MemoryError as exc:
        free = available_memory()
        raise DataError(
            f"`source` of read_runs: {what} does not fit in memory"
            + ("" if free is None else f" ({_size(free)} available)")
            + ": read a part of it (fewer columns or rows), or use a machine with more memory."
        ) from exc
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
            f"`path` of write_runs must end in .csv, .tsv, .parquet, .jsonl or .json (or pass `format=`). "
            f"Got {str(path)!r} instead."
        )

    def write(target: Path) -> None:
        if fmt in _SEPARATORS:
            df.write_csv(target, separator=_SEPARATORS[fmt])
        elif fmt == "parquet":
            df.write_parquet(target)
        elif fmt == "jsonl":
            target.write_text("".join(strict_json.dumps(row) + "\n" for row in df.to_dicts()))
        else:
            target.write_text(strict_json.dumps(df.to_dicts()) + "\n")

    try:
        _write_through_temporary(path, write)
    except (OSError, pl.exceptions.PolarsError, TypeError) as exc:
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
    def write(target: Path) -> None:
        with target.open("wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())

    try:
        _write_through_temporary(path, write)
    except OSError as exc:
        raise DataError(f"`path`: could not write {str(path)!r}: {_first_line(exc)}") from exc
    return path


def _write_through_temporary(path: Path, write: Callable[[Path], None]) -> None:
    """Run ``write`` on a temporary file beside ``path``, then rename it over ``path``.

    The rename is atomic, so ``path`` holds the old file or the whole new one, never a part: an
    interrupt (Ctrl-C), a crash or a full disk during ``write`` leaves the old file (and no temporary
    one) behind. A new file gets the permissions a plain ``open`` would give it (``mkstemp`` makes
    private files).
    """
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(descriptor)
    temporary = Path(name)
    try:
        write(temporary)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask, read without changing it (Linux), else the usual 022."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022
