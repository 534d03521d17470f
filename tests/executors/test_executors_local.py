"""Executors without a cluster: the interface, its errors, and the engine's chunks run in this process.

The chunks of a grouped fit and a bootstrap are part of the algorithm (the same with or without an
executor), so a fit through :class:`LocalExecutor` must be byte-identical to a fit without one; the Ray
tests (``test_executors_ray.py``) hold a cluster to the same bytes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app
from scalinglaws.data.io import columns_of
from scalinglaws.errors import ArgumentError, ChunkError, ExecutorError
from scalinglaws.executors import LocalExecutor, RayExecutor, executor_for, run_chunks
from scalinglaws.fit import grouped, init, resampling
from scalinglaws.fit.config import FitConfig
from scalinglaws.fit.gate import prepare


def square_unless_three(context: int, chunk: int) -> int:
    if chunk == 3:
        raise ValueError("three is not allowed")
    return context + chunk * chunk


def grouped_runs(n_groups: int, n_runs: int = 8, seed: int = 0) -> pl.DataFrame:
    """Chinchilla ladders, one per group, with their own E, A and B around the planted values."""
    rng = np.random.default_rng(seed)
    truth = sl.testing.PLANTED["chinchilla"]
    frames = []
    for g in range(n_groups):
        params = dict(truth)
        params["A"] = truth["A"] * float(np.exp(rng.normal(0, 0.3)))
        params["B"] = truth["B"] * float(np.exp(rng.normal(0, 0.3)))
        runs = sl.testing.synthetic_runs("chinchilla", params, n_runs=n_runs, noise=0.01, seed=seed + g)
        frames.append(runs.with_columns(pl.lit(f"g{g:03d}").alias("family")))
    return pl.concat(frames)


def test_local_map_returns_results_in_chunk_order_and_reports_progress() -> None:
    seen: list[tuple[int, int, str]] = []
    executor = LocalExecutor(progress=lambda done, total, label: seen.append((done, total, label)))
    assert executor.map(square_unless_three, [0, 1, 2], 10, label="squares") == [10, 11, 14]
    assert seen == [(0, 3, "squares"), (1, 3, "squares"), (2, 3, "squares"), (3, 3, "squares")]


def test_a_failing_chunk_names_itself_and_keeps_what_finished() -> None:
    names = ["zero", "one", "two", "three", "four"]
    with pytest.raises(ChunkError, match=r"chunk 3 of 5 \(three\) of the squares failed: ValueError: three") as info:
        LocalExecutor().map(square_unless_three, [0, 1, 2, 3, 4], 0, names=names, label="squares")
    error = info.value
    assert (error.index, error.name) == (3, "three")
    assert isinstance(error.cause, ValueError)
    assert error.__cause__ is error.cause
    assert error.finished == {0: 0, 1: 1, 2: 4}  # the local executor stops at the first failure


def test_names_must_match_the_chunks() -> None:
    with pytest.raises(ArgumentError, match=r"`names` of map must name every chunk: 2 chunk\(s\), 1 name"):
        LocalExecutor().map(square_unless_three, [0, 1], 0, names=["only one"])


def test_run_chunks_without_an_executor_is_the_plain_loop() -> None:
    assert run_chunks(None, square_unless_three, [1, 2], 1, ["a", "b"], "x") == [2, 5]


@pytest.mark.parametrize(
    ("executor", "address", "kind", "where"),
    [
        ("local", None, LocalExecutor, None),
        ("ray", None, RayExecutor, None),
        ("ray", "10.0.0.1:6379", RayExecutor, "10.0.0.1:6379"),
        (None, "ray://head:10001", RayExecutor, "ray://head:10001"),
        ("ray://head:10001", None, RayExecutor, "ray://head:10001"),
        ("ray://head:10001", "ray://head:10001", RayExecutor, "ray://head:10001"),
    ],
)
def test_executor_for_reads_the_name_and_address(
    executor: str | None, address: str | None, kind: type, where: str | None
) -> None:
    made = executor_for(executor, address)
    assert isinstance(made, kind)
    if isinstance(made, RayExecutor):
        assert made.address == where


def test_executor_for_passes_an_executor_through_and_none_means_none() -> None:
    local = LocalExecutor()
    assert executor_for(local) is local
    assert executor_for(None) is None


@pytest.mark.parametrize(
    ("executor", "address", "message"),
    [
        ("dask", None, r"`executor` of fit must be 'local', 'ray', 'ray://HOST:PORT' or an executor. Got 'dask'"),
        ("local", "head:6379", r"`address` of fit goes with executor='ray' only"),
        ("ray://a:1", "ray://b:2", r"`address` of fit goes with executor='ray' only"),
    ],
)
def test_executor_for_rejects_what_names_no_executor(executor: str, address: str | None, message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        executor_for(executor, address)


def test_executor_for_rejects_an_address_beside_an_executor() -> None:
    with pytest.raises(ArgumentError, match=r"`address` of bootstrap goes with executor='ray' only"):
        executor_for(LocalExecutor(), "head:6379", function="bootstrap")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_retries": -1}, r"`max_retries` of RayExecutor must be an integer >= 0. Got -1"),
        ({"max_retries": 1.5}, r"`max_retries` of RayExecutor must be an integer >= 0. Got 1.5"),
        ({"num_cpus": 0}, r"`num_cpus` of RayExecutor must be > 0. Got 0"),
    ],
)
def test_ray_executor_checks_its_options(options: dict[str, float], message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        RayExecutor(**options)  # type: ignore[arg-type]


def test_without_ray_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    extra = r'needs Ray, which is not installed. Install it with `pip install "scalinglaws\[ray\]"`'
    with pytest.raises(ImportError, match=extra):
        RayExecutor()
    with pytest.raises(ImportError, match=extra):
        sl.fit(grouped_runs(2), "chinchilla", group="family", executor="ray")


def test_cli_without_ray_is_a_usage_error_naming_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = tmp_path / "runs.csv"
    sl.testing.synthetic_runs("chinchilla", n_runs=20, seed=2).write_csv(table)
    monkeypatch.setitem(sys.modules, "ray", None)
    result = CliRunner().invoke(app, ["fit", str(table), "--executor", "ray://head:10001"])
    assert result.exit_code == 2
    assert "Invalid value for '--executor'" in result.output
    assert 'pip install "scalinglaws[ray]"' in result.output


def test_cli_exit_code_of_a_failed_chunk_is_that_of_its_cause() -> None:
    from scalinglaws.cli._errors import exit_code
    from scalinglaws.errors import DataError, NonFiniteFitError

    def failed(cause: Exception) -> ChunkError:
        return ChunkError("chunk 0 failed", index=0, name="groups 0-31", cause=cause, finished={})

    assert exit_code(failed(ArgumentError("bad"))) == 2
    assert exit_code(failed(NonFiniteFitError("no start"))) == 1
    assert exit_code(failed(DataError("bad rows"))) == 1
    assert exit_code(failed(ZeroDivisionError("bug"))) == 101  # a bug in a chunk is still a bug
    assert exit_code(ExecutorError("lost")) == 1


def test_grouped_fit_in_local_chunks_is_byte_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    # 10 groups in chunks of 4: three chunks, the last short.
    monkeypatch.setattr(grouped, "GROUPS_PER_TASK", 4)
    runs = grouped_runs(10)
    seen: list[tuple[int, int, str]] = []
    executor = LocalExecutor(progress=lambda done, total, label: seen.append((done, total, label)))
    for shared in ((), ("alpha", "beta")):
        here = sl.fit(runs, "chinchilla", group="family", shared=shared)
        chunked = sl.fit(runs, "chinchilla", group="family", shared=shared, executor=executor)
        assert chunked.to_json() == here.to_json()
    assert seen[-1] == (3, 3, "grouped fit")


def test_bootstrap_in_local_chunks_is_byte_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = sl.testing.synthetic_runs("chinchilla", n_runs=40, seed=3)
    fit = sl.fit(runs, "chinchilla")
    here = sl.bootstrap(fit, runs, n_boot=100, seed=7)
    # Chunks of 30 resamples (40 points x 5 parameters each): four chunks, the last short.
    monkeypatch.setattr(resampling, "_CHUNK_ELEMENTS", 30 * 40 * 5)
    seen: list[tuple[int, int, str]] = []
    executor = LocalExecutor(progress=lambda done, total, label: seen.append((done, total, label)))
    chunked = sl.bootstrap(fit, runs, n_boot=100, seed=7, executor=executor)
    assert seen[-1] == (4, 4, "bootstrap")
    assert fit.with_bootstrap(chunked).to_json() == fit.with_bootstrap(here).to_json()


def test_one_by_one_group_fits_in_local_chunks_are_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    # The start strategy of laws the batched path cannot take (nested or history laws): each group
    # fitted alone, here one group per chunk.
    monkeypatch.setattr(init, "ALONE_PER_TASK", 1)
    runs = pl.concat([
        sl.testing.synthetic_runs("power", n_runs=12, seed=s).with_columns(pl.lit(f"g{s}").alias("family"))
        for s in range(3)
    ])
    prepared = prepare(columns_of(runs, "test"), "power", FitConfig(group="family"))
    here = init.from_groups(prepared.problem, prepared.config)
    chunked = init.from_groups(prepared.problem, prepared.config, LocalExecutor())
    assert np.array_equal(here.points, chunked.points)


def test_backtest_and_select_split_by_split_are_identical() -> None:
    runs = sl.testing.synthetic_runs("chinchilla", n_runs=30, seed=1)
    options = {"train_fractions": (0.6, 0.8), "n_boot": 20, "n_grid": 256}
    here = sl.backtest(runs, "chinchilla", **options)  # type: ignore[arg-type]
    there = sl.backtest(runs, "chinchilla", executor="local", **options)  # type: ignore[arg-type]
    assert here.splits.equals(there.splits)
    assert here.points.equals(there.points, null_equal=True)
    chosen = sl.select(runs, ["chinchilla", "kaplan_nd"], **options)  # type: ignore[arg-type]
    remote = sl.select(runs, ["chinchilla", "kaplan_nd"], executor="local", **options)  # type: ignore[arg-type]
    assert chosen.table.equals(remote.table, null_equal=True)
    assert chosen.win_probability == remote.win_probability


def test_cli_names_an_unknown_executor(tmp_path: Path) -> None:
    table = tmp_path / "runs.csv"
    sl.testing.synthetic_runs("chinchilla", n_runs=20, seed=2).write_csv(table)
    result = CliRunner().invoke(app, ["fit", str(table), "--executor", "dask"])
    assert result.exit_code == 2
    assert "Invalid value for '--executor': must be 'local', 'ray', 'ray://HOST:PORT' or an executor" in result.output


def test_cli_fit_with_local_executor_writes_the_same_file_and_counts_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(grouped, "GROUPS_PER_TASK", 2)  # 5 groups: chunks of 2, 2 and 1
    table = tmp_path / "runs.csv"
    grouped_runs(5).write_csv(table)
    args = ["fit", str(table), "--group", "family", "--bootstrap", "20"]
    here = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "here.json")])
    assert here.exit_code == 0, here.output
    there = CliRunner().invoke(app, [*args, "--executor", "local", "--out", str(tmp_path / "there.json")])
    assert there.exit_code == 0, there.output
    assert (tmp_path / "there.json").read_bytes() == (tmp_path / "here.json").read_bytes()
    assert "running the chunks on LocalExecutor()" in there.output
    assert "grouped fit: 0 of 3 chunks done" in there.output
    assert "grouped fit: 3 of 3 chunks done" in there.output
    # the bootstrap's chunks are counted as resamples on its own progress line
    assert "bootstrap: refitting on 20 resamples (pairs): 20/20" in there.output


@pytest.mark.parametrize("command", [["backtest", "--law", "chinchilla"], ["select", "--laws", "chinchilla,kaplan_nd"]])
def test_cli_backtest_and_select_take_the_executor(tmp_path: Path, command: list[str]) -> None:
    table = tmp_path / "runs.csv"
    sl.testing.synthetic_runs("chinchilla", n_runs=30, seed=1).write_csv(table)
    args = [command[0], str(table), *command[1:], "--bootstrap", "10", "--json"]
    here = CliRunner().invoke(app, args)
    there = CliRunner().invoke(app, [*args, "--executor", "local"])
    assert here.exit_code == 0, here.output
    assert there.exit_code == 0, there.output
    assert there.stdout == here.stdout  # the same JSON document


class _FlakyRay:
    """A stand-in for the ``ray`` module whose ``init`` fails with the given errors, then connects."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0
        self.connected = False

    def is_initialized(self) -> bool:
        return self.connected

    def init(self, address: str | None = None, **options: object) -> None:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        self.connected = True


def test_a_client_server_that_dies_while_starting_is_tried_once_more(monkeypatch: pytest.MonkeyPatch) -> None:
    from scalinglaws import executors

    monkeypatch.setattr(executors.time, "sleep", lambda seconds: None)
    died = ConnectionAbortedError("Initialization failure from server:\nRuntimeError: Starting Ray client server failed.")
    flaky = _FlakyRay(died)
    monkeypatch.setattr(executors, "_import_ray", lambda: flaky)
    assert RayExecutor("ray://head:10001").connect() is flaky
    assert flaky.calls == 2

    twice = _FlakyRay(died, died)
    monkeypatch.setattr(executors, "_import_ray", lambda: twice)
    with pytest.raises(ExecutorError, match=r"(?s)could not connect to the Ray cluster at 'ray://head:10001': "
                       r"ConnectionAbortedError: .*Starting Ray client server failed\. Check the address"):
        RayExecutor("ray://head:10001").connect()
    assert twice.calls == executors.CONNECT_ATTEMPTS

    refused = _FlakyRay(ConnectionError("refused"))
    monkeypatch.setattr(executors, "_import_ray", lambda: refused)
    with pytest.raises(ExecutorError, match=r"ConnectionError: refused\. Check the address"):
        RayExecutor("ray://head:10001").connect()
    assert refused.calls == 1  # not a server that died while starting: no second try
