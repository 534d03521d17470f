"""Refit Chinchilla's law to Epoch AI's reconstruction of the Chinchilla runs, with bootstrap intervals,
and say how far to trust the compute-optimal allocation at 1e24 FLOP.

Run:  python examples/fit_chinchilla_epoch.py
"""

from __future__ import annotations

import polars as pl
from _data import data_dir

import scalinglaws as sl

runs = pl.read_csv(data_dir() / "chinchilla_epoch" / "chinchilla_approach3.csv")
runs = runs.filter(pl.col("loss") < sorted(runs["loss"].to_list())[-5])  # Epoch drop the 5 worst runs

fit = sl.fit(runs, "chinchilla")
fit = fit.with_bootstrap(sl.bootstrap(fit, runs, n_boot=500, seed=0))
print(fit.summary())

plan = sl.allocate(fit, flops=1e24, prob=0.95)
n_lo, n_hi = (bound[0] for bound in plan.intervals["n_params"])
print(f"at 1e24 FLOP: N* = {plan.n_params[0]:.3g} ({n_lo:.3g} to {n_hi:.3g}, {plan.interval_method}), "
      f"D* = {plan.n_tokens[0]:.3g}, {plan.tokens_per_param[0]:.1f} tokens per parameter, "
      f"predicted loss {plan.predicted_loss[0]:.4f}")
