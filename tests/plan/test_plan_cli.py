"""CLI: `plan`, `suggest` and `isoflop` print results on stdout, errors on stderr, with exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests_plan_helpers import planted_sweep
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def fit_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = sl.testing.synthetic_runs("chinchilla", n_runs=24, seed=5)
    result = sl.fit(runs, "chinchilla")
    result = result.with_bootstrap(sl.bootstrap(result, runs, n_boot=30, seed=0))
    path = tmp_path_factory.mktemp("plan") / "fit.json"
    result.save(path)
    return path


def test_plan_preset_json() -> None:
    out = runner.invoke(app, ["plan", "chinchilla", "--preset", "hoffmann2022", "--compute", "5.76e23", "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["exponent_a"] == pytest.approx(0.4516, abs=5e-5)
    assert doc["budgets"][0]["n_params"] == pytest.approx(32.19e9, abs=0.005e9)


def test_plan_fit_file_table_with_intervals(fit_file: Path) -> None:
    out = runner.invoke(app, ["plan", str(fit_file), "-c", "1e23", "-c", "1e24"])
    assert out.exit_code == 0, out.output
    assert "n_params_lower" in out.stdout
    assert "exponents" in out.stdout


def test_plan_unknown_source_is_a_usage_error() -> None:
    out = runner.invoke(app, ["plan", "no_such_file.json", "-c", "1e23"])
    assert out.exit_code == 2
    assert "not a file" in out.output
    out = runner.invoke(app, ["plan", "chinchilla", "--preset", "nope", "-c", "1e23"])
    assert out.exit_code == 2
    assert "Invalid value for '--preset': must be one of" in out.output


def test_suggest_json(fit_file: Path) -> None:
    out = runner.invoke(app, ["suggest", str(fit_file), "--target-compute", "1e23", "--budget", "1e20", "--shapes", "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["se_log_loss_after"] < doc["se_log_loss_before"]
    assert doc["runs"]
    assert "d_model" in doc["runs"][0]


def test_isoflop_table_and_compare(tmp_path: Path, fit_file: Path) -> None:
    sweep = planted_sweep("epoch2024", [1e18, 1e19, 1e20], span=16.0, noise=0.003, seed=2)
    path = tmp_path / "sweep.csv"
    sweep.write_csv(path)
    out = runner.invoke(app, ["isoflop", str(path), "--bootstrap", "50", "--compare", str(fit_file)])
    assert out.exit_code == 0, out.output
    assert "N_opt =" in out.stdout
    assert "law frontier" in out.stdout
    out = runner.invoke(app, ["isoflop", str(path), "--method", "akima", "--bootstrap", "0", "--json"])
    assert json.loads(out.stdout)["method"] == "akima"
    out = runner.invoke(app, ["isoflop", str(path), "--method", "quartic"])
    assert out.exit_code == 2
    assert "cubic, parabola or akima" in out.output
    out = runner.invoke(app, ["isoflop", str(path), "--flops-column", "budget"])
    assert out.exit_code == 2
    assert "'budget'" in out.output
