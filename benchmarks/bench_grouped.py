"""Grouped fits: time per group for 10, 100 and 1,000 groups of 30 runs, without and with shared exponents.

Each group is a Chinchilla ladder (30 runs, 1% noise) with its own E, A and B drawn around the planted
values; alpha and beta are the same in every group. "separate" fits each group alone (no parameter
shared), "shared" fits alpha and beta jointly across the groups. Time per group should stay flat from
100 groups up (linear in the number of groups), and 1,000 groups should take under a minute either way.

Run:  python benchmarks/bench_grouped.py [--groups 10,100,1000]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import polars as pl

import scalinglaws as sl


def groups(n_groups: int, n_runs: int = 30, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    truth = sl.testing.PLANTED["chinchilla"]
    for g in range(n_groups):
        params = dict(truth)
        params["E"] = truth["E"] * float(np.exp(rng.normal(0, 0.05)))
        params["A"] = truth["A"] * float(np.exp(rng.normal(0, 0.3)))
        params["B"] = truth["B"] * float(np.exp(rng.normal(0, 0.3)))
        runs = sl.testing.synthetic_runs("chinchilla", params, n_runs=n_runs, noise=0.01, seed=seed + g)
        frames.append(runs.with_columns(pl.lit(f"g{g:04d}").alias("family")))
    return pl.concat(frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", default="10,100,1000")
    args = parser.parse_args()
    sl.fit(groups(2), "chinchilla", group="family", shared=("alpha", "beta"))  # compile outside timing
    print(f"{'groups':>7} {'mode':>9} {'seconds':>9} {'ms / group':>11} {'status':>16}  alpha   beta")
    for n in (int(g) for g in args.groups.split(",")):
        data = groups(n)
        for mode, shared in (("separate", ()), ("shared", ("alpha", "beta"))):
            start = time.perf_counter()
            result = sl.fit(data, "chinchilla", group="family", shared=shared)
            seconds = time.perf_counter() - start
            alpha = result.params.get("alpha", float("nan"))
            beta = result.params.get("beta", float("nan"))
            print(f"{n:>7} {mode:>9} {seconds:9.2f} {1e3 * seconds / n:11.1f} {result.status.value:>16}  "
                  f"{alpha:.4f} {beta:.4f}")
    print(f"load average: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
