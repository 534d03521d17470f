"""Test-time compute planning: samples versus model size at a fixed inference budget."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import scalinglaws as sl
from scalinglaws.errors import ArgumentError
from scalinglaws.plan import allocate_samples

SMALL = {"a": -1.2, "b": -0.35}
LARGE = {"a": -0.6, "b": -0.3}


def coverage_runs(params: dict[str, float], seed: int, noise: float = 0.01) -> pl.DataFrame:
    k = np.unique(np.geomspace(1, 1e4, 40).round())
    clean = sl.get_law("brown_coverage").predict(params, {"k": k})
    rng = np.random.default_rng(seed)
    return pl.DataFrame({"k": k, "loss": clean * np.exp(rng.normal(0.0, noise, k.size))})


def fitted(params: dict[str, float], seed: int) -> sl.FitResult:
    runs = coverage_runs(params, seed)
    result = sl.fit(runs, "brown_coverage", seed=seed)
    return result.with_bootstrap(sl.bootstrap(result, runs, n_boot=60, seed=seed))


def test_budget_buys_samples_through_the_cost_model_and_picks_the_best_model() -> None:
    plan = allocate_samples({8e9: SMALL, 70e9: LARGE}, law="brown_coverage", flops=[1e15, 5e13],
                            tokens_per_sample=500)
    # 2 N D = flops: D = 1e15 / 1.6e10 = 62,500 tokens, 125 samples of 500 for the 8B model, 14 for 70B.
    assert plan.samples[0].tolist() == [125, 14]
    law = sl.get_law("brown_coverage")
    expected = [float(law.predict(SMALL, {"k": np.array([125.0])})[0]),
                float(law.predict(LARGE, {"k": np.array([14.0])})[0])]
    np.testing.assert_allclose(plan.coverage[0], expected, rtol=1e-12)
    assert plan.best_n_params[0] == 8e9
    # At 5e13 FLOPs the 70B model cannot afford one sample (357 tokens): its coverage is undefined.
    assert plan.samples[1].tolist() == [6, 0]
    assert np.isnan(plan.coverage[1, 1])
    assert plan.best_n_params[1] == 8e9
    assert plan.intervals == {}
    assert plan.prob_best is None


def test_intervals_and_probability_of_being_best_come_from_bootstrap_draws() -> None:
    plan = allocate_samples({8e9: fitted(SMALL, 1), 70e9: fitted(LARGE, 2)}, flops=1e15, tokens_per_sample=500)
    lo, hi = plan.intervals["coverage"]
    assert np.all(lo[0] <= plan.coverage[0])
    assert np.all(plan.coverage[0] <= hi[0])
    assert plan.n_draws == 60
    assert plan.prob_best is not None
    assert plan.prob_best[0].sum() == pytest.approx(1.0)
    # The planted gap (0.80 against 0.76 coverage) is ~10x the fits' spread: the 8B model wins
    # in (nearly) every draw.
    assert plan.prob_best[0, 0] > 0.9
    doc = plan.to_dict()
    assert doc["budgets"][0]["candidates"][0]["coverage_lower"] <= doc["budgets"][0]["best_coverage"]


def test_a_verifier_ceiling_can_reverse_the_choice() -> None:
    # The small model's curve keeps rising, but if its verifier certifies only 70% of problems the
    # capped success rate loses to the larger model's.
    capped = {**SMALL, "c": 0.7}
    plan = allocate_samples({8e9: capped, 70e9: {**LARGE, "c": 1.0}}, law="brown_coverage_ceiling",
                            flops=1e15, tokens_per_sample=500)
    assert plan.best_n_params[0] == 70e9


def test_errors_name_the_argument() -> None:
    with pytest.raises(ArgumentError, match="at least one model size"):
        allocate_samples({}, flops=1e15, tokens_per_sample=500)
    with pytest.raises(ArgumentError, match="positive finite model sizes"):
        allocate_samples({-1.0: SMALL}, law="brown_coverage", flops=1e15, tokens_per_sample=500)
    with pytest.raises(ArgumentError, match="`tokens_per_sample`"):
        allocate_samples({8e9: SMALL}, law="brown_coverage", flops=1e15, tokens_per_sample=0)
    with pytest.raises(ArgumentError, match="needs `law`"):
        allocate_samples({8e9: SMALL}, flops=1e15, tokens_per_sample=500)
    with pytest.raises(ArgumentError, match="number of samples k alone"):
        allocate_samples({8e9: {"E": 1.0, "A": 1.0, "alpha": 0.3}}, law="power", flops=1e15,
                         tokens_per_sample=500)
    with pytest.raises(ArgumentError, match="can afford one sample"):
        allocate_samples({8e9: SMALL}, law="brown_coverage", flops=1e3, tokens_per_sample=500)
