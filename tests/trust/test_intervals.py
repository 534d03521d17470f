"""Bootstrap variants, prediction intervals and profile-likelihood intervals."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import scalinglaws as sl

TARGET = {"n_params": np.array([1e10, 7e10]), "n_tokens": np.array([2e11, 1.4e12])}


@pytest.fixture(scope="module")
def runs() -> pl.DataFrame:
    return sl.testing.synthetic_runs("chinchilla", n_runs=40, noise=0.01, seed=3)


@pytest.fixture(scope="module")
def fitted(runs: pl.DataFrame) -> sl.FitResult:
    return sl.fit(runs, "chinchilla")


@pytest.mark.parametrize("method", ["pairs", "residual", "wild"])
def test_bootstrap_methods_give_draws_around_the_estimate(
    runs: pl.DataFrame, fitted: sl.FitResult, method: str
) -> None:
    draws = sl.bootstrap(fitted, runs, n_boot=200, seed=1, method=method)  # type: ignore[arg-type]
    assert draws.draws.shape == (200, 5)
    assert draws.n_failed <= 10  # a few resamples may end on the iteration limit; they are dropped
    alpha = draws.interval(0.95)["alpha"]
    assert alpha.lower < fitted.params["alpha"] < alpha.upper
    assert alpha.method == f"bootstrap-{method} ({200 - draws.n_failed} draws)"


def test_bootstrap_is_deterministic_in_its_seed(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    a = sl.bootstrap(fitted, runs, n_boot=50, seed=7)
    b = sl.bootstrap(fitted, runs, n_boot=50, seed=7)
    c = sl.bootstrap(fitted, runs, n_boot=50, seed=8)
    np.testing.assert_array_equal(a.draws, b.draws)
    assert not np.array_equal(a.draws, c.draws)


def test_cluster_bootstrap_resamples_whole_runs(runs: pl.DataFrame) -> None:
    # Two checkpoints per run with the same run id: a cluster draw keeps or drops both together.
    doubled = pl.concat([runs.with_row_index("run_id"), runs.with_row_index("run_id")])
    result = sl.fit(doubled, "chinchilla")
    draws = sl.bootstrap(result, doubled, n_boot=30, seed=0, method="cluster", cluster="run_id")
    assert draws.n_failed == 0
    with pytest.raises(ValueError, match=r"`cluster` \(the run-id column\) must be given exactly when"):
        sl.bootstrap(result, doubled, n_boot=30, method="cluster")
    with pytest.raises(sl.MissingColumnError, match="cluster column 'nope' is missing"):
        sl.bootstrap(result, doubled, n_boot=30, method="cluster", cluster="nope")


def test_prediction_interval_contains_point_and_is_wider_than_confidence(
    runs: pl.DataFrame, fitted: sl.FitResult
) -> None:
    with_draws = fitted.with_bootstrap(sl.bootstrap(fitted, runs, n_boot=200, seed=0))
    point, lo, hi, method = with_draws.predict_interval(TARGET, 0.95, kind="confidence")
    _, plo, phi, _ = with_draws.predict_interval(TARGET, 0.95, kind="prediction")
    assert method.startswith("bootstrap-pairs")
    assert np.all((lo < point) & (point < hi))
    assert np.all((plo < lo) & (hi < phi))
    # The delta method on the covariance and the bootstrap agree on the width to a factor of two at
    # this (mild) extrapolation; they differ more far out, where the law is nonlinear in its parameters.
    _, dlo, dhi, delta_method = fitted.predict_interval(TARGET, 0.95)
    assert delta_method == "delta-method"
    ratio = np.log(hi / lo) / np.log(dhi / dlo)
    assert np.all((ratio > 0.5) & (ratio < 2.0))


def test_bootstrap_draws_survive_save_and_load(tmp_path, runs: pl.DataFrame, fitted: sl.FitResult) -> None:  # type: ignore[no-untyped-def]
    with_draws = fitted.with_bootstrap(sl.bootstrap(fitted, runs, n_boot=20, seed=0))
    with_draws.save(tmp_path / "fit.json")
    loaded = sl.load(tmp_path / "fit.json")
    assert loaded.to_dict() == with_draws.to_dict()
    np.testing.assert_array_equal(loaded.predict_interval(TARGET)[1], with_draws.predict_interval(TARGET)[1])


def test_derived_quantity_interval(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    draws = sl.bootstrap(fitted, runs, n_boot=100, seed=0)
    ratio = draws.interval_of(lambda p: p["beta"] / (p["alpha"] + p["beta"]))
    estimate = fitted.params["beta"] / (fitted.params["alpha"] + fitted.params["beta"])
    assert ratio.lower < estimate < ratio.upper


def test_profile_interval_of_a_linear_law_equals_the_wald_interval() -> None:
    # For least squares on a model linear in its parameters the profile statistic is exactly
    # ((b - b_hat)/se)^2, so the profile interval is b_hat +- 1.96 se; the scan interpolates between
    # grid points, hence the 1e-3 relative tolerance.
    rng = np.random.default_rng(0)
    x = np.linspace(1.0, 10.0, 40)
    data = {"x": x, "loss": 2.0 + 0.5 * x + rng.normal(0, 0.3, x.size)}
    result = sl.fit(data, "a + b*x", loss="squared", space="linear")
    interval = sl.profile(result, data, "b")
    assert interval.method == "profile-likelihood"
    se = result.stderr["b"]  # type: ignore[index]
    assert interval.lower == pytest.approx(result.params["b"] - 1.959964 * se, rel=1e-3)
    assert interval.upper == pytest.approx(result.params["b"] + 1.959964 * se, rel=1e-3)


def test_profile_interval_covers_the_estimate_under_huber(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    interval = sl.profile(fitted, runs, "beta")
    assert interval.lower < fitted.params["beta"] < interval.upper
    with pytest.raises(sl.LawSpecError, match="`name` 'gamma' is not a parameter"):
        sl.profile(fitted, runs, "gamma")


def test_prediction_on_a_table_of_no_rows_is_empty(fitted: sl.FitResult, runs: pl.DataFrame) -> None:
    assert fitted.predict(runs.head(0)).shape == (0,)
    point, lower, upper, _ = fitted.predict_interval(runs.head(0), 0.95, kind="prediction")
    assert point.shape == lower.shape == upper.shape == (0,)


def test_calibration_along_an_axis_with_no_future_leaves_the_intervals_alone(
    fitted: sl.FitResult, runs: pl.DataFrame
) -> None:
    # A split column with one value (one model size, as in the Hitchhiker's Guide families with one
    # smaller model): its only cut leaves every row in the past and nothing in the future to score,
    # which raised a reshape error from the empty prediction.
    one_size = runs.with_columns(pl.lit(1.0).alias("size"))
    assert sl.calibrate(fitted, one_size, split_by="size").interval_scale == 1.0
    assert sl.calibrate(fitted, runs, split_by="n_params").interval_scale != 1.0
