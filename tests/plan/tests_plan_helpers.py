"""Helpers shared by the plan tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

import scalinglaws as sl
from scalinglaws.plan import Allocation, isoflop_grid


def planted_sweep(
    preset: str,
    budgets: Sequence[float],
    *,
    span: float,
    center: Allocation | None = None,
    offset: float = 1.0,
    noise: float = 0.0,
    seed: int = 0,
    n_sizes: int = 9,
) -> pl.DataFrame:
    """An IsoFLOP sweep of the Chinchilla law with a preset, centred ``offset`` times off ``center``."""
    law = sl.get_law("chinchilla")
    if center is not None and offset != 1.0:
        from dataclasses import replace

        center = replace(center, n_params=center.n_params * offset)
    grid = isoflop_grid(budgets, n_sizes=n_sizes, span=span, center=center)
    clean = law.predict(law.presets[preset], {"N": grid["n_params"].to_numpy(), "D": grid["n_tokens"].to_numpy()})
    rng = np.random.default_rng(seed)
    return grid.with_columns(loss=pl.Series(clean * np.exp(rng.normal(0.0, noise, clean.shape))))
