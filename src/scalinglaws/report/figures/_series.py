"""How the runs of a fit split into series for a figure: which input goes along the horizontal axis, and
which values of the others (model sizes, say) each drawn curve holds fixed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from scalinglaws.errors import ArgumentError
from scalinglaws.report.figures._common import column_of, input_values

if TYPE_CHECKING:
    from scalinglaws.fit.result import FitResult

CLUSTER_GAP = 0.1
"""Decades between sorted values of an input that start a new series (model sizes jittered by a few %
stay one series; sizes a factor 1.26 apart do not)."""
TIGHT = 0.02
"""Largest share of an input's spread (on its log axis) that may lie within its clusters for them to
be series: sizes jittered by a few per cent leave about 0.001; sizes spread continuously (140
distinct sizes chained by gaps under 0.1 decades) leave much more, and are binned instead."""


def scaled(values: np.ndarray) -> np.ndarray:
    """Values on the axis they are compared on: log10 when all positive, else a 0..10 linear range."""
    if values.size and np.all(values > 0):
        return np.log10(values)
    span = float(np.ptp(values)) if values.size else 0.0
    return (values - (values.min() if values.size else 0.0)) / max(span, 1e-300) * 10.0


def clusters(values: np.ndarray) -> np.ndarray:
    """Label each value by its run of sorted values separated by more than ``CLUSTER_GAP`` decades."""
    x = scaled(values)
    order = np.argsort(x, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.diff(x[order]) > CLUSTER_GAP)])
    labels = np.empty(values.size, dtype=int)
    labels[order] = starts
    return labels


def _quantile_bins(values: np.ndarray, k: int) -> np.ndarray:
    x = scaled(values)
    edges = np.quantile(x, np.linspace(0, 1, k + 1))
    return np.clip(np.searchsorted(edges, x, side="right") - 1, 0, k - 1)


def centre(values: np.ndarray) -> float:
    """Geometric mean of positive values, else the mean."""
    return float(np.exp(np.mean(np.log(values)))) if np.all(values > 0) else float(np.mean(values))


def _within_share(values: np.ndarray) -> float:
    """Share of an input's spread (on its axis scale) left within its clusters: near 0 for a few
    distinct sizes (series), large for an input that varies continuously."""
    x = scaled(values)
    total = float(np.var(x))
    if total == 0:
        return 0.0
    labels = clusters(values)
    means = np.bincount(labels, weights=x) / np.bincount(labels)
    return float(np.var(x - means[labels])) / total


def choose_x(
    result: FitResult, columns: Mapping[str, np.ndarray], x: str | None, function: str,
    argument: str = "x",
) -> str:
    """The law input drawn along the horizontal axis: ``x`` (an input or its column), else the input
    that varies most continuously (the others come in a few distinct values: the series)."""
    inputs = result.law.inputs
    if x is not None:
        for name in inputs:
            if x in (name, column_of(result, name)):
                return name
        raise ArgumentError(
            f"`{argument}` of {function} must be an input of law {result.law.label!r} or its column: "
            f"{[(n, column_of(result, n)) for n in inputs]}. Got {x!r} instead.",
            argument=argument, function=function,
        )
    if len(inputs) == 1:
        return inputs[0]
    scores = []
    for name in inputs:
        values = input_values(result, columns, name, function)
        scores.append((round(_within_share(values), 3), int(clusters(values).max()) + 1))
    best = max(scores)
    return [n for n, c in zip(inputs, scores, strict=True) if c == best][-1]


def series(
    result: FitResult,
    columns: Mapping[str, np.ndarray],
    others: Sequence[str],
    max_series: int,
    function: str,
) -> tuple[np.ndarray, list[dict[str, Any]], bool]:
    """Label every row with its series (group and scale of the inputs not on the x axis).

    Returns the labels; per series (sorted by group, then by the first fixed input) the column values
    held fixed along its curve; and whether the runs were binned. Runs whose other inputs come in at
    most ``max_series`` tight clusters (a few model sizes, each maybe jittered by a few per cent) get
    one series per cluster, held at its geometric mean. Otherwise (sizes that vary continuously) runs
    are binned by quantiles and each bin's curve is held at an actual run's values: the run nearest
    the bin's centre.
    """
    n = next(iter(columns.values())).shape[0]
    group = result.config.group if result.groups is not None else None
    groups = np.asarray([str(g) for g in columns[group]]) if group is not None else np.full(n, "")
    values = [input_values(result, columns, o, function) for o in others]
    labels = [clusters(v) for v in values]
    keys = list(zip(groups.tolist(), *(lab.tolist() for lab in labels), strict=True))
    tight = all(_within_share(v) <= TIGHT for v in values)
    binned = bool(others) and (len(set(keys)) > max_series or not tight)
    if binned:
        n_groups = len(set(groups.tolist()))
        per_input = max(1, int((max_series / n_groups) ** (1 / len(others))))
        labels = [_quantile_bins(v, per_input) for v in values]
        keys = list(zip(groups.tolist(), *(lab.tolist() for lab in labels), strict=True))
    distinct = sorted(set(keys), key=lambda k: (k[0], *k[1:]))
    index = {k: i for i, k in enumerate(distinct)}
    rows = np.array([index[k] for k in keys], dtype=int)
    fixed: list[dict[str, Any]] = []
    for i in range(len(distinct)):
        mask = rows == i
        entry: dict[str, Any] = {}
        if binned:
            members = np.flatnonzero(mask)
            distance = sum(
                (scaled(v)[members] - np.mean(scaled(v)[members])) ** 2 for v in values
            )
            pick = members[int(np.argmin(distance))]
            entry = {column_of(result, o): float(v[pick]) for o, v in zip(others, values, strict=True)}
        else:
            entry = {column_of(result, o): centre(v[mask]) for o, v in zip(others, values, strict=True)}
        if group is not None:
            entry[group] = str(groups[mask][0])
        fixed.append(entry)
    if others:
        first = column_of(result, others[0])
        order = sorted(
            range(len(fixed)), key=lambda i: (str(fixed[i].get(group or "", "")), fixed[i][first])
        )
        remap = np.empty(len(order), dtype=int)
        remap[order] = np.arange(len(order))
        rows, fixed = remap[rows], [fixed[i] for i in order]
    return rows, fixed, binned
