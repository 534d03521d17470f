"""``compare``: compute multiplier, crossover and win probability of two fitted laws, with intervals."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
import pytest

import scalinglaws as sl

TRUTH = dict(sl.testing.PLANTED["chinchilla"])
K = 2.0
# B reads its data k times less efficiently: L_B(N, D) = L_A(N, D/k), so B's compute-optimal loss at
# compute C is A's at C/k, and B needs exactly k times A's compute at every scale.
SLOWER = dict(TRUTH, B=TRUTH["B"] * K ** TRUTH["beta"])


def _fit(params: dict[str, float], seed: int, n_boot: int = 100) -> tuple[sl.FitResult, pl.DataFrame]:
    runs = sl.testing.synthetic_runs("chinchilla", params, seed=seed)
    fit = sl.fit(runs, "chinchilla")
    return fit.with_bootstrap(sl.bootstrap(fit, runs, n_boot=n_boot, seed=seed)), runs


@pytest.fixture(scope="module")
def fits() -> tuple[sl.FitResult, sl.FitResult]:
    return _fit(TRUTH, 1)[0], _fit(SLOWER, 2)[0]


def _power(amplitude: float, exponent: float, seed: int) -> sl.FitResult:
    rng = np.random.default_rng(seed)
    x = np.geomspace(1e6, 1e12, 40)
    runs = pl.DataFrame({"flops": x, "loss": (2.0 + amplitude * x**-exponent) * np.exp(rng.normal(0, 0.005, 40))})
    fit = sl.fit(runs, "power", mapping={"x": "flops"})
    return fit.with_bootstrap(sl.bootstrap(fit, runs, n_boot=100, seed=seed))


def test_planted_multiplier_is_recovered_with_a_covering_interval(fits: tuple[sl.FitResult, sl.FitResult]) -> None:
    a, b = fits
    result = sl.compare(a, b, flops=[1e19, 1e20], target=1e20)
    lower, upper = result.multiplier_interval
    assert np.all(lower <= K)
    assert np.all(upper >= K)
    # Inside the ladders' compute (up to ~1e20), 60 runs with 1% noise pin the multiplier to 15%.
    np.testing.assert_allclose(result.multiplier, K, rtol=0.15)
    assert result.scale == "compute"
    assert result.method == "joint bootstrap (independent, 100 draws)"
    assert result.leader == "A"
    assert result.probability_a_better is not None
    assert result.probability_a_better > 0.9  # A is better everywhere by construction
    text = result.summary()
    assert "compute multiplier (B's compute to match A's loss, / A's)" in text
    assert "P(A better at 1e+20) = " in text
    document = result.to_dict()
    assert document["scales"][0]["multiplier"] == pytest.approx(float(result.multiplier[0]))


def test_crossover_of_two_power_laws_is_covered() -> None:
    # 2 + 100 x^-0.3 overtakes 2 + 30 x^-0.25 where 100 x^-0.3 = 30 x^-0.25: x = (10/3)^20 = 2.87e10.
    a, b = _power(100.0, 0.3, seed=1), _power(30.0, 0.25, seed=2)
    result = sl.compare(a, b, flops=[1e8, 1e10], target=1e13, crossover_range=(1e7, 1e13))
    truth = (10 / 3) ** 20
    assert result.leader == "A"
    low, high = result.crossover_interval
    assert low <= truth <= high
    # The estimate is within a factor 3 of the truth: the two curves meet at a shallow angle (their
    # slopes differ by 0.05 in log-log), so a small error in either moves the crossing a lot.
    assert truth / 3 < result.crossover < truth * 3
    # Below the crossover B is ahead: A needs more, i.e. B needs less than A's compute (multiplier < 1).
    assert result.multiplier[0] < 1
    assert result.probability_a_better is not None
    assert result.probability_a_better > 0.5


def test_paired_comparison_of_two_laws_on_the_same_runs() -> None:
    fit, runs = _fit(TRUTH, 3, n_boot=60)
    other = sl.fit(runs, "kaplan_nd")
    other = other.with_bootstrap(sl.bootstrap(other, runs, n_boot=60, seed=3))
    result = sl.compare(fit, other, flops=[1e20], pairing="paired")
    assert result.method.startswith("joint bootstrap (paired, ")  # draws that converged in both fits
    assert np.isfinite(result.multiplier[0])
    mismatched = other.with_bootstrap(sl.bootstrap(other, runs, n_boot=60, seed=4))
    with pytest.raises(sl.ArgumentError, match=r"cannot have resampled the same runs"):
        sl.compare(fit, mismatched, flops=[1e20], pairing="paired")


def test_arguments_are_checked(fits: tuple[sl.FitResult, sl.FitResult]) -> None:
    a, b = fits
    with pytest.raises(sl.ArgumentError, match=r"`fit_b` of compare must be a FitResult"):
        sl.compare(a, "b.json", flops=[1e20])  # type: ignore[arg-type]
    with pytest.raises(sl.ArgumentError, match=r"`flops` of compare must be one or more positive finite scales"):
        sl.compare(a, b, flops=[-1.0])
    with pytest.raises(sl.ArgumentError, match=r"`prob` of compare must be strictly between 0 and 1"):
        sl.compare(a, b, flops=[1e20], prob=1.0)
    with pytest.raises(sl.ArgumentError, match=r"`target` of compare must be a positive number"):
        sl.compare(a, b, flops=[1e20], target=0.0)
    with pytest.raises(sl.ArgumentError, match=r"`crossover_range` of compare must be \(lo, hi\)"):
        sl.compare(a, b, flops=[1e20], crossover_range=(1e22, 1e20))
    with pytest.raises(sl.FitError, match=r"needs bootstrap draws of the fit_b"):
        sl.compare(a, replace(b, bootstrap=None), flops=[1e20])


def test_fits_must_share_a_scale(fits: tuple[sl.FitResult, sl.FitResult]) -> None:
    runs = sl.testing.synthetic_runs("power", n_runs=20, seed=0)
    on_x = sl.fit(runs, "power")
    with pytest.raises(sl.ArgumentError, match=r"must share their scale"):
        sl.compare(fits[0], on_x, flops=[1e20])
    grouped = sl.fit(runs.with_columns(group=pl.Series(["a", "b"] * 10)), "power", group="group")
    with pytest.raises(sl.ArgumentError, match=r"must be ungrouped"):
        sl.compare(grouped, on_x, flops=[1e20])
    two_inputs = sl.fit(
        runs.with_columns(z=pl.col("x") * 2), "E + A*x**-alpha + c*z", mapping={"x": "x", "z": "z"}
    )
    with pytest.raises(sl.ArgumentError, match=r"must have inputs N and D \(or C and M\), or a single input"):
        sl.compare(two_inputs, on_x, flops=[1e20])
