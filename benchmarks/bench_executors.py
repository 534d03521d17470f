"""A grouped fit of 1,000 groups: one process against a local 2-CPU Ray cluster, in one run.

Each group is a Chinchilla ladder (30 runs, 1% noise) with its own E, A and B (``bench_grouped.groups``).
Three ways of running the same fit, timed one after the other:

- ``one process``: no executor, every group in one batch (the default);
- ``local chunks``: ``executor="local"``, the same chunks of groups the cluster gets, one after the
  other in this process (what cutting the work costs by itself);
- ``ray 2 CPUs``: ``executor="ray"`` on a local cluster started here with ``ray.init(num_cpus=2)``, its
  workers at this process's niceness (Ray's default is nice 15, see ``main``).

Before the timing a small grouped fit runs on the cluster, so its workers have started and imported
scalinglaws (their cold start is printed apart). Every result must be byte-identical to the one-process
fit (``FitResult.to_json``); the ratio is one-process time / Ray time (the fastest of ``--repeats``
interleaved rounds). The machine's load average is printed before, after and with every time, and a
calibration first: the same fixed CPU work here and on the cluster, which says how much CPU the cluster
really gets. On a shared machine other processes take CPUs from it, and with the kernel's autogroup
scheduling (``/proc/sys/kernel/sched_autogroup_enabled``) a local cluster's workers share the CPU share
of this process's session: under load they get no more CPU than this process alone.

Run:  python benchmarks/bench_executors.py [--groups 1000] [--shared alpha,beta] [--cpus 2] [--repeats 1]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from bench_grouped import groups

import scalinglaws as sl
from scalinglaws.executors import LocalExecutor, RayExecutor
from scalinglaws.fit import grouped


def _niceness(context: None, chunk: int) -> int:
    return os.nice(0)


def _spin(context: None, chunk: int) -> float:
    """A fixed amount of CPU work (NumPy, single-threaded); returns its CPU seconds."""
    start = time.process_time()
    x = np.ones(200_000)
    for _ in range(1000):
        x = np.sqrt(x * 1.0000001 + 1e-9)
    return time.process_time() - start


def cpu_share(cpus: int) -> str:
    """How much more CPU the cluster gets than this process: the same 3 x cpus pieces of fixed work."""
    pieces = list(range(3 * cpus))
    start = time.perf_counter()
    LocalExecutor().map(_spin, pieces, None)
    here = time.perf_counter() - start
    start = time.perf_counter()
    RayExecutor().map(_spin, pieces, None)
    there = time.perf_counter() - start
    group = Path("/proc/self/autogroup")
    autogroup = f"; scheduler autogroup of this process: {group.read_text().strip()}" if group.exists() else ""
    return (f"fixed CPU work, {len(pieces)} pieces: here {here:.2f} s, on the cluster {there:.2f} s "
            f"(the cluster gets {here / there:.2f}x this process's CPU{autogroup})")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min), {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--shared", default="", help="comma-separated shared parameters (none by default)")
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1, help="rounds of the three modes (fastest kept)")
    args = parser.parse_args()
    shared = tuple(filter(None, args.shared.split(",")))

    # Ray runs its workers at nice 15 by default (the raylet stays responsive); on a machine shared with
    # other work they would then get a sliver of the CPUs this process gets at nice 0. A dedicated
    # cluster has nothing to yield to; here the workers run at this process's niceness for a fair race.
    os.environ.setdefault("RAY_worker_niceness", str(os.nice(0)))
    import ray

    print(load())
    start = time.perf_counter()
    ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
    print(f"ray.init (local cluster, {args.cpus} CPUs): {time.perf_counter() - start:.1f} s")
    try:
        niceness = RayExecutor().map(_niceness, [0], None)[0]
        print(f"worker niceness {niceness} (this process: {os.nice(0)})")
        print(cpu_share(args.cpus))
        small = groups(2 * grouped.GROUPS_PER_TASK * args.cpus)
        start = time.perf_counter()
        sl.fit(small, "chinchilla", group="family", shared=shared, executor="ray")  # workers start, import
        print(f"warm-up on the cluster ({small['family'].n_unique()} groups): {time.perf_counter() - start:.1f} s")
        sl.fit(groups(2), "chinchilla", group="family", shared=shared)  # compile here, outside the timing

        data = groups(args.groups)
        chunks = -(-args.groups // grouped.GROUPS_PER_TASK)
        print(f"\n{args.groups} groups x 30 runs, shared={list(shared)}, {chunks} chunks of "
              f"{grouped.GROUPS_PER_TASK} groups")
        print(f"{'mode':>14} {'seconds':>9} {'same bytes':>11}  status  (load, 1 min)")
        times: dict[str, float] = {}
        reference = None
        modes = (("one process", None), ("local chunks", "local"), (f"ray {args.cpus} CPUs", "ray"))
        for _ in range(args.repeats):  # the modes interleaved; the fastest of each is compared
            for mode, executor in modes:
                start = time.perf_counter()
                result = sl.fit(data, "chinchilla", group="family", shared=shared, executor=executor)
                seconds = time.perf_counter() - start
                times[mode] = min(times.get(mode, seconds), seconds)
                text = result.to_json()
                reference = text if reference is None else reference
                print(f"{mode:>14} {seconds:9.2f} {text == reference!s:>11}  {result.status.value}  "
                      f"({os.getloadavg()[0]:.2f})")
        ray_time = times[f"ray {args.cpus} CPUs"]
        print(f"\nfastest of {args.repeats}: " + ", ".join(f"{m} {t:.2f} s" for m, t in times.items()))
        print(f"speed-up, one process / ray: {times['one process'] / ray_time:.2f}x; "
              f"local chunks / ray: {times['local chunks'] / ray_time:.2f}x")
    finally:
        ray.shutdown()
    print(load())


if __name__ == "__main__":
    main()
