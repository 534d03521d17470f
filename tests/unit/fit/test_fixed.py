"""Fixed parameters (``fixed=`` / ``--fix NAME=VALUE``): held at their value, not fitted, without a
standard error, and shown as fixed in every output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app


@pytest.fixture(scope="module")
def runs() -> pl.DataFrame:
    return sl.testing.synthetic_runs("chinchilla", n_runs=40, noise=0.01, seed=2)


@pytest.mark.parametrize(("name", "value"), [("E", 1.8), ("A", 480.0), ("alpha", 0.35)])
def test_a_fixed_fit_is_the_fit_of_the_law_with_that_value_written_in(
    runs: pl.DataFrame, name: str, value: float
) -> None:
    fixed = sl.fit(runs, "chinchilla", fixed={name: value})
    law = sl.get_law("chinchilla")
    written = law.formula.replace(name, repr(value)) if name != "A" else law.formula.replace("A/", f"{value!r}/")
    reduced = sl.fit(runs, written)
    assert fixed.params[name] == value
    assert fixed.status is sl.FitStatus.CONVERGED, fixed.message
    # Both are the same problem solved by the same engine; they agree to the polish tolerance.
    assert fixed.objective == pytest.approx(reduced.objective, rel=1e-8)
    for other, estimate in reduced.params.items():
        assert fixed.params[other] == pytest.approx(estimate, rel=1e-5)
    assert fixed.n_params == 4
    assert fixed.fixed == (name,)


def test_a_fixed_parameter_has_no_standard_error_and_no_variance(runs: pl.DataFrame) -> None:
    result = sl.fit(runs, "chinchilla", fixed={"E": 1.8})
    assert result.stderr is not None
    assert "E" not in result.stderr
    assert set(result.stderr) == {"A", "alpha", "B", "beta"}
    assert result.covariance is not None
    i = list(result.params).index("E")
    assert np.all(result.covariance[i] == 0)
    assert np.all(result.covariance[:, i] == 0)
    assert "(fixed)" in result.summary().splitlines()[3]
    assert "E     = 1.8  (fixed)" in result.summary()


def test_fixed_values_survive_save_and_load(runs: pl.DataFrame, tmp_path: Path) -> None:
    result = sl.fit(runs, "chinchilla", fixed={"beta": 0.37})
    path = tmp_path / "fit.json"
    result.save(path)
    again = sl.load(path)
    assert again == result
    assert again.fixed == ("beta",)
    assert again.law.spec("beta").fixed == 0.37
    assert np.allclose(again.predict(runs), result.predict(runs))


def test_bootstrap_and_profile_leave_a_fixed_parameter_alone(runs: pl.DataFrame) -> None:
    result = sl.fit(runs, "chinchilla", fixed={"E": 1.8})
    draws = sl.bootstrap(result, runs, n_boot=20, seed=0)
    j = draws.param_names.index("E")
    assert np.all(draws.good_draws()[:, j] == 1.8)
    with pytest.raises(sl.LawSpecError, match=r"`name` 'E' is fixed in this fit; it has no interval"):
        sl.profile(result, runs, "E")


def test_fixing_a_parameter_of_a_grouped_fit_fixes_it_in_every_group() -> None:
    a = sl.testing.synthetic_runs("chinchilla", n_runs=30, seed=0).with_columns(pl.lit("a").alias("arch"))
    b = sl.testing.synthetic_runs("chinchilla", n_runs=30, seed=1).with_columns(pl.lit("b").alias("arch"))
    result = sl.fit(pl.concat([a, b]), "chinchilla", group="arch", shared=("alpha", "beta"), fixed={"E": 1.8})
    assert result.fixed == ("E[a]", "E[b]")
    assert result.params_for("a")["E"] == result.params_for("b")["E"] == 1.8
    assert result.stderr is not None
    assert "E[a]" not in result.stderr


def test_a_fixed_value_outside_the_bounds_is_refused(runs: pl.DataFrame) -> None:
    with pytest.raises(sl.LawSpecError, match=r"fixed value of parameter `E` must be finite and inside its bounds"):
        sl.fit(runs, "chinchilla", fixed={"E": -1.0})
    with pytest.raises(sl.LawSpecError, match=r"law 'chinchilla' has no parameter 'Q'"):
        sl.fit(runs, "chinchilla", fixed={"Q": 1.0})


def test_fixing_shares_the_compiled_formula(runs: pl.DataFrame) -> None:
    # Overrides change specs, not the formula: the evaluators are compiled once and reused.
    law = sl.get_law("chinchilla")
    result = sl.fit(runs, law, fixed={"E": 1.8}, bounds={"alpha": (0.0, 2.0)})
    assert result.law.compiled is law.compiled


@pytest.fixture(scope="module")
def csv(runs: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fix") / "runs.csv"
    runs.write_csv(path)
    return path


def test_cli_fit_shows_a_fixed_parameter_as_fixed(csv: Path) -> None:
    runner = CliRunner()
    table = runner.invoke(app, ["fit", str(csv), "--fix", "E=1.8"])
    assert table.exit_code == 0, table.stderr
    assert "E     = 1.8  (fixed)" in table.stdout
    document = runner.invoke(app, ["fit", str(csv), "--fix", "E=1.8", "--json"])
    fitted = json.loads(document.stdout)
    assert fitted["params"]["E"] == 1.8
    assert "E" not in fitted["stderr"]
    assert fitted["config"]["fixed"] == {"E": 1.8}


@pytest.mark.parametrize("command", ["backtest", "select"])
def test_cli_backtest_and_select_take_fix(csv: Path, command: str) -> None:
    extra = ["--laws", "chinchilla,kaplan_nd"] if command == "select" else []
    result = CliRunner().invoke(
        app, [command, str(csv), *extra, "--fix", "E=1.8", "--bootstrap", "0", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)


def test_cli_backtest_fixes_the_value_in_every_training_fit(csv: Path) -> None:
    scores = sl.backtest(pl.read_csv(csv), "chinchilla", fixed={"E": 1.8}, n_boot=0, train_fractions=(0.5, 0.75))
    assert scores.splits.height == 2
    assert set(scores.splits["status"]) <= {"converged", "ill-conditioned", "at-bound"}


def test_cli_report_marks_a_fixed_parameter(csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        app, ["report", str(csv), "--fix", "E=1.8", "--bootstrap", "0", "--no-backtest", "--no-figures", "--out", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert "fixed" in out.read_text()
