"""Backtest on Muennighoff et al.'s data-constrained runs: the data-constrained law against Chinchilla.

Fit on the smaller scales of the shared training region (final losses of the contour runs), predict
the largest ones, and print the per-split scores of both laws side by side.

Run:  python benchmarks/bench_backtest_muennighoff.py [--split-by C|N|D] [--bootstrap 200]
Data: ../shared/data/datablations_muennighoff_trainregion (or the folder in SCALINGLAWS_DATA_DIR).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import polars as pl

import scalinglaws as sl


def contour_runs() -> pl.DataFrame:
    root = Path(os.environ.get("SCALINGLAWS_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))
    frame = pl.read_csv(root / "datablations_muennighoff_trainregion" / "datablations_contour_losses.csv")
    return frame.select(
        n_params=pl.col("num_params"),
        n_tokens=pl.col("token_num"),
        n_unique_tokens=pl.col("unique_tokens_U"),
        epochs=pl.col("epochs"),
        loss=pl.col("openLM_loss"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split-by", default="C")
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--train-fractions", default="0.6,0.7,0.8")
    args = parser.parse_args()
    runs = contour_runs()
    fractions = tuple(float(f) for f in args.train_fractions.split(","))
    print(f"{runs.height} runs: N {runs['n_params'].min():.3g}-{runs['n_params'].max():.3g}, "
          f"D {runs['n_tokens'].min():.3g}-{runs['n_tokens'].max():.3g}, epochs "
          f"{runs['epochs'].min():g}-{runs['epochs'].max():g}; split by {args.split_by}, train fractions {fractions}")
    rows = []
    for law in ("muennighoff", "chinchilla"):
        begin = time.perf_counter()
        result = sl.backtest(runs, law, split_by=args.split_by, train_fractions=fractions, n_boot=args.bootstrap)
        elapsed = time.perf_counter() - begin
        for split in result.splits.iter_rows(named=True):
            rows.append({"law": law, **split})
        summary = result.summary()
        print(f"{law:<12} mean ARE {summary['mean_are']:.2%}  bias {summary['bias']:+.2%}  "
              f"coverage {summary['coverage']:.0%} ({result.interval_method})  {elapsed:.1f} s")
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, float_precision=4):
        print(pl.DataFrame(rows).drop("split"))


if __name__ == "__main__":
    main()
