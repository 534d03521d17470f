"""Every command's ``--json`` output (and the fit file) is one strict JSON document that follows its schema.

"Strict" means what any JSON parser accepts: no ``NaN``/``Infinity`` literals (Python's ``json`` writes
them unless told not to). The parse below refuses them, and each document is validated against its
schema in ``scalinglaws/schemas`` (shipped with the package). Non-finite numbers appear only as
``{"$float": "inf"}`` objects, the one encoding (``scalinglaws.data.strict_json``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import polars as pl
import pytest
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app
from scalinglaws.data import strict_json

runner = CliRunner()


def reject_constant(token: str) -> None:
    raise AssertionError(f"{token} is not JSON; a strict parser refuses it")


def strict(text: str) -> Any:
    """The document, parsed as a strict parser would (NaN/Infinity literals refused)."""
    return json.loads(text, parse_constant=reject_constant)


def run_json(*args: str | Path) -> Any:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, (args, result.stderr)
    return strict(result.stdout)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("json")
    paths = {name: root / name for name in (
        "runs.csv", "fit.json", "fit_boot.json", "other.json", "points.csv", "evals.csv", "scores.csv",
        "sweep.csv",
    )}
    sl.testing.synthetic_runs("chinchilla", n_runs=40, seed=0).write_csv(paths["runs.csv"])
    sl.testing.synthetic_runs("chinchilla", n_runs=40, seed=1).write_csv(root / "runs_other.csv")
    pl.DataFrame({"n_params": [1e9, 7e10], "n_tokens": [2e10, 1.4e12]}).write_csv(paths["points.csv"])
    loss = [2.1 + 0.03 * i for i in range(40)]
    pl.DataFrame({"loss": loss, "accuracy": [0.9 - 0.2 * (x - 2.1) for x in loss]}).write_csv(paths["evals.csv"])
    sl.testing.synthetic_scores().write_csv(paths["scores.csv"])
    # An IsoFLOP sweep: 4 budgets x 7 sizes from the planted Chinchilla law.
    law, truth = sl.get_law("chinchilla"), sl.testing.PLANTED["chinchilla"]
    rows = []
    for c in (1e18, 1e19, 1e20, 1e21):
        for n in [c**0.5 / 60 * f for f in (0.1, 0.2, 0.4, 1, 2.5, 5, 10)]:
            d = c / (6 * n)
            rows.append({"flops": c, "n_params": n, "loss": float(law.predict(truth, {"N": [n], "D": [d]})[0])})
    pl.DataFrame(rows).write_csv(paths["sweep.csv"])
    for out, source, extra in (
        ("fit.json", paths["runs.csv"], []),
        ("fit_boot.json", paths["runs.csv"], ["--bootstrap", "40"]),
        ("other.json", root / "runs_other.csv", ["--bootstrap", "40"]),
    ):
        result = runner.invoke(app, ["fit", str(source), "--out", str(paths[out]), *extra])
        assert result.exit_code == 0, result.stderr
    return paths


def check(document: Any, schema: str) -> None:
    strict_json.validate(document, schema)


def test_fit_file_and_fit_json_follow_the_fit_schema(files: dict[Path, Path]) -> None:
    for name in ("fit.json", "fit_boot.json"):
        check(strict(files[name].read_text()), "fit")
    document = run_json("fit", files["runs.csv"], "--json")
    check(document, "fit")
    # Intervals are in the output: delta method here, bootstrap percentiles with --bootstrap.
    assert set(document["intervals"]) == {"E", "A", "alpha", "B", "beta"}
    assert document["intervals"]["alpha"]["method"].startswith("delta method")
    booted = strict(files["fit_boot.json"].read_text())
    assert booted["intervals"]["alpha"]["method"] == "bootstrap-pairs (40 draws), percentile"
    # Infinite bounds are written the one way, never as Infinity.
    assert document["law"]["params"][0]["upper"] == {"$float": "inf"}


def test_fit_through_writes_a_chain_document(files: dict[str, Path]) -> None:
    document = run_json(
        "fit", files["evals.csv"], "--law", "a + b*L", "--map", "L=loss", "--target", "accuracy",
        "--space", "linear", "--through", files["fit.json"], "--json",
    )
    check(document, "chain")


def test_predict_json(files: dict[str, Path]) -> None:
    check(run_json("predict", files["fit_boot.json"], files["points.csv"], "--json"), "predict")
    rows = run_json("predict", files["fit_boot.json"], files["points.csv"], "--interval", "0.9", "--json")
    check(rows, "predict")
    assert all(r["lower"] < r["prediction"] < r["upper"] for r in rows)


def test_backtest_and_select_json(files: dict[str, Path]) -> None:
    check(run_json("backtest", files["runs.csv"], "--bootstrap", "0", "--json"), "backtest")
    check(run_json("select", files["runs.csv"], "--laws", "chinchilla,kaplan_nd", "--bootstrap", "0", "--json"),
          "select")


def test_report_json(files: dict[str, Path], tmp_path: Path) -> None:
    document = run_json(
        "report", files["runs.csv"], "--bootstrap", "20", "--no-figures", "--compute", "1e22",
        "--out", tmp_path / "report.html", "--json",
    )
    check(document, "report")
    assert document["intervals"]["E"]["method"].startswith("bootstrap-pairs")


def test_plan_suggest_compare_json(files: dict[str, Path]) -> None:
    check(run_json("plan", files["fit_boot.json"], "--compute", "1e22", "--compute", "1e24", "--json"), "plan")
    check(run_json("plan", "chinchilla", "--preset", "hoffmann2022", "--compute", "5.76e23", "--json"), "plan")
    check(run_json("suggest", files["fit.json"], "--compute", "1e24", "--spend", "1e21", "--json"), "suggest")
    check(run_json("compare", files["fit_boot.json"], files["other.json"], "--compute", "1e22",
                   "--at-compute", "1e24", "--json"), "compare")


def test_isoflop_json_without_bootstrap_is_strict(files: dict[str, Path]) -> None:
    # With --bootstrap 0 the per-budget intervals are NaN: once written as a bare NaN (invalid JSON).
    document = run_json("isoflop", files["sweep.csv"], "--bootstrap", "0", "--json")
    check(document, "isoflop")
    assert document["budgets"][0]["n_opt_lower"] == {"$float": "nan"}
    check(run_json("isoflop", files["sweep.csv"], "--bootstrap", "20", "--compare", files["fit.json"], "--json"),
          "isoflop")


def test_observational_demo_laws_json(files: dict[str, Path], tmp_path: Path) -> None:
    check(run_json("observational", files["scores.csv"], "--benchmarks", "b0,b1,b2,b3,b4", "--n-components", "1",
                   "--target", "target", "--floor", "0.25", "--cutoff", "100", "--json"), "observational")
    check(run_json("demo", "--out", tmp_path / "demo.html", "--json"), "demo")
    check(run_json("laws", "--json"), "laws")
    check(run_json("laws", "chinchilla", "--json"), "law")


def test_data_commands_json(files: dict[str, Path], tmp_path: Path) -> None:
    check(run_json("data", "describe", files["runs.csv"], "--json"), "data-describe")
    check(run_json("data", "validate", files["runs.csv"], "--json"), "data-validate")
    bad = tmp_path / "bad.csv"
    pl.DataFrame({"n_params": [1e6, float("nan"), float("inf")], "loss": [3.0, 2.9, float("nan")]}).write_csv(bad)
    result = runner.invoke(app, ["data", "validate", str(bad), "--json"])
    assert result.exit_code == 1
    document = strict(result.stdout)
    check(document, "data-validate")
    tensorboard_x = pytest.importorskip("tensorboardX", reason="needs `pip install 'scalinglaws[test]'`")
    pytest.importorskip("tensorboard", reason="needs `pip install 'scalinglaws[tensorboard]'`")
    logdir = tmp_path / "tb"
    writer = tensorboard_x.SummaryWriter(str(logdir / "run-a"))
    for step in range(3):
        writer.add_scalar("loss", 3.0 - 0.1 * step, step)
        writer.add_scalar("n_params", 1e6, step)
    writer.close()
    document = run_json("data", "import", "tensorboard", logdir, "--out", tmp_path / "runs.parquet", "--json")
    check(document, "data-import")


@pytest.mark.parametrize("name", strict_json.SCHEMAS)
def test_every_schema_is_valid_and_shipped(name: str) -> None:
    schema = strict_json.schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"urn:scalinglaws:schema:{name}"


def test_a_bare_nan_is_not_accepted_anywhere() -> None:
    document = strict_json.loads(sl.fit(sl.testing.synthetic_runs("chinchilla", n_runs=30), "chinchilla").to_json())
    encoded = strict(strict_json.dumps(document))
    check(encoded, "fit")
    encoded["objective"] = "NaN"  # a string is not a number
    with pytest.raises(jsonschema.ValidationError):
        check(encoded, "fit")
    with pytest.raises(AssertionError, match="NaN is not JSON"):
        strict('{"a": NaN}')
    with pytest.raises(ValueError, match="not JSON"):
        strict_json.loads('{"a": Infinity}')
