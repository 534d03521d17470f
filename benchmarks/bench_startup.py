"""Start-up cost: `import scalinglaws` and `scalinglaws --version` against importing numpy (+ polars).

Every measurement is a fresh interpreter (what a user pays on each command), interleaved round by
round so load on the machine hits all of them alike; the table gives medians and the ratios the
structure issue asks for: `import scalinglaws` within 2x of `import numpy, polars`.

Run:  python benchmarks/bench_startup.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import numpy": [sys.executable, "-c", "import numpy"],
    "import numpy, polars": [sys.executable, "-c", "import numpy, polars"],
    "import scalinglaws": [sys.executable, "-c", "import scalinglaws"],
    "scalinglaws --version": [shutil.which("scalinglaws") or "scalinglaws", "--version"],
    "scalinglaws --help": [shutil.which("scalinglaws") or "scalinglaws", "--help"],
    "first fit (import + compile + fit)": [
        sys.executable, "-c",
        "import scalinglaws as sl; sl.fit(sl.testing.synthetic_runs('chinchilla', seed=0), 'chinchilla')",
    ],
}


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    return time.perf_counter() - start


def interleaved(cases: dict[str, list[str]], rounds: int) -> dict[str, list[float]]:
    """Wall seconds of each command over ``rounds`` rounds, every command once per round (after one
    run each that warms the file cache), so load on the machine hits them alike."""
    for command in cases.values():
        wall(command)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, command in cases.items():
            times[name].append(wall(command))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    times = interleaved(CASES, args.rounds)
    median = {name: statistics.median(values) for name, values in times.items()}
    base = median["import numpy, polars"]
    print(f"{'command':<38} {'median s':>9} {'min s':>7}  {'/ numpy+polars':>14}  {'/ numpy':>8}")
    for name, values in times.items():
        print(
            f"{name:<38} {median[name]:9.3f} {min(values):7.3f}  {median[name] / base:14.2f}  "
            f"{median[name] / median['import numpy']:8.2f}"
        )
    ratio = median["import scalinglaws"] / base
    print(f"\nimport scalinglaws / import numpy, polars = {ratio:.2f} (target <= 2.0): "
          f"{'met' if ratio <= 2.0 else 'NOT met'}")
    print(f"load average while measuring: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
