"""Learning-rate schedules, and the per-point history inputs that loss-curve laws sum over.

A loss-curve law such as the multi-power law predicts the loss at step ``t`` from the whole schedule up
to ``t``. :func:`schedule_history` turns a per-step schedule and the logged steps into the law's
inputs: ``S1`` (the cumulative learning rate, one value per point) and the history inputs ``gap``,
``eta`` and ``area`` (one row per point, one column per earlier step where the rate changed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from scalinglaws.errors import ArgumentError, DataError, MissingColumnError

_PADDING = {"gap": 0.0, "eta": 1.0, "area": 1.0}
"""History entries past a point's own history: ``gap = 0`` makes them add nothing to a sum."""


def _warmup(peak: float, warmup: int) -> np.ndarray:
    return np.linspace(0.0, peak, warmup)


def constant(total: int, peak: float, warmup: int) -> np.ndarray:
    """Linear warmup from 0 over ``warmup`` steps, then ``peak`` until step ``total``."""
    return np.concatenate([_warmup(peak, warmup), np.full(total - warmup, peak)])


def cosine(total: int, peak: float, final: float, warmup: int) -> np.ndarray:
    """Linear warmup, then a cosine from ``peak`` down to ``final`` at step ``total``."""
    progress = np.arange(total - warmup) / (total - warmup)
    decay = final + 0.5 * (peak - final) * (1 + np.cos(np.pi * progress))
    return np.concatenate([_warmup(peak, warmup), decay])


def warmup_stable_decay(
    total: int, peak: float, final: float, warmup: int, decay_start: int, cooldown: str = "linear"
) -> np.ndarray:
    """Linear warmup, ``peak`` until ``decay_start``, then a ``linear`` or ``exponential`` cooldown
    (geometric interpolation) to ``final`` at step ``total``."""
    progress = np.arange(total - decay_start) / (total - decay_start)
    if cooldown == "linear":
        decay = peak + (final - peak) * progress
    elif cooldown == "exponential":
        decay = peak ** (1 - progress) * final**progress
    else:
        raise ArgumentError(
            f"`cooldown` must be 'linear' or 'exponential'. Got {cooldown!r} instead.",
            argument="cooldown",
        )
    return np.concatenate([_warmup(peak, warmup), np.full(decay_start - warmup, peak), decay])


def step_decay(total: int, peak: float, second: float, warmup: int, switch: int) -> np.ndarray:
    """Linear warmup, ``peak`` until step ``switch``, then ``second`` until step ``total``."""
    return np.concatenate(
        [_warmup(peak, warmup), np.full(switch - warmup, peak), np.full(total - switch, second)]
    )


def schedule_history(
    lr: np.ndarray, steps: np.ndarray, n_blocks: int | None = None
) -> dict[str, np.ndarray]:
    """The inputs of a loss-curve law at each of ``steps``, for the per-step learning rates ``lr``.

    For a point at step ``t`` and each earlier step ``k`` (1 <= k <= t) where the rate changed:
    ``gap = lr[k-1] - lr[k]`` (positive while the rate decays), ``eta = lr[k]``, and
    ``area = lr[k] + ... + lr[t]``, the learning-rate area from ``k`` to ``t``. ``S1 = lr[0] + ... +
    lr[t]`` is the point's cumulative learning rate. Rows are padded with ``gap = 0`` entries, which add
    nothing to a ``history_sum``.

    With ``n_blocks``, each point's history is merged into blocks whose lengths grow geometrically with
    the distance from ``t`` (``n_blocks`` of them; steps just before ``t``, where a law changes fastest,
    stay single), split further so that rises and decays, and rates more than 9% apart, never share a
    block. Within a block ``gap`` is summed and ``eta`` and ``area`` are ``|gap|``-weighted means. This keeps fits fast on long curves; the exact
    history (``n_blocks=None``) has one column per rate change.

    Raises
    ------
    DataError
        If ``lr`` is not a finite 1-D array, positive after step 0, or a step is outside ``1 ..
        len(lr) - 1``.
    """
    lr = np.asarray(lr, dtype=float)
    steps = np.asarray(steps)
    if lr.ndim != 1 or lr.size < 2 or not np.all(np.isfinite(lr)):
        raise DataError("`lr` of schedule_history must be a finite 1-D array with one rate per step.")
    bad_rates = np.flatnonzero(lr[1:] <= 0) + 1
    if bad_rates.size:
        raise DataError(
            f"`lr` of schedule_history must be positive after step 0; steps {bad_rates[:5].tolist()} "
            "are not. A schedule that decays to 0 can end at a small floor instead (e.g. 1e-3 of the peak)."
        )
    bad_steps = np.flatnonzero((steps < 1) | (steps >= lr.size) | (steps != np.round(steps)))
    if steps.ndim != 1 or bad_steps.size:
        raise DataError(
            f"`steps` of schedule_history must be whole steps in 1..{lr.size - 1}; entries "
            f"{bad_steps[:5].tolist()} are not."
        )
    steps = steps.astype(int)
    cumulative = np.cumsum(lr)
    gaps = np.concatenate([[0.0], lr[:-1] - lr[1:]])
    changes = np.flatnonzero(gaps)
    rows = []
    for t in steps:
        k = changes[changes <= t]
        columns = (gaps[k], lr[k], cumulative[t] - cumulative[k - 1])
        rows.append(columns if n_blocks is None else _merge(t - k, *columns, n_blocks=n_blocks))
    history = {name: [row[j] for row in rows] for j, name in enumerate(_PADDING)}
    return {"S1": cumulative[steps], **{name: _padded(history[name], name) for name in _PADDING}}


def _padded(rows: Sequence[np.ndarray], name: str, width: int | None = None) -> np.ndarray:
    """Rows of unequal length as one ``(len(rows), width)`` array, padded with ``_PADDING[name]``."""
    width = max([1, *(row.shape[-1] for row in rows)]) if width is None else width
    return np.stack(
        [np.pad(row, (0, width - row.shape[-1]), constant_values=_PADDING[name]) for row in rows]
    )


def stack_histories(histories: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate the outputs of :func:`schedule_history` for several curves, padding the history."""
    width = max(h["gap"].shape[1] for h in histories)
    out = {"S1": np.concatenate([h["S1"] for h in histories])}
    for name in _PADDING:
        out[name] = np.concatenate([_padded(list(h[name]), name, width) for h in histories])
    return out


def with_schedule_inputs(
    runs: Any,
    schedules: Mapping[Any, np.ndarray],
    run: str = "run",
    step: str = "step",
    n_blocks: int | None = 32,
) -> Any:
    """``runs`` (a polars DataFrame of logged points) with the inputs of a loss-curve law added.

    ``schedules`` maps each value of column ``run`` to its per-step learning rates. The columns ``S1``,
    ``gap``, ``eta`` and ``area`` are added (the history ones as fixed-width array columns, which
    ``fit`` and Parquet files keep); rows keep their order.

    Raises
    ------
    MissingColumnError
        If ``run`` or ``step`` is not a column.
    DataError
        If a run has no schedule, or a schedule or step is invalid (see :func:`schedule_history`).
    """
    import polars as pl

    for column in (run, step):
        if column not in runs.columns:
            raise MissingColumnError(
                f"column {column!r} is missing from `runs` of with_schedule_inputs. Available: "
                f"{sorted(runs.columns)}; name the run and step columns with `run=` and `step=`."
            )
    labels = runs[run].to_list()
    missing = sorted({str(v) for v in labels if v not in schedules})
    if missing:
        raise DataError(f"runs {missing[:5]} in column {run!r} have no entry in `schedules`.")
    order = list(dict.fromkeys(labels))
    rows = [np.flatnonzero(runs[run].to_numpy() == value) for value in order]
    steps = runs[step].to_numpy()
    stacked = stack_histories(
        [schedule_history(schedules[value], steps[r], n_blocks) for value, r in zip(order, rows, strict=True)]
    )
    back = np.argsort(np.concatenate(rows), kind="stable")
    return runs.with_columns(pl.Series(name, values[back]) for name, values in stacked.items())


_ETA_BIN = np.log(2.0) / 8
"""Width of a block in log(eta): rates within 9% of each other share a block (a warmup's first steps
span decades of rate, and ``eta**-gamma`` with them)."""


def _merge(
    distance: np.ndarray, gap: np.ndarray, eta: np.ndarray, area: np.ndarray, n_blocks: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    edges = np.unique(np.geomspace(1, distance.max() + 2, n_blocks + 1).astype(int))
    rate_bin = np.floor(np.log(eta) / _ETA_BIN).astype(int)
    rate_bin -= rate_bin.min()
    block = np.searchsorted(edges, distance, side="right")
    key = (2 * block + (gap > 0)) * (rate_bin.max() + 1) + rate_bin
    size = np.abs(gap)
    weight = np.bincount(key, weights=size)
    used = np.flatnonzero(weight)

    def mean(values: np.ndarray) -> np.ndarray:
        return np.bincount(key, weights=size * values)[used] / weight[used]

    return np.bincount(key, weights=gap)[used], mean(eta), mean(area)
