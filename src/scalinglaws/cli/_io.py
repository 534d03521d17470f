"""Files: the CLI is the only part of scalinglaws that reads and writes them.

Failures to read or write become typer's ``BadParameter`` naming the argument or option (exit code 2),
so they are never confused with bad rows in a table that was read (``DataError``, exit code 1).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

import scalinglaws as sl

if TYPE_CHECKING:
    import polars as pl

    from scalinglaws.downstream import Chain


SEPARATOR = Annotated[
    str | None,
    typer.Option(
        "--separator", metavar="CHAR",
        help="Column separator of CSV input, e.g. ';' or '\\t' (default ',', and a tab for .tsv).",
    ),
]
"""The option every command that reads a table takes."""


def separator_of(text: str | None) -> str | None:
    """``--separator`` as one character (``\\t`` and ``tab`` spell a tab)."""
    if text is None:
        return None
    value = {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(text, text)
    if len(value) != 1:
        raise typer.BadParameter(
            f"must be one character, e.g. ';' or '\\t'. Got {text!r} instead.", param_hint="'--separator'"
        )
    return value


def read_table(
    path: Path, argument: str = "DATA", separator: str | None = None, *, allow_empty: bool = False
) -> pl.DataFrame:
    """Read a table of runs (CSV, TSV, Parquet or JSON lines, by suffix; ``.csv.gz`` too).

    A table with no rows (a header alone) is refused here, naming the file, unless ``allow_empty``.
    """
    from scalinglaws.data.io import read_runs

    try:
        frame = read_runs(path, separator=separator_of(separator))
    except sl.DataError as exc:  # no such file, unknown suffix, or not parsable: the file is wrong
        raise typer.BadParameter(str(exc), param_hint=f"'{argument}'") from exc
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {str(path)!r}: {exc}", param_hint=f"'{argument}'") from exc
    if frame.height == 0 and not allow_empty:
        raise typer.BadParameter(
            f"{str(path)!r} has no rows (columns {frame.columns}, a header alone?): there is nothing to "
            "work on.", param_hint=f"'{argument}'",
        )
    return frame


def read_fit(path: Path, argument: str = "FIT") -> sl.FitResult:
    """Read a fit written by ``scalinglaws fit --out`` (or ``FitResult.save``)."""
    try:
        return sl.load(path)
    except sl.DataError as exc:  # missing, or not a fit file
        raise typer.BadParameter(str(exc), param_hint=f"'{argument}'") from exc
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {str(path)!r}: {exc}", param_hint=f"'{argument}'") from exc


def read_model(path: Path, argument: str = "FIT") -> sl.FitResult | Chain:
    """Read a fit, or a chain of two fits written by ``scalinglaws fit --through ... --out``."""
    from scalinglaws.data import strict_json
    from scalinglaws.data.io import read_text
    from scalinglaws.downstream import Chain, is_chain_dict

    try:
        data = strict_json.loads(read_text(path, "predict"))
    except (sl.DataError, ValueError):
        data = None  # missing or not JSON: read_fit names the problem
    if not is_chain_dict(data):
        return read_fit(path, argument)
    try:
        return Chain.from_dict(data)
    except (sl.DataError, KeyError, TypeError) as exc:
        raise typer.BadParameter(
            f"{str(path)!r} is not a scalinglaws chain file: {exc}", param_hint=f"'{argument}'"
        ) from exc


def require_columns(frame: pl.DataFrame, columns: Iterable[str], option: str) -> None:
    """Fail before any work if ``frame`` lacks a column an option names (with a "did you mean")."""
    from scalinglaws._validation import close_names

    for column in columns:
        if column not in frame.columns:
            raise typer.BadParameter(
                f"the table has no column {column!r}. Columns: {sorted(frame.columns)}."
                + close_names(column, frame.columns), param_hint=f"'{option}'",
            )


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (the same path, a link to it, or the same file by inode)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def check_output(
    path: Path | None, option: str = "--out", inputs: Iterable[tuple[str, Path | None]] = ()
) -> None:
    """Fail before any work if ``path`` cannot be written: it is a folder, its folder is missing, or it
    is one of the command's ``inputs`` (``(argument, path)`` pairs), which writing it would destroy."""
    if path is None:
        return
    for argument, source in inputs:
        if source is not None and _same_file(path, Path(source)):
            raise typer.BadParameter(
                f"{str(path)!r} is the input {argument}; writing there would destroy it. Give another "
                "file name (nothing was written).", param_hint=f"'{option}'",
            )
    if path.is_dir():
        raise typer.BadParameter(f"{str(path)!r} is a folder; give a file name.", param_hint=f"'{option}'")
    if not path.parent.is_dir():
        raise typer.BadParameter(
            f"folder {str(path.parent)!r} does not exist; create it first.", param_hint=f"'{option}'"
        )


def write_text(text: str, path: Path, option: str = "--out") -> None:
    """Write ``text`` to ``path`` whole or not at all (a temporary file renamed over it)."""
    from scalinglaws.data.io import write_text as write_whole

    try:
        write_whole(path, text)
    except sl.DataError as exc:
        raise typer.BadParameter(str(exc), param_hint=f"'{option}'") from exc


def write_bytes(data: bytes, path: Path, option: str = "--out") -> None:
    """Write ``data`` to ``path`` whole or not at all (a temporary file renamed over it)."""
    from scalinglaws.data.io import write_bytes as write_whole

    try:
        write_whole(path, data)
    except sl.DataError as exc:
        raise typer.BadParameter(str(exc), param_hint=f"'{option}'") from exc


def write_table(frame: pl.DataFrame, path: Path, option: str = "--out") -> None:
    """Write ``frame`` in the format its suffix names (.csv, .parquet, .jsonl...), as ``write_runs``."""
    from scalinglaws.data.io import write_runs

    try:
        write_runs(frame, path)
    except sl.DataError as exc:  # unknown suffix, or the file cannot be written
        raise typer.BadParameter(str(exc), param_hint=f"'{option}'") from exc
