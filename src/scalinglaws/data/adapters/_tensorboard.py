"""Read scalars and hyper-parameters from TensorBoard event files into a runs table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from scalinglaws.data.adapters._common import (
    OnDuplicate,
    check_constants,
    check_on_duplicate,
    check_rename,
    join_metadata,
    metadata_table,
    require,
    wide_table,
)
from scalinglaws.errors import DataError

__all__ = ["read_tensorboard"]


@dataclass
class _Folder:
    """What one folder of event files holds."""

    path: Path
    events: list[tuple[float, int, str, float]] = field(default_factory=list)  # wall time, step, tag, value
    hparams: dict[str, Any] = field(default_factory=dict)
    has_session: bool = False  # holds an hparams session (session_start_info)
    first_time: float = 0.0

    @property
    def is_session_only(self) -> bool:
        """Written by ``add_hparams`` (tensorboardX, PyTorch): a session and one value per metric tag."""
        tags = [e[2] for e in self.events]
        return self.has_session and len(tags) == len(set(tags))


def _run_dirs(root: Path) -> list[Path]:
    return sorted({p.parent for p in root.rglob("*tfevents*") if p.is_file()})


def read_tensorboard(
    logdir: str | Path,
    *,
    tags: Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
    hparams: bool = True,
    constants: Sequence[str] = (),
    auto_constants: bool = True,
    on_duplicate: OnDuplicate = "error",
) -> pl.DataFrame:
    """Read every scalar and hyper-parameter of every run under a TensorBoard log directory.

    Each folder holding ``*tfevents*`` files is one run; its ``run_id`` is the folder's path relative to
    ``logdir`` (``logdir``'s own name for event files directly inside it). Both kinds of scalar summaries
    are read: ``simple_value`` (PyTorch, tensorboardX, TF1) and scalar tensors of the ``scalars`` plugin
    (TF2). All logged points are read, with no reservoir sampling, and nothing is purged on restarts.

    Hyper-parameters of the HParams plugin become run-constant columns. ``add_hparams`` of tensorboardX
    and PyTorch writes them, with its metric values, into a new sub-folder of the run (named by the time,
    or ``run_name``); such a sub-folder (an hparams session with one value per tag, inside another run's
    folder) is read as part of that run, not as a run of its own, and its metric values are run-constant
    too. Hyper-parameters written into the run's own files (TF2's ``hp.hparams``) are read as well.

    A tag with one value per run, logged at the run's first step (``n_params`` at step 0, say), is a run
    constant: it is attached to every row of its run, and a row that held nothing else is dropped.

    Parameters
    ----------
    logdir
        Root log directory.
    tags
        Scalar tags to read (default: all). Hyper-parameters are read whatever ``tags`` says.
    columns
        Renames from tag or hyper-parameter name to column, e.g. ``{"train/loss": "loss"}``; others keep
        their names.
    hparams
        Read hyper-parameters (HParams plugin) as columns.
    constants
        Further tags to attach to every row of their run (each must have one value per run).
    auto_constants
        Treat tags with one value per run, logged at its first step, as run constants (see above).
    on_duplicate
        A tag logged twice at one step in one run (typically a resumed run), or a hyper-parameter given
        two values for one run: ``"error"`` (default) raises, ``"last"`` keeps the value written last.

    Returns
    -------
    polars.DataFrame
        One row per (``run_id``, ``step``) at which some tag was logged, sorted by both, one Float64
        column per tag (null where a tag was not logged at that step), then the hyper-parameters (Float64
        for numbers, Boolean, or String). Scalar values are the float32 numbers stored in the event files,
        widened to float64; hyper-parameters are float64.

    Raises
    ------
    ImportError
        If the ``tensorboard`` package is not installed (``pip install 'scalinglaws[tensorboard]'``).
    DataError
        If ``logdir`` is not a directory, holds no event files, has no scalar among ``tags``, an event
        file is corrupt, a renaming collides, a hyper-parameter has the name of a tag, or values repeat
        with ``on_duplicate="error"``.

    Examples
    --------
    >>> df = read_tensorboard("runs/", columns={"train/loss": "loss"})  # doctest: +SKIP
    """
    check_on_duplicate(on_duplicate, "read_tensorboard")
    rename = check_rename(columns, "read_tensorboard")
    forced = check_constants(constants, "read_tensorboard")
    ea = require("tensorboard.backend.event_processing.event_accumulator", "tensorboard")
    tensor_util = require("tensorboard.util.tensor_util", "tensorboard")
    hp_metadata = require("tensorboard.plugins.hparams.metadata", "tensorboard")
    root = Path(logdir)
    if not root.is_dir():
        raise DataError(f"`logdir` of read_tensorboard must be a directory. Got {str(root)!r} instead.")
    dirs = _run_dirs(root)
    if not dirs:
        raise DataError(
            f"`logdir` of read_tensorboard: no TensorBoard event files (*tfevents*) under {str(root)!r}."
        )
    wanted = None if tags is None else set(tags)
    folders: dict[Path, _Folder] = {}
    for folder in dirs:
        try:
            folders[folder] = _read_folder(ea, tensor_util, hp_metadata, folder, wanted)
        except DataError:
            raise
        except Exception as exc:  # corrupt files surface as protobuf or IO errors of various types
            raise DataError(
                f"read_tensorboard: could not read the event files of run {_run_id(root, folder)!r} in "
                f"{str(folder)!r}: {type(exc).__name__}: {exc}"
            ) from exc
    owners = _owners(folders)
    records: list[tuple[str, int, str, float]] = []
    meta: dict[str, dict[str, Any]] = {}
    session_tags: set[str] = set()
    for folder, data in folders.items():
        if folder in owners:
            continue
        run_id = _run_id(root, folder)
        sessions = sorted((f for f, o in owners.items() if o == folder), key=lambda f: folders[f].first_time)
        events = list(data.events)
        own_tags = {e[2] for e in events}
        for session in sessions:
            events.extend(e for e in folders[session].events if e[2] in own_tags)
        for tag, event in _session_metrics(run_id, [folders[c] for c in sessions], own_tags,
                                           on_duplicate).items():
            events.append(event)
            session_tags.add(tag)
        events.sort(key=lambda e: e[0])  # logging order; the sort is stable for equal wall times
        records.extend((run_id, step, tag, value) for _, step, tag, value in events)
        if hparams:
            meta[run_id] = _merge_hparams(run_id, [data, *(folders[c] for c in sessions)], on_duplicate)
    if not records:
        which = "any scalar" if wanted is None else f"any of the tags {sorted(wanted)}"
        raise DataError(f"read_tensorboard: the runs under {str(root)!r} have no values for {which}.")
    wide = wide_table(records, rename=rename, on_duplicate=on_duplicate, function="read_tensorboard",
                      source="the event files", constants=sorted(set(forced) | session_tags),
                      auto_constants=auto_constants)
    if not any(meta.values()):
        return wide
    return join_metadata(wide, metadata_table(meta, rename), "read_tensorboard")


def _run_id(root: Path, folder: Path) -> str:
    return (root.resolve().name or str(root)) if folder == root else folder.relative_to(root).as_posix()


def _owners(folders: Mapping[Path, _Folder]) -> dict[Path, Path]:
    """Session-only folders -> the run folder they belong to (the nearest enclosing run folder)."""
    sessions = {p for p, f in folders.items() if f.is_session_only}
    owners: dict[Path, Path] = {}
    for path in sessions:
        owner = next((a for a in path.parents if a in folders and a not in sessions), None)
        if owner is not None:
            owners[path] = owner
    return owners


def _merge_hparams(run_id: str, parts: Sequence[_Folder], on_duplicate: OnDuplicate) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    source: dict[str, Path] = {}
    for part in parts:
        for name, value in part.hparams.items():
            if name in merged and merged[name] != value and on_duplicate == "error":
                raise DataError(
                    f"read_tensorboard: run {run_id!r} gives hyper-parameter {name!r} two values: "
                    f"{merged[name]!r} (in {str(source[name])!r}) and {value!r} (in {str(part.path)!r}). "
                    "Pass `on_duplicate='last'` to keep the one written last, or remove the stale session."
                )
            merged[name] = value
            source[name] = part.path
    return merged


def _session_metrics(
    run_id: str, sessions: Sequence[_Folder], own_tags: set[str], on_duplicate: OnDuplicate
) -> dict[str, tuple[float, int, str, float]]:
    """The metric values of a run's ``add_hparams`` sessions, one per tag (run-constant columns).

    A tag the run also logs itself is an ordinary scalar of the run (its session value joins the
    run's series at its step). Two sessions that give a tag different values are an error, unless
    ``on_duplicate='last'`` (then the session written last wins).
    """
    out: dict[str, tuple[float, int, str, float]] = {}
    for session in sessions:
        for event in session.events:
            tag = event[2]
            if tag in own_tags:
                continue
            if tag in out and out[tag][3] != event[3] and on_duplicate == "error":
                raise DataError(
                    f"read_tensorboard: run {run_id!r} has several add_hparams sessions that give metric "
                    f"{tag!r} different values ({out[tag][3]!r} and {event[3]!r}). Pass "
                    "`on_duplicate='last'` to keep the value written last, or remove the stale session "
                    f"folder ({str(session.path)!r} is the later one)."
                )
            out[tag] = event
    return out


def _read_folder(ea: Any, tensor_util: Any, hp_metadata: Any, folder: Path, wanted: set[str] | None) -> _Folder:
    acc = ea.EventAccumulator(
        str(folder), size_guidance={ea.SCALARS: 0, ea.TENSORS: 0}, purge_orphaned_data=False
    )
    acc.Reload()
    out = _Folder(folder)
    available = acc.Tags()
    for tag in available.get("scalars", []):
        if wanted is None or tag in wanted:
            out.events.extend((e.wall_time, int(e.step), tag, float(e.value)) for e in acc.Scalars(tag))
    for tag in available.get("tensors", []):
        if wanted is not None and tag not in wanted:
            continue
        if acc.SummaryMetadata(tag).plugin_data.plugin_name != "scalars":
            continue
        for e in acc.Tensors(tag):
            array = tensor_util.make_ndarray(e.tensor_proto)
            if array.size == 1:
                out.events.append((e.wall_time, int(e.step), tag, float(array.reshape(()))))
    out.events.sort(key=lambda e: e[0])
    try:
        contents = acc.PluginTagToContent(hp_metadata.PLUGIN_NAME)
    except KeyError:  # no summary of the hparams plugin in this folder
        contents = {}
    for tag, content in contents.items():
        if tag != hp_metadata.SESSION_START_INFO_TAG:
            continue
        out.has_session = True
        info = hp_metadata.parse_session_start_info_plugin_data(content)
        for name in sorted(info.hparams):  # a protobuf map has no order of its own: sort, for one column order
            value = info.hparams[name]
            kind = value.WhichOneof("kind")
            if kind == "number_value":
                out.hparams[name] = float(value.number_value)
            elif kind == "string_value":
                out.hparams[name] = value.string_value
            elif kind == "bool_value":
                out.hparams[name] = bool(value.bool_value)
    try:
        out.first_time = float(acc.FirstEventTimestamp())
    except ValueError:  # no event with a timestamp
        out.first_time = 0.0
    return out
