"""read_mlflow against a live ``mlflow server`` (see fixtures_mlflow.py): log runs with the MLflow client,
read them back, and compare every value; and against servers that are not there or never answer."""

from __future__ import annotations

import math
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from scalinglaws.cli import app
from scalinglaws.data import validate_runs
from scalinglaws.data.adapters import read_mlflow
from scalinglaws.errors import ArgumentError, DataError

mlflow = pytest.importorskip("mlflow", reason="needs `pip install 'scalinglaws[mlflow]'`")
from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

SIZES = {"tiny": (1.25e7, 256), "small": (5.0e7, 512), "base": (1.25e8, 768)}


def log_sweep(uri: str) -> tuple[str, pl.DataFrame]:
    """Log one experiment of three runs; return its name and the table we expect to read back."""
    client = MlflowClient(tracking_uri=uri)
    name = f"sweep-{uuid.uuid4().hex[:8]}"
    exp_id = client.create_experiment(name)
    rng = np.random.default_rng(1)
    rows: list[dict[str, Any]] = []
    for k, (run_name, (n_params, d_model)) in enumerate(SIZES.items()):
        run = client.create_run(exp_id, run_name=run_name, start_time=1_700_000_000_000 + k)
        metrics = []
        t = 1_700_000_000_000
        for step in range(0, 2000, 100):
            loss = float(2.0 + 3.0 / (1 + step / 300) * (1 + 0.1 * rng.standard_normal()) - k / 10)
            metrics.append(Metric("train_loss", loss, t + step, step))
            row: dict[str, Any] = {"run_id": run.info.run_id, "step": step, "train_loss": loss, "val_loss": None,
                                   "lr": None}
            if step % 500 == 0:
                val = loss + 1 / 3  # not representable in float32: checks float64 fidelity
                metrics.append(Metric("val_loss", val, t + step, step))
                row["val_loss"] = val
            if step % 200 == 0:
                lr = 3e-4 * min(1.0, (step + 1) / 700)
                metrics.append(Metric("lr", lr, t + step, step))
                row["lr"] = lr
            rows.append(row | {"run_name": run_name, "experiment": name, "group": "s1" if k < 2 else "s2",
                               "n_params": n_params, "d_model": float(d_model), "optimizer": "adamw"})
        client.log_batch(
            run.info.run_id, metrics=metrics,
            params=[Param("n_params", repr(n_params)), Param("d_model", str(d_model)), Param("optimizer", "adamw")],
            tags=[RunTag("sweep", "s1" if k < 2 else "s2")],
        )
        client.set_terminated(run.info.run_id)
    expected = pl.DataFrame(rows, schema={
        "run_id": pl.String, "step": pl.Int64, "train_loss": pl.Float64, "val_loss": pl.Float64,
        "lr": pl.Float64, "run_name": pl.String, "experiment": pl.String, "group": pl.String,
        "n_params": pl.Float64, "d_model": pl.Float64, "optimizer": pl.String,
    }).sort("run_id", "step")
    return name, expected


@pytest.fixture(scope="module")
def sweep(mlflow_tracking_uri: str) -> tuple[str, str, pl.DataFrame]:
    name, expected = log_sweep(mlflow_tracking_uri)
    return mlflow_tracking_uri, name, expected


def test_round_trip_every_value(sweep: tuple[str, str, pl.DataFrame]) -> None:
    uri, name, expected = sweep
    df = read_mlflow(name, tracking_uri=uri, group_tag="sweep")
    assert_frame_equal(df.select(expected.columns), expected)  # exact float64 values
    assert sorted(df.columns) == sorted(expected.columns)


def test_renamed_table_validates(sweep: tuple[str, str, pl.DataFrame]) -> None:
    uri, name, expected = sweep
    df = read_mlflow(name, tracking_uri=uri, metrics=["train_loss"], params=["n_params"],
                     columns={"train_loss": "loss"})
    assert df.columns == ["run_id", "step", "loss", "run_name", "experiment", "n_params"]
    assert df.get_column("loss").to_list() == expected.get_column("train_loss").to_list()
    assert validate_runs(df) is df


def test_experiment_by_id_and_filter(sweep: tuple[str, str, pl.DataFrame]) -> None:
    uri, name, _expected = sweep
    exp_id = MlflowClient(tracking_uri=uri).get_experiment_by_name(name).experiment_id
    df = read_mlflow([exp_id], tracking_uri=uri, filter_string="params.d_model = '768'", params="none")
    assert df.get_column("run_name").unique().to_list() == ["base"]
    assert "d_model" not in df.columns


def test_duplicate_steps(mlflow_tracking_uri: str) -> None:
    client = MlflowClient(tracking_uri=mlflow_tracking_uri)
    name = f"dup-{uuid.uuid4().hex[:8]}"
    run = client.create_run(client.create_experiment(name), run_name="resumed")
    client.log_batch(run.info.run_id, metrics=[Metric("loss", 3.0, 1, 10), Metric("loss", 2.5, 2, 20),
                                               Metric("loss", 2.4, 3, 20)])
    with pytest.raises(DataError, match=r"read_mlflow: 2 values of the MLflow metric histories are logged more "
                                        r"than once at the same step"):
        read_mlflow(name, tracking_uri=mlflow_tracking_uri)
    df = read_mlflow(name, tracking_uri=mlflow_tracking_uri, on_duplicate="last")
    assert df.get_column("loss").to_list() == [3.0, 2.4]


def test_errors(sweep: tuple[str, str, pl.DataFrame]) -> None:
    uri, name, _ = sweep
    with pytest.raises(DataError, match=r"`experiments` of read_mlflow: no experiment 'nope'. Known experiments"):
        read_mlflow("nope", tracking_uri=uri)
    with pytest.raises(DataError, match=r"have no runs matching"):
        read_mlflow(name, tracking_uri=uri, filter_string="params.d_model = '1'")
    with pytest.raises(DataError, match=r"no run of .* has any of the metrics \['acc'\]"):
        read_mlflow(name, tracking_uri=uri, metrics=["acc"])
    with pytest.raises(DataError, match=r"run metadata and logged metrics both have column\(s\) \['lr'\]"):
        read_mlflow(name, tracking_uri=uri, columns={"optimizer": "lr"})
    with pytest.raises(DataError, match=r"`experiments` of read_mlflow must be a name or id"):
        read_mlflow([], tracking_uri=uri)
    with pytest.raises(DataError, match=r"`params` of read_mlflow must be 'all', 'none' or a list of keys"):
        read_mlflow(name, tracking_uri=uri, params="some")  # type: ignore[arg-type]


def test_missing_extra_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)
    with pytest.raises(ImportError, match=r"pip install 'scalinglaws\[mlflow\]'"):
        read_mlflow("x")


# ------------------------------------------------------------------------------ unreachable servers
def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # released: nothing listens there


# Generous bound for a functional check (not a benchmark): MLflow's own retries took 4 min 26 s; the
# default timeout is 10 s and a refused connection fails at once, so 15 s leaves room for a busy machine.
BOUND = 15.0


def test_unreachable_server_fails_within_seconds_naming_the_uri() -> None:
    uri = f"http://127.0.0.1:{_closed_port()}"
    start = time.monotonic()
    with pytest.raises(DataError, match=r"read_mlflow: the MLflow tracking server at 'http://127\.0\.0\.1:\d+' "
                                        r"\(from `tracking_uri` \(--tracking-uri\)\) did not answer within 10 s: "
                                        r".*refused.*--timeout SECONDS"):
        read_mlflow("sweep", tracking_uri=uri)
    assert time.monotonic() - start < BOUND


def test_cli_unreachable_server_exits_2_within_seconds(tmp_path: Path) -> None:
    uri = f"http://127.0.0.1:{_closed_port()}"
    start = time.monotonic()
    result = CliRunner().invoke(app, ["data", "import", "mlflow", "sweep", "--tracking-uri", uri,
                                      "--out", str(tmp_path / "runs.parquet")])
    elapsed = time.monotonic() - start
    assert result.exit_code == 2, result.output
    assert uri in result.output
    assert "did not answer" in result.output
    assert elapsed < BOUND
    assert not (tmp_path / "runs.parquet").exists()


def test_a_server_that_never_answers_times_out(tmp_path: Path) -> None:
    # A socket that accepts connections (the kernel completes the handshake) but never sends a byte: a
    # hung server. With --timeout 1 the read gives up after about a second.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        uri = f"http://127.0.0.1:{hung.getsockname()[1]}"
        start = time.monotonic()
        result = CliRunner().invoke(app, ["data", "import", "mlflow", "sweep", "--tracking-uri", uri,
                                          "--timeout", "1", "--out", str(tmp_path / "runs.parquet")])
        elapsed = time.monotonic() - start
    assert result.exit_code == 2, result.output
    assert f"{uri}' (from `tracking_uri` (--tracking-uri)) did not answer within 1 s" in result.output
    assert "timed out" in result.output
    assert elapsed < BOUND


def test_the_environment_uri_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    with pytest.raises(DataError, match=r"at 'http://127\.0\.0\.1:\d+' \(from \$MLFLOW_TRACKING_URI\) did not "
                                        r"answer within 2\.5 s"):
        read_mlflow("sweep", timeout=2.5)


@pytest.mark.parametrize("timeout", [0, -1.0, math.inf, math.nan, "10", True])
def test_bad_timeout(timeout: object) -> None:
    with pytest.raises(ArgumentError, match=r"`timeout` of read_mlflow must be a positive number of seconds"):
        read_mlflow("sweep", tracking_uri="http://127.0.0.1:1", timeout=timeout)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["0", "-3", "nan"])
def test_cli_bad_timeout(value: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["data", "import", "mlflow", "sweep", "--timeout", value,
                                      "--out", str(tmp_path / "x.parquet")])
    assert result.exit_code == 2, result.output
    assert "--timeout" in result.output
    assert "positive number of seconds" in result.output


def test_metric_logged_once_at_step_0_is_run_constant(mlflow_tracking_uri: str) -> None:
    client = MlflowClient(tracking_uri=mlflow_tracking_uri)
    name = f"const-{uuid.uuid4().hex[:8]}"
    run = client.create_run(client.create_experiment(name), run_name="r")
    client.log_batch(run.info.run_id, metrics=[Metric("n_params", 7e7, 1, 0), Metric("loss", 3.0, 2, 100),
                                               Metric("loss", 2.5, 3, 200)])
    df = read_mlflow(name, tracking_uri=mlflow_tracking_uri)
    assert df.get_column("step").to_list() == [100, 200]
    assert df.get_column("n_params").to_list() == [7e7, 7e7]
    kept = read_mlflow(name, tracking_uri=mlflow_tracking_uri, auto_constants=False)
    assert kept.get_column("n_params").to_list() == [7e7, None, None]


@pytest.mark.parametrize("uri", ["", "  ", 5])
def test_bad_tracking_uri(uri: object) -> None:
    with pytest.raises(ArgumentError, match=r"`tracking_uri` must be a URI such as 'http://127\.0\.0\.1:5000'"):
        read_mlflow("sweep", tracking_uri=uri)  # type: ignore[arg-type]
