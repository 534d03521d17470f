"""Which runs of an IsoFLOP table share a budget: exact values, the nearest of given budgets, or the
nearest of the log-compute levels found in the data (see :mod:`scalinglaws.plan.isoflop`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from scalinglaws.errors import ArgumentError
from scalinglaws.plan.allocation import _check_flops

Bucketing = Literal["exact", "given", "found"]
DEFAULT_TOLERANCE = 0.03
"""Half-width, in decades of compute, of a budget bucket (±7%): wider than the scatter of achieved
FLOPs around a target (marin's sweeps stay within 1%) and of digitised points (±0.03 decades on the
Epoch reconstruction of Chinchilla's runs), narrower than half the gap between budgets a factor 1.7
apart (6e18 and 1e19)."""
FOUND_MIN_RUNS = 8
"""Runs a level found in the data must hold: a profile needs several sizes either side of its minimum,
and a few runs that happen to share a compute value (a model trained for several lengths) are not a
sweep. (On the Epoch reconstruction of Chinchilla's runs, the nine IsoFLOP budgets hold 8 to 24 runs
each within ±0.03 decades; two more levels, at 1.7e20 and 2.3e20, hold 8 runs of other sweeps each.)
Smaller sweeps: pass ``budgets``."""


_SAME = 1e-9
"""Decades within which two budgets are the same value (exact grouping, up to float round-off)."""


def nearest(log_c: np.ndarray, levels: np.ndarray, tolerance: float) -> np.ndarray:
    """Index of the nearest of the sorted ``levels`` for each value, or -1 when it is farther than
    ``tolerance`` (never closer than round-off for exact levels)."""
    if levels.size == 0:
        return np.full(log_c.shape, -1)
    above = np.searchsorted(levels, log_c)
    left, right = np.clip(above - 1, 0, levels.size - 1), np.clip(above, 0, levels.size - 1)
    pick = np.where(np.abs(log_c - levels[left]) <= np.abs(levels[right] - log_c), left, right)
    near = np.abs(log_c - levels[pick]) <= max(tolerance, _SAME)
    return np.where(near, pick, -1)


def found_levels(log_c: np.ndarray, tolerance: float, min_runs: int) -> np.ndarray:
    """Levels (log10 FLOPs) found as the densest windows of ±``tolerance`` decades, greedily: the
    window holding the most runs (the lowest compute on ties, so row order does not matter) becomes a
    level at its runs' median, its runs are removed, and so on while a window holds ``min_runs``."""
    remaining = np.sort(log_c)
    levels = []
    while remaining.size >= min_runs:
        counts = np.searchsorted(remaining, remaining + tolerance, side="right") - np.searchsorted(
            remaining, remaining - tolerance, side="left"
        )
        best = int(np.argmax(counts))
        if counts[best] < min_runs:
            break
        window = np.abs(remaining - remaining[best]) <= tolerance
        centre = float(np.median(remaining[window]))
        members = np.abs(remaining - centre) <= tolerance
        if members.sum() < min_runs:  # the median moved off a lopsided window: keep the window
            centre, members = float(remaining[best]), window
        levels.append(centre)
        remaining = remaining[~members]
    return np.sort(np.asarray(levels, dtype=float))


def bucket(
    c: np.ndarray, budgets: Sequence[float] | np.ndarray | None, tolerance: float, min_runs: int
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, float, Bucketing]:
    """Levels (log10 FLOPs), the budget value of each level when it is known (the given or exact
    values; None for levels found, whose budgets are where their runs are), each run's level (-1:
    none), the tolerance applied and how the levels came."""
    log_c = np.log10(c)
    if budgets is not None:
        values = np.unique(_check_flops(budgets, "isoflop_profiles", "budgets"))
        levels = np.log10(values)
        if levels.size > 1 and np.min(np.diff(levels)) <= 2 * tolerance:
            raise ArgumentError(
                f"`budgets` of isoflop_profiles must be more than 2 x `tolerance` = {2 * tolerance:g} "
                f"decades apart, so that no run is near two of them. Got {budgets!r} instead. Pass "
                "fewer budgets or a smaller `tolerance`.",
                argument="budgets", function="isoflop_profiles",
            )
        return levels, values, nearest(log_c, levels, tolerance), tolerance, "given"
    values, counts = np.unique(c, return_counts=True)
    if np.all(counts >= 2):
        levels = np.log10(values)
        return levels, values, nearest(log_c, levels, 0.0), 0.0, "exact"
    levels = found_levels(log_c, tolerance, max(min_runs, FOUND_MIN_RUNS))
    return levels, None, nearest(log_c, levels, tolerance), tolerance, "found"
