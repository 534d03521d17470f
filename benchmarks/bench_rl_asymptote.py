"""Coverage of nominal 95% intervals for the RL asymptote A when the sigmoid is fitted on early compute.

The decision ScaleRL's curve serves is "is it worth scaling this recipe?", and its answer is the
asymptote A. Each replication draws one RL run from the planted curve of Khatri et al.'s 100k GPU-hour
8B run (Table 1, batch 2048: A = 0.645, B = 1.70, C_mid = 10,909 GPU-hours; R0 = 0.40), evaluated
every ~1.3k GPU-hours (75 evaluations to 100k, as in the paper's Fig. 1), keeps the points from 1.5k
GPU-hours up to a cut (the paper fits after 1.5k), fits ``khatri_rl`` with squared error in linear
space and records whether each interval for A covers the planted 0.645.

Noise models:

- ``iid``: each evaluation's pass rate has independent sampling noise, sd 0.004 (1,000 prompts x 16
  generations: at most sqrt(0.25/16000) = 0.004).
- ``ar1``: the same plus a slowly wandering run offset, AR(1) with sd 0.006 and lag-one correlation
  0.9 between evaluations: one run's policy drifts, so neighbouring evaluations err together (the
  paper sees the fitted A vary by +-0.015 across three identical runs, App. A.5).

Interval methods: ``wald`` (A +- 1.96 standard errors of the fit), ``profile`` (profile likelihood,
``sl.profile``), ``pairs`` and ``residual`` bootstrap percentiles (``sl.bootstrap``).

Run:  python benchmarks/bench_rl_asymptote.py                  (200 replications, both cores)
      python benchmarks/bench_rl_asymptote.py --reps 50 --n-boot 100   (quicker)
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import polars as pl

import scalinglaws as sl

TRUTH = {"A": 0.645, "B": 1.70, "C_mid": 10909.0}
R0 = 0.40
EVALUATIONS = np.linspace(100e3 / 75, 100e3, 75)
"""GPU-hours at each evaluation: every 100 steps of a run that reaches 100k GPU-hours in 75 of them."""
START = 1.5e3
CUTS = (12.5e3, 25e3, 50e3)
NOISE = {"iid": (0.004, 0.0, 0.0), "ar1": (0.004, 0.006, 0.9)}
"""Noise model -> (sd of evaluation noise, sd of the AR(1) run offset, its lag-one correlation)."""
METHODS = ("wald", "profile", "pairs", "residual")


def run(noise: str, seed: int) -> np.ndarray:
    """One run's evaluated pass rates at every evaluation."""
    rng = np.random.default_rng(seed)
    sd, sd_run, rho = NOISE[noise]
    law = sl.get_law("khatri_rl")
    clean = law.predict(TRUTH, {"C": EVALUATIONS, "R0": np.full(EVALUATIONS.size, R0)})
    offset = np.zeros(EVALUATIONS.size)
    if sd_run > 0:
        offset[0] = rng.normal(0.0, sd_run)
        for i in range(1, offset.size):
            offset[i] = rho * offset[i - 1] + rng.normal(0.0, sd_run * np.sqrt(1 - rho**2))
    return np.asarray(clean + offset + rng.normal(0.0, sd, EVALUATIONS.size))


def replicate(args: tuple[str, float, int, int]) -> dict[str, tuple[bool, float]]:
    """Covered and width of each method's interval for A."""
    noise, cut, n_boot, seed = args
    reward = run(noise, seed)
    keep = (EVALUATIONS >= START) & (cut >= EVALUATIONS)
    runs = pl.DataFrame({"gpu_hours": EVALUATIONS[keep], "R0": np.full(keep.sum(), R0), "reward": reward[keep]})
    options = {"mapping": {"C": "gpu_hours"}, "target": "reward", "space": "linear", "loss": "squared"}
    result = sl.fit(runs, "khatri_rl", seed=seed, **options)  # type: ignore[arg-type]
    out: dict[str, tuple[bool, float]] = {}
    a, truth = result.params["A"], TRUTH["A"]
    if result.stderr is not None:
        se = result.stderr["A"]
        out["wald"] = (bool(abs(a - truth) <= 1.96 * se), 2 * 1.96 * se)
    try:
        interval = sl.profile(result, runs, "A", prob=0.95)
        out["profile"] = (bool(interval.lower <= truth <= interval.upper), interval.upper - interval.lower)
    except sl.ToolkitError:
        pass
    for method in ("pairs", "residual"):
        draws = sl.bootstrap(result, runs, n_boot=n_boot, seed=seed, method=method)  # type: ignore[arg-type]
        interval = draws.interval(0.95)["A"]
        out[method] = (bool(interval.lower <= truth <= interval.upper), interval.upper - interval.lower)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"Planted A = {TRUTH['A']}, B = {TRUTH['B']}, C_mid = {TRUTH['C_mid']:g} GPU-hours, R0 = {R0}; "
          f"{args.reps} replications, {args.n_boot} bootstrap draws; nominal 95%.")
    print(f"{'noise':<6} {'cut (GPU-h)':>11} {'points':>6}  " + "  ".join(f"{m:>17}" for m in METHODS))
    start = time.time()
    with ProcessPoolExecutor(args.workers) as pool:
        for noise in NOISE:
            for cut in CUTS:
                jobs = [(noise, cut, args.n_boot, seed) for seed in range(args.reps)]
                results = list(pool.map(replicate, jobs, chunksize=4))
                cells = []
                for method in METHODS:
                    got = [r[method] for r in results if method in r]
                    covered = np.mean([g[0] for g in got]) if got else float("nan")
                    width = np.median([g[1] for g in got]) if got else float("nan")
                    cells.append(f"{covered:6.1%} w={width:.3f}" + ("" if len(got) == args.reps else f"/{len(got)}"))
                n_points = int(((EVALUATIONS >= START) & (cut >= EVALUATIONS)).sum())
                print(f"{noise:<6} {cut:>11,.0f} {n_points:>6}  " + "  ".join(f"{c:>17}" for c in cells), flush=True)
    print(f"({time.time() - start:.0f} s; w = median interval width in pass rate; Monte Carlo sd of a "
          f"coverage near 95% over {args.reps} replications: {np.sqrt(0.95 * 0.05 / args.reps):.1%})")


if __name__ == "__main__":
    main()
