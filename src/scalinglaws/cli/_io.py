"""Files: the CLI is the only part of scalinglaws that reads and writes them.

Failures to read or write become typer's ``BadParameter`` naming the argument or option (exit code 2),
so they are never confused with bad rows in a table that was read (``DataError``, exit code 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

import scalinglaws as sl

if TYPE_CHECKING:
    import polars as pl

    from scalinglaws.downstream import Chain


def read_table(path: Path, argument: str = "DATA") -> pl.DataFrame:
    """Read a table of runs (CSV, Parquet or JSON lines, by suffix)."""
    from scalinglaws.data.io import read_runs

    try:
        return read_runs(path)
    except sl.DataError as exc:  # no such file, unknown suffix, or not parsable: the file is wrong
        raise typer.BadParameter(str(exc), param_hint=f"'{argument}'") from exc
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {str(path)!r}: {exc}", param_hint=f"'{argument}'") from exc


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
    import json

    from scalinglaws.data.io import read_text
    from scalinglaws.downstream import Chain, is_chain_dict

    try:
        data = json.loads(read_text(path, "predict"))
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


def check_output(path: Path | None, option: str = "--out") -> None:
    """Fail before any work if ``path`` cannot be written: it is a folder, or its folder is missing."""
    if path is None:
        return
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
