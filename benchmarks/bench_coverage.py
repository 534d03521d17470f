"""Coverage of nominal 95% intervals for the loss at 10x beyond the largest fitted compute.

Each replication draws a ladder from a planted Chinchilla-like law with log-normal noise, fits it
(Huber and squared error), bootstraps the fit and records whether the interval for the law's value at
the target covers the truth. The target is the compute-optimal point (20 tokens per parameter) at ten
times the largest compute in the ladder.

Run:  python benchmarks/bench_coverage.py                 (200 replications per row, both cores)
      python benchmarks/bench_coverage.py --reps 50        (quicker, wider Monte Carlo error)
"""

from __future__ import annotations

import argparse
import itertools
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import polars as pl

import scalinglaws as sl

TRUTH = {"E": 1.8, "A": 480.0, "B": 2100.0, "alpha": 0.35, "beta": 0.37}
SIZES = np.geomspace(2e7, 1e9, 6)
TOKENS_PER_PARAM = (5.0, 10.0, 20.0, 40.0, 80.0)


def ladder(noise: float, seed: int) -> tuple[pl.DataFrame, dict[str, list[float]], float]:
    rng = np.random.default_rng(seed)
    design = np.array([(n, n * r) for n, r in itertools.product(SIZES, TOKENS_PER_PARAM)])
    law = sl.get_law("chinchilla")
    clean = law.predict(TRUTH, {"N": design[:, 0], "D": design[:, 1]})
    loss = clean * np.exp(rng.normal(0.0, noise, clean.size))
    runs = pl.DataFrame({"n_params": design[:, 0], "n_tokens": design[:, 1], "loss": loss})
    target_compute = 10 * float(np.max(6 * design[:, 0] * design[:, 1]))
    n_star = np.sqrt(target_compute / (6 * 20))
    target = {"n_params": [n_star], "n_tokens": [20 * n_star]}
    truth = float(law.predict(TRUTH, {"N": np.array([n_star]), "D": np.array([20 * n_star])})[0])
    return runs, target, truth


def replicate(args: tuple[str, str, float, int, int, float]) -> tuple[bool, float]:
    loss, method, noise, n_boot, seed, prob = args
    runs, target, truth = ladder(noise, seed)
    result = sl.fit(runs, "chinchilla", loss=loss, seed=seed)
    draws = sl.bootstrap(result, runs, n_boot=n_boot, seed=seed, method=method)  # type: ignore[arg-type]
    _, lower, upper, _ = result.with_bootstrap(draws).predict_interval(target, prob)
    return bool(lower[0] <= truth <= upper[0]), float(np.log(upper[0] / lower[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--n-boot", type=int, default=300)
    parser.add_argument("--noise", type=float, default=0.01, help="log-normal noise sd (1% = typical seed noise)")
    parser.add_argument("--methods", default="pairs,residual,wild")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    prob = 0.95
    print(f"ladder: {SIZES.size} sizes x {len(TOKENS_PER_PARAM)} token ratios = {SIZES.size * len(TOKENS_PER_PARAM)} runs, "
          f"noise sd {args.noise:.1%} (log-normal), target 10x beyond the largest compute, "
          f"{args.reps} replications, {args.n_boot} bootstrap draws each")
    print(f"{'loss':<8} {'method':<9} {'coverage':>9} {'MC s.e.':>8} {'median width (log)':>19} {'time [s]':>9}")
    with ProcessPoolExecutor(args.workers) as pool:
        for loss in ("huber", "squared"):
            for method in args.methods.split(","):
                begin = time.perf_counter()
                jobs = [(loss, method, args.noise, args.n_boot, seed, prob) for seed in range(args.reps)]
                outcomes = list(pool.map(replicate, jobs))
                covered = np.array([c for c, _ in outcomes])
                widths = np.array([w for _, w in outcomes])
                rate = covered.mean()
                se = np.sqrt(rate * (1 - rate) / covered.size)
                print(f"{loss:<8} {method:<9} {rate:>9.1%} {se:>8.1%} {np.median(widths):>19.4f} "
                      f"{time.perf_counter() - begin:>9.1f}", flush=True)


if __name__ == "__main__":
    main()
