"""Does `suggest_runs` buy a narrower interval on the target loss than a naive grid of equal FLOPs?

Simulation, averaged over many planted Chinchilla laws:

1. Plant a law (E, A, B, alpha, beta drawn around published values) and simulate a small pilot ladder
   (4 sizes 1e7-1e8 parameters x 10/20/40 tokens per parameter, 1% log-normal noise); fit it.
2. The target is the fitted compute-optimal run at `--target-flops`.
3. Spend the same FLOP budget two ways:
   - suggest: `suggest_runs(fit, target=..., budget=B)` (greedy delta-method design);
   - naive: the pilot's shape scaled up, 4 model sizes log-spaced from the pilot's largest up to the
     size at which the 4 x 3 grid (10, 20, 40 tokens per parameter) spends exactly the budget.
4. Simulate those runs from the planted law, refit pilot + new runs, and record the delta-method 95%
   confidence interval width of the target loss, whether it covers the true loss, and the absolute
   relative error of the prediction.

Run: python benchmarks/bench_suggest.py [--trials 40] [--budget-factor 30]
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
import polars as pl

import scalinglaws as sl
from scalinglaws.plan import allocate, suggest_runs

LAW = sl.get_law("chinchilla")


def planted(rng: np.random.Generator) -> dict[str, float]:
    return {
        "E": float(rng.uniform(1.6, 2.0)),
        "A": float(np.exp(rng.uniform(np.log(200), np.log(1000)))),
        "B": float(np.exp(rng.uniform(np.log(400), np.log(3000)))),
        "alpha": float(rng.uniform(0.28, 0.42)),
        "beta": float(rng.uniform(0.28, 0.42)),
    }


def simulate(truth: dict[str, float], n: np.ndarray, d: np.ndarray, noise: float, rng: np.random.Generator) -> pl.DataFrame:
    loss = LAW.predict(truth, {"N": n, "D": d}) * np.exp(rng.normal(0.0, noise, n.shape))
    return pl.DataFrame({"n_params": n, "n_tokens": d, "loss": loss})


RATIOS = np.array([10.0, 20.0, 40.0])


def naive_grid(n_low: float, budget: float, n_sizes: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """The pilot's shape scaled up: n_sizes sizes log-spaced from n_low to n_top, each at 10, 20 and 40
    tokens per parameter, with n_top such that the grid's total 6ND equals the budget."""

    def total(top: float) -> float:
        sizes = np.geomspace(n_low, top, n_sizes)
        return float(np.sum(6.0 * sizes * sizes) * RATIOS.sum())

    lo, hi = math.log(n_low), math.log(n_low) + 40
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if total(math.exp(mid)) < budget else (lo, mid)
    sizes = np.repeat(np.geomspace(n_low, math.exp(lo), n_sizes), RATIOS.size)
    return sizes, sizes * np.tile(RATIOS, n_sizes)


def width(fit: sl.FitResult, n: float, d: float) -> tuple[float, float, float]:
    point, lower, upper, _ = fit.predict_interval({"n_params": np.array([n]), "n_tokens": np.array([d])}, 0.95)
    return float(point[0]), float(lower[0]), float(upper[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--target-flops", type=float, default=1e22)
    parser.add_argument("--budget-factor", type=float, default=30.0,
                        help="budget for new runs as a multiple of the pilot ladder's FLOPs")
    parser.add_argument("--noise", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    rows = []
    start = time.perf_counter()
    fit_options = {"n_grid": 256, "n_polish": 4}
    for trial in range(args.trials):
        truth = planted(rng)
        sizes = np.geomspace(1e7, 1e8, 4)
        n0 = np.repeat(sizes, 3)
        d0 = n0 * np.tile([10.0, 20.0, 40.0], 4)
        pilot = simulate(truth, n0, d0, args.noise, rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit0 = sl.fit(pilot, "chinchilla", **fit_options)
        if fit0.covariance is None:
            continue
        plan = allocate(fit0, flops=args.target_flops)
        tn, td = float(plan.n_params[0]), float(plan.n_tokens[0])
        true_loss = float(LAW.predict(truth, {"N": np.array([tn]), "D": np.array([td])})[0])
        budget = args.budget_factor * float(np.sum(6 * n0 * d0))
        suggestion = suggest_runs(fit0, budget=budget, target={"N": tn, "D": td}, max_runs=64)
        designs = {
            "suggest": (suggestion.runs["n_params"].to_numpy(), suggestion.runs["n_tokens"].to_numpy()),
            "naive": naive_grid(1e8, budget),
        }
        for name, (n1, d1) in designs.items():
            data = pl.concat([pilot, simulate(truth, n1, d1, args.noise, rng)])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                refit = sl.fit(data, "chinchilla", **fit_options)
            if refit.covariance is None:
                rows.append({"trial": trial, "design": name, "ok": False})
                continue
            point, lower, upper = width(refit, tn, td)
            rows.append({
                "trial": trial, "design": name, "ok": True, "n_runs": int(n1.size),
                "flops_share": float(np.sum(6 * n1 * d1)) / budget,
                "rel_width": (upper - lower) / point, "covered": lower <= true_loss <= upper,
                "abs_rel_error": abs(point / true_loss - 1), "predicted_se_after": suggestion.se_after,
            })
    frame = pl.DataFrame(rows)
    ok_trials = (
        frame.group_by("trial").agg(pl.col("ok").all()).filter(pl.col("ok"))["trial"]
    )
    frame = frame.filter(pl.col("trial").is_in(ok_trials.implode()))
    summary = frame.group_by("design").agg(
        pl.len().alias("trials"),
        pl.col("n_runs").mean().alias("mean_runs"),
        pl.col("flops_share").mean().alias("budget_used"),
        pl.col("rel_width").mean().alias("mean_rel_width"),
        pl.col("rel_width").median().alias("median_rel_width"),
        pl.col("abs_rel_error").mean().alias("mean_abs_rel_err"),
        pl.col("covered").mean().alias("coverage"),
    ).sort("design")
    paired = frame.pivot(on="design", index="trial", values="rel_width")
    wins = float((paired["suggest"] < paired["naive"]).mean())
    ratio = float(np.exp(np.mean(np.log((paired["suggest"] / paired["naive"]).to_numpy()))))
    print(f"trials={args.trials} target_flops={args.target_flops:g} budget={args.budget_factor:g}x pilot "
          f"noise={args.noise} seed={args.seed}  ({time.perf_counter() - start:.0f} s)")
    with pl.Config(tbl_cols=-1, tbl_width_chars=160, float_precision=4):
        print(summary)
    print(f"suggest narrower than naive in {wins:.0%} of paired trials; geometric-mean width ratio "
          f"suggest/naive = {ratio:.3f}")


if __name__ == "__main__":
    main()
