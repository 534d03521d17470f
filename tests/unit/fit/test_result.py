"""FitResult: exact save/load round trip, prediction on every table type, immutability."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import scalinglaws as sl
from scalinglaws import DataError, FitResult, FitStatus, MissingColumnError
from scalinglaws.testing import synthetic_runs


@pytest.fixture(scope="module")
def runs() -> pl.DataFrame:
    return synthetic_runs("chinchilla", n_runs=40, noise=0.01, seed=0)


@pytest.fixture(scope="module")
def result(runs: pl.DataFrame) -> FitResult:
    return sl.fit(runs, "chinchilla", provenance=("synthetic, seed 0",))


@pytest.fixture(scope="module")
def grouped() -> tuple[pl.DataFrame, FitResult]:
    truth = sl.testing.PLANTED["chinchilla"]
    frames = [
        synthetic_runs("chinchilla", {**truth, "E": e}, n_runs=30, noise=0.01, seed=i).with_columns(
            pl.lit(name).alias("arch")
        )
        for i, (name, e) in enumerate([("dense", 1.7), ("moe", 1.9)])
    ]
    data = pl.concat(frames)
    return data, sl.fit(data, "chinchilla", group="arch", shared=["alpha", "beta", "A", "B"])


def assert_same_result(a: FitResult, b: FitResult) -> None:
    """Every field equal, floats bit for bit, arrays with the same dtype and shape."""
    for field in dataclasses.fields(FitResult):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            assert isinstance(y, np.ndarray), field.name
            assert x.dtype == y.dtype, field.name
            assert x.shape == y.shape, field.name
            np.testing.assert_array_equal(x, y, err_msg=field.name)
        elif field.name == "group_covariance" and x is not None:
            assert y is not None
            assert list(x) == list(y)
            for group in x:
                np.testing.assert_array_equal(x[group], y[group], err_msg=group)
        elif field.name == "bootstrap" and x is not None:
            assert y is not None
            assert x.param_names == y.param_names
            np.testing.assert_array_equal(x.draws, y.draws)
            np.testing.assert_array_equal(x.converged, y.converged)
            np.testing.assert_array_equal(x.residuals, y.residuals)
            assert (x.method, x.seed) == (y.method, y.seed)
        else:
            assert x == y, field.name
            assert type(x) is type(y), field.name


# ---------------------------------------------------------------------------------------------------
# save / load


def test_save_load_round_trip_is_exact(result: FitResult, tmp_path: Path) -> None:
    path = tmp_path / "fit.json"
    result.save(path)
    loaded = sl.load(path)
    assert_same_result(result, loaded)
    assert loaded == result
    assert loaded.to_json() == result.to_json()
    # The parts most at risk: the covariance matrix and infinite bounds.
    assert result.covariance is not None
    assert loaded.covariance is not None
    assert loaded.covariance.dtype == np.float64
    np.testing.assert_array_equal(loaded.covariance, result.covariance)
    assert loaded.law.spec("E").upper == math.inf
    assert loaded.config.provenance == ("synthetic, seed 0",)
    assert loaded.status is FitStatus.CONVERGED


def test_saved_file_is_strict_json(result: FitResult, tmp_path: Path) -> None:
    path = tmp_path / "fit.json"
    result.save(path)

    def reject(token: str) -> None:
        raise AssertionError(f"non-standard JSON constant {token}")

    data = json.loads(path.read_text(), parse_constant=reject)
    assert data["law"]["params"][0]["upper"] == {"$float": "inf"}


def test_round_trip_with_infinite_bounds_everywhere(runs: pl.DataFrame, tmp_path: Path) -> None:
    typed = sl.fit(runs, "E + A*N**-alpha + B*D**-beta", bounds={"E": (-math.inf, math.inf)})
    assert all(spec.lower == -math.inf and spec.upper == math.inf for spec in typed.law.params)
    typed.save(tmp_path / "typed.json")
    assert_same_result(typed, sl.load(tmp_path / "typed.json"))


def test_round_trip_without_covariance(runs: pl.DataFrame, tmp_path: Path) -> None:
    redundant = sl.fit(runs, "E + A*B*N**-alpha")
    assert redundant.covariance is None
    assert redundant.stderr is None
    redundant.save(tmp_path / "redundant.json")
    assert_same_result(redundant, sl.load(tmp_path / "redundant.json"))


def test_round_trip_of_a_grouped_fit(
    grouped: tuple[pl.DataFrame, FitResult], tmp_path: Path
) -> None:
    _, fitted = grouped
    fitted.save(tmp_path / "grouped.json")
    loaded = sl.load(tmp_path / "grouped.json")
    assert_same_result(fitted, loaded)
    assert loaded.groups is not None
    assert set(loaded.groups) == {"dense", "moe"}


def test_round_trip_with_bootstrap_draws(
    result: FitResult, runs: pl.DataFrame, tmp_path: Path
) -> None:
    with_draws = result.with_bootstrap(sl.bootstrap(result, runs, n_boot=8, seed=3))
    with_draws.save(tmp_path / "boot.json")
    assert_same_result(with_draws, sl.load(tmp_path / "boot.json"))


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"`path` of load: no file at '.*nothing\.json'"):
        sl.load(tmp_path / "nothing.json")


def test_load_a_file_that_is_not_a_fit(tmp_path: Path) -> None:
    path = tmp_path / "runs.json"
    path.write_text("N,D,loss\n1,2,3\n")
    with pytest.raises(DataError, match=r"'.*runs\.json': not a scalinglaws fit: the text is not JSON"):
        sl.load(path)


@pytest.mark.parametrize("content", ['{"schema": 99}', "[1, 2]"])
def test_load_a_fit_of_another_schema(tmp_path: Path, content: str) -> None:
    path = tmp_path / "future.json"
    path.write_text(content)
    with pytest.raises(
        DataError, match=r"not a scalinglaws fit \(schema .*\); this version reads schema 1"
    ):
        sl.load(path)


def test_load_an_incomplete_fit(result: FitResult, tmp_path: Path) -> None:
    data = json.loads(result.to_json())
    del data["params"]
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DataError, match=r"not a valid scalinglaws fit: it lacks \['params'\]"):
        sl.load(path)


# ---------------------------------------------------------------------------------------------------
# predict


def expected_loss(result: FitResult, frame: pl.DataFrame) -> np.ndarray:
    p = result.params
    n, d = frame["n_params"].to_numpy(), frame["n_tokens"].to_numpy()
    return p["E"] + p["A"] / n ** p["alpha"] + p["B"] / d ** p["beta"]


def test_predict_on_polars_pandas_and_dict(result: FitResult, runs: pl.DataFrame) -> None:
    expected = expected_loss(result, runs)
    from_polars = result.predict(runs)
    from_pandas = result.predict(runs.to_pandas())
    from_dict = result.predict(
        {"n_params": runs["n_params"].to_list(), "n_tokens": runs["n_tokens"].to_list()}
    )
    # The formula evaluated by sympy's NumPy code versus by hand: a few ulps.
    np.testing.assert_allclose(from_polars, expected, rtol=1e-14)
    np.testing.assert_array_equal(from_pandas, from_polars)
    np.testing.assert_array_equal(from_dict, from_polars)
    assert from_polars.dtype == np.float64
    assert from_polars.shape == (runs.height,)


def test_predict_ignores_extra_columns_and_needs_no_target(
    result: FitResult, runs: pl.DataFrame
) -> None:
    new = runs.select("n_params", "n_tokens").with_columns(pl.lit("x").alias("note"))
    np.testing.assert_array_equal(result.predict(new), result.predict(runs))


def test_predict_uses_the_fit_mapping(runs: pl.DataFrame) -> None:
    renamed = runs.rename({"n_params": "params", "n_tokens": "tokens"})
    mapped = sl.fit(renamed, "chinchilla", mapping={"N": "params", "D": "tokens"})
    assert mapped.config.mapping == {"N": "params", "D": "tokens"}
    p = mapped.params
    expected = (
        p["E"]
        + p["A"] / renamed["params"].to_numpy() ** p["alpha"]
        + p["B"] / renamed["tokens"].to_numpy() ** p["beta"]
    )
    np.testing.assert_allclose(mapped.predict(renamed), expected, rtol=1e-14)  # as above
    with pytest.raises(
        MissingColumnError,
        match=r"column 'params' \(input `N` of law 'chinchilla'\) is missing from the data to predict",
    ):
        mapped.predict(runs)


def test_predict_missing_column(result: FitResult, runs: pl.DataFrame) -> None:
    with pytest.raises(
        MissingColumnError,
        match=r"column 'n_tokens' \(input `D` of law 'chinchilla'\) is missing from the data to predict\. "
        r"Available columns: \['n_params'\]",
    ):
        result.predict(runs.select("n_params"))


def test_predict_rejects_other_types(result: FitResult) -> None:
    with pytest.raises(
        DataError,
        match=r"`data` of predict must be a polars or pandas DataFrame or a mapping of column -> values\. Got list instead",
    ):
        result.predict([[1e9, 2e10]])


def test_grouped_predict_uses_each_group_parameters(
    grouped: tuple[pl.DataFrame, FitResult],
) -> None:
    data, fitted = grouped
    assert fitted.groups is not None
    prediction = fitted.predict(data)
    for group, params in fitted.groups.items():
        rows = data.filter(pl.col("arch") == group)
        expected = sl.get_law("chinchilla").predict(
            params, {"N": rows["n_params"].to_numpy(), "D": rows["n_tokens"].to_numpy()}
        )
        np.testing.assert_array_equal(prediction[(data["arch"] == group).to_numpy()], expected)
    # The groups differ only in E: the prediction gap between them is that difference everywhere.
    both = pl.concat([data.head(3).with_columns(pl.lit(g).alias("arch")) for g in ("dense", "moe")])
    gap = fitted.predict(both)[3:] - fitted.predict(both)[:3]
    np.testing.assert_allclose(
        gap, fitted.groups["moe"]["E"] - fitted.groups["dense"]["E"], rtol=1e-12
    )
    np.testing.assert_array_equal(fitted.predict(data.to_pandas()), prediction)


def test_grouped_predict_errors(grouped: tuple[pl.DataFrame, FitResult]) -> None:
    data, fitted = grouped
    with pytest.raises(
        MissingColumnError,
        match=r"column 'arch' \(the fit's group column\) is missing from the data to predict",
    ):
        fitted.predict(data.drop("arch"))
    with pytest.raises(
        DataError,
        match=r"column 'arch' has groups \['ssm'\] that the fit has not seen; fitted groups: \['dense', 'moe'\]",
    ):
        fitted.predict(data.with_columns(pl.lit("ssm").alias("arch")))
    with pytest.raises(
        DataError,
        match=r"`group` must be one of the fitted groups \['dense', 'moe'\]\. Got 'ssm' instead",
    ):
        fitted.params_for("ssm")


def test_params_for(result: FitResult, grouped: tuple[pl.DataFrame, FitResult]) -> None:
    assert result.params_for() == result.params
    _, fitted = grouped
    dense = fitted.params_for("dense")
    assert dense["alpha"] == fitted.params["alpha"]
    assert dense["E"] == fitted.params["E[dense]"]


# ---------------------------------------------------------------------------------------------------
# Immutability and presentation


def test_result_is_frozen(result: FitResult) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = FitStatus.ABNORMAL  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.params = {}  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.config.loss = "squared"  # type: ignore[misc]


def test_serialised_forms_are_copies(result: FitResult) -> None:
    before = result.to_json()
    data = result.to_dict()
    data["params"]["E"] = -1.0
    data["config"]["mapping"]["N"] = "other"
    if data["covariance"] is not None:
        data["covariance"][0][0] = -1.0
    assert result.to_json() == before


def test_result_contents_cannot_be_changed_in_place(runs: pl.DataFrame) -> None:
    fresh = sl.fit(runs, "chinchilla")
    with pytest.raises(TypeError):
        fresh.params["E"] = 0.0  # type: ignore[index]
    assert fresh.covariance is not None
    with pytest.raises(ValueError, match="read-only"):
        fresh.covariance[0, 0] = 0.0


def test_equality(result: FitResult, runs: pl.DataFrame) -> None:
    assert result == FitResult.from_json(result.to_json())
    assert result != sl.fit(runs, "chinchilla", loss="squared")
    assert result != "not a result"


def test_repr_and_summary(result: FitResult) -> None:
    assert repr(result).startswith("FitResult('chinchilla', converged, E=")
    summary = result.summary()
    assert "status: converged" in summary
    for name in result.params:
        assert name in summary
