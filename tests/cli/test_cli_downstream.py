"""The commands of issue 16: ``fit --through`` (chains) with ``predict``, ``observational`` and ``compare``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app

runner = CliRunner()
LINK = {"a": 0.6, "L_0": 2.7, "k": -5.0, "b": 0.25}


def run(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def flat(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("downstream")
    rng = np.random.default_rng(0)
    loss = rng.uniform(2.0, 3.4, 50)
    accuracy = sl.get_law("bhagia_sigmoid").predict(LINK, {"L": loss}) + rng.normal(0, 0.01, 50)
    paths = {
        "runs": folder / "runs.csv", "evals": folder / "evals.csv", "points": folder / "points.csv",
        "fit": folder / "fit.json", "bare": folder / "bare.json", "slower": folder / "slower.json",
    }
    sl.testing.synthetic_runs("chinchilla", n_runs=30, seed=0).write_csv(paths["runs"])
    pl.DataFrame({"loss": loss, "accuracy": accuracy}).write_csv(paths["evals"])
    pl.DataFrame({"n_params": [1e9, 7e9], "n_tokens": [2e10, 1.4e11]}).write_csv(paths["points"])
    assert run("fit", paths["runs"], "--bootstrap", "50", "--out", paths["fit"]).exit_code == 0
    assert run("fit", paths["runs"], "--out", paths["bare"]).exit_code == 0
    planted = dict(sl.testing.PLANTED["chinchilla"])
    slower = sl.testing.synthetic_runs("chinchilla", dict(planted, B=planted["B"] * 2 ** planted["beta"]), n_runs=30,
                                       seed=1)
    slower.write_csv(folder / "slower.csv")
    assert run("fit", folder / "slower.csv", "--bootstrap", "50", "--out", paths["slower"]).exit_code == 0
    return paths


def test_fit_through_writes_a_chain_that_predict_evaluates(files: dict[str, Path], tmp_path: Path) -> None:
    chain_path = tmp_path / "chain.json"
    result = run(
        "fit", files["evals"], "--law", "bhagia_sigmoid", "--map", "L=loss", "--target", "accuracy",
        "--fix", "b=0.25", "--space", "linear", "--loss", "squared", "--bootstrap", "50",
        "--through", files["fit"], "--out", chain_path,
    )
    assert result.exit_code == 0, result.stderr
    assert "chain: chinchilla -> bhagia_sigmoid through input `L` (predicted loss)" in result.stdout
    assert "warning" not in result.stdout  # diagnostics go to stderr
    assert "wrote the chain to" in result.stderr
    chained = sl.Chain.load(chain_path)
    predicted = run("predict", chain_path, files["points"], "--interval", "0.9", "--json")
    assert predicted.exit_code == 0, predicted.stderr
    rows = json.loads(predicted.stdout)
    np.testing.assert_allclose([r["prediction"] for r in rows], chained.predict(pl.read_csv(files["points"])))
    assert rows[0]["interval_method"] == "joint bootstrap (independent, 50 draws) + run noise"
    assert all(r["lower"] < r["prediction"] < r["upper"] for r in rows)


def test_fit_through_logit_space(files: dict[str, Path], tmp_path: Path) -> None:
    chain_path = tmp_path / "logit.json"
    result = run(
        "fit", files["evals"], "--law", "logit_linear", "--map", "L=loss", "--target", "accuracy",
        "--logit", "0.2:0.9", "--space", "linear", "--loss", "squared", "--through", files["fit"],
        "--out", chain_path, "--json",
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["link"] == {"kind": "logit", "floor": 0.2, "ceiling": 0.9}
    assert document["metric_fit"]["config"]["target"] == "logit_accuracy"
    predictions = sl.Chain.load(chain_path).predict(pl.read_csv(files["points"]))
    assert np.all((predictions > 0.2) & (predictions < 0.9))


def test_chain_option_errors(files: dict[str, Path]) -> None:
    common = ("fit", files["evals"], "--law", "bhagia_sigmoid", "--map", "L=loss", "--target", "accuracy")
    result = run(*common, "--through", files["fit"], "--loss-input", "Q")
    assert result.exit_code == 2
    assert "Invalid value for '--loss-input': `through` of chain must be an input" in flat(result.stderr)
    result = run(*common, "--pairing", "paired")
    assert result.exit_code == 2
    assert "Invalid value for '--pairing': goes with --through LOSS_FIT.json" in flat(result.stderr)
    result = run(*common, "--logit", "0.25")
    assert result.exit_code == 2
    assert "Invalid value for '--logit': must be FLOOR:CEILING" in flat(result.stderr)
    result = run(*common, "--logit", "1:0.5")
    assert result.exit_code == 2
    assert "Invalid value for '--logit': must be FLOOR:CEILING" in flat(result.stderr)
    result = run(*common, "--loss-input", "L")
    assert result.exit_code == 2
    assert "Invalid value for '--loss-input': goes with --through" in flat(result.stderr)
    result = run(*common, "--logit", "0.5:1")  # some accuracies lie below 0.5: their logit is undefined
    assert result.exit_code == 1
    assert "lie at or outside (0.5, 1)" in flat(result.stderr)
    result = run(*common, "--through", files["evals"])
    assert result.exit_code == 2
    assert "Invalid value for '--through'" in flat(result.stderr)


def test_predict_refuses_a_broken_chain_file(files: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"kind": "chain", "schema": 1}\n')
    result = run("predict", path, files["points"])
    assert result.exit_code == 2
    assert "is not a scalinglaws chain file" in flat(result.stderr)


def test_compare_prints_the_multiplier_and_json(files: dict[str, Path]) -> None:
    result = run("compare", files["fit"], files["slower"], "--flops", "1e19", "--flops", "1e20", "--target", "1e20")
    assert result.exit_code == 0, result.stderr
    assert "compute multiplier (B's compute to match A's loss, / A's), 95% intervals" in result.stdout
    assert "P(A better at 1e+20) = " in result.stdout
    result = run("compare", files["fit"], files["slower"], "--flops", "1e19", "--json", "--interval", "0.9")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["prob"] == 0.9
    # Planted multiplier 2 (B reads data 2x less efficiently); 30 noisy runs each pin it to +-40%.
    assert document["scales"][0]["multiplier"] == pytest.approx(2.0, rel=0.4)


def test_compare_errors(files: dict[str, Path]) -> None:
    result = run("compare", files["fit"], files["bare"], "--flops", "1e19")
    assert result.exit_code == 1
    assert "needs bootstrap draws of the fit_b, which has none" in flat(result.stderr)
    result = run("compare", files["fit"], files["slower"], "--flops", "1e19", "--interval", "2")
    assert result.exit_code == 2
    assert "Invalid value for '--interval'" in flat(result.stderr)
    result = run("compare", files["fit"], files["slower"])
    assert result.exit_code == 2
    assert "--compute" in flat(result.stderr)


def test_observational_command(tmp_path: Path) -> None:
    scores = tmp_path / "scores.csv"
    sl.testing.synthetic_scores().write_csv(scores)
    out = tmp_path / "models.csv"
    benchmarks = "b0,b1,b2,b3,b4"
    result = run("observational", scores, "--benchmarks", benchmarks, "--n-components", "1", "--target", "target",
                 "--floor", "0.25", "--cutoff", "100", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert "explained variance: PC1" in result.stdout
    assert "holdout above 100: " in result.stdout
    assert set(pl.read_csv(out)["split"]) == {"train", "holdout"}
    result = run("observational", scores, "--benchmarks", benchmarks, "--json", "--impute", "none")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["impute"] == "none"
    result = run("observational", scores, "--benchmarks", "b0,b1,nope")
    assert result.exit_code == 2
    assert "needs column(s) ['nope']" in flat(result.stderr)
    result = run("observational", scores, "--benchmarks", benchmarks, "--join", scores, "--model", "name")
    assert result.exit_code == 2
    assert "has no column 'name' (--model) to join on" in flat(result.stderr)
