"""Time and peak memory of the default fit against the number of rows: linear in rows, flat in memory.

The Epoch/Chinchilla points (240, 5 highest losses dropped) are replicated 10x, 100x and 1,000x with
1% log-normal jitter on the loss (so replicas are not identical) and fitted with the defaults. Each size
runs in a fresh process so its peak resident memory is its own, and is fitted ``--repeats`` times: the
time is the fastest, as the least disturbed by whatever else the machine runs.

Run:  python benchmarks/bench_rows.py [--sizes 240,2400,24000,240000] [--repeats 3]
Data: ../shared/data/chinchilla_epoch (or the folder in SCALINGLAWS_DATA_DIR).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, resource, sys, time
import numpy as np, polars as pl
import scalinglaws as sl
root, rows, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
frame = pl.read_csv(root + "/chinchilla_epoch/chinchilla_approach3.csv")
frame = frame.filter(pl.col("loss") < sorted(frame["loss"].to_list())[-5])
copies = max(1, rows // frame.height)
rng = np.random.default_rng(0)
big = pl.concat([frame] * copies)
big = big.with_columns(pl.Series("loss", big["loss"].to_numpy() * np.exp(rng.normal(0, 0.01, big.height))))
sl.fit(frame, "chinchilla")  # compile once, outside the timing
times = []
for _ in range(repeats):
    start = time.perf_counter()
    result = sl.fit(big, "chinchilla")
    times.append(time.perf_counter() - start)
seconds = min(times)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rows": big.height, "seconds": seconds, "peak_mib": peak, "status": result.status.value,
                  "objective_per_row": result.objective / big.height}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="240,2400,24000,240000")
    parser.add_argument("--repeats", type=int, default=3, help="fits per size; the fastest is reported")
    args = parser.parse_args()
    root = os.environ.get("SCALINGLAWS_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    for rows in sizes:
        out = subprocess.run([sys.executable, "-c", CHILD, root, str(rows), str(args.repeats)], capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"{'rows':>8} {'seconds':>9} {'s / row (us)':>13} {'time ratio / row ratio':>23} {'peak MiB':>9}  status")
    previous = None
    for r in results:
        ratio = "" if previous is None else f"{(r['seconds'] / previous['seconds']) / (r['rows'] / previous['rows']):.2f}"
        print(f"{r['rows']:>8} {r['seconds']:9.3f} {1e6 * r['seconds'] / r['rows']:13.2f} {ratio:>23} "
              f"{r['peak_mib']:9.0f}  {r['status']}")
        previous = r
    print(f"load average: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
