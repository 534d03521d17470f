"""Read Weights & Biases runs (public API or files exported from the UI) into a runs table.

Run files written by the client itself (offline runs) are read by :mod:`._wandb_offline`.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import polars as pl

from scalinglaws.data.adapters._common import (
    OnDuplicate,
    check_constants,
    check_on_duplicate,
    check_rename,
    flatten,
    join_metadata,
    metadata_table,
    parse_number,
    require,
    scalar_value,
    typed_series,
    wide_table,
)
from scalinglaws.errors import DataError

__all__ = ["read_wandb", "read_wandb_export"]

ExportKind = Literal["auto", "panel", "runs", "history"]


def read_wandb(
    path: str,
    *,
    api: Any = None,
    keys: Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
    filters: Mapping[str, Any] | None = None,
    config: bool = True,
    constants: Sequence[str] = (),
    auto_constants: bool = True,
    on_duplicate: OnDuplicate = "error",
) -> pl.DataFrame:
    """Read the runs of a W&B project through the public API, with full (unsampled) histories.

    Uses ``api.runs(path, filters=...)`` and, per run, ``run.scan_history(keys=...)``, which returns every
    logged row (unlike ``run.history()``, which samples 500 by default).

    Parameters
    ----------
    path
        ``"entity/project"``.
    api
        A ``wandb.Api()`` instance (default: a new one, which needs the ``wandb`` extra and network
        access). Anything with the same ``runs`` method and run attributes works.
    keys
        History keys to read (default: all). As in W&B's ``scan_history(keys=...)``, only the rows
        where every key was logged are returned, so pass keys logged together. Only numeric values are
        read; media, tables and text are skipped. Keys starting with ``_`` (``_step``, ``_runtime``,
        ``_timestamp``) are W&B internals.
    columns
        Renames from history or config key to column, e.g. ``{"train/loss": "loss"}``.
    filters
        MongoDB-style run filter passed to ``api.runs``.
    config
        Add each run's config (flattened with dots: ``{"model": {"d": 8}}`` gives ``model.d``) as columns.
    constants
        History keys to attach to every row of their run (each must have one value per run).
    auto_constants
        Treat history keys with one value per run, logged at its first step (``n_params`` at step 0),
        as run constants: attached to every row of the run; a row that held nothing else is dropped.
    on_duplicate
        A key logged twice at one ``_step`` in one run: ``"error"`` (default) or keep the ``"last"``.

    Returns
    -------
    polars.DataFrame
        One row per (``run_id``, ``step``) with some numeric value, sorted by both; ``step`` is W&B's
        ``_step``; ``run_id`` is the run's id. Then ``run_name``, ``project`` and ``group`` (when the run
        has them) and the config columns. W&B's encodings of non-finite floats ('NaN', 'Infinity') become
        float values.

    Raises
    ------
    ImportError
        If ``api`` is None and ``wandb`` is not installed (``pip install 'scalinglaws[wandb]'``).
    DataError
        If W&B refuses the request (no login: the message says how to log in, or to read offline runs
        with :func:`read_wandb_offline` instead), no run matches, a history row has no ``_step``, names
        collide, or values repeat with ``on_duplicate="error"``.
    """
    check_on_duplicate(on_duplicate, "read_wandb")
    rename = check_rename(columns, "read_wandb")
    forced = check_constants(constants, "read_wandb")
    if not _is_text(path):
        raise DataError(f"`path` of read_wandb must be 'entity/project'. Got {path!r} instead.")
    wandb_errors = _wandb_errors()
    records: list[tuple[str, int, str, float]] = []
    meta: dict[str, dict[str, Any]] = {}
    wanted = None if keys is None else list(keys)
    try:
        if api is None:
            api = require("wandb", "wandb").Api()
        runs = list(api.runs(path, filters=dict(filters) if filters is not None else None))
        if not runs:
            raise DataError(f"read_wandb: no runs in {path!r}{' matching the filters' if filters else ''}.")
        for run in runs:
            run_id = str(run.id)
            rows = run.scan_history(keys=wanted) if wanted is not None else run.scan_history()
            records.extend(_history_records(rows, run_id, wanted, "read_wandb"))
            row: dict[str, Any] = {"run_name": run.name}
            if getattr(run, "project", None):
                row["project"] = run.project
            if getattr(run, "group", None):
                row["group"] = run.group
            if config:
                row.update(flatten(dict(run.config)))
            meta[run_id] = row
    except wandb_errors as exc:
        raise DataError(
            f"read_wandb: W&B could not list the runs of {path!r}: {type(exc).__name__}: {exc} "
            f"{LOGIN_HINT}"
        ) from exc
    if not records:
        raise DataError(f"read_wandb: the runs of {path!r} logged no numeric values"
                        f"{'' if wanted is None else f' for keys {wanted}'}.")
    wide = wide_table(records, rename=rename, on_duplicate=on_duplicate, function="read_wandb",
                      source="the W&B histories", constants=forced, auto_constants=auto_constants)
    return join_metadata(wide, metadata_table(meta, rename), "read_wandb")


LOGIN_HINT = (
    "Reading from the W&B server needs a login: run `wandb login` (or set WANDB_API_KEY). Offline runs "
    "need none: read their folder with `read_wandb_offline('wandb/')` (`scalinglaws data import wandb "
    "./wandb`), or upload them first with `wandb sync ./wandb`."
)


def _wandb_errors() -> tuple[type[BaseException], ...]:
    """wandb's own exception classes (auth, usage and communication errors), when wandb is installed."""
    try:
        errors = importlib.import_module("wandb.errors")
    except ImportError:
        return ()
    base = getattr(errors, "Error", None)
    return (base,) if isinstance(base, type) and issubclass(base, BaseException) else ()


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _history_records(
    rows: Iterable[Mapping[str, Any]], run_id: str, wanted: Sequence[str] | None, function: str
) -> list[tuple[str, int, str, float]]:
    out: list[tuple[str, int, str, float]] = []
    for i, row in enumerate(rows):
        step = row.get("_step")
        if isinstance(step, float) and step.is_integer():
            step = int(step)
        if not isinstance(step, int) or isinstance(step, bool):
            raise DataError(
                f"{function}: history row {i} of run {run_id!r} has no integer `_step` (got {step!r}). "
                "W&B adds `_step` to every logged row; check that this is a W&B history."
            )
        for key, value in row.items():
            if key.startswith("_") or (wanted is not None and key not in wanted):
                continue
            number = scalar_value(value)
            if number is not None:
                out.append((run_id, step, key, number))
    return out


def read_wandb_export(
    path: str | Path,
    *,
    kind: ExportKind = "auto",
    run_id: str | None = None,
    columns: Mapping[str, str] | None = None,
    on_duplicate: OnDuplicate = "error",
) -> pl.DataFrame:
    """Read a file exported from the W&B web UI (or a downloaded run history) into a runs table.

    Three layouts are understood (``kind="auto"`` picks by content):

    * ``"panel"``: the CSV of a line plot (panel menu > Export > CSV). The first column is the x axis
      (``Step`` or the chosen x key) and every other column is ``"<run name> - <metric>"``, with
      ``__MIN``/``__MAX`` companions giving the range within a sampling bucket. The run name is the text
      before the *last* ``" - "``. The companions are not values and are left out. A (run, step) row is
      emitted when the run has at least one value at that step.
    * ``"runs"``: the CSV of the runs table (table menu > Export > CSV), one row per run with ``Name``,
      ``State``, ..., config and summary columns. ``ID`` (when exported) or else ``Name`` becomes
      ``run_id``; the standard W&B columns are lowercased (``Name`` -> ``run_name``); config and
      summary columns keep their names.
    * ``"history"``: a run's history as JSON lines or a JSON array of rows with ``_step`` (the
      ``wandb-history.jsonl`` file, or ``run.history(pandas=False)`` saved as JSON). ``run_id`` is the
      ``run_id`` argument, or the file name without suffix.

    Parameters
    ----------
    path
        The exported file.
    kind
        Layout, or ``"auto"``.
    run_id
        Run id for ``"history"`` files.
    columns
        Renames from metric or column name to column, e.g. ``{"train/loss": "loss"}``.
    on_duplicate
        For ``"history"`` files: a key logged twice at one step, ``"error"`` or keep the ``"last"``.

    Returns
    -------
    polars.DataFrame
        ``"panel"`` and ``"history"``: one row per (``run_id``, ``step``) sorted by both, Float64 metric
        columns; a metric with one value per run, logged at its first step, is attached to every row of the run
        (a run constant). ``"runs"``: one row per run, columns typed as in the file.

    Raises
    ------
    DataError
        If the file is missing, empty, not in any of the layouts (or not in the one requested), or
        ``kind`` is unknown.

    Examples
    --------
    >>> df = read_wandb_export("wandb_export.csv", columns={"train/loss": "loss"})  # doctest: +SKIP
    """
    check_on_duplicate(on_duplicate, "read_wandb_export")
    rename = check_rename(columns, "read_wandb_export")
    if kind not in ("auto", "panel", "runs", "history"):
        raise DataError(
            f"`kind` of read_wandb_export must be 'auto', 'panel', 'runs' or 'history'. Got {kind!r} instead."
        )
    p = Path(path)
    if not p.is_file():
        raise DataError(f"`path` of read_wandb_export: no file at {str(p)!r}.")
    if p.suffix == ".wandb":
        raise DataError(
            f"`path` of read_wandb_export: {str(p)!r} is a W&B run file, not an export; read it (or its "
            "folder) with `read_wandb_offline`."
        )
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"`path` of read_wandb_export: could not read {str(p)!r}: {exc}") from exc
    if not text.strip():
        raise DataError(f"`path` of read_wandb_export: {str(p)!r} is empty.")
    is_json = p.suffix.lower() in (".json", ".jsonl", ".ndjson") or text.lstrip()[:1] in ("{", "[")
    if kind == "auto":
        kind = "history" if is_json else _csv_kind(text, p)
    if kind == "history":
        rows = _json_rows(text, p)
        records = _history_records(rows, run_id or p.stem.split(".")[0], None, "read_wandb_export")
        if not records:
            raise DataError(f"read_wandb_export: {str(p)!r} has no numeric values.")
        return wide_table(records, rename=rename, on_duplicate=on_duplicate,
                          function="read_wandb_export", source=repr(str(p)))
    header, body = _csv_rows(text, p)
    if kind == "panel":
        return _panel(header, body, p, rename)
    return _runs_table(header, body, p, rename)


def _csv_rows(text: str, p: Path) -> tuple[list[str], list[list[str]]]:
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise DataError(f"read_wandb_export: {str(p)!r} is not valid CSV: {exc}") from exc
    if not rows or not rows[0]:
        raise DataError(f"read_wandb_export: {str(p)!r} has no header row.")
    header = rows[0]
    if len(set(header)) != len(header):
        raise DataError(f"read_wandb_export: {str(p)!r} has repeated column names in its header.")
    bad = [i + 1 for i, r in enumerate(rows[1:]) if r and len(r) != len(header)]
    if bad:
        raise DataError(
            f"read_wandb_export: {len(bad)} line(s) of {str(p)!r} do not have {len(header)} fields "
            f"(lines {bad[:5]}). The file is truncated or not a W&B export."
        )
    return header, [r for r in rows[1:] if r]


def _csv_kind(text: str, p: Path) -> Literal["panel", "runs"]:
    header = next(csv.reader(io.StringIO(text)), [])
    if "Name" in header or "ID" in header:
        return "runs"
    if len(header) >= 2 and all(" - " in h for h in header[1:]):
        return "panel"
    raise DataError(
        f"read_wandb_export: {str(p)!r} is neither a W&B panel export (x column, then "
        "'<run> - <metric>' columns) nor a runs-table export (with a 'Name' column). Header: "
        f"{header[:6]}{'...' if len(header) > 6 else ''}. Read other CSV files with `read_runs`."
    )


def _panel(header: list[str], body: list[list[str]], p: Path, rename: Mapping[str, str]) -> pl.DataFrame:
    if len(header) < 2 or not all(" - " in h for h in header[1:]):
        raise DataError(
            f"read_wandb_export: {str(p)!r} is not a W&B panel export: every column after the first must "
            f"be '<run> - <metric>'. Header: {header[:6]}."
        )
    records: list[tuple[str, int, str, float]] = []
    for line, row in enumerate(body, start=2):
        step = parse_number(row[0])
        if step is None or not step.is_integer():
            raise DataError(
                f"read_wandb_export: line {line} of {str(p)!r} has x value {row[0]!r}, not a whole step. "
                "Export the panel with the Step x axis."
            )
        for name, cell in zip(header[1:], row[1:], strict=True):
            if name.endswith(("__MIN", "__MAX")) or cell == "":
                continue
            value = parse_number(cell)
            if value is None:
                raise DataError(f"read_wandb_export: line {line} of {str(p)!r}, column {name!r}: "
                                f"{cell!r} is not a number.")
            run, _, metric = name.rpartition(" - ")
            records.append((run, int(step), metric, value))
    if not records:
        raise DataError(f"read_wandb_export: {str(p)!r} has no values.")
    return wide_table(records, rename=rename, on_duplicate="error", function="read_wandb_export",
                      source=repr(str(p)))


_RUNS_COLUMNS = {"Name": "run_name", "State": "state", "Notes": "notes", "User": "user", "Tags": "tags",
                 "Created": "created", "Runtime": "runtime", "Sweep": "sweep", "Group": "group",
                 "Job Type": "job_type"}


def _runs_table(header: list[str], body: list[list[str]], p: Path, rename: Mapping[str, str]) -> pl.DataFrame:
    if "Name" not in header and "ID" not in header:
        raise DataError(f"read_wandb_export: {str(p)!r} is not a W&B runs-table export: it has no 'Name' "
                        "column.")
    names = {h: rename.get(h, _RUNS_COLUMNS.get(h, "run_id" if h == "ID" else h)) for h in header}
    series = []
    for j, h in enumerate(header):
        values = [row[j] if row[j] != "" else None for row in body]
        if h in _RUNS_COLUMNS or h == "ID":  # identifiers and labels stay text, even "1", "2", ...
            series.append(pl.Series(names[h], values, dtype=pl.String))
        else:
            series.append(typed_series(names[h], values))
    df = pl.DataFrame(series)
    if "run_id" not in df.columns:
        df = df.with_columns(pl.col("run_name").alias("run_id")).select("run_id", pl.exclude("run_id"))
    return df


def _json_rows(text: str, p: Path) -> list[Mapping[str, Any]]:
    stripped = text.strip()
    try:
        if stripped.startswith("["):
            data = json.loads(stripped)
        else:
            data = [json.loads(line) for line in stripped.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise DataError(f"read_wandb_export: {str(p)!r} is not JSON or JSON lines: {exc}") from exc
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise DataError(f"read_wandb_export: {str(p)!r} must hold one JSON object per history row.")
    return data
