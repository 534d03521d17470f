"""The ``data`` sub-app, invoked directly with typer's CliRunner: exit codes, stdout/stderr split, --json."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from scalinglaws.cli.data import data_app
from scalinglaws.data import read_runs
from scalinglaws.data.adapters import read_tensorboard, read_wandb_export

runner = CliRunner()


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "runs.csv"
    pl.DataFrame({
        "run_id": ["a", "a", "b", "b"], "step": [1, 2, 1, 2], "n_params": [1e6, 1e6, 4e6, 4e6],
        "n_tokens": [1e8, 2e8, 1e8, 2e8], "loss": [3.0, 2.8, 2.9, 2.6],
    }).write_csv(path)
    return path


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.parquet"
    pl.DataFrame({"run_id": ["a", "a"], "step": [1, 1], "n_tokens": [0.0, 1e8], "loss": [3.0, float("nan")]}) \
        .write_parquet(path)
    return path


def test_validate_ok(good: Path) -> None:
    result = runner.invoke(data_app, ["validate", str(good)])
    assert result.exit_code == 0, result.output
    assert "valid runs table (4 rows, 5 columns)" in result.stdout
    assert result.stderr == ""


def test_validate_bad_rows_exit_1(bad: Path) -> None:
    result = runner.invoke(data_app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "column `n_tokens` is not positive in 1 row (row 0; value 0.0)." in result.stdout
    assert "key (run_id, step) is duplicated in 2 rows" in result.stdout
    assert "validation found 3 problem(s)" in result.stderr


def test_validate_json(bad: Path) -> None:
    result = runner.invoke(data_app, ["validate", str(bad), "--json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["valid"] is False
    assert [p["rule"] for p in document["problems"]] == ["not_positive", "nan", "duplicate_key"]
    assert document["problems"][1]["values"] == [{"$float": "nan"}]  # the one encoding of non-finite numbers


def test_validate_target_and_require(good: Path) -> None:
    result = runner.invoke(data_app, ["validate", str(good), "--target", "val_loss", "--require", "flops"])
    assert result.exit_code == 1
    assert "column `val_loss` is missing" in result.stdout
    assert "column `flops` is missing" in result.stdout


def test_validate_unreadable_file_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(data_app, ["validate", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2
    assert "no file at" in result.stderr
    assert result.stdout == ""


def test_describe(good: Path) -> None:
    result = runner.invoke(data_app, ["describe", str(good)])
    assert result.exit_code == 0, result.output
    assert "runs: 2; checkpoints per run: min 2, median 2, max 2" in result.stdout
    assert "scales covered:" in result.stdout
    assert re.search(r"^n_params\s+1e\+06\s+4e\+06\s+0$", result.stdout, re.MULTILINE)


def test_describe_json(good: Path) -> None:
    result = runner.invoke(data_app, ["describe", str(good), "--json"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["n_runs"] == 2
    assert document["ranges"]["n_tokens"] == {"min": 1e8, "max": 2e8, "n_missing": 0}


def test_import_tensorboard(tmp_path: Path) -> None:
    tensorboardX = pytest.importorskip("tensorboardX")
    writer = tensorboardX.SummaryWriter(str(tmp_path / "logs" / "run1"))
    for step in range(5):
        writer.add_scalar("train/loss", 3.0 - step / 10, step)
    writer.close()
    out = tmp_path / "runs.parquet"
    result = runner.invoke(data_app, ["import", "tensorboard", str(tmp_path / "logs"), "--out", str(out),
                                      "--rename", "train/loss=loss", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"source": str(tmp_path / "logs"), "out": str(out), "n_rows": 5,
                                         "n_runs": 1, "columns": ["run_id", "step", "loss"]}
    assert_frame_equal(read_runs(out), read_tensorboard(tmp_path / "logs", columns={"train/loss": "loss"}))
    assert runner.invoke(data_app, ["validate", str(out)]).exit_code == 0


def test_import_tensorboard_errors(tmp_path: Path) -> None:
    result = runner.invoke(data_app, ["import", "tensorboard", str(tmp_path), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert "no TensorBoard event files" in result.stderr
    result = runner.invoke(data_app, ["import", "tensorboard", str(tmp_path), "--out", "o.csv", "--rename", "x"])
    assert result.exit_code == 2
    assert "expected KEY=COLUMN" in result.output


def test_import_wandb_export(fixtures_dir: Path, tmp_path: Path) -> None:
    export = fixtures_dir / "wandb" / "panel_export.csv"
    out = tmp_path / "runs.jsonl"
    result = runner.invoke(data_app, ["import", "wandb", str(export), "--out", str(out),
                                      "--rename", "train/loss=loss"])
    assert result.exit_code == 0, result.output
    assert f"wrote 8 rows (2 runs) from {export} to {out}" in result.stdout
    assert_frame_equal(read_runs(out), read_wandb_export(export, columns={"train/loss": "loss"}))


def test_import_wandb_api_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Run:
        id, name, group, config = "r1", "tiny", None, {"d_model": 64}

        def scan_history(self, keys: list[str] | None = None) -> list[dict[str, object]]:
            return [{"_step": 0, "loss": 3.0}, {"_step": 10, "loss": 2.5}]

    class Api:
        def runs(self, path: str, filters: object = None) -> list[Run]:
            assert path == "acme/scaling"
            return [Run()]

    monkeypatch.setitem(sys.modules, "wandb", types.SimpleNamespace(Api=Api))
    out = tmp_path / "runs.csv"
    result = runner.invoke(data_app, ["import", "wandb", "acme/scaling", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert read_runs(out).rows() == [("r1", 0, 3.0, "tiny", 64), ("r1", 10, 2.5, "tiny", 64)]


def test_import_missing_extra_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wandb", None)
    result = runner.invoke(data_app, ["import", "wandb", "acme/scaling", "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert "pip install 'scalinglaws[wandb]'" in result.stderr


def test_import_bad_output_exit_2(fixtures_dir: Path, tmp_path: Path) -> None:
    export = fixtures_dir / "wandb" / "panel_export.csv"
    result = runner.invoke(data_app, ["import", "wandb", str(export), "--out", str(tmp_path / "o.xlsx")])
    assert result.exit_code == 2
    assert "`path` of write_runs must end in" in result.stderr


def test_import_mlflow(mlflow_tracking_uri: str, tmp_path: Path) -> None:
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_tracking_uri)
    run = client.create_run(client.create_experiment("cli-import"), run_name="r")
    client.log_batch(run.info.run_id, metrics=[Metric("val_loss", 3.0 - s / 100, s, s) for s in range(0, 50, 10)],
                     params=[Param("n_params", "125000000")])
    out = tmp_path / "runs.parquet"
    result = runner.invoke(data_app, ["import", "mlflow", "cli-import", "--tracking-uri", mlflow_tracking_uri,
                                      "--out", str(out), "--rename", "val_loss=loss"])
    assert result.exit_code == 0, result.output
    df = read_runs(out)
    assert df.get_column("loss").to_list() == [3.0 - s / 100 for s in range(0, 50, 10)]
    assert df.get_column("n_params").unique().to_list() == [125000000.0]
    assert runner.invoke(data_app, ["validate", str(out)]).exit_code == 0
    missing = runner.invoke(data_app, ["import", "mlflow", "nope", "--tracking-uri", mlflow_tracking_uri,
                                       "--out", str(out)])
    assert missing.exit_code == 2
    assert "no experiment 'nope'" in missing.stderr
