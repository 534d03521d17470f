"""Orderings of a table along a scale axis, and the cuts that split it into the past and the future.

The backtest and the engine's own choice among optima (``choose="backtest"``) split data the same way:
by an ordered axis (a compute column, else the cost of each run from N and D; N; D; any column), with
training taking the axis values up to a fraction of its distinct values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from scalinglaws.errors import ArgumentError, DataError, MissingColumnError
from scalinglaws.laws import DEFAULT_COST, ColumnMap, CostModel, Law, as_cost_model


def split_axis(
    columns: Mapping[str, np.ndarray], law: Law, mapping: Mapping[str, str], split_by: str,
    cost: CostModel | str = DEFAULT_COST,
) -> tuple[np.ndarray, str]:
    """Values of the ordering axis and a note on where they came from.

    ``split_by`` is a column, or a law symbol with a column (``N``, ``D``...); ``C`` without a compute
    column is the cost of each run from its N and D columns (``cost``, default ``6*N*D``).
    """
    rule = ColumnMap(mapping)
    if split_by in columns:
        return np.asarray(columns[split_by], dtype=float), f"column {split_by!r}"
    column = rule.column(split_by, columns)
    if column is not None:
        return np.asarray(columns[column], dtype=float), f"column {column!r} ({split_by})"
    if split_by == "C":
        n_col, d_col = rule.column("N", columns), rule.column("D", columns)
        if n_col is not None and d_col is not None:
            model = as_cost_model(cost)
            compute = model.flops(columns[n_col], columns[d_col])
            note = re.sub(r"\bD\b", d_col, re.sub(r"\bN\b", n_col, model.formula))
            return np.asarray(compute, dtype=float), f"C = {note} (no compute column)"
    raise MissingColumnError(
        f"`split_by` {split_by!r} is neither a column nor an input of law {law.label!r} with a column. "
        f"Columns: {sorted(columns)}. Pass a column name, or C, N or D."
    )


def check_axis(axis: np.ndarray, split_by: str, function: str) -> None:
    """Refuse an axis a past and a future cannot be cut from.

    Raises
    ------
    DataError
        If the axis has non-finite values (naming the first rows) or a single value.
    """
    if not np.all(np.isfinite(axis)):
        bad = np.flatnonzero(~np.isfinite(axis))[:5].tolist()
        raise DataError(
            f"`split_by` axis {split_by!r} of {function} has non-finite values at rows {bad}; fix them first."
        )
    if np.unique(axis).size < 2:
        raise DataError(
            f"`split_by` axis {split_by!r} of {function} has a single value ({float(axis[0]):.6g}), so there "
            "is no future to hold out. Split by a column that varies (`split_by`), or add runs at other scales."
        )


def cut_points(axis: np.ndarray, fractions: Sequence[float]) -> list[float]:
    """Axis values at the given fractions of its distinct values; training takes values <= the cut."""
    distinct = np.unique(axis)
    cuts = []
    for fraction in fractions:
        if not 0 < fraction < 1:
            raise ArgumentError(
                f"`train_fractions` must lie strictly between 0 and 1. Got {fraction!r}.",
                argument="train_fractions", function="backtest", rule="strictly between 0 and 1",
                value=fraction,
            )
        index = min(max(int(np.ceil(fraction * distinct.size)) - 1, 0), distinct.size - 2)
        cuts.append(float(distinct[index]))
    return sorted(set(cuts))
