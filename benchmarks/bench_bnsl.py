"""The two-break BNSL (``bnsl2``, nine parameters) on 60 runs: the first call and the time after it.

Synthetic runs from ``scalinglaws.testing.synthetic_runs("bnsl2", ...)`` (x from 1e3 to 1e9, breaks at
1e4 and 1e7, 2% noise), one data set per seed, each fitted with the defaults. The first fit of the
process includes building the law's evaluators (sympy, lambdify) and importing what the engine needs;
the later ones are timed ``--repeats`` times and the fastest is kept, as the least disturbed by the
rest of the machine.

Run:  python benchmarks/bench_bnsl.py [--seeds 1,2,3] [--repeats 3] [--n-runs 60]
"""

from __future__ import annotations

import argparse
import time

import scalinglaws as sl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-runs", type=int, default=60)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]

    first = None
    print(f"{'seed':>5} {'first s':>8} {'fastest s':>10} {'objective':>12}  status")
    for seed in seeds:
        runs = sl.testing.synthetic_runs("bnsl2", n_runs=args.n_runs, noise=0.02, seed=seed)
        if first is None:
            start = time.perf_counter()
            sl.fit(runs, "bnsl2")
            first = time.perf_counter() - start
        times, result = [], None
        for _ in range(args.repeats):
            start = time.perf_counter()
            result = sl.fit(runs, "bnsl2")
            times.append(time.perf_counter() - start)
        assert result is not None
        shown = f"{first:8.2f}" if seed == seeds[0] else f"{'':>8}"
        print(f"{seed:>5} {shown} {min(times):10.2f} {result.objective:12.6g}  {result.status}")


if __name__ == "__main__":
    main()
