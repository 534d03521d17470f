"""Which law extrapolates Muennighoff et al.'s data-constrained runs: their law or Chinchilla's?
Each is fitted on the lower compute and scored on the upper part (``sl.select``), the shared small-scale
region's final losses of the contour runs.

Run:  python examples/backtest_muennighoff.py
"""

from __future__ import annotations

import polars as pl
from _data import data_dir

import scalinglaws as sl

frame = pl.read_csv(data_dir() / "datablations_muennighoff_trainregion" / "datablations_contour_losses.csv")
runs = frame.select(
    n_params=pl.col("num_params"),
    n_tokens=pl.col("token_num"),
    n_unique_tokens=pl.col("unique_tokens_U"),
    loss=pl.col("openLM_loss"),
)
ranking = sl.select(runs, ["muennighoff", "chinchilla"], split_by="C", train_fractions=(0.7,), n_boot=0)
with pl.Config(tbl_cols=-1, tbl_width_chars=100, float_precision=4):
    print(ranking.table.select("law", "mean_are", "bias", "coverage", "aic", "fit_status"))
print(f"best: {ranking.best}; {ranking.warning or 'clearly better'}")
