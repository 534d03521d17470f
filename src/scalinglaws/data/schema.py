"""The one table schema for training runs and checkpoints.

A *runs table* is a polars DataFrame with one row per evaluated checkpoint (or one row per run when only
final losses are known). Columns are descriptive lowercase names; the canonical ones are described by
:data:`COLUMNS`. Any other column is free-form metadata and is carried along untouched.

================== ========== ======================================================================
column             unit       meaning
================== ========== ======================================================================
``run_id``         --         identifier of the training run (string or integer)
``group``          --         free label for a family of runs (data set, sweep, architecture, ...)
``step``           steps      optimiser step of the checkpoint (integer, >= 0)
``n_params``       parameters model size, counted under ``n_params_convention``
``n_params_        --         ``"total"`` (all parameters incl. embeddings), ``"non_embedding"``
convention``                  (Kaplan et al. 2020), ``"active"`` (parameters used per token, MoE)
``n_tokens``       tokens     training tokens seen up to the checkpoint (> 0)
``n_unique_tokens`` tokens    distinct tokens seen up to the checkpoint, <= ``n_tokens`` (``U`` of
                              data-constrained laws: ``min(n_tokens, unique data set size)``)
``flops``          FLOP       training compute up to the checkpoint, under ``flops_convention``
``flops_           --         cost model used for ``flops``: ``"6nd"``, ``"kaplan"``, ``"chinchilla"``,
convention``                  ``"deepseek"`` (see :mod:`scalinglaws.data.accounting`) or ``"reported"``
``lr``             --         learning rate at the checkpoint (>= 0, may be missing)
``loss``           nats/token default fit target; any other metric column may be the target instead
================== ========== ======================================================================

A checkpoint is identified by its run and its progress: the unique key of a table is ``run_id`` plus
the first of :data:`PROGRESS_COLUMNS` present (``(run_id, step)`` for tracker exports, ``(run_id,
n_tokens)`` for curves known only by tokens), or ``run_id`` alone for one-row-per-run tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "COLUMNS",
    "FLOPS_CONVENTIONS",
    "PARAM_CONVENTIONS",
    "PROGRESS_COLUMNS",
    "UNIQUE_KEY",
    "ColumnKind",
    "ColumnSpec",
    "FlopsConvention",
    "ParamConvention",
    "unique_key",
]

ParamConvention = Literal["total", "non_embedding", "active"]
"""How ``n_params`` was counted."""

FlopsConvention = Literal["6nd", "kaplan", "chinchilla", "deepseek", "reported"]
"""Which cost model produced ``flops``."""

PARAM_CONVENTIONS: Final[tuple[str, ...]] = ("total", "non_embedding", "active")
FLOPS_CONVENTIONS: Final[tuple[str, ...]] = ("6nd", "kaplan", "chinchilla", "deepseek", "reported")

ColumnKind = Literal["id", "label", "step", "count", "real", "convention", "metric"]
"""What a column holds, which decides the dtype and value rules checked by ``validate_runs``.

* ``id``: string or integer identifier, never missing.
* ``label``: string, categorical, integer or boolean; may be missing.
* ``step``: integer-valued number >= 0, never missing.
* ``count``: finite number > 0, never missing.
* ``real``: finite number >= ``lower`` when given; may be missing when ``nullable``.
* ``convention``: string from ``allowed``, one value for the whole table, never missing.
* ``metric``: finite number, never missing (the fit target and the metrics the user names).
"""


@dataclass(frozen=True)
class ColumnSpec:
    """Rules for one canonical column.

    Parameters
    ----------
    name
        Column name.
    kind
        Which dtype and value rules apply, see :data:`ColumnKind`.
    unit
        Unit of the values, for reports.
    description
        One-line meaning.
    nullable
        Whether missing values are allowed.
    lower
        Inclusive lower bound for ``real`` columns (``count`` columns are always > 0).
    allowed
        Allowed values of a ``convention`` column.
    """

    name: str
    kind: ColumnKind
    unit: str
    description: str
    nullable: bool = False
    lower: float | None = None
    allowed: tuple[str, ...] = ()


COLUMNS: Final[Mapping[str, ColumnSpec]] = {
    spec.name: spec
    for spec in (
        ColumnSpec("run_id", "id", "", "identifier of the training run"),
        ColumnSpec("group", "label", "", "label of a family of runs", nullable=True),
        ColumnSpec("step", "step", "steps", "optimiser step of the checkpoint"),
        ColumnSpec("n_params", "count", "parameters", "model size under `n_params_convention`"),
        ColumnSpec(
            "n_params_convention", "convention", "", "how `n_params` was counted",
            allowed=PARAM_CONVENTIONS,
        ),
        ColumnSpec("n_tokens", "count", "tokens", "training tokens seen up to the checkpoint"),
        ColumnSpec("n_unique_tokens", "count", "tokens", "distinct tokens seen up to the checkpoint"),
        ColumnSpec("flops", "count", "FLOP", "training compute under `flops_convention`"),
        ColumnSpec(
            "flops_convention", "convention", "", "cost model used for `flops`",
            allowed=FLOPS_CONVENTIONS,
        ),
        ColumnSpec("lr", "real", "", "learning rate at the checkpoint", nullable=True, lower=0.0),
        ColumnSpec("loss", "metric", "nats/token", "training or validation loss"),
    )
}
"""Canonical columns and their rules. Every other column is free-form metadata."""

UNIQUE_KEY: Final[tuple[str, ...]] = ("run_id", "step")
"""The key of a checkpoint table from a tracker. See :func:`unique_key` for tables without ``step``."""

PROGRESS_COLUMNS: Final[tuple[str, ...]] = ("step", "n_tokens", "flops")
"""Columns that order the checkpoints of a run, by preference."""


def unique_key(columns: Sequence[str]) -> tuple[str, ...]:
    """The unique key of a table with ``columns``: ``run_id`` plus its first progress column.

    Empty when there is no ``run_id`` (rows are then not required to be distinct).

    Examples
    --------
    >>> unique_key(["run_id", "n_tokens", "loss"])
    ('run_id', 'n_tokens')
    """
    if "run_id" not in columns:
        return ()
    progress = [c for c in PROGRESS_COLUMNS if c in columns]
    return ("run_id", progress[0]) if progress else ("run_id",)
