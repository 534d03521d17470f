"""CLI: `scalinglaws discover`: the leaderboard on stdout, the fit file, JSON, several targets, and exit
code 2 naming a bad --inputs or --target column."""

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
from scalinglaws.data import strict_json

runner = CliRunner()


def run(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def flat(text: str) -> str:
    """Text without rich's panel borders and line wrapping, for matching fragments of messages."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


@pytest.fixture(scope="module")
def runs_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("discover") / "runs.csv"
    runs = sl.testing.synthetic_runs("chinchilla", n_runs=40, noise=0.01, seed=2)
    runs.with_columns(loss_b=pl.col("loss") * 1.1).write_csv(path)
    return path


@pytest.fixture(scope="module")
def discovered(runs_file: Path) -> tuple[Any, Path]:
    out = runs_file.parent / "fit.json"
    result = run(
        "discover",
        runs_file,
        "--target",
        "loss",
        "--inputs",
        "N,D",
        "--max-candidates",
        "6",
        "--top",
        "3",
        "--out",
        out,
    )
    return result, out


def test_discover_prints_the_leaderboard_and_writes_a_usable_fit(
    discovered: tuple[Any, Path], runs_file: Path
) -> None:
    result, out = discovered
    assert result.exit_code == 0, result.output
    assert "nested" in result.stdout
    assert "held-out" in result.stdout
    assert "catalog" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 100
    assert "wrote the fit of" in result.stderr
    assert "best for 'loss'" in result.stderr  # the progress line (stderr is not a terminal here)
    fit = sl.load(out)
    points = runs_file.parent / "points.csv"
    pl.DataFrame({"n_params": [4e9], "n_tokens": [8e10]}).write_csv(points)
    predicted = run("predict", out, points, "--json")
    assert predicted.exit_code == 0, predicted.output
    (row,) = json.loads(predicted.stdout)
    assert row["prediction"] == pytest.approx(
        float(fit.predict({"n_params": [4e9], "n_tokens": [8e10]})[0])
    )


def test_discover_json_is_one_document(runs_file: Path) -> None:
    result = run("discover", runs_file, "--max-candidates", "4", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(
        result.stdout, parse_constant=lambda token: pytest.fail(f"{token} in JSON")
    )
    strict_json.validate(document, "discover")
    assert document["targets"] == ["loss"]
    assert document["stopped"] == "limit"
    assert document["leaderboards"]["loss"][0]["formula"]


def test_several_targets_write_one_fit_each(runs_file: Path) -> None:
    out = runs_file.parent / "many.json"
    result = run(
        "discover",
        runs_file,
        "--target",
        "loss,loss_b",
        "--inputs",
        "N,D",
        "--max-candidates",
        "4",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    assert sl.load(runs_file.parent / "many.loss.json").config.target == "loss"
    assert sl.load(runs_file.parent / "many.loss_b.json").config.target == "loss_b"
    assert "target 'loss_b'" in result.stdout


def test_a_tiny_budget_stops_with_the_best_so_far(runs_file: Path) -> None:
    result = run("discover", runs_file, "--budget", "0.01")
    assert result.exit_code == 0, result.output
    assert "the budget stopped the search" in result.stderr
    assert "stopped by the budget" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--inputs", "N,tokens_seen"], "input column 'tokens_seen' of discover is missing"),
        (["--target", "perplexity"], "target column 'perplexity' of discover is missing"),
        (["--inputs", "is_outlier"], "Invalid value for '--inputs'"),
        (["--group", "family"], "group column 'family'"),
        (["--split-by", "nope"], "`split_by` 'nope'"),
        (["--budget", "0"], "Invalid value for '--budget'"),
        (["--top", "0"], "Invalid value for '--top'"),
        (["--target", ","], "Invalid value for '--target'"),
    ],
)
def test_bad_columns_and_values_exit_2_naming_them(
    runs_file: Path, args: list[str], fragment: str
) -> None:
    result = run("discover", runs_file, *args)
    assert result.exit_code == 2, result.output
    assert fragment in flat(result.output)


def test_out_into_a_missing_folder_is_refused_before_any_work(runs_file: Path) -> None:
    result = run("discover", runs_file, "--out", runs_file.parent / "nowhere" / "fit.json")
    assert result.exit_code == 2
    assert "does not exist" in flat(result.output)


def test_group_fits_one_form_with_constants_per_group(tmp_path: Path) -> None:
    parts = []
    for g, e in enumerate((1.7, 2.0)):
        params = {**sl.testing.PLANTED["chinchilla"], "E": e}
        part = sl.testing.synthetic_runs("chinchilla", params, n_runs=20, seed=g)
        parts.append(part.with_columns(family=pl.lit(f"f{g}")))
    path = tmp_path / "grouped.csv"
    pl.concat(parts).write_csv(path)
    out = tmp_path / "fit.json"
    result = run(
        "discover",
        path,
        "--group",
        "family",
        "--inputs",
        "N,D",
        "--max-candidates",
        "2",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    assert "per group of 'family'" in flat(result.stdout)
    assert set(sl.load(out).groups or {}) == {"f0", "f1"}


def test_out_over_the_data_file_is_refused(runs_file: Path) -> None:
    result = run("discover", runs_file, "--out", runs_file)
    assert result.exit_code == 2
    assert "writing there would destroy it" in flat(result.output)


def test_executor_local_gives_the_same_document_and_a_bad_one_is_a_usage_error(runs_file: Path) -> None:
    plain = run("discover", runs_file, "--max-candidates", "4", "--json")
    chunked = run("discover", runs_file, "--max-candidates", "4", "--json", "--executor", "local")
    assert plain.exit_code == chunked.exit_code == 0, chunked.output
    first, second = json.loads(plain.stdout), json.loads(chunked.stdout)
    first.pop("seconds"), second.pop("seconds")
    assert second == first
    bad = run("discover", runs_file, "--max-candidates", "4", "--executor", "spark")
    assert bad.exit_code == 2
    assert "--executor" in flat(bad.output)
