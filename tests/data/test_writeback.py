"""Write a fit back to its tracker: log_fit and `--log-to` against a live MLflow server
(fixtures_mlflow.py) and the real W&B client offline (fixtures_wandb.py); what landed is read back with
each tracker's own client or tool."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app
from scalinglaws.data.adapters import fit_record, log_fit, read_wandb_offline, resolve_destination
from scalinglaws.errors import ArgumentError, DataError

from .fixtures_wandb import flush, inspect_records, inspect_summary, offline_wandb, write_runs

mlflow = pytest.importorskip("mlflow", reason="needs `pip install 'scalinglaws[mlflow]'`")
from mlflow.tracking import MlflowClient

TRUTH = sl.testing.PLANTED["chinchilla"]
Z95 = NormalDist().inv_cdf(0.975)


def ladder_frame(extra: dict[str, object] | None = None) -> pl.DataFrame:
    """Eighteen runs on the planted Chinchilla surface (0.3% noise), as a runs table."""
    law = sl.get_law("chinchilla")
    rng = np.random.default_rng(11)
    n = np.repeat(np.geomspace(2e7, 1e9, 6), 3)
    d = n * np.tile([5.0, 20.0, 80.0], 6)
    loss = law.predict(TRUTH, {"N": n, "D": d}) * np.exp(rng.normal(0, 0.003, n.size))
    columns: dict[str, object] = {"run_id": [f"r{i}" for i in range(n.size)], "n_params": n, "n_tokens": d,
                                  "loss": loss}
    for name, value in (extra or {}).items():
        columns[name] = [value] * n.size
    return pl.DataFrame(columns)


@pytest.fixture(scope="module")
def fitted() -> tuple[pl.DataFrame, sl.FitResult]:
    frame = ladder_frame()
    return frame, sl.fit(frame, "chinchilla")


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# ------------------------------------------------------------------------------------ what is logged
def test_fit_record_intervals(fitted: tuple[pl.DataFrame, sl.FitResult]) -> None:
    frame, result = fitted
    record = fit_record(result)
    assert record["law"] == "chinchilla"
    assert record["status"] == "converged"
    assert record["interval_method"] == "normal approximation, delta-method standard errors"
    assert result.stderr is not None
    for name, value in result.params.items():
        entry = record["params"][name]
        se = result.stderr[name]
        assert entry == {"value": value, "stderr": se, "lower": value - Z95 * se, "upper": value + Z95 * se}
    draws = sl.bootstrap(result, frame, n_boot=30, seed=1)
    booted = fit_record(result.with_bootstrap(draws), prob=0.9)
    expected = draws.interval(0.9)
    assert booted["interval_method"].startswith("bootstrap percentiles, bootstrap-pairs")
    for name, interval in expected.items():
        assert (booted["params"][name]["lower"], booted["params"][name]["upper"]) == (interval.lower,
                                                                                       interval.upper)
    with pytest.raises(ArgumentError, match=r"`prob` of log_fit must be a probability strictly between 0 and 1"):
        fit_record(result, prob=1.0)


def test_bad_destinations(fitted: tuple[pl.DataFrame, sl.FitResult], tmp_path: Path) -> None:
    frame, result = fitted
    with pytest.raises(ArgumentError, match=r"`to` of log_fit must be 'mlflow' or 'wandb'. Got 'neptune'"):
        log_fit(result, "neptune")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match=r"`experiment` of log_fit: give the MLflow experiment to log the "
                                            r"fit to; the data does not name one \(it has no single value in an? "
                                            r"`experiment` column\)"):
        resolve_destination("mlflow", data=frame, check=False)
    mixed = pl.concat([ladder_frame({"experiment": "a"}), ladder_frame({"experiment": "b"})])
    with pytest.raises(ArgumentError, match=r"give the MLflow experiment to log the fit to"):
        resolve_destination("mlflow", data=mixed, check=False)
    with pytest.raises(ArgumentError, match=r"give the W&B project to log the fit to; .* `project` column"):
        resolve_destination("wandb", data=frame, check=False)
    assert resolve_destination("mlflow", data=ladder_frame({"experiment": "a"}), check=False).experiment == "a"
    assert resolve_destination("wandb", data=ladder_frame({"project": "p"}), check=False).experiment == "p"
    with pytest.raises(ArgumentError, match=r"`experiment` of log_fit must be a non-empty name"):
        resolve_destination("wandb", experiment=" ", check=False)
    with pytest.raises(ArgumentError, match=r"`timeout` of log_fit must be a positive number of seconds"):
        resolve_destination("mlflow", experiment="e", timeout=0, check=False)
    uri = f"http://127.0.0.1:{_closed_port()}"
    start = time.monotonic()
    with pytest.raises(DataError, match=r"log_fit: the MLflow tracking server at 'http://127\.0\.0\.1:\d+' .*did "
                                        r"not answer within 10 s"):
        log_fit(result, "mlflow", experiment="e", tracking_uri=uri)
    assert time.monotonic() - start < 15.0  # a functional bound, as for read_mlflow (refused at once)
    with pytest.raises(ArgumentError, match=r"`report` of log_fit: no file at"):
        log_fit(result, resolve_destination("wandb", experiment="p", check=False), report=tmp_path / "no.html")


@dataclass(frozen=True)
class _Fit:
    """A fit-like value whose two parameter names collide once made safe for tracker keys."""

    params: dict[str, float]
    stderr: None = None
    bootstrap: None = None
    status: str = "converged"
    law: object = field(default_factory=lambda: sl.get_law("power"))
    config: object = None
    objective: float = 0.0
    rss: float = 0.0
    n_points: int = 3
    data_digest: str = "sha256:0"

    def to_json(self) -> str:
        return "{}"


def test_parameter_names_that_collide_as_tracker_keys() -> None:
    fit = _Fit({"A[g]": 1.0, "A_g_": 2.0})
    with pytest.raises(DataError, match=r"log_fit: parameters 'A\[g\]' and 'A_g_' would both be logged as "
                                        r"'A_g_'"):
        log_fit(fit, resolve_destination("wandb", experiment="p", check=False))


# ------------------------------------------------------------------------------------------- MLflow
def _runs_of(client: MlflowClient, experiment: str) -> list[object]:
    found = client.get_experiment_by_name(experiment)
    assert found is not None
    return list(client.search_runs([found.experiment_id]))


def test_log_fit_to_mlflow_experiment_of_the_data(
    fitted: tuple[pl.DataFrame, sl.FitResult], mlflow_tracking_uri: str, tmp_path: Path
) -> None:
    frame, result = fitted
    experiment = f"ladder-{uuid.uuid4().hex[:8]}"
    client = MlflowClient(tracking_uri=mlflow_tracking_uri)
    client.create_experiment(experiment)
    report = tmp_path / "report.html"
    report.write_text("<!doctype html><title>fit</title>")
    data = frame.with_columns(pl.lit(experiment).alias("experiment"))  # as read_mlflow gives it
    logged = log_fit(result, "mlflow", data=data, tracking_uri=mlflow_tracking_uri, report=report)
    assert logged.experiment == experiment
    assert logged.location == mlflow_tracking_uri
    run = client.get_run(logged.run_id)
    assert run.info.run_name == "fit chinchilla"
    assert run.info.status == "FINISHED"
    assert run.data.params["fit.law"] == "chinchilla"
    assert run.data.params["fit.status"] == "converged"
    assert result.stderr is not None
    for name, value in result.params.items():
        assert run.data.metrics[f"fit.{name}"] == value  # MLflow stores float64: exact
        assert run.data.metrics[f"fit.{name}.stderr"] == result.stderr[name]
        assert run.data.metrics[f"fit.{name}.lower"] == pytest.approx(value - Z95 * result.stderr[name], rel=1e-15)
    assert run.data.metrics["fit.n_points"] == result.n_points
    names = sorted(a.path for a in client.list_artifacts(logged.run_id, "scalinglaws"))
    assert names == ["scalinglaws/fit.json", "scalinglaws/report.html"]
    saved = Path(client.download_artifacts(logged.run_id, "scalinglaws/fit.json", str(tmp_path)))
    assert sl.load(saved) == result


def test_log_fit_into_an_existing_mlflow_run(
    fitted: tuple[pl.DataFrame, sl.FitResult], mlflow_tracking_uri: str
) -> None:
    _, result = fitted
    client = MlflowClient(tracking_uri=mlflow_tracking_uri)
    experiment = f"existing-{uuid.uuid4().hex[:8]}"
    run = client.create_run(client.create_experiment(experiment), run_name="sweep-summary")
    logged = log_fit(result, "mlflow", run_id=run.info.run_id, tracking_uri=mlflow_tracking_uri)
    assert (logged.run_id, logged.experiment) == (run.info.run_id, experiment)
    assert client.get_run(run.info.run_id).data.metrics["fit.alpha"] == result.params["alpha"]
    assert len(_runs_of(client, experiment)) == 1
    with pytest.raises(DataError, match=r"log_fit: the MLflow tracking server at .* refused the fit"):
        log_fit(result, "mlflow", run_id="0" * 32, tracking_uri=mlflow_tracking_uri)


def test_cli_fit_and_report_log_to_mlflow(mlflow_tracking_uri: str, tmp_path: Path) -> None:
    experiment = f"cli-{uuid.uuid4().hex[:8]}"
    runs = tmp_path / "runs.parquet"
    ladder_frame({"experiment": experiment}).write_parquet(runs)
    runner = CliRunner()
    fit = runner.invoke(app, ["fit", str(runs), "--law", "chinchilla", "--out", str(tmp_path / "fit.json"),
                              "--log-to", "mlflow", "--tracking-uri", mlflow_tracking_uri])
    assert fit.exit_code == 0, fit.output
    assert "logged the fit to mlflow run" in fit.output
    client = MlflowClient(tracking_uri=mlflow_tracking_uri)
    (first,) = _runs_of(client, experiment)
    saved = sl.load(tmp_path / "fit.json")
    assert first.data.metrics["fit.beta"] == saved.params["beta"]  # type: ignore[attr-defined]

    out = tmp_path / "report.html"
    report = runner.invoke(app, ["report", str(runs), "--law", "chinchilla", "--out", str(out),
                                 "--bootstrap", "20", "--no-backtest", "--no-figures",
                                 "--log-to", "mlflow", "--tracking-uri", mlflow_tracking_uri,
                                 "--log-experiment", experiment])
    assert report.exit_code == 0, report.output
    first_id = first.info.run_id  # type: ignore[attr-defined]
    logged = [r for r in _runs_of(client, experiment) if r.info.run_id != first_id]  # type: ignore[attr-defined]
    assert len(logged) == 1
    run_id = logged[0].info.run_id  # type: ignore[attr-defined]
    assert [a.path for a in client.list_artifacts(run_id, "scalinglaws")] == ["scalinglaws/fit.json",
                                                                              "scalinglaws/report.html"]
    assert client.get_run(run_id).data.params["fit.interval_method"].startswith("bootstrap percentiles")
    page = Path(client.download_artifacts(run_id, "scalinglaws/report.html", str(tmp_path / "dl")))
    assert page.read_bytes() == out.read_bytes()


# ---------------------------------------------------------------------------------------- CLI errors
def test_cli_log_to_an_unreachable_server_fails_before_fitting(tmp_path: Path) -> None:
    runs = tmp_path / "runs.csv"
    ladder_frame({"experiment": "e"}).write_csv(runs)
    uri = f"http://127.0.0.1:{_closed_port()}"
    start = time.monotonic()
    result = CliRunner().invoke(app, ["fit", str(runs), "--law", "chinchilla", "--out", str(tmp_path / "fit.json"),
                                      "--log-to", "mlflow", "--tracking-uri", uri])
    assert result.exit_code == 2, result.output
    assert f"{uri}' (from `tracking_uri` (--tracking-uri)) did not answer" in result.output
    assert time.monotonic() - start < 15.0  # refused at once; checked before any fitting
    assert not (tmp_path / "fit.json").exists()


def test_cli_log_options_need_log_to_and_an_experiment(tmp_path: Path) -> None:
    runs = tmp_path / "runs.csv"
    ladder_frame().write_csv(runs)
    runner = CliRunner()
    alone = runner.invoke(app, ["fit", str(runs), "--log-experiment", "e"])
    assert alone.exit_code == 2, alone.output
    assert "--log-experiment" in alone.output
    assert "goes with --log-to" in alone.output
    nowhere = runner.invoke(app, ["fit", str(runs), "--log-to", "mlflow",
                                  "--tracking-uri", f"http://127.0.0.1:{_closed_port()}"])
    assert nowhere.exit_code == 2, nowhere.output
    assert "--log-experiment NAME is needed" in nowhere.output
    unknown = runner.invoke(app, ["fit", str(runs), "--log-to", "neptune"])
    assert unknown.exit_code == 2, unknown.output
    assert "--log-to" in unknown.output


# ---------------------------------------------------------------------------------------------- W&B
@pytest.fixture
def wandb_env(tmp_path: Path) -> Iterator[Path]:
    with offline_wandb(tmp_path / "tracker") as folder:
        yield folder


def test_log_fit_to_an_offline_wandb_project(
    fitted: tuple[pl.DataFrame, sl.FitResult], wandb_env: Path, tmp_path: Path
) -> None:
    frame, result = fitted
    report = tmp_path / "report.html"
    report.write_text("<!doctype html><title>fit</title>")
    logged = log_fit(result, "wandb", data=frame.with_columns(pl.lit("scaling").alias("project")),
                     report=report)
    flush()
    assert logged.experiment == "scaling"
    (file,) = Path(logged.location).glob("run-*.wandb")
    state = inspect_summary(file)
    assert (state["project"], state["name"], state["run_id"]) == ("scaling", "fit chinchilla", logged.run_id)
    assert state["config"]["fit"]["law"] == "chinchilla"
    assert result.stderr is not None
    for name, value in result.params.items():
        assert state["summary"][f"fit/{name}"] == value  # float64, exact
        assert state["summary"][f"fit/{name}/stderr"] == result.stderr[name]
    (artifact,) = [r["artifact"] for r in inspect_records(file) if r["type"] == "artifact"]
    assert artifact["type"] == "scaling-law-fit"
    assert sorted(c["path"] for c in artifact["manifest"]["contents"]) == ["fit.json", "report.html"]


def test_log_fit_into_an_offline_wandb_run_keeps_it_readable(wandb_env: Path) -> None:
    law = sl.get_law("chinchilla")
    specs = []
    for k, n_params in enumerate(np.geomspace(2e7, 1e9, 6)):
        tokens = n_params * np.array([5.0, 20.0, 80.0])
        loss = law.predict(TRUTH, {"N": np.full(3, n_params), "D": tokens})
        specs.append({"name": f"n{k}", "config": {"n_params": float(n_params)},
                      "rows": [(s, {"loss": float(v), "n_tokens": float(t)})
                               for s, (v, t) in enumerate(zip(loss, tokens, strict=True))]})
    runs = write_runs("resumed", specs)
    data = read_wandb_offline(wandb_env)
    result = sl.fit(data, "chinchilla")
    assert result.status is sl.FitStatus.CONVERGED
    into = log_fit(result, "wandb", data=data, run_id=runs[0].run_id)  # resumes the first training run
    fresh = log_fit(result, "wandb", data=data)  # a new run of job type scaling-law-fit
    flush()
    assert into.run_id == runs[0].run_id
    again = read_wandb_offline(wandb_env)  # the fit run is left out; the resumed run is still one run
    assert sorted(again.get_column("run_id").unique().to_list()) == sorted(r.run_id for r in runs)
    assert fresh.run_id not in again.get_column("run_id").to_list()
    first = again.filter(pl.col("run_id") == runs[0].run_id)
    assert first.get_column("fit/alpha").unique().to_list() == [result.params["alpha"]]  # its summary
    assert first.get_column("loss").to_list() == data.filter(pl.col("run_id") == runs[0].run_id)["loss"].to_list()


def test_cli_fit_log_to_wandb_offline(wandb_env: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs.parquet"
    ladder_frame({"project": "cli-project"}).write_parquet(runs)
    result = CliRunner().invoke(app, ["fit", str(runs), "--law", "chinchilla", "--log-to", "wandb", "--json"])
    assert result.exit_code == 0, result.output
    assert "logged the fit to wandb run" in result.output
    assert json.loads(result.stdout)["status"] == "converged"  # stdout is still the one JSON document
    flush()
    (file,) = wandb_env.glob("offline-run-*/run-*.wandb")
    state = inspect_summary(file)
    assert state["project"] == "cli-project"
    assert state["summary"]["fit/n_points"] == 18


def test_wandb_online_without_login_is_a_usage_error(
    fitted: tuple[pl.DataFrame, sl.FitResult], wandb_env: Path
) -> None:
    _, result = fitted
    with pytest.raises(DataError, match=r"log_fit: W&B refused the fit for project 'p': UsageError: .*`wandb "
                                        r"login`.*WANDB_MODE=offline.*`wandb sync`"):
        log_fit(result, "wandb", experiment="p", wandb_mode="online")
