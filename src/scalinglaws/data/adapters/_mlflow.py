"""Read runs and metric histories from an MLflow tracking server into a runs table."""

from __future__ import annotations

import http.client
import math
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import polars as pl

from scalinglaws.data.adapters._common import (
    OnDuplicate,
    check_constants,
    check_names,
    check_on_duplicate,
    check_rename,
    join_metadata,
    metadata_table,
    require,
    wide_table,
)
from scalinglaws.errors import ArgumentError, DataError

__all__ = ["DEFAULT_TIMEOUT", "check_reachable", "read_mlflow", "resolve_tracking_uri"]

_PAGE = 1000

DEFAULT_TIMEOUT = 10.0
"""Seconds to wait for an MLflow tracking server to answer before giving up."""


def read_mlflow(
    experiments: str | Sequence[str],
    *,
    tracking_uri: str | None = None,
    metrics: Sequence[str] | None = None,
    params: Sequence[str] | Literal["all", "none"] = "all",
    columns: Mapping[str, str] | None = None,
    filter_string: str = "",
    group_tag: str | None = None,
    constants: Sequence[str] = (),
    auto_constants: bool = True,
    on_duplicate: OnDuplicate = "error",
    timeout: float = DEFAULT_TIMEOUT,
) -> pl.DataFrame:
    """Read the runs of MLflow experiments, with their full metric histories, into one runs table.

    Parameters
    ----------
    experiments
        Experiment name(s) or id(s).
    tracking_uri
        Tracking server, e.g. ``"http://127.0.0.1:5000"``; default: MLflow's own resolution
        (``MLFLOW_TRACKING_URI``).
    metrics
        Metric keys to read (default: every metric of every run). Histories are read in full, one
        request per run and metric.
    params
        Run parameters to add as columns: ``"all"`` (default), ``"none"`` or a list of keys. MLflow stores
        parameters as text; a parameter whose values all parse as numbers becomes Float64.
    columns
        Renames from metric or parameter key to column, e.g. ``{"val_loss": "loss"}``.
    filter_string
        MLflow search filter, e.g. ``"params.model_size = '125M'"``.
    group_tag
        Run tag whose value fills the ``group`` column (e.g. ``"sweep"``).
    constants
        Metrics to attach to every row of their run (each must have one value per run).
    auto_constants
        Treat metrics with one value per run, logged at its first step (``n_params`` at step 0,
        MLflow's default step), as run constants: attached to every row of the run; a row that held
        nothing else is dropped.
    on_duplicate
        A metric logged twice at one step in one run: ``"error"`` (default) or keep the ``"last"`` by
        timestamp.
    timeout
        Seconds to wait for an HTTP(S) tracking server to answer before giving up (default 10). The
        server is asked once, without MLflow's retries, before anything is read, so that a wrong URI or
        a server that is down fails in seconds rather than after minutes of retries.

    Returns
    -------
    polars.DataFrame
        One row per (``run_id``, ``step``) at which some metric was logged, sorted by both, with one
        Float64 column per metric (null where not logged at that step), then ``run_name``,
        ``experiment``, ``group`` (with ``group_tag``) and the parameters. Values are exactly the
        float64 numbers stored by MLflow.

    Raises
    ------
    ImportError
        If ``mlflow`` is not installed (``pip install 'scalinglaws[mlflow]'``).
    ArgumentError
        If ``timeout`` is not a positive number of seconds.
    DataError
        If the server does not answer within ``timeout`` (the message names the URI), an experiment does
        not exist, the server fails, no run has the requested metrics, names collide, or values repeat
        with ``on_duplicate="error"``.
    """
    check_on_duplicate(on_duplicate, "read_mlflow")
    rename = check_rename(columns, "read_mlflow")
    forced = check_constants(constants, "read_mlflow")
    check_timeout(timeout, "read_mlflow")
    names: list[object] = [experiments] if isinstance(experiments, str) else list(experiments)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise DataError(
            f"`experiments` of read_mlflow must be a name or id, or a list of them. Got {experiments!r} instead."
        )
    chosen_params: object = params
    if not (chosen_params in ("all", "none") or (isinstance(chosen_params, list | tuple) and all(
            isinstance(p, str) for p in chosen_params))):
        raise DataError(f"`params` of read_mlflow must be 'all', 'none' or a list of keys. Got {params!r}.")
    tracking = require("mlflow.tracking", "mlflow")
    mlflow_exceptions = require("mlflow.exceptions", "mlflow")
    uri = resolve_tracking_uri(tracking_uri)
    check_reachable(uri, timeout, "read_mlflow", given=tracking_uri is not None)
    try:
        client = tracking.MlflowClient(tracking_uri=uri)
        found = [_experiment(client, str(n)) for n in names]
        runs = _search(client, [e.experiment_id for e in found], filter_string)
        exp_names = {e.experiment_id: e.name for e in found}
        records: list[tuple[str, int, str, float]] = []
        meta: dict[str, dict[str, Any]] = {}
        for run in runs:
            run_id = run.info.run_id
            keys = list(run.data.metrics) if metrics is None else [k for k in metrics if k in run.data.metrics]
            history: list[tuple[int, int, str, float]] = []
            for key in keys:
                history.extend((m.timestamp, int(m.step), key, float(m.value))
                               for m in client.get_metric_history(run_id, key))
            history.sort(key=lambda h: h[0])
            records.extend((run_id, step, key, value) for _, step, key, value in history)
            row: dict[str, Any] = {"run_name": run.info.run_name,
                                   "experiment": exp_names[run.info.experiment_id]}
            if group_tag is not None:
                row["group"] = run.data.tags.get(group_tag)
            chosen = (dict(run.data.params) if params == "all" else {} if params == "none"
                      else {k: v for k, v in run.data.params.items() if k in params})
            row.update(chosen)
            meta[run_id] = row
    except mlflow_exceptions.MlflowException as exc:
        raise DataError(f"read_mlflow: the tracking server at {uri!r} reported an error: {exc}") from exc
    except OSError as exc:  # connection failures (requests raises IOError subclasses)
        raise DataError(f"read_mlflow: could not reach the tracking server at {uri!r}: {exc}") from exc
    if not meta:
        raise DataError(f"read_mlflow: experiment(s) {names} have no runs matching {filter_string!r}.")
    if not records:
        raise DataError(
            f"read_mlflow: no run of {names} has "
            f"{'any metric' if metrics is None else f'any of the metrics {list(metrics)}'}."
        )
    wide = wide_table(records, rename=rename, on_duplicate=on_duplicate, function="read_mlflow",
                      source="the MLflow metric histories", constants=forced, auto_constants=auto_constants)
    check_names({k: rename.get(k, k) for row in meta.values() for k in row}, "read_mlflow", "run metadata")
    return join_metadata(wide, metadata_table(meta, rename), "read_mlflow")


def _experiment(client: Any, name: str) -> Any:
    exp = client.get_experiment_by_name(name)
    if exp is None and name.isdigit():
        exp = client.get_experiment(name)
    if exp is None:
        known = sorted(e.name for e in client.search_experiments())
        raise DataError(f"`experiments` of read_mlflow: no experiment {name!r}. Known experiments: {known}.")
    return exp


def _search(client: Any, experiment_ids: list[str], filter_string: str) -> list[Any]:
    runs: list[Any] = []
    token = None
    while True:
        page = client.search_runs(experiment_ids, filter_string=filter_string, max_results=_PAGE,
                                  order_by=["attributes.start_time ASC"], page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def check_timeout(timeout: object, function: str) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not (
            math.isfinite(timeout) and timeout > 0):
        raise ArgumentError(
            f"`timeout` of {function} must be a positive number of seconds. Got {timeout!r} instead.",
            argument="timeout", function=function, rule="a positive number of seconds", value=timeout,
        )
    return float(timeout)


def resolve_tracking_uri(tracking_uri: object) -> str:
    """The tracking URI MLflow will use: ``tracking_uri``, else MLflow's own resolution
    (``$MLFLOW_TRACKING_URI``, then its default)."""
    if tracking_uri is not None:
        if not isinstance(tracking_uri, str) or not tracking_uri.strip():
            raise ArgumentError(
                f"`tracking_uri` must be a URI such as 'http://127.0.0.1:5000'. Got {tracking_uri!r} instead.",
                argument="tracking_uri", rule="a URI such as 'http://127.0.0.1:5000'", value=tracking_uri,
            )
        return tracking_uri
    return str(require("mlflow.tracking", "mlflow").get_tracking_uri())


def check_reachable(uri: str, timeout: float, function: str, *, given: bool = True) -> None:
    """Ask an HTTP(S) tracking server once, waiting at most ``timeout`` seconds; raise a DataError naming
    the URI if it does not answer. Any HTTP answer counts, even an error status (the server is there);
    other URIs (files, databases, ``databricks``) are not checked.
    """
    if urllib.parse.urlsplit(uri).scheme.lower() not in ("http", "https"):
        return
    try:
        with urllib.request.urlopen(urllib.request.Request(uri, method="GET"), timeout=timeout):
            return
    except urllib.error.HTTPError:  # the server answered, with an error status: it is reachable
        return
    except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError, timeouts, refusals
        reason = getattr(exc, "reason", exc)
        origin = ("from `tracking_uri` (--tracking-uri)" if given else
                  "from $MLFLOW_TRACKING_URI" if os.environ.get("MLFLOW_TRACKING_URI") else "MLflow's default")
        raise DataError(
            f"{function}: the MLflow tracking server at {uri!r} ({origin}) did not answer within "
            f"{timeout:g} s: {reason}. Check that the server is running and that the URI is right, or "
            "give it more time with `timeout=` (--timeout SECONDS)."
        ) from exc
