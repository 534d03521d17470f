"""The multi-power law on Luo et al.'s loss curves: our fit against the published parameters.

For each model size, fit on the authors' train curves {cosine_24000, constant_24000, wsdcon_9}, then
score both parameter sets on the six held-out schedules with the authors' metrics (averaged per curve).

Run:  python benchmarks/bench_multi_power.py [--n-blocks 32] [--n-grid 1024] [--times-only]
Data: ../shared/data/lr_schedule_curves_mpl_luo2025 (or the folder in SCALINGLAWS_DATA_DIR).

``--times-only`` prints each fit's time, status and objective only, through ``sl.fit`` and
``datasets.mpl_curves`` alone, so it runs on older versions of the package too: the speed-up over an
older commit is ``PYTHONPATH=<worktree of that commit>/src python benchmarks/bench_multi_power.py
--times-only`` against the same command on this one (one after the other, with the load printed).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import polars as pl

import scalinglaws as sl
from scalinglaws import datasets

TRAIN = ("cosine_24000", "constant_24000", "wsdcon_9")
TEST = ("constant_72000", "cosine_72000", "wsd_20000_24000", "wsdld_20000_24000", "wsdcon_3", "wsdcon_18")
MPL = sl.get_law("multi_power")
DATA = Path(os.environ.get("SCALINGLAWS_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))


def curves(size: int, names: tuple[str, ...], n_blocks: int) -> pl.DataFrame:
    return datasets.mpl_curves(size, names, n_blocks, data_dir=DATA)


def metrics(params: dict[str, float], runs: pl.DataFrame) -> list[float]:
    rows = []
    for _, curve in runs.group_by("run_id"):
        loss = curve["loss"].to_numpy()
        error = loss - MPL.predict(params, {name: curve[name].to_numpy() for name in MPL.inputs})
        rows.append([
            1 - np.sum(error**2) / np.sum((loss - loss.mean()) ** 2),
            np.mean(np.abs(error)),
            np.sqrt(np.mean(error**2)),
            np.mean(np.abs(error) / loss),
            np.max(np.abs(error) / loss),
        ])
    return list(np.mean(rows, axis=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-blocks", type=int, default=32)
    parser.add_argument("--n-grid", type=int, default=1024)
    parser.add_argument("--times-only", action="store_true", help="time the fits, score nothing")
    args = parser.parse_args()
    if args.times_only:
        print(f"scalinglaws from {Path(sl.__file__).parent}")
        for size in (25, 100, 400):
            train = curves(size, TRAIN, args.n_blocks)
            start = time.perf_counter()
            result = sl.fit(train, law="multi_power", n_grid=args.n_grid)
            seconds = time.perf_counter() - start
            print(f"{size}M: {seconds:.2f} s, {result.status.value}, objective {result.objective!r}, "
                  f"load {os.getloadavg()[0]:.2f}", flush=True)
        return
    from scalinglaws.data.io import columns_of
    from scalinglaws.fit.gate import prepare

    print("size | params | train objective | fit s | R2 | MAE | RMSE | PredE | WorstE | alpha, beta, gamma")
    for size in (25, 100, 400):
        train = curves(size, TRAIN, args.n_blocks)
        test = curves(size, TEST, 64)
        start = time.perf_counter()
        result = sl.fit(train, law="multi_power", n_grid=args.n_grid)
        seconds = time.perf_counter() - start
        problem = prepare(columns_of(train, "bench"), "multi_power", result.config).problem
        published = dict(MPL.presets[f"luo2025_{size}m"])
        for label, params in (("ours", dict(result.params)), ("published", published)):
            objective = problem.objective(np.array([[params[n] for n in problem.names]]))[0]
            scores = " | ".join(f"{v:.5f}" for v in metrics(params, test))
            shape = ", ".join(f"{params[n]:.3f}" for n in ("alpha", "beta", "gamma"))
            took = f"{seconds:.1f}" if label == "ours" else "-"
            print(f"{size}M | {label} | {objective:.4e} | {took} | {scores} | {shape}")
        print(f"{size}M | status {result.status.value}: {result.message}")


if __name__ == "__main__":
    main()
