"""Read the run files (``run-<id>.wandb``) that the W&B client writes, offline or online, into a runs table.

A ``.wandb`` file is W&B's transaction log: every record the client produced (run, config, history,
summary, ...) as protocol buffers. It is read with W&B's own reader, never parsed here:

* wandb up to 0.29 ships a Python reader, ``wandb.sdk.internal.datastore.DataStore``, and the record
  type ``wandb.proto.wandb_internal_pb2.Record``;
* wandb 0.31 and later read it in ``wandb-core`` (the Go service bundled with the package), whose
  ``leet inspect --json`` command (``wandb leet inspect --json``) prints one JSON object per record.

wandb 0.30 has neither; upgrade it. Nothing is sent anywhere: reading needs no login and no network.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from scalinglaws.data.adapters._common import (
    OnDuplicate,
    check_constants,
    check_on_duplicate,
    check_rename,
    flatten,
    join_metadata,
    metadata_table,
    require,
    scalar_value,
    wide_table,
)
from scalinglaws.errors import DataError, ToolkitWarning

__all__ = ["read_wandb_offline", "wandb_run_files"]

_FUNCTION = "read_wandb_offline"
FIT_JOB_TYPE = "scaling-law-fit"
"""Job type of the runs that :func:`scalinglaws.data.adapters.log_fit` writes: fits, not training runs."""
_MIN_CORE = "0.31"


@dataclass
class RunLog:
    """The parts of one run file that become table rows and columns."""

    path: Path
    run_id: str
    info: dict[str, Any] = field(default_factory=dict)  # run_name, project, entity, group, tags
    config: dict[str, Any] = field(default_factory=dict)  # nested, as logged
    history: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (step, flat item)
    summary: dict[str, Any] = field(default_factory=dict)  # flat


def wandb_run_files(path: str | Path) -> list[Path]:
    """The ``.wandb`` run files at ``path``: the file itself, or every one under a directory (a run
    directory, the ``wandb/`` folder of a training directory, or a folder above it), sorted by path.

    Raises
    ------
    DataError
        If ``path`` does not exist, is a file that is not a ``.wandb`` file, or a directory without any.
    """
    p = Path(path)
    if p.is_file():
        if p.suffix != ".wandb":
            raise DataError(
                f"`path` of {_FUNCTION} must be a W&B run file (run-<id>.wandb) or a directory holding "
                f"them. Got {str(p)!r} instead."
            )
        return [p]
    if not p.is_dir():
        raise DataError(f"`path` of {_FUNCTION}: no file or directory at {str(p)!r}.")
    found: dict[Path, Path] = {}
    for candidate in sorted(p.rglob("*.wandb")):
        if candidate.is_file():
            found.setdefault(candidate.resolve(), candidate)  # `latest-run` links to a run already found
    if not found:
        raise DataError(
            f"`path` of {_FUNCTION}: no W&B run files (*.wandb) under {str(p)!r}. The client writes them "
            "to `wandb/offline-run-<time>-<id>/` (or `run-<time>-<id>/`) below the training directory or "
            "$WANDB_DIR; pass that folder."
        )
    return sorted(found.values())


def read_wandb_offline(
    path: str | Path,
    *,
    keys: Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
    config: bool = True,
    summary: bool = True,
    constants: Sequence[str] = (),
    auto_constants: bool = True,
    on_duplicate: OnDuplicate = "error",
) -> pl.DataFrame:
    """Read W&B run files written by the client (offline with ``WANDB_MODE=offline``, or online) into
    one runs table, with no login and no network.

    Parameters
    ----------
    path
        A ``run-<id>.wandb`` file, a run directory (``wandb/offline-run-<time>-<id>``), or a directory
        above them (``wandb/``, or the training directory): every run file below it is read.
    keys
        History keys to read (default: all). Only numeric values are read; media, tables, histograms and
        text are skipped. Keys starting with ``_`` (``_step``, ``_runtime``, ``_timestamp``) are W&B
        internals. Nested values (``{"val": {"loss": 2.1}}``) are read as ``val.loss``.
    columns
        Renames from history, config or summary key to column, e.g. ``{"train/loss": "loss"}``.
    config
        Add each run's config (flattened with dots: ``{"model": {"d": 8}}`` gives ``model.d``) as
        run-constant columns.
    summary
        Add the run's summary values that are not history keys (values set with
        ``run.summary[key] = value``) as run-constant columns.
    constants
        History keys to attach to every row of their run (each must have one value per run).
    auto_constants
        Treat history keys with one value per run, logged at its first step (``n_params`` at step 0),
        as run constants: attached to every row of the run; a row that held nothing else is dropped.
    on_duplicate
        A key logged twice at one step in one run (a resumed run): ``"error"`` (default) or keep the
        ``"last"``.

    Returns
    -------
    polars.DataFrame
        One row per (``run_id``, ``step``) with some numeric history value, sorted by both; ``step`` is
        W&B's ``_step``; ``run_id`` is the run's id (files of one resumed run are merged). Then
        ``run_name``, ``project``, ``group`` (when a run has one), the config and the summary columns.
        W&B's encodings of non-finite floats ('NaN', 'Infinity') become float values; values are the
        float64 numbers logged. A run that logged no numeric history value is left out, with a warning;
        runs of job type ``"scaling-law-fit"`` (fits written back by ``log_fit``) are left out.

    Raises
    ------
    ImportError
        If ``wandb`` is not installed (``pip install 'scalinglaws[wandb]'``).
    DataError
        If ``path`` holds no run file, a file is not a W&B run file, the installed wandb cannot read run
        files (0.30: upgrade it), no numeric history value was logged, names collide, or values repeat
        with ``on_duplicate="error"``.

    Examples
    --------
    >>> df = read_wandb_offline("wandb/", columns={"train/loss": "loss"})  # doctest: +SKIP
    """
    check_on_duplicate(on_duplicate, _FUNCTION)
    rename = check_rename(columns, _FUNCTION)
    forced = check_constants(constants, _FUNCTION)
    files = wandb_run_files(path)
    scan = _reader()
    runs: dict[str, RunLog] = {}
    for file in files:
        log = _run_log(file, scan(file))
        if log.run_id in runs:  # a resumed run writes a new file with the same id
            _merge(runs[log.run_id], log)
        else:
            runs[log.run_id] = log
    runs = {run_id: log for run_id, log in runs.items() if log.info.get("job_type") != FIT_JOB_TYPE}
    if not runs:
        raise DataError(f"{_FUNCTION}: the run files in {str(path)!r} hold only fits written by log_fit "
                        f"(job type {FIT_JOB_TYPE!r}), no training runs.")
    wanted = None if keys is None else set(keys)
    records: list[tuple[str, int, str, float]] = []
    history_keys: set[str] = set()
    empty: list[str] = []
    for run_id, log in runs.items():
        n_before = len(records)
        for step, item in log.history:
            for key, value in item.items():
                if wanted is not None and key not in wanted:
                    continue
                history_keys.add(key)
                number = scalar_value(value)
                if number is not None:
                    records.append((run_id, step, key, number))
        if len(records) == n_before:
            empty.append(run_id)
    if not records:
        raise DataError(
            f"{_FUNCTION}: the runs in {str(path)!r} ({len(files)} run file(s)) logged no numeric history "
            f"values{'' if wanted is None else f' for keys {sorted(wanted)}'}."
        )
    if empty:
        warnings.warn(
            f"{_FUNCTION}: {len(empty)} run(s) logged no numeric history value and are left out: "
            f"{empty[:5]}{' ...' if len(empty) > 5 else ''}.",
            ToolkitWarning,
            stacklevel=2,
        )
    meta = {run_id: _metadata(log, config, summary, history_keys) for run_id, log in runs.items()}
    wide = wide_table(records, rename=rename, on_duplicate=on_duplicate, function=_FUNCTION,
                      source="the W&B run histories", constants=forced, auto_constants=auto_constants)
    return join_metadata(wide, metadata_table(meta, rename), _FUNCTION)


def _metadata(log: RunLog, config: bool, summary: bool, history_keys: set[str]) -> dict[str, Any]:
    row: dict[str, Any] = {"run_name": log.info.get("run_name"), "project": log.info.get("project")}
    if log.info.get("group"):
        row["group"] = log.info["group"]
    settings = flatten(log.config) if config else {}
    row.update(settings)
    if summary:
        for key, value in log.summary.items():
            if key in history_keys or value is None:
                continue
            if key in row:
                raise DataError(
                    f"{_FUNCTION}: run {log.run_id!r} has {key!r} in its config and in its summary. Pass "
                    "`summary=False` (--no-summary) to leave the summary out, or `config=False`."
                )
            row[key] = value
    return row


def _merge(into: RunLog, later: RunLog) -> None:
    into.info = {**later.info, **{k: v for k, v in into.info.items() if v},
                 "job_type": into.info.get("job_type")}  # a run's kind is what it was started as
    _deep_update(into.config, later.config)
    into.history.extend(later.history)
    into.summary.update(later.summary)


# ------------------------------------------------------------------------------------------ records
def _run_log(path: Path, records: Iterator[Mapping[str, Any]]) -> RunLog:
    """Fold a run file's records (in the JSON shape of ``wandb leet inspect --json``) into a RunLog."""
    stem = path.stem
    log = RunLog(path, stem.removeprefix("run-"))
    for record in records:
        kind = record.get("type")
        body = record.get(str(kind))
        if not isinstance(body, Mapping):
            continue
        if kind == "run":
            log.run_id = str(body.get("run_id") or log.run_id)
            log.info = {"run_name": body.get("display_name") or None, "project": body.get("project") or None,
                        "entity": body.get("entity") or None, "group": body.get("run_group") or None,
                        "tags": list(body.get("tags") or []), "job_type": body.get("job_type") or None}
            _apply_config(log.config, body.get("config"))
        elif kind == "config":
            _apply_config(log.config, body)
        elif kind == "history":
            item = _flat(body.get("item") or {})
            step = (body.get("step") or {}).get("num", item.get("_step"))
            if isinstance(step, float) and step.is_integer():
                step = int(step)
            if not isinstance(step, int) or isinstance(step, bool):
                raise DataError(f"{_FUNCTION}: a history record of {str(path)!r} has no integer step "
                                f"(got {step!r}); the file is not a W&B run file or is damaged.")
            log.history.append((step, {k: v for k, v in item.items() if not _internal(k)}))
        elif kind == "summary":
            for key, value in _flat(body.get("update") or {}).items():
                if not _internal(key):
                    log.summary[key] = value
            for removed in body.get("remove") or []:
                log.summary.pop(_item_key(removed), None)
    return log


def _apply_config(config: dict[str, Any], body: Any) -> None:
    if not isinstance(body, Mapping):
        return
    update = body.get("update")
    if isinstance(update, Mapping):
        _deep_update(config, {k: v for k, v in update.items() if not str(k).startswith("_")})
    for removed in body.get("remove") or []:
        path = _item_key(removed).split(".")
        node: Any = config
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)


def _deep_update(into: dict[str, Any], update: Mapping[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _deep_update(into[key], value)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value


def _item_key(item: Any) -> str:
    if isinstance(item, Mapping):
        nested = item.get("nested_key")
        return ".".join(str(k) for k in nested) if nested else str(item.get("key", ""))
    return str(item)


def _internal(key: str) -> bool:
    return any(part.startswith("_") for part in key.split("."))


def _flat(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested values as dotted keys; W&B objects (images, tables, histograms: a dict with ``_type``,
    or keys ``<name>._type`` once flattened) are left out."""
    out: dict[str, Any] = {}
    for raw, value in values.items():
        name = f"{prefix}{raw}"
        if isinstance(value, Mapping):
            if "_type" not in value:
                out.update(_flat(value, name + "."))
        else:
            out[name] = value
    objects = {k[: -len("._type")] for k in out if k.endswith("._type")}
    if not objects:
        return out
    return {k: v for k, v in out.items() if not any(k.startswith(o + ".") for o in objects)}


# ------------------------------------------------------------------------------------------ readers
def _reader() -> Any:
    """W&B's reader of run files for the installed wandb: a function from path to records."""
    wandb = require("wandb", "wandb")
    version = str(getattr(wandb, "__version__", "?"))
    try:
        datastore = importlib.import_module("wandb.sdk.internal.datastore")
        records_pb = importlib.import_module("wandb.proto.wandb_internal_pb2")
    except ImportError:
        pass
    else:
        return lambda path: _datastore_records(datastore, records_pb, version, path)
    upgrade = (f"Install wandb >= {_MIN_CORE} (`pip install -U 'wandb>={_MIN_CORE}'`), or upload the runs "
               "with `wandb sync DIR` and read them with `read_wandb('entity/project')`.")
    if _version(version) < _version(_MIN_CORE):  # 0.30: no DataStore, and `leet inspect` has no --json
        raise DataError(f"{_FUNCTION}: wandb {version} has no reader of run files. {upgrade}")
    try:
        core = str(importlib.import_module("wandb.util").get_core_path())
    except Exception as exc:  # WandbCoreNotAvailableError (no wandb-core for this platform)
        raise DataError(
            f"{_FUNCTION}: wandb {version} has no reader of run files here ({type(exc).__name__}: {exc}). "
            f"{upgrade}"
        ) from exc
    return lambda path: _core_records(core, version, path)


def _version(text: str) -> tuple[int, ...]:
    """``"0.31.0"`` -> ``(0, 31)``; unparsable versions count as new."""
    parts = re.findall(r"\d+", text)[:2]
    return tuple(int(p) for p in parts) if len(parts) == 2 else (1 << 30,)


def _core_records(core: str, version: str, path: Path) -> Iterator[dict[str, Any]]:
    """Records of ``path`` from ``wandb-core leet inspect --json`` (one JSON object per line)."""
    command = [core, "leet", "inspect", "--json", "--no-observability", "--run-file", str(path),
               str(path.parent)]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors,
                                   stdin=subprocess.DEVNULL)
        assert process.stdout is not None
        try:
            for number, line in enumerate(process.stdout, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"{_FUNCTION}: wandb-core printed a line that is not JSON for "
                                    f"{str(path)!r} (line {number}: {exc}).") from exc
                if isinstance(record, dict):
                    yield record
        finally:
            process.stdout.close()
            code = process.wait()
        if code != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip()
            raise DataError(
                f"{_FUNCTION}: W&B (wandb {version}) could not read {str(path)!r} "
                f"({message or f'exit code {code}'}). Is it a W&B run file (run-<id>.wandb)?"
            )


def _datastore_records(datastore: Any, records_pb: Any, version: str, path: Path) -> Iterator[dict[str, Any]]:
    """Records of ``path`` from wandb's Python DataStore (wandb <= 0.29), in the JSON shape above."""
    store = datastore.DataStore()
    try:
        try:
            store.open_for_scan(str(path))
        except Exception as exc:  # the DataStore raises a bare Exception("Invalid header") or OSError
            raise DataError(f"{_FUNCTION}: W&B (wandb {version}) could not read {str(path)!r} ({exc}). Is it a "
                            "W&B run file (run-<id>.wandb)?") from exc
        yield from _datastore_scan(store, records_pb)
    finally:
        store.close()


def _datastore_scan(store: Any, records_pb: Any) -> Iterator[dict[str, Any]]:
    while True:
        try:
            data = store.scan_data()
        except AssertionError:  # the last record of a run still being written (or killed) is partial
            return
        if data is None:
            return
        record = records_pb.Record()
        record.ParseFromString(data)
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run = record.run
            yield {"type": "run", "run": {
                "run_id": run.run_id, "display_name": run.display_name, "project": run.project,
                "entity": run.entity, "run_group": run.run_group, "tags": list(run.tags),
                "job_type": run.job_type,
                "config": {"update": _items(run.config.update)}}}
        elif kind == "history":
            step = record.history.step.num if record.history.HasField("step") else None
            yield {"type": "history", "history": {"item": _items(record.history.item),
                                                  **({} if step is None else {"step": {"num": step}})}}
        elif kind in ("config", "summary"):
            body = getattr(record, kind)
            yield {"type": kind, kind: {
                "update": _items(body.update),
                "remove": [".".join(i.nested_key) if i.nested_key else i.key for i in body.remove]}}


def _items(items: Any) -> dict[str, Any]:
    """Protobuf config/history/summary items (key or nested_key, value_json) as a nested dict."""
    out: dict[str, Any] = {}
    for item in items:
        path = list(item.nested_key) or [item.key]
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = json.loads(item.value_json) if item.value_json else None
    return out
