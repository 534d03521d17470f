"""The command line: exit codes, the stdout/stderr split, files written, and every error path.

Every test asserts the exit code and a fragment of stdout or stderr (style B.6). The data are small
synthetic tables written to a temporary folder, so the whole module runs in a few seconds.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app
from scalinglaws.cli._errors import exit_code

TYPED_LAW = "E + A*N**-alpha + B*D**-beta"

runner = CliRunner()


def run(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def flat(text: str) -> str:
    """Text without rich's panel borders and line wrapping, for matching fragments of messages."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    runs = sl.testing.synthetic_runs("chinchilla", seed=0)
    paths = {
        "runs": folder / "runs.csv",
        "renamed": folder / "renamed.csv",
        "bad_rows": folder / "bad_rows.csv",
        "points": folder / "points.csv",
        "not_a_fit": folder / "not_a_fit.json",
    }
    runs.write_csv(paths["runs"])
    runs.rename({"n_tokens": "tokens"}).write_csv(paths["renamed"])
    runs.with_columns(
        pl.when(pl.int_range(pl.len()) < 2).then(-1.0).otherwise(pl.col("loss")).alias("loss")
    ).write_csv(paths["bad_rows"])
    pl.DataFrame(
        {"name": ["1B", "7B", "70B"], "n_params": [1e9, 7e9, 7e10], "n_tokens": [2e10, 1.4e11, 1.4e12]}
    ).write_csv(paths["points"])
    paths["not_a_fit"].write_text('{"hello": 1}\n')
    return paths


@pytest.fixture(scope="module")
def fit_file(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fit") / "fit.json"
    result = run("fit", files["runs"], "--law", "chinchilla", "--out", out)
    assert result.exit_code == 0, result.stderr
    return out


# ---------------------------------------------------------------------------------------------- demo, laws


def test_demo_prints_fit_beside_planted_values_and_a_prediction() -> None:
    result = run("demo")
    assert result.exit_code == 0, result.stderr
    assert "planted law: chinchilla" in result.stdout
    assert "fit: converged" in result.stdout
    assert re.search(r"^  alpha\s+0\.3\d*\s+\S+\s+0\.35$", result.stdout, re.MULTILINE)
    assert "prediction at N = 7e+10, D = 1.4e+12" in result.stdout
    assert "fitting the 'chinchilla' law" in result.stderr  # progress goes to stderr only
    assert "fitting" not in result.stdout


def test_laws_lists_every_catalog_law_with_formula() -> None:
    result = run("laws")
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())  # a long formula wraps onto the next lines, at its spaces
    for law in sl.list_laws():
        assert re.search(rf"^{law.name}\s", result.stdout, re.MULTILINE)
        assert f"{law.name} {' '.join(law.formula.split())} " in text
    assert "arXiv:2203.15556" in result.stdout
    # Within 100 columns, and no row padded out to the longest formula.
    assert max(len(line) for line in result.stdout.splitlines()) <= 100
    assert all(line == line.rstrip() for line in result.stdout.splitlines())


def test_laws_name_shows_inputs_bounds_presets_and_reference() -> None:
    law = sl.get_law("chinchilla")
    result = run("laws", "chinchilla")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert f"formula:    {law.formula}" in out
    assert f"reference:  {law.reference}" in out
    assert "N, else n_params" in out
    for convention in law.conventions.values():
        assert convention in out
    for spec in law.params:  # one row per parameter: name, bounds, initial range, how it is solved
        assert re.search(rf"^  {spec.name}\s+[\[(]\S+, \S+[\])]\s+\S+ \.\. \S+", out, re.MULTILINE)
    assert re.search(r"^  E\s+\[0, inf\)\s+.*exact", out, re.MULTILINE)  # E enters linearly
    for preset in law.presets:
        assert f"  {preset}: " in out


def test_laws_json_is_one_document() -> None:
    result = run("laws", "bnsl", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["formula"] == sl.get_law("bnsl").formula


def test_laws_unknown_name_is_a_usage_error() -> None:
    result = run("laws", "nosuch")
    assert result.exit_code == 2
    assert "'nosuch' is not in the catalog" in result.stderr


# --------------------------------------------------------------------------------------------------- fit


def test_fit_catalog_law_writes_the_library_result(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "fit.json"
    result = run("fit", files["runs"], "--law", "chinchilla", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert "status: converged" in result.stdout
    assert f"wrote '{out}'" in result.stderr
    # Diagnostics (here: amplitude and exponent trade off) are warnings on stderr, not in the table.
    assert "warning: (correlated) parameters A and alpha" in result.stderr
    assert "warning" not in result.stdout
    saved = sl.load(out)
    expected = sl.fit(files["runs"], law="chinchilla")
    assert saved.params == expected.params  # the CLI is a thin adapter: same call, same numbers
    assert saved.data_digest == expected.data_digest


def test_fit_typed_law_json_goes_to_stdout_alone(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "typed.json"
    result = run("fit", files["runs"], "--law", TYPED_LAW, "--out", out, "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)  # nothing but the JSON document on stdout
    assert document["law"]["formula"] == TYPED_LAW
    assert document["status"] == "converged"
    assert document == json.loads(out.read_text())
    catalog = sl.fit(files["runs"], law="chinchilla").params
    # Same model written two ways: the optimum agrees to the polish tolerance, not bit for bit.
    for name, value in catalog.items():
        assert document["params"][name] == pytest.approx(value, rel=1e-4)


def test_fit_options_reach_the_library(files: dict[str, Path]) -> None:
    result = run(
        "fit", files["renamed"], "--map", "D=tokens", "--param", "E=1:3", "--init", "alpha=0.2:0.6",
        "--init", "beta=0.3", "--loss", "squared", "--space", "linear", "--seed", "3", "--json",
    )
    assert result.exit_code == 0, result.stderr
    config = json.loads(result.stdout)["config"]
    assert config["mapping"] == {"N": "n_params", "D": "tokens"}
    assert (config["loss"], config["space"], config["seed"]) == ("squared", "linear", 3)
    law = sl.FitResult.from_json(result.stdout).law
    assert (law.spec("E").lower, law.spec("E").upper) == (1.0, 3.0)
    assert law.spec("beta").init == (0.3, 0.3)


def test_fit_and_predict_grouped_with_shared_exponents(tmp_path: Path) -> None:
    planted = dict(sl.testing.PLANTED["chinchilla"])
    frames = [
        sl.testing.synthetic_runs("chinchilla", {**planted, "E": e}, n_runs=25, seed=i).with_columns(
            pl.lit(name).alias("family")
        )
        for i, (name, e) in enumerate([("a", 1.8), ("b", 2.0)])
    ]
    pl.concat(frames).write_csv(tmp_path / "grouped.csv")
    pl.concat(frames).drop("loss").write_csv(tmp_path / "points.csv")
    out = tmp_path / "fit.json"
    result = run(
        "fit", tmp_path / "grouped.csv", "--group", "family", "--shared", "alpha", "--shared", "beta",
        "--out", out,
    )
    assert result.exit_code == 0, result.stderr
    assert re.search(r"^  E\[a\]\s+= 1\.", result.stdout, re.MULTILINE)  # brackets survive the console
    assert re.search(r"^  alpha\s+= ", result.stdout, re.MULTILINE)
    result = run("predict", out, tmp_path / "points.csv", "--json")
    assert result.exit_code == 0, result.stderr
    expected = sl.load(out).predict(pl.read_csv(tmp_path / "points.csv"))
    np.testing.assert_array_equal([r["prediction"] for r in json.loads(result.stdout)], expected)


def test_fit_not_converged_warns_but_succeeds_without_strict(files: dict[str, Path]) -> None:
    result = run("fit", files["runs"], "--param", "alpha=0.5:1")
    assert result.exit_code == 0, result.stderr
    assert "status: at-bound" in result.stdout
    assert "warning: the fit ended with status at-bound" in result.stderr


def test_fit_strict_not_converged_exits_1_and_writes_nothing(
    files: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "fit.json"
    result = run("fit", files["runs"], "--param", "alpha=0.5:1", "--strict", "--out", out)
    assert result.exit_code == 1
    assert "ended with status at-bound" in result.stderr
    assert result.stdout == ""
    assert not out.exists()


def test_fit_strict_max_iter_exits_1(files: dict[str, Path]) -> None:
    result = run("fit", files["runs"], "--max-iter", "2", "--strict")
    assert result.exit_code == 1
    assert "status max-iter" in result.stderr


def test_fit_bad_rows_exit_1(files: dict[str, Path]) -> None:
    result = run("fit", files["bad_rows"])
    assert result.exit_code == 1
    assert "column 'loss' (target) must be positive" in result.stderr


def test_fit_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run("fit", tmp_path / "nope.csv")
    assert result.exit_code == 2
    assert "does not exist" in flat(result.stderr)


def test_fit_unknown_suffix_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "runs.txt"
    path.write_text("n_params,n_tokens,loss\n")
    result = run("fit", path)
    assert result.exit_code == 2
    assert "Invalid value for 'DATA'" in flat(result.stderr)
    assert "runs.txt" in flat(result.stderr)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--target", "nosuch"), "target column 'nosuch' is missing"),
        (("--law", "power"), "no column 'x' for input `x` of law 'power'"),
        (("--group", "nosuch"), "group column 'nosuch' is missing"),
    ],
)
def test_fit_missing_column_is_a_usage_error(
    files: dict[str, Path], args: tuple[str, ...], fragment: str
) -> None:
    result = run("fit", files["runs"], *args)
    assert result.exit_code == 2
    assert fragment in result.stderr


def test_fit_missing_input_column_names_the_map_fix(files: dict[str, Path]) -> None:
    result = run("fit", files["renamed"])
    assert result.exit_code == 2
    assert "`--map D=COLUMN`" in result.stderr


def test_fit_missing_weights_column_is_a_usage_error(files: dict[str, Path]) -> None:
    result = run("fit", files["runs"], "--weights", "nosuch")
    assert result.exit_code == 2
    assert "column 'nosuch' (weights) is missing" in result.stderr


def test_fit_unknown_law_is_a_usage_error(files: dict[str, Path]) -> None:
    result = run("fit", files["runs"], "--law", "chinchila")
    assert result.exit_code == 2
    assert "`law` 'chinchila' is not in the catalog" in result.stderr


def test_fit_unparsable_formula_is_a_usage_error(files: dict[str, Path]) -> None:
    result = run("fit", files["runs"], "--law", "E + A*N**")
    assert result.exit_code == 2
    assert "'E + A*N**' cannot be parsed" in result.stderr


def test_fit_unknown_parameter_is_a_usage_error(files: dict[str, Path]) -> None:
    result = run("fit", files["runs"], "--param", "gamma=0:1")
    assert result.exit_code == 2
    assert "has no parameter 'gamma'" in result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--param", "alpha=0.5"), "Invalid value for '--param': must be NAME=LO:HI"),
        (("--param", "alpha=1:0.5"), "LO must be below HI"),
        (("--param", "alpha=a:1"), "'a' is not a number"),
        (("--param", "=0:1"), "Got '=0:1' instead"),
        (("--param", "E=0:", "--param", "E=1:"), "gives E more than once"),
        (("--init", "alpha=0.1:"), "Invalid value for '--init': must be NAME=LO:HI"),
        (("--init", "alpha=inf"), "start values must be finite"),
        (("--map", "N"), "Invalid value for '--map': must be SYMBOL=COLUMN"),
        (("--delta", "0"), "Invalid value for '--delta': must be a positive number"),
        (("--asymmetry", "-1"), "Invalid value for '--asymmetry'"),
        (("--loss", "l1"), "Invalid value for '--loss'"),
        (("--shared", "E"), "Invalid value for '--shared': needs --group"),
        (("--out", "no/such/folder/fit.json"), "folder 'no/such/folder' does not exist"),
    ],
)
def test_fit_bad_option_is_a_usage_error(
    files: dict[str, Path], args: tuple[str, ...], fragment: str
) -> None:
    result = run("fit", files["runs"], *args)
    assert result.exit_code == 2
    assert fragment in flat(result.stderr)


# ----------------------------------------------------------------------------------------------- predict


def test_predict_round_trip_equals_fit_result_predict(
    files: dict[str, Path], fit_file: Path, tmp_path: Path
) -> None:
    points = pl.read_csv(files["points"])
    expected = sl.load(fit_file).predict(points)
    for suffix in (".csv", ".parquet"):
        out = tmp_path / f"predictions{suffix}"
        result = run("predict", fit_file, files["points"], "--out", out)
        assert result.exit_code == 0, result.stderr
        assert "wrote 3 predictions" in result.stderr
        table = pl.read_csv(out) if suffix == ".csv" else pl.read_parquet(out)
        assert table.columns == [*points.columns, "prediction"]
        assert table["name"].to_list() == ["1B", "7B", "70B"]
        # Exact: polars writes floats in CSV with the shortest repr that reads back to the same double.
        np.testing.assert_array_equal(table["prediction"].to_numpy(), expected)


def test_predict_without_out_prints_csv_and_json(files: dict[str, Path], fit_file: Path) -> None:
    expected = sl.load(fit_file).predict(pl.read_csv(files["points"]))
    result = run("predict", fit_file, files["points"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("name,n_params,n_tokens,prediction\n1B,")
    result = run("predict", fit_file, files["points"], "--json")
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["name"] for r in records] == ["1B", "7B", "70B"]
    np.testing.assert_array_equal([r["prediction"] for r in records], expected)


def test_predict_missing_fit_file_is_a_usage_error(files: dict[str, Path], tmp_path: Path) -> None:
    result = run("predict", tmp_path / "nope.json", files["points"])
    assert result.exit_code == 2
    assert "Invalid value for 'FIT'" in flat(result.stderr)


def test_predict_not_a_fit_file_is_a_usage_error(files: dict[str, Path]) -> None:
    result = run("predict", files["not_a_fit"], files["points"])
    assert result.exit_code == 2
    assert "not a scalinglaws fit (schema None)" in flat(result.stderr)


def test_predict_json_array_is_not_a_fit_file(files: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "array.json"
    path.write_text("[]\n")
    result = run("predict", path, files["points"])
    assert result.exit_code == 2
    assert "not a scalinglaws fit (schema 'list')" in flat(result.stderr)


def test_predict_missing_column_is_a_usage_error(files: dict[str, Path], fit_file: Path) -> None:
    result = run("predict", fit_file, files["renamed"])
    assert result.exit_code == 2
    assert "column 'n_tokens' (input `D` of law 'chinchilla') is missing" in result.stderr


def test_predict_unknown_output_suffix_is_a_usage_error(files: dict[str, Path], fit_file: Path) -> None:
    result = run("predict", fit_file, files["points"], "--out", "predictions.txt")
    assert result.exit_code == 2
    assert "Invalid value for '--out'" in flat(result.stderr)
    assert "predictions.txt" in flat(result.stderr)


# ------------------------------------------------------------------------ errors, warnings, help, version


def test_internal_error_exits_101_and_debug_shows_traceback(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(sl, "fit", broken)
    result = run("fit", files["runs"])
    assert result.exit_code == 101
    assert "internal error: ZeroDivisionError: boom" in result.stderr
    assert "--debug" in result.stderr
    assert "Traceback" not in result.stderr
    result = run("--debug", "fit", files["runs"])
    assert result.exit_code == 101
    assert "Traceback (most recent call last)" in result.stderr
    assert 'raise ZeroDivisionError("boom")' in result.stderr


def test_library_warnings_go_to_stderr(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    fit = sl.fit

    def warning_fit(*args: Any, **kwargs: Any) -> sl.FitResult:
        warnings.warn("far outside the data", sl.ExtrapolationWarning, stacklevel=2)
        return fit(*args, **kwargs)

    monkeypatch.setattr(sl, "fit", warning_fit)
    result = run("fit", files["runs"], "--json")
    assert result.exit_code == 0, result.stderr
    assert "warning: far outside the data (ExtrapolationWarning)" in result.stderr
    json.loads(result.stdout)


@pytest.mark.parametrize("command", ["demo", "laws", "fit", "predict"])
def test_every_command_help_has_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert f"scalinglaws {command}" in result.stdout.split("Examples:")[1]


def test_no_arguments_shows_help_with_every_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("demo", "laws", "fit", "predict", "data"):
        assert re.search(rf"│ {command}\s", result.stdout)
    assert "101 internal error" in result.stdout


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"scalinglaws {sl.__version__}"


def test_exit_codes_of_library_errors() -> None:
    assert exit_code(sl.MissingColumnError("x")) == 2
    assert exit_code(sl.LawSpecError("x")) == 2
    assert exit_code(sl.SchemaError("x")) == 2  # a column of text where numbers belong: fix the file
    assert exit_code(sl.DataError("x")) == 1
    assert exit_code(sl.ConvergenceError("x")) == 1
    assert exit_code(sl.NonFiniteFitError("x")) == 1
    assert exit_code(KeyError("x")) == 101
