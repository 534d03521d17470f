"""Write a fit back to the tracker its data came from: MLflow (a run of the experiment) or W&B (a run of
the project, offline or online).

What is logged: the fitted parameters, their standard errors and intervals (bootstrap percentiles when
the fit carries bootstrap draws, else the normal approximation from the delta-method standard errors),
the fit's settings and status, the fit itself as ``fit.json``, and the HTML report when one is given.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from typing import Any, Literal, Protocol, get_args

from scalinglaws.data.adapters._common import require
from scalinglaws.data.adapters._mlflow import (
    DEFAULT_TIMEOUT,
    check_reachable,
    check_timeout,
    resolve_tracking_uri,
)
from scalinglaws.data.adapters._wandb_offline import FIT_JOB_TYPE
from scalinglaws.errors import ArgumentError, DataError

__all__ = ["Destination", "FitLike", "LoggedFit", "Tracker", "fit_record", "log_fit", "resolve_destination"]

Tracker = Literal["mlflow", "wandb"]

_FUNCTION = "log_fit"

_PREFIX = "fit"
_ARTIFACTS = "scalinglaws"


class FitLike(Protocol):
    """What :func:`log_fit` reads of a fit (a :class:`scalinglaws.FitResult`)."""

    @property
    def params(self) -> Mapping[str, float]: ...
    @property
    def stderr(self) -> Mapping[str, float] | None: ...
    @property
    def bootstrap(self) -> Any: ...
    @property
    def status(self) -> Any: ...
    @property
    def law(self) -> Any: ...
    @property
    def config(self) -> Any: ...
    @property
    def objective(self) -> float: ...
    @property
    def rss(self) -> float: ...
    @property
    def n_points(self) -> int: ...
    @property
    def data_digest(self) -> str: ...
    def to_json(self) -> str: ...


@dataclass(frozen=True)
class Destination:
    """Where a fit goes: a tracker, an MLflow experiment or W&B project, and optionally an existing run."""

    tracker: Tracker
    experiment: str | None
    run_id: str | None = None
    tracking_uri: str | None = None
    timeout: float = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class LoggedFit:
    """Where a fit was logged: the tracker, the experiment or project, the run and its address."""

    tracker: Tracker
    experiment: str | None
    run_id: str
    location: str
    """MLflow: the tracking URI. W&B: the run's local folder (offline runs: upload it with `wandb sync`)."""

    def describe(self) -> str:
        where = f"experiment {self.experiment!r}" if self.tracker == "mlflow" else f"project {self.experiment!r}"
        return f"{self.tracker} run {self.run_id} ({where}, {self.location})"


def resolve_destination(
    to: object,
    *,
    experiment: str | None = None,
    run_id: str | None = None,
    tracking_uri: str | None = None,
    data: Any = None,
    timeout: float = DEFAULT_TIMEOUT,
    check: bool = True,
) -> Destination:
    """Check where a fit is to be logged, before any work is done, and fill in what the data says.

    With no ``experiment``, the one the data came from is used: the single value of the data's
    ``experiment`` column (tables from :func:`read_mlflow`) or ``project`` column (tables from
    :func:`read_wandb_offline` and :func:`read_wandb`). With ``check``, an MLflow server is asked once
    (within ``timeout`` seconds) and wandb must be importable.

    Raises
    ------
    ArgumentError
        If ``to`` is not ``"mlflow"`` or ``"wandb"``, no experiment is given and the data does not name
        exactly one, or ``timeout`` is not positive.
    DataError
        If the MLflow server does not answer within ``timeout``.
    ImportError
        If the tracker's package is not installed.
    """
    if to not in get_args(Tracker):
        raise ArgumentError(
            f"`to` of {_FUNCTION} must be 'mlflow' or 'wandb'. Got {to!r} instead.",
            argument="to", function=_FUNCTION, rule="'mlflow' or 'wandb'", value=to,
        )
    tracker: Tracker = "mlflow" if to == "mlflow" else "wandb"
    seconds = check_timeout(timeout, _FUNCTION)
    names: tuple[tuple[str, object], ...] = (("experiment", experiment), ("run_id", run_id))
    for name, value in names:
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ArgumentError(
                f"`{name}` of {_FUNCTION} must be a non-empty name. Got {value!r} instead.",
                argument=name, function=_FUNCTION, rule="a non-empty name", value=value,
            )
    column = "experiment" if tracker == "mlflow" else "project"
    if experiment is None:
        experiment = _single_value(data, column)
    if experiment is None and run_id is None:
        what, article = ("MLflow experiment", "an") if tracker == "mlflow" else ("W&B project", "a")
        raise ArgumentError(
            f"`experiment` of {_FUNCTION}: give the {what} to log the fit to; the data does not name one "
            f"(it has no single value in {article} `{column}` column).",
            argument="experiment", function=_FUNCTION,
        )
    uri = None
    if tracker == "mlflow":
        require("mlflow.tracking", "mlflow")
        uri = resolve_tracking_uri(tracking_uri)
        if check:
            check_reachable(uri, seconds, _FUNCTION, given=tracking_uri is not None)
    elif check:
        require("wandb", "wandb")
    return Destination(tracker, experiment, run_id, uri, seconds)


def _single_value(data: Any, column: str) -> str | None:
    """The one value of ``column`` in a frame or mapping of columns (None if absent or not one value)."""
    if data is None:
        return None
    names = data.columns if hasattr(data, "columns") else list(data) if isinstance(data, Mapping) else []
    if column not in list(names):
        return None
    distinct = {str(v) for v in list(data[column]) if v is not None}
    return distinct.pop() if len(distinct) == 1 else None


def fit_record(result: FitLike, prob: float = 0.95) -> dict[str, Any]:
    """The fit as flat, JSON-friendly values: settings, and per parameter its value, standard error and
    ``prob`` interval (bootstrap percentiles if the fit has draws, else value +- z * stderr).

    Non-finite numbers are None.
    """
    given: object = prob
    if isinstance(given, bool) or not isinstance(given, int | float) or not 0 < given < 1:
        raise ArgumentError(
            f"`prob` of {_FUNCTION} must be a probability strictly between 0 and 1. Got {prob!r} instead.",
            argument="prob", function=_FUNCTION, rule="a probability strictly between 0 and 1", value=prob,
        )
    intervals: dict[str, tuple[float, float]] = {}
    method = None
    if result.bootstrap is not None:
        try:
            found = result.bootstrap.interval(prob)
        except (ValueError, IndexError):  # no finite draw of some parameter
            found = {}
        intervals = {name: (i.lower, i.upper) for name, i in found.items()}
        method = f"bootstrap percentiles, {result.bootstrap.label}" if intervals else None
    if not intervals and result.stderr:
        z = NormalDist().inv_cdf((1 + prob) / 2)
        intervals = {n: (result.params[n] - z * se, result.params[n] + z * se)
                     for n, se in result.stderr.items() if n in result.params and math.isfinite(se)}
        method = "normal approximation, delta-method standard errors"
    params = {}
    for name, value in result.params.items():
        se = result.stderr.get(name) if result.stderr else None
        lower, upper = intervals.get(name, (None, None))
        params[name] = {"value": _finite(value), "stderr": _finite(se), "lower": _finite(lower),
                        "upper": _finite(upper)}
    config = result.config
    return {
        "law": str(result.law.label),
        "formula": str(getattr(result.law, "formula", "")),
        "status": str(getattr(result.status, "value", result.status)),
        "loss": str(getattr(config, "loss", "")),
        "space": str(getattr(config, "space", "")),
        "target": str(getattr(config, "target", "")),
        "n_points": int(result.n_points),
        "objective": _finite(result.objective),
        "rss": _finite(result.rss),
        "data_digest": str(result.data_digest),
        "interval_prob": float(prob),
        "interval_method": method,
        "params": params,
    }


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _metrics(record: Mapping[str, Any]) -> dict[str, float]:
    """``fit.<param>``, ``fit.<param>.stderr|lower|upper``, ``fit.objective``... with finite values only;
    parameter names are made safe for tracker keys (``A[g1]`` -> ``A_g1_``)."""
    out: dict[str, float] = {}
    safe: dict[str, str] = {}
    for name, entry in record["params"].items():
        key = re.sub(r"[^\w\-. /]", "_", name)
        if key in safe:
            raise DataError(
                f"{_FUNCTION}: parameters {safe[key]!r} and {name!r} would both be logged as {key!r}; rename "
                "one of them (or the groups)."
            )
        safe[key] = name
        for part, value in entry.items():
            if value is not None:
                out[f"{_PREFIX}.{key}" if part == "value" else f"{_PREFIX}.{key}.{part}"] = value
    for name in ("objective", "rss", "n_points"):
        if record[name] is not None:
            out[f"{_PREFIX}.{name}"] = float(record[name])
    return out


def _settings(record: Mapping[str, Any]) -> dict[str, str]:
    keys = ("law", "formula", "status", "loss", "space", "target", "data_digest", "interval_prob",
            "interval_method")
    return {f"{_PREFIX}.{k}": str(record[k]) for k in keys if record[k] is not None}


def log_fit(
    result: FitLike,
    to: Tracker | Destination,
    *,
    experiment: str | None = None,
    run_id: str | None = None,
    run_name: str | None = None,
    tracking_uri: str | None = None,
    data: Any = None,
    report: str | Path | None = None,
    prob: float = 0.95,
    timeout: float = DEFAULT_TIMEOUT,
    wandb_dir: str | Path | None = None,
    wandb_mode: Literal["online", "offline"] | None = None,
) -> LoggedFit:
    """Log a fit (parameters, intervals, settings, ``fit.json`` and the report) to MLflow or W&B.

    Parameters
    ----------
    result
        The fit (a :class:`scalinglaws.FitResult`).
    to
        ``"mlflow"`` or ``"wandb"``, or a :class:`Destination` from :func:`resolve_destination`.
    experiment
        MLflow experiment (created if missing) or W&B project (``"entity/project"`` or ``"project"``).
        Default: the one the ``data`` came from (its single ``experiment`` or ``project`` value).
    run_id
        Log into this existing run (MLflow run id; W&B run id, resumed) instead of a new run.
    run_name
        Name of the new run (default: ``"fit <law>"``).
    tracking_uri
        MLflow tracking URI (default: ``$MLFLOW_TRACKING_URI``).
    data
        The runs table the fit was made from, to find ``experiment``.
    report
        An HTML report (``scalinglaws report``) to attach as an artifact.
    prob
        Probability of the logged intervals.
    timeout
        Seconds to wait for an MLflow server to answer before giving up.
    wandb_dir
        Folder for W&B's local run files (default: W&B's, ``$WANDB_DIR``).
    wandb_mode
        ``"offline"`` writes the run locally for a later ``wandb sync``; default: W&B's
        (``$WANDB_MODE``, else online, which needs ``wandb login``).

    Returns
    -------
    LoggedFit
        The run the fit went to.

    Raises
    ------
    ArgumentError
        If ``to`` is unknown, no experiment is given or found in ``data``, ``prob`` or ``timeout`` is out of
        range, or ``report`` is not a file.
    DataError
        If the tracker refuses (the MLflow server does not answer within ``timeout``, the run does not
        exist, W&B needs a login: the message says how).
    ImportError
        If the tracker's package is not installed.

    Logged values: metrics (MLflow) or summary values (W&B) ``fit.<param>``, ``fit.<param>.stderr``,
    ``fit.<param>.lower``, ``fit.<param>.upper``, ``fit.objective``, ``fit.rss``, ``fit.n_points``
    (finite values only); parameters (MLflow) or config (W&B) ``fit.law``, ``fit.formula``,
    ``fit.status``, ``fit.loss``, ``fit.space``, ``fit.target``, ``fit.data_digest``,
    ``fit.interval_prob``, ``fit.interval_method``; artifacts ``scalinglaws/fit.json`` and the report.
    """
    destination = to if isinstance(to, Destination) else resolve_destination(
        to, experiment=experiment, run_id=run_id, tracking_uri=tracking_uri, data=data, timeout=timeout)
    record = fit_record(result, prob)
    page = None
    if report is not None:
        page = Path(report)
        if not page.is_file():
            raise ArgumentError(f"`report` of {_FUNCTION}: no file at {str(page)!r}.", argument="report",
                                function=_FUNCTION)
    name = run_name or f"fit {record['law']}"
    if destination.tracker == "mlflow":
        return _log_mlflow(result, record, destination, name, page)
    return _log_wandb(result, record, destination, name, page, wandb_dir, wandb_mode)


def _log_mlflow(result: FitLike, record: dict[str, Any], where: Destination, name: str,
                page: Path | None) -> LoggedFit:
    tracking = require("mlflow.tracking", "mlflow")
    entities = require("mlflow.entities", "mlflow")
    mlflow_exceptions = require("mlflow.exceptions", "mlflow")
    uri = str(where.tracking_uri)
    check_reachable(uri, where.timeout, _FUNCTION)
    try:
        client = tracking.MlflowClient(tracking_uri=uri)
        created = where.run_id is None
        if where.run_id is not None:
            run = client.get_run(where.run_id)
            experiment = client.get_experiment(run.info.experiment_id).name
            run_id = run.info.run_id
        else:
            experiment = str(where.experiment)
            found = client.get_experiment_by_name(experiment)
            experiment_id = found.experiment_id if found is not None else client.create_experiment(experiment)
            run = client.create_run(experiment_id, run_name=name,
                                    tags={"scalinglaws.kind": "fit", "scalinglaws.law": record["law"]})
            run_id = run.info.run_id
        now = int(time.time() * 1000)
        metrics = [entities.Metric(k, v, now, 0) for k, v in _metrics(record).items()]
        params = [entities.Param(k, v) for k, v in _settings(record).items()]
        client.log_batch(run_id, metrics=metrics, params=params)
        client.log_text(run_id, result.to_json() + "\n", f"{_ARTIFACTS}/fit.json")
        if page is not None:
            client.log_artifact(run_id, str(page), artifact_path=_ARTIFACTS)
        if created:
            client.set_terminated(run_id)
    except mlflow_exceptions.MlflowException as exc:
        raise DataError(f"{_FUNCTION}: the MLflow tracking server at {uri!r} refused the fit: {exc}") from exc
    except OSError as exc:
        raise DataError(f"{_FUNCTION}: could not write the fit to the MLflow tracking server at {uri!r}: "
                        f"{exc}") from exc
    return LoggedFit("mlflow", experiment, run_id, uri)


def _log_wandb(result: FitLike, record: dict[str, Any], where: Destination, name: str, page: Path | None,
               wandb_dir: str | Path | None, mode: str | None) -> LoggedFit:
    wandb = require("wandb", "wandb")
    entity, project = None, where.experiment
    if project is not None and "/" in project:
        entity, project = project.split("/", 1)
    config = {"fit": {k.removeprefix(f"{_PREFIX}."): v for k, v in _settings(record).items()}}
    summary = {k.replace(".", "/"): v for k, v in _metrics(record).items()}
    errors = require("wandb.errors", "wandb").Error
    try:
        settings = wandb.Settings(silent=True, console="off", disable_git=True, save_code=False)
        run = wandb.init(
            project=project, entity=entity, id=where.run_id, resume="allow" if where.run_id else None,
            name=None if where.run_id else name, job_type=None if where.run_id else FIT_JOB_TYPE, mode=mode,
            dir=None if wandb_dir is None else str(wandb_dir), settings=settings,
        )
        try:
            run.config.update(config, allow_val_change=True)
            run.summary.update(summary)
            artifact = wandb.Artifact(f"fit-{run.id}", type=FIT_JOB_TYPE,
                                      metadata={"law": record["law"], "status": record["status"]})
            with artifact.new_file("fit.json", mode="w", encoding="utf-8") as handle:
                handle.write(result.to_json() + "\n")
            if page is not None:
                artifact.add_file(str(page), name=page.name)
            run.log_artifact(artifact)
            run_id, folder = str(run.id), str(Path(run.dir).parent)
        finally:
            run.finish()
    except errors as exc:
        raise DataError(
            f"{_FUNCTION}: W&B refused the fit for project {where.experiment!r}: {type(exc).__name__}: {exc} "
            "Writing to the W&B server needs a login: run `wandb login` (or set WANDB_API_KEY). Or log "
            "offline, with no login: set WANDB_MODE=offline (or `wandb_mode='offline'`) and upload the run "
            "later with `wandb sync`."
        ) from exc
    return LoggedFit("wandb", where.experiment, run_id, folder)
