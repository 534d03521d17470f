"""Averaging laws by leave-future-out stacking."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import scalinglaws as sl


@pytest.fixture(scope="module")
def runs() -> pl.DataFrame:
    return sl.testing.synthetic_runs("chinchilla", n_runs=60, noise=0.01, seed=5)


def test_the_true_law_takes_the_weight(runs: pl.DataFrame) -> None:
    mixture = sl.average(["chinchilla", "E + A*N**-alpha"], runs)
    assert mixture.weights.sum() == pytest.approx(1.0)
    assert mixture.labels[0] == "chinchilla"
    # Chinchilla forecasts the held-out large runs; a law without D cannot.
    assert mixture.weights[0] > 0.9
    assert mixture.errors[0] < mixture.errors[1]
    assert mixture.lfo_error <= min(mixture.errors) * (1 + 1e-6)


def test_mixture_predictions_and_intervals(runs: pl.DataFrame) -> None:
    fits = [sl.fit(runs, "chinchilla"), sl.fit(runs, "kaplan_nd")]
    mixture = sl.average(fits, runs)
    point, lower, upper, method = mixture.predict_interval(runs.head(5), 0.9)
    assert np.all(lower < point)
    assert np.all(point < upper)
    assert method.startswith("mixture of 2 candidates")
    single = fits[int(np.argmax(mixture.weights))].predict(runs.head(5))
    if mixture.weights.max() > 0.999:
        assert np.allclose(point, single)
    assert "held-out error" in mixture.summary()
    assert mixture.to_dict()["candidates"][0]["label"] == "chinchilla"


def test_average_needs_two_candidates(runs: pl.DataFrame) -> None:
    with pytest.raises(sl.ArgumentError, match=r"`candidates` of average needs at least two fits"):
        sl.average(["chinchilla"], runs)
    with pytest.raises(sl.ArgumentError, match=r"`by` of average must be 'backtest'"):
        sl.average(["chinchilla", "kaplan_nd"], runs, by="aic")  # type: ignore[arg-type]


def test_average_along_an_axis_with_one_value_says_so(runs: pl.DataFrame) -> None:
    # One model size: nothing lies beyond the training runs along N, so no stacking weights exist.
    one_size = runs.with_columns(pl.lit(1e8).alias("n_params"))
    fits = [sl.fit(runs, "chinchilla"), sl.fit(runs, "kaplan_nd")]
    with pytest.raises(sl.DataError, match=r"`split_by` axis 'N' of average has a single value \(1e\+08\)"):
        sl.average(fits, one_size, split_by="N")


def test_a_few_outlying_runs_do_not_decide_the_weights(runs: pl.DataFrame) -> None:
    # Three of the largest runs read 40% high (a diverged eval, a logging slip). Chinchilla still
    # forecasts the other held-out runs to the noise; squared-error stacking let those three runs hand
    # most of the weight to a law that is off on all of them, and the mixture was worse than Chinchilla
    # alone on the error every candidate is scored by.
    largest = np.argsort(runs["n_params"].to_numpy() * runs["n_tokens"].to_numpy())[-3:]
    loss = runs["loss"].to_numpy().copy()
    loss[largest] *= 1.4
    spoiled = runs.with_columns(loss=pl.Series(loss))
    mixture = sl.average(["chinchilla", "E + A*N**-alpha"], spoiled)
    assert mixture.errors[0] < mixture.errors[1]
    assert mixture.weights[0] > 0.5
    assert mixture.lfo_error <= min(mixture.errors) * (1 + 1e-6)
