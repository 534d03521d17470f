"""Coverage of nominal 95% intervals for a two-step prediction, (N, D) -> loss -> accuracy.

Each replication draws

- a loss ladder (step 1) from a planted Chinchilla law with 1% log-normal run-to-run noise: 6 model
  sizes from 20M to 400M parameters, 10-80 tokens per parameter (24 runs);
- a table of evaluated models (step 2, many more of them: 80) whose losses span 2.0-3.4 nats, whose
  accuracy follows a planted sigmoid of their loss (4-way chance floor 0.25) plus absolute noise 0.01;

fits both steps (Chinchilla, Huber in log space; ``bhagia_sigmoid`` with the floor fixed, squared error
in linear space), bootstraps both (step 1 by the method of the row, step 2 by pairs), chains them and
records whether the 95% interval for the chained law's value at the target covers the truth,
g(L(N*, D*)). The target is a 2B model at 20 tokens per parameter: 6x beyond the ladder's largest
compute, its loss inside the range of step 2.

Three intervals are scored: the chained one (joint bootstrap of both fits, ``Chain.predict_interval``);
the unchained one (step 2's own interval at the predicted loss, ``Chain.unchained_interval``), which
ignores step 1's uncertainty; and, for reference, step 1's own interval for the loss. The draws of the
two steps are independent (different runs), so the chain pairs them independently.

Run:  python benchmarks/bench_chain_coverage.py               (200 replications per method, both cores)
      python benchmarks/bench_chain_coverage.py --reps 50      (quicker, wider Monte Carlo error)
"""

from __future__ import annotations

import os

# Many small matrices: BLAS threads only add contention (as tests/conftest.py). Before NumPy loads.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse
import itertools
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import polars as pl

import scalinglaws as sl

LOSS_TRUTH = {"E": 1.8, "A": 480.0, "B": 2100.0, "alpha": 0.35, "beta": 0.37}
LINK_TRUTH = {"a": 0.6, "L_0": 2.7, "k": -5.0, "b": 0.25}
SIZES = np.geomspace(2e7, 4e8, 6)
TOKENS_PER_PARAM = (10.0, 20.0, 40.0, 80.0)
TARGET = {"n_params": [2e9], "n_tokens": [4e10]}
N_EVALS, EVAL_LOSSES, EVAL_NOISE = 80, (2.0, 3.4), 0.01
TARGET_LOSS = float(sl.get_law("chinchilla").predict(
    LOSS_TRUTH, {"N": np.array(TARGET["n_params"]), "D": np.array(TARGET["n_tokens"])}
)[0])


def draw(seed: int, noise: float) -> tuple[pl.DataFrame, pl.DataFrame, float]:
    rng = np.random.default_rng(seed)
    design = np.array([(n, n * r) for n, r in itertools.product(SIZES, TOKENS_PER_PARAM)])
    chinchilla, link = sl.get_law("chinchilla"), sl.get_law("bhagia_sigmoid")
    clean = chinchilla.predict(LOSS_TRUTH, {"N": design[:, 0], "D": design[:, 1]})
    ladder = pl.DataFrame({
        "n_params": design[:, 0], "n_tokens": design[:, 1],
        "loss": clean * np.exp(rng.normal(0.0, noise, clean.size)),
    })
    losses = rng.uniform(*EVAL_LOSSES, N_EVALS)
    accuracy = link.predict(LINK_TRUTH, {"L": losses}) + rng.normal(0.0, EVAL_NOISE, N_EVALS)
    evals = pl.DataFrame({"loss": losses, "accuracy": accuracy})
    return ladder, evals, float(link.predict(LINK_TRUTH, {"L": np.array([TARGET_LOSS])})[0])


def replicate(args: tuple[str, int, int, float, float]) -> tuple[bool, bool, bool, float, float]:
    method, seed, n_boot, noise, prob = args
    ladder, evals, truth = draw(seed, noise)
    loss_fit = sl.fit(ladder, "chinchilla", seed=seed)
    draws = sl.bootstrap(loss_fit, ladder, n_boot=n_boot, seed=seed, method=method)  # type: ignore[arg-type]
    loss_fit = loss_fit.with_bootstrap(draws)
    metric_fit = sl.fit(
        evals, "bhagia_sigmoid", mapping={"L": "loss"}, target="accuracy", fixed={"b": LINK_TRUTH["b"]},
        loss="squared", space="linear", seed=seed,
    )
    metric_fit = metric_fit.with_bootstrap(sl.bootstrap(metric_fit, evals, n_boot=n_boot, seed=seed + 1))
    chained = sl.chain(loss_fit, metric_fit, seed=seed)
    _, lo, hi, _ = chained.predict_interval(TARGET, prob)
    _, ulo, uhi, _ = chained.unchained_interval(TARGET, prob)
    _, llo, lhi, _ = loss_fit.predict_interval(TARGET, prob)
    return (
        bool(lo[0] <= truth <= hi[0]), bool(ulo[0] <= truth <= uhi[0]), bool(llo[0] <= TARGET_LOSS <= lhi[0]),
        float(hi[0] - lo[0]), float(uhi[0] - ulo[0]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--noise", type=float, default=0.01, help="log-normal sd of step-1 losses")
    parser.add_argument("--methods", default="residual,pairs", help="bootstrap methods of step 1")
    parser.add_argument("--seed", type=int, default=0, help="first replication's seed")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    prob = 0.95
    print(f"step 1: {SIZES.size * len(TOKENS_PER_PARAM)} runs, loss noise {args.noise:.1%}; step 2: {N_EVALS} "
          f"models, losses {EVAL_LOSSES}, accuracy noise {EVAL_NOISE}; target {TARGET['n_params'][0]:.0e} params x "
          f"{TARGET['n_tokens'][0]:.0e} tokens (loss {TARGET_LOSS:.3f}); {args.reps} replications, {args.n_boot} "
          "bootstrap draws per fit, nominal 95%")
    print(f"{'step-1 bootstrap':<17} {'interval':<34} {'coverage':>9} {'MC s.e.':>8} {'median width':>13}")
    with ProcessPoolExecutor(args.workers) as pool:
        for method in args.methods.split(","):
            begin = time.perf_counter()
            jobs = [(method, args.seed + i, args.n_boot, args.noise, prob) for i in range(args.reps)]
            outcomes = np.array(list(pool.map(replicate, jobs)))
            rows = (
                ("chained (joint bootstrap)", outcomes[:, 0], outcomes[:, 3]),
                ("unchained (loss taken as exact)", outcomes[:, 1], outcomes[:, 4]),
                ("step 1 alone (the loss)", outcomes[:, 2], None),
            )
            for label, covered, width in rows:
                rate = covered.mean()
                se = np.sqrt(rate * (1 - rate) / covered.size)
                shown = f"{np.median(width):>13.4f}" if width is not None else f"{'-':>13}"
                print(f"{method:<17} {label:<34} {rate:>9.1%} {se:>8.1%} {shown}", flush=True)
            print(f"{method:<17} time {time.perf_counter() - begin:.0f} s", flush=True)


if __name__ == "__main__":
    main()
