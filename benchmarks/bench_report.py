"""Wall time of `scalinglaws report` on the Epoch Chinchilla data (245 runs), with and without figures.

Each command runs in a fresh interpreter (what a user pays), interleaved round by round so load on
the machine hits both alike; medians and minima. The speed issue's targets: under 5 s without
figures, under 8 s with them. A second table draws the same report's figures in this process, alone
and with the figure worker (`scalinglaws.report.figure_pool`), and checks the pages are identical.

Data: ../shared/data/chinchilla_epoch (or the folder in SCALINGLAWS_DATA_DIR).

Run:  python benchmarks/bench_report.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_startup import interleaved

ROOT = Path(os.environ.get("SCALINGLAWS_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))
DATA = ROOT / "chinchilla_epoch" / "chinchilla_approach3.csv"


def commands(out: Path) -> dict[str, list[str]]:
    exe = shutil.which("scalinglaws") or "scalinglaws"
    base = [exe, "report", str(DATA), "--law", "chinchilla", "--out"]
    return {
        "report (figures)": [*base, str(out / "figures.html")],
        "report --no-figures": [*base, str(out / "plain.html"), "--no-figures"],
    }


def in_process() -> tuple[float, float, bool]:
    """Seconds to render the page alone and with the worker (warmed up, as the CLI's is by then)."""
    import polars as pl

    import scalinglaws as sl
    from scalinglaws.report import figure_pool, render_report
    from scalinglaws.report.pool import compile_law

    runs = pl.read_csv(DATA)
    result = sl.fit(runs, "chinchilla")
    result = result.with_bootstrap(sl.bootstrap(result, runs, n_boot=200, seed=0))
    scores = sl.backtest(runs, "chinchilla", n_boot=200, seed=0)
    render_report(result, runs, backtest=scores)  # matplotlib imported, fonts loaded
    start = time.perf_counter()
    alone = render_report(result, runs, backtest=scores)
    t_alone = time.perf_counter() - start
    with figure_pool() as pool:
        if pool is None:
            return t_alone, float("nan"), True
        pool.submit(compile_law, result.law).result()
        start = time.perf_counter()
        shared = render_report(result, runs, backtest=scores, pool=pool)
        t_pool = time.perf_counter() - start
    return t_alone, t_pool, shared == alone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not DATA.is_file():
        sys.exit(f"skipped: {DATA} is not here (the shared data sets live beside the repository)")
    with tempfile.TemporaryDirectory() as folder:
        times = interleaved(commands(Path(folder)), args.rounds)
    targets = {"report (figures)": 8.0, "report --no-figures": 5.0}
    print(f"{'command':<24} {'median s':>9} {'min s':>7} {'target s':>9}")
    for name, values in times.items():
        median = statistics.median(values)
        verdict = "met" if median < targets[name] else "NOT met"
        print(f"{name:<24} {median:9.2f} {min(values):7.2f} {targets[name]:9.1f}  {verdict}")
    t_alone, t_pool, same = in_process()
    print(f"\nrender_report in this process: alone {t_alone:.2f} s, with the figure worker {t_pool:.2f} s "
          f"(ratio {t_pool / t_alone:.2f}); pages identical: {same}")
    print(f"load average while measuring: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
