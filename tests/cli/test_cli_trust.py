"""CLI: `fit --bootstrap`, `predict --interval`, `backtest` and `select`: exit codes and output."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app

runner = CliRunner()


def run(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def flat(text: str) -> str:
    """Text without rich's panel borders and line wrapping, for matching fragments of messages."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


@pytest.fixture(scope="module")
def runs_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trust") / "runs.csv"
    sl.testing.synthetic_runs("chinchilla", n_runs=40, noise=0.01, seed=5).write_csv(path)
    return path


@pytest.fixture(scope="module")
def fit_with_draws(runs_file: Path) -> Path:
    out = runs_file.parent / "fit.json"
    result = run("fit", runs_file, "--bootstrap", "40", "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_fit_keeps_bootstrap_draws(fit_with_draws: Path) -> None:
    loaded = sl.load(fit_with_draws)
    assert loaded.bootstrap is not None
    assert loaded.bootstrap.n_boot == 40
    assert loaded.bootstrap.method == "pairs"


def test_predict_interval_adds_bounds(fit_with_draws: Path, runs_file: Path) -> None:
    points = runs_file.parent / "points.csv"
    pl.DataFrame({"n_params": [7e10], "n_tokens": [1.4e12]}).write_csv(points)
    result = run("predict", fit_with_draws, points, "--interval", "0.9", "--json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["lower"] < row["prediction"] < row["upper"]
    assert row["interval_method"].startswith("bootstrap-pairs")
    # 70B parameters is far outside the ladder: the command says so on stderr.
    assert "outside the fitted range" in result.stderr


def test_predict_interval_must_be_a_probability(fit_with_draws: Path, runs_file: Path) -> None:
    result = run("predict", fit_with_draws, runs_file, "--interval", "1.5")
    assert result.exit_code == 2
    assert "a probability strictly between 0 and 1" in flat(result.stderr)


def test_cluster_needs_the_cluster_method(runs_file: Path) -> None:
    result = run("fit", runs_file, "--bootstrap", "10", "--cluster", "n_params")
    assert result.exit_code == 2
    assert "--cluster COLUMN goes with --bootstrap-method cluster" in flat(result.stderr)


def test_backtest_json(runs_file: Path) -> None:
    result = run("backtest", runs_file, "--bootstrap", "0", "--train-fraction", "0.6", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["summary"]["law"] == "chinchilla"
    assert document["summary"]["interval_method"] == "delta-method"
    assert len(document["points"]) == document["splits"][0]["n_test"]


def test_backtest_unknown_axis_is_a_usage_error(runs_file: Path) -> None:
    result = run("backtest", runs_file, "--split-by", "width")
    assert result.exit_code == 2
    assert "`split_by` 'width'" in result.stderr


def test_select_ranks_laws(runs_file: Path) -> None:
    result = run("select", runs_file, "--laws", "chinchilla;E + A*N**-alpha", "--bootstrap", "0", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["best"] == "chinchilla"
    assert [row["law"] for row in document["ranking"]] == ["chinchilla", "E + A*N**-alpha"]


def test_select_needs_two_laws(runs_file: Path) -> None:
    result = run("select", runs_file, "--laws", "chinchilla")
    assert result.exit_code == 2
    assert "needs at least two laws" in result.stderr
