"""The Ray executor on a real local cluster (``conftest.py``): the same bytes as a run here, progress
counted across the cluster, a killed worker retried, a failing chunk named.

Problems are small (70 groups of 8 runs, 600 resamples) so the module runs in about a minute; the
1,000-group timing is ``benchmarks/bench_executors.py``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import scalinglaws as sl
from scalinglaws.errors import ChunkError
from scalinglaws.executors import AbstractExecutor, RayExecutor
from scalinglaws.fit import grouped, resampling

from .conftest import Cluster
from .test_executors_local import grouped_runs, square_unless_three

N_GROUPS = 70
"""Three chunks of groups (32, 32 and 6, with ``GROUPS_PER_TASK`` set to 32 here in the driver, where the
work is cut): more chunks than the cluster's 2 CPUs."""


@pytest.fixture(autouse=True)
def _chunks_of_32(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grouped, "GROUPS_PER_TASK", 32)


@pytest.fixture(scope="module", autouse=True)
def _by_value(ray_cluster: Cluster) -> None:
    """The workers cannot import the test modules: ship their functions and classes by value."""
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    cloudpickle.register_pickle_by_value(sys.modules[square_unless_three.__module__])


@pytest.fixture(scope="module")
def runs() -> Any:
    return grouped_runs(N_GROUPS)


@pytest.fixture(scope="module")
def local_fit(runs: Any) -> sl.FitResult:
    return sl.fit(runs, "chinchilla", group="family", shared=("alpha", "beta"))


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int, str]] = []

    def __call__(self, finished: int, total: int, label: str) -> None:
        self.calls.append((finished, total, label))


def test_grouped_fit_on_ray_is_byte_identical(ray_cluster: Cluster, runs: Any, local_fit: sl.FitResult) -> None:
    progress = Recorder()
    remote = sl.fit(
        runs, "chinchilla", group="family", shared=("alpha", "beta"), executor=RayExecutor(progress=progress)
    )
    assert remote.to_json() == local_fit.to_json()
    chunked_here = sl.fit(runs, "chinchilla", group="family", shared=("alpha", "beta"), executor="local")
    assert remote.to_json() == chunked_here.to_json()
    calls = [(done, total) for done, total, label in progress.calls if label == "grouped fit"]
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]  # every chunk counted once, as it finished on the cluster
    assert {label for _, _, label in progress.calls} == {"start grid", "grouped fit"}  # the pooled fit's grid


def test_bootstrap_on_ray_is_byte_identical(ray_cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    data = sl.testing.synthetic_runs("chinchilla", n_runs=60, seed=5)
    fit = sl.fit(data, "chinchilla")
    # Chunks of 200 resamples (60 points x 5 parameters each), cut here in the driver: 3 chunks.
    monkeypatch.setattr(resampling, "_CHUNK_ELEMENTS", 200 * 60 * 5)
    here = fit.with_bootstrap(sl.bootstrap(fit, data, n_boot=600, seed=11))
    progress = Recorder()
    draws = sl.bootstrap(fit, data, n_boot=600, seed=11, executor=RayExecutor(progress=progress))
    assert fit.with_bootstrap(draws).to_json() == here.to_json()
    assert [done for done, _, _ in progress.calls] == [0, 1, 2, 3]


class KillOnce:
    """The work of one chunk, but the first time it runs its worker process is killed (SIGKILL)."""

    def __init__(self, function: Callable[[Any, Any], Any], victim: Any, marker: Path) -> None:
        self.function, self.victim, self.marker = function, victim, marker

    def __call__(self, context: Any, chunk: Any) -> Any:
        if chunk == self.victim and not self.marker.exists():
            self.marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return self.function(context, chunk)


class KillingExecutor(AbstractExecutor):
    """A Ray executor whose chunk ``victim`` kills its worker the first time it runs."""

    def __init__(self, inner: RayExecutor, victim: int, marker: Path) -> None:
        self.inner, self.victim, self.marker = inner, victim, marker

    def map(
        self, function: Callable[[Any, Any], Any], chunks: Sequence[Any], context: Any = None, *,
        names: Sequence[str] | None = None, label: str = "chunks",
    ) -> list[Any]:
        if label == "start grid":  # the pooled fit's grid (one chunk here): run as it is
            return self.inner.map(function, chunks, context, names=names, label=label)
        work = KillOnce(function, chunks[self.victim], self.marker)
        return self.inner.map(work, chunks, context, names=names, label=label)


def test_a_killed_worker_is_retried_and_the_result_is_unchanged(
    ray_cluster: Cluster, runs: Any, local_fit: sl.FitResult, tmp_path: Path
) -> None:
    marker = tmp_path / "killed"
    progress = Recorder()
    executor = KillingExecutor(RayExecutor(max_retries=2, progress=progress), victim=1, marker=marker)
    remote = sl.fit(runs, "chinchilla", group="family", shared=("alpha", "beta"), executor=executor)
    pid = int(marker.read_text())  # the chunk ran, and its worker was killed
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert remote.to_json() == local_fit.to_json()
    grouped_calls = [done for done, _, label in progress.calls if label == "grouped fit"]
    assert grouped_calls == [0, 1, 2, 3]  # the retried chunk counted once


def test_without_retries_the_killed_chunk_names_itself(ray_cluster: Cluster, tmp_path: Path) -> None:
    marker = tmp_path / "killed"
    executor = KillingExecutor(RayExecutor(max_retries=0), victim=2, marker=marker)
    with pytest.raises(ChunkError, match=r"chunk 2 of 4 \(c2\) of the squares failed: ExecutorError: its task was lost") as info:
        executor.map(square_unless_three, [0, 1, 2, 4], 100, names=["c0", "c1", "c2", "c3"], label="squares")
    assert info.value.finished == {0: 100, 1: 101, 3: 116}  # the others finished and are kept


def test_a_failing_chunk_on_ray_names_itself_and_the_others_finish(ray_cluster: Cluster) -> None:
    with pytest.raises(ChunkError, match=r"chunk 3 of 5 \(chunk 3\) of the squares failed: ValueError: three is not") as info:
        RayExecutor().map(square_unless_three, [0, 1, 2, 3, 4], 1, label="squares")
    assert isinstance(info.value.cause, ValueError)
    assert info.value.finished == {0: 1, 1: 2, 2: 5, 4: 17}


@pytest.mark.slow  # about 15 s each on a loaded 2-core machine
def test_backtest_and_select_on_ray_match_a_local_run(ray_cluster: Cluster) -> None:
    data = sl.testing.synthetic_runs("chinchilla", n_runs=30, seed=1)
    options: dict[str, Any] = {"train_fractions": (0.6, 0.8), "n_boot": 20, "n_grid": 256}
    here = sl.backtest(data, "chinchilla", **options)
    there = sl.backtest(data, "chinchilla", executor="ray", **options)
    assert there.splits.equals(here.splits)
    assert there.points.equals(here.points, null_equal=True)
    laws = ["chinchilla", "kaplan_nd"]
    chosen, remote = sl.select(data, laws, **options), sl.select(data, laws, executor="ray", **options)
    assert remote.table.equals(chosen.table, null_equal=True)
    assert remote.win_probability == chosen.win_probability


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "import sys; from scalinglaws.cli import app; sys.argv[0] = 'scalinglaws'; app()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], check=False, capture_output=True, text=True, env=env, timeout=600,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow  # about 15 s each on a loaded 2-core machine
def test_cli_fit_joins_an_existing_cluster_and_writes_the_same_file(
    ray_cluster: Cluster, runs: Any, local_fit: sl.FitResult, tmp_path: Path
) -> None:
    table = tmp_path / "runs.csv"
    runs.write_csv(table)
    args = ["fit", str(table), "--group", "family", "--shared", "alpha", "--shared", "beta"]
    here = _cli([*args, "--out", str(tmp_path / "here.json")], ray_cluster.env)
    assert here.returncode == 0, here.stderr
    # `--executor ray` joins the cluster RAY_ADDRESS names (Ray's own rule), here the test cluster.
    env = {**ray_cluster.env, "RAY_ADDRESS": ray_cluster.address}
    there = _cli([*args, "--executor", "ray", "--out", str(tmp_path / "there.json"), "--json"], env)
    assert there.returncode == 0, there.stderr
    assert (tmp_path / "there.json").read_bytes() == (tmp_path / "here.json").read_bytes()
    assert json.loads(there.stdout)["params"] == json.loads(local_fit.to_json())["params"]  # stdout: one document
    assert "grouped fit: 1 of 1 chunks done" in there.stderr  # 70 groups, GROUPS_PER_TASK = 128 there


@pytest.mark.slow  # about 15 s each on a loaded 2-core machine
def test_cli_bootstrap_through_ray_client_writes_the_same_file(ray_cluster: Cluster, tmp_path: Path) -> None:
    table = tmp_path / "runs.csv"
    sl.testing.synthetic_runs("chinchilla", n_runs=40, seed=2).write_csv(table)
    args = ["fit", str(table), "--bootstrap", "300", "--seed", "4"]
    here = _cli([*args, "--out", str(tmp_path / "here.json")], ray_cluster.env)
    assert here.returncode == 0, here.stderr
    there = _cli([*args, "--executor", ray_cluster.client, "--out", str(tmp_path / "there.json")], ray_cluster.env)
    assert there.returncode == 0, there.stderr
    assert (tmp_path / "there.json").read_bytes() == (tmp_path / "here.json").read_bytes()
    # 300 resamples of 40 points: one chunk, counted as resamples on the bootstrap's progress line
    assert "bootstrap: refitting on 300 resamples (pairs): 300/300" in there.stderr


def test_discover_on_ray_scores_the_same_candidates_the_same(ray_cluster: Cluster) -> None:
    runs = sl.testing.synthetic_runs("chinchilla", n_runs=40, seed=1)
    options: dict[str, Any] = {"target": "loss", "budget_s": 600, "max_candidates": 10, "seed": 3, "top": 4}
    here = sl.discover(runs, **options).to_dict()
    progress = Recorder()
    there = sl.discover(runs, **options, executor=RayExecutor(progress=progress)).to_dict()
    here.pop("seconds")
    there.pop("seconds")
    assert there == here
    assert there["n_evaluated"] == 10
    assert there["stopped"] == "limit"
    # 10 candidates: chunks of 4, 4 and 2, sent as one wave and each counted as it finished
    assert [(done, total) for done, total, _ in progress.calls] == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert {label for _, _, label in progress.calls} == {"discover search"}
