"""Synthetic benchmark scores of model families, for observational scaling laws in tests and examples."""

from __future__ import annotations

import numpy as np
import polars as pl


def synthetic_scores(
    *, n_families: int = 6, per_family: int = 6, n_benchmarks: int = 5, missing: float = 0.0,
    noise: float = 0.01, floor: float = 0.25, seed: int = 0,
) -> pl.DataFrame:
    """Models whose benchmark scores are sigmoids of one planted capability, log-linear in compute per family.

    Each family ``f`` has capability ``s = slope_f (log10 C - 1.5) + offset_f`` over 1-1000 units of
    compute (``flops``); benchmark ``j`` scores ``sigmoid(w_j s + c_j)`` plus normal noise, with a share
    ``missing`` of scores blanked (NaN); ``target`` is ``floor + (1 - floor) sigmoid(1.8 s - 0.5)`` plus
    noise/2. Columns: ``run_id``, ``group`` (family), ``flops``, ``b0``.. and ``target``.
    """
    rng = np.random.default_rng(seed)
    names, families, computes, capability = [], [], [], []
    for f in range(n_families):
        slope, offset = rng.uniform(0.8, 1.2), rng.uniform(-1.0, 1.0)
        for log_c in np.linspace(0.0, 3.0, per_family) + rng.uniform(-0.2, 0.2):
            names.append(f"m{f}_{log_c:.2f}")
            families.append(f"family{f}")
            computes.append(10.0**log_c)
            capability.append(slope * (log_c - 1.5) + offset)
    s = np.array(capability)
    weights, shifts = rng.uniform(0.7, 2.0, n_benchmarks), rng.uniform(-1.0, 0.5, n_benchmarks)
    scores = 1 / (1 + np.exp(-(s[:, None] * weights + shifts))) + rng.normal(0, noise, (s.size, n_benchmarks))
    scores[rng.random(scores.shape) < missing] = np.nan
    target = floor + (1 - floor) / (1 + np.exp(-(1.8 * s - 0.5))) + rng.normal(0, noise / 2, s.size)
    return pl.DataFrame(
        {"run_id": names, "group": families, "flops": computes,
         **{f"b{j}": scores[:, j] for j in range(n_benchmarks)}, "target": target}
    )
