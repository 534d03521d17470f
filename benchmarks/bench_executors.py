"""A grouped fit of 1,000 groups: one process against a local 2-CPU Ray cluster, in one run.

Each group is a Chinchilla ladder (30 runs, 1% noise) with its own E, A and B (``bench_grouped.groups``).
Three ways of running the same fit, timed one after the other:

- ``one process``: no executor, every group in one batch (the default);
- ``local chunks``: ``executor="local"``, the same chunks of groups the cluster gets, one after the
  other in this process (what cutting the work costs by itself);
- ``ray 2 CPUs``: ``executor="ray"`` on a local cluster started here with ``ray.init(num_cpus=2)``.

Before the timing a small grouped fit runs on the cluster, so its workers have started and imported
scalinglaws (their cold start is printed apart). Every result must be byte-identical to the one-process
fit (``FitResult.to_json``); the ratio is one-process time / Ray time. The machine's load average is
printed before and after: on a shared machine other processes take CPUs from the cluster.

Run:  python benchmarks/bench_executors.py [--groups 1000] [--shared alpha,beta] [--cpus 2]
"""

from __future__ import annotations

import argparse
import os
import time

from bench_grouped import groups

import scalinglaws as sl
from scalinglaws.fit import grouped


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min), {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--shared", default="", help="comma-separated shared parameters (none by default)")
    parser.add_argument("--cpus", type=int, default=2)
    args = parser.parse_args()
    shared = tuple(filter(None, args.shared.split(",")))

    import ray

    print(load())
    start = time.perf_counter()
    ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
    print(f"ray.init (local cluster, {args.cpus} CPUs): {time.perf_counter() - start:.1f} s")
    try:
        small = groups(2 * grouped.GROUPS_PER_TASK * args.cpus)
        start = time.perf_counter()
        sl.fit(small, "chinchilla", group="family", shared=shared, executor="ray")  # workers start, import
        print(f"warm-up on the cluster ({small['family'].n_unique()} groups): {time.perf_counter() - start:.1f} s")
        sl.fit(groups(2), "chinchilla", group="family", shared=shared)  # compile here, outside the timing

        data = groups(args.groups)
        chunks = -(-args.groups // grouped.GROUPS_PER_TASK)
        print(f"\n{args.groups} groups x 30 runs, shared={list(shared)}, {chunks} chunks of "
              f"{grouped.GROUPS_PER_TASK} groups")
        print(f"{'mode':>14} {'seconds':>9} {'same bytes':>11}  status")
        times: dict[str, float] = {}
        reference = None
        for mode, executor in (("one process", None), ("local chunks", "local"), (f"ray {args.cpus} CPUs", "ray")):
            start = time.perf_counter()
            result = sl.fit(data, "chinchilla", group="family", shared=shared, executor=executor)
            times[mode] = time.perf_counter() - start
            text = result.to_json()
            reference = text if reference is None else reference
            print(f"{mode:>14} {times[mode]:9.2f} {text == reference!s:>11}  {result.status.value}")
        ray_time = times[f"ray {args.cpus} CPUs"]
        print(f"\nspeed-up, one process / ray: {times['one process'] / ray_time:.2f}x; "
              f"local chunks / ray: {times['local chunks'] / ray_time:.2f}x")
    finally:
        ray.shutdown()
    print(load())


if __name__ == "__main__":
    main()
