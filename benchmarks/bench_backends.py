"""NumPy vs JAX kernels: one fit, 10^4 bootstrap draws and 10^3 groups, in one run.

Each case runs with ``backend="numpy"``, then twice with ``backend="jax"``: the first JAX call compiles
the kernels for the law and the padded shapes (``cold``), the second reuses them (``warm``); their
difference is reported as the compile time. The ratios are NumPy's time over JAX's, so above 1 means
JAX is faster. Every case also prints how far the JAX result is from NumPy's (relative objective, or
the largest relative difference of the bootstrap draws), so a speed-up never comes from a different
answer.

Data: Chinchilla ladders from ``scalinglaws.testing.synthetic_runs`` (60 runs, 1% noise); the grouped
case is ``benchmarks/bench_grouped.py``'s 30-run ladders, one per group, with their own E, A, B.

Run:  python benchmarks/bench_backends.py [--boot 10000] [--groups 1000]

JAX runs on a GPU when it sees one (``pip install -U "jax[cuda12]"`` instead of the CPU wheel; nothing
in scalinglaws changes); otherwise on the CPU, as here.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

import scalinglaws as sl


def ladder_groups(n_groups: int, n_runs: int = 30, seed: int = 0) -> pl.DataFrame:
    """``n_groups`` Chinchilla ladders with their own E, A and B (as in bench_grouped.py)."""
    rng = np.random.default_rng(seed)
    truth = sl.testing.PLANTED["chinchilla"]
    frames = []
    for g in range(n_groups):
        params = dict(truth)
        params["E"] = truth["E"] * float(np.exp(rng.normal(0, 0.05)))
        params["A"] = truth["A"] * float(np.exp(rng.normal(0, 0.3)))
        params["B"] = truth["B"] * float(np.exp(rng.normal(0, 0.3)))
        runs = sl.testing.synthetic_runs("chinchilla", params, n_runs=n_runs, noise=0.01, seed=seed + g)
        frames.append(runs.with_columns(pl.lit(f"g{g:04d}").alias("family")))
    return pl.concat(frames)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = call()
    return time.perf_counter() - start, out


def relative(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), 1e-300)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boot", type=int, default=10_000, help="bootstrap draws")
    parser.add_argument("--groups", type=int, default=1_000, help="groups of the grouped fit")
    args = parser.parse_args()
    import jax

    print(f"jax {jax.__version__} on {jax.devices()[0].platform}; load average {os.getloadavg()[0]:.2f} "
          f"(1 min), {os.cpu_count()} cores")
    runs = sl.testing.synthetic_runs("chinchilla", n_runs=60, noise=0.01, seed=0)
    data = ladder_groups(args.groups)
    rows: list[tuple[str, float, float, float, str]] = []

    def case(name: str, run: Callable[[str], Any], agree: Callable[[Any, Any], str]) -> None:
        numpy_s, reference = timed(lambda: run("numpy"))
        cold_s, _ = timed(lambda: run("jax"))
        warm_s, result = timed(lambda: run("jax"))
        rows.append((name, numpy_s, cold_s, warm_s, agree(reference, result)))
        print(f"  done: {name} (load {os.getloadavg()[0]:.2f})", flush=True)

    def fit_agree(a: sl.FitResult, b: sl.FitResult) -> str:
        return f"objective {relative(a.objective, b.objective):.0e}, {a.status.value}/{b.status.value}"

    case("1 fit (60 runs)", lambda backend: sl.fit(runs, "chinchilla", backend=backend), fit_agree)
    fitted = {b: sl.fit(runs, "chinchilla", backend=b) for b in ("numpy", "jax")}

    def draws_agree(a: Any, b: Any) -> str:
        gap = np.nanmax(np.abs(a.draws - b.draws) / np.abs(a.draws))
        return f"draws {gap:.0e}, failed {a.n_failed}/{b.n_failed}"

    case(
        f"{args.boot} bootstrap draws",
        lambda backend: sl.bootstrap(fitted[backend], runs, n_boot=args.boot, seed=0),
        draws_agree,
    )
    case(
        f"{args.groups} groups (separate)",
        lambda backend: sl.fit(data, "chinchilla", group="family", backend=backend),
        fit_agree,
    )
    print(f"\n{'case':<28} {'numpy s':>8} {'jax cold':>9} {'jax warm':>9} {'compile':>8} "
          f"{'np/warm':>8} {'np/cold':>8}  agreement")
    for name, numpy_s, cold_s, warm_s, agreement in rows:
        print(f"{name:<28} {numpy_s:8.2f} {cold_s:9.2f} {warm_s:9.2f} {cold_s - warm_s:8.2f} "
              f"{numpy_s / warm_s:8.2f} {numpy_s / cold_s:8.2f}  {agreement}")
    print(f"load average: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
