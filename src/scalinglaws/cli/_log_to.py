"""``--log-to mlflow|wandb`` for ``fit`` and ``report``: write the fit back to the tracker the data came from.

The options are declared here once; a command takes them as parameters, calls :func:`prepare` before it
does any work (so a wrong URI or a missing experiment fails in seconds, not after the bootstrap) and
:func:`send` once its outputs are written. The work itself is :func:`scalinglaws.data.adapters.log_fit`.
Every failure exits 2 with a message naming the option.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from scalinglaws.cli import _console

if TYPE_CHECKING:
    from scalinglaws.data.adapters import Destination
    from scalinglaws.fit import FitResult

USAGE = 2


class TrackerName(enum.StrEnum):
    """Values of ``--log-to``; the same strings as ``scalinglaws.data.adapters.Tracker``."""

    mlflow = "mlflow"
    wandb = "wandb"


LOG_TO = Annotated[
    TrackerName | None,
    typer.Option(
        "--log-to",
        help="Also log the fit (parameters, intervals, fit.json and the report) to this tracker: to a new "
        "run of the MLflow experiment / W&B project the data came from (its `experiment` / `project` "
        "column), or of --log-experiment, or into the run --log-run. W&B honours WANDB_MODE=offline.",
    ),
]
LOG_EXPERIMENT = Annotated[
    str | None,
    typer.Option(
        "--log-experiment",
        metavar="NAME",
        help="MLflow experiment or W&B project (entity/project) for --log-to; default: the data's.",
    ),
]
LOG_RUN = Annotated[
    str | None,
    typer.Option("--log-run", metavar="RUN_ID", help="Existing run to log into, instead of a new run."),
]
TRACKING_URI = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri", metavar="URI", help="MLflow tracking URI for --log-to (default: $MLFLOW_TRACKING_URI)."
    ),
]

_OPTION = {"to": "--log-to", "experiment": "--log-experiment", "run_id": "--log-run",
           "tracking_uri": "--tracking-uri"}


def _fail(message: str) -> NoReturn:
    _console.error(message)
    raise typer.Exit(USAGE)


def _message(exc: Exception) -> str:
    from scalinglaws.errors import ArgumentError

    if isinstance(exc, ArgumentError) and exc.argument in _OPTION:
        option = _OPTION[exc.argument]
        if exc.argument == "experiment" and exc.rule is None:
            return (f"{option} NAME is needed: the data has no single `experiment` (MLflow) or `project` "
                    "(W&B) column value naming where the fit goes.")
        detail = f"must be {exc.rule}. Got {exc.value!r} instead." if exc.rule is not None else str(exc)
        return f"Invalid value for '{option}': {detail}"
    return str(exc)


def prepare(
    log_to: TrackerName | None,
    experiment: str | None,
    run_id: str | None,
    tracking_uri: str | None,
    data: Any,
) -> Destination | None:
    """Where the fit will be logged (None without --log-to), checked now: exits 2 if it cannot be."""
    if log_to is None:
        for option, value in (("--log-experiment", experiment), ("--log-run", run_id),
                              ("--tracking-uri", tracking_uri)):
            if value is not None:
                raise typer.BadParameter(
                    "goes with --log-to; add --log-to mlflow|wandb.", param_hint=f"'{option}'"
                )
        return None
    from scalinglaws.data.adapters import resolve_destination
    from scalinglaws.errors import ToolkitError

    try:
        return resolve_destination(log_to.value, experiment=experiment, run_id=run_id,
                                   tracking_uri=tracking_uri, data=data)
    except (ToolkitError, ImportError) as exc:
        _fail(_message(exc))


def send(
    destination: Destination | None, result: FitResult, report: Path | None = None, prob: float = 0.95
) -> None:
    """Log the fit (and the report file) to the prepared destination; exits 2 if the tracker refuses."""
    if destination is None:
        return
    from scalinglaws.data.adapters import log_fit
    from scalinglaws.errors import ToolkitError

    _console.note(f"logging the fit to {destination.tracker}")
    try:
        logged = log_fit(result, destination, report=report, prob=prob)
    except (ToolkitError, ImportError) as exc:
        _fail(_message(exc))
    _console.note(f"logged the fit to {logged.describe()}")
