"""Readers for experiment trackers (TensorBoard, MLflow and Weights & Biases), and :func:`log_fit` to
write a fit back to MLflow or W&B.

Each reader returns a runs table (see :mod:`scalinglaws.data.schema`) with ``run_id`` and ``step`` and
one column per logged metric; rename tracker keys to schema columns with ``columns=`` (for example
``{"train/loss": "loss"}``). The trackers' packages are optional extras, imported only when a reader
runs: ``pip install 'scalinglaws[tensorboard]'``, ``'scalinglaws[mlflow]'`` or ``'scalinglaws[wandb]'``.
"""

from scalinglaws.data.adapters._common import OnDuplicate
from scalinglaws.data.adapters._mlflow import read_mlflow
from scalinglaws.data.adapters._tensorboard import read_tensorboard
from scalinglaws.data.adapters._wandb import read_wandb, read_wandb_export
from scalinglaws.data.adapters._wandb_offline import read_wandb_offline, wandb_run_files
from scalinglaws.data.adapters._writeback import (
    Destination,
    LoggedFit,
    Tracker,
    fit_record,
    log_fit,
    resolve_destination,
)

__all__ = [
    "Destination",
    "LoggedFit",
    "OnDuplicate",
    "Tracker",
    "fit_record",
    "log_fit",
    "read_mlflow",
    "read_tensorboard",
    "read_wandb",
    "read_wandb_export",
    "read_wandb_offline",
    "resolve_destination",
    "wandb_run_files",
]
