"""Compute-optimal allocation: published Chinchilla numbers, closed form vs numeric, intervals, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws.plan import allocate, cost_model

GOPHER_FLOPS = 5.76e23
# Hoffmann et al.'s unrounded Approach-3 parameters as used in Epoch's replication notebook (catalog §2c).
UNROUNDED = {
    "E": math.exp(0.5267228), "A": math.exp(6.0073404), "B": math.exp(6.0179186),
    "alpha": 0.33917084, "beta": 0.2849083,
}


def test_hoffmann_rounded_constants_reproduce_catalog_golden_values() -> None:
    # Catalog Appendix B, rounded constants at C = 5.76e23: a = 0.4516, G = 1.3447, N_opt = 32.19B,
    # D_opt = 2.982T. Tolerance: half a unit in the last printed digit (the values are rounded).
    plan = allocate(law="chinchilla", preset="hoffmann2022", flops=GOPHER_FLOPS)
    assert plan.method == "closed-form"
    assert plan.exponent_a == pytest.approx(0.4516, abs=5e-5)
    assert plan.exponent_b == pytest.approx(1 - 0.4516, abs=5e-5)
    g = plan.n_params[0] / (GOPHER_FLOPS / 6) ** plan.exponent_a
    assert g == pytest.approx(1.3447, abs=5e-5)
    assert plan.n_params[0] == pytest.approx(32.19e9, abs=0.005e9)
    assert plan.n_tokens[0] == pytest.approx(2.982e12, abs=0.0005e12)
    assert 6 * plan.n_params[0] * plan.n_tokens[0] == pytest.approx(GOPHER_FLOPS, rel=1e-12)


def test_hoffmann_unrounded_constants_give_about_40b_at_gopher_compute() -> None:
    # Catalog Appendix B: N_opt = 40.36B, D_opt = 2.379T (Hoffmann Fig. 4 caption: "about 40B").
    # Tolerance: half a unit in the last printed digit.
    plan = allocate(law="chinchilla", params=UNROUNDED, flops=GOPHER_FLOPS)
    assert plan.n_params[0] == pytest.approx(40.36e9, abs=0.005e9)
    assert plan.n_tokens[0] == pytest.approx(2.379e12, abs=0.0005e12)


def test_epoch_refit_gives_published_exponent() -> None:
    # Besiroglu et al. 2024: a = beta/(alpha+beta) = 0.513 (printed to 3 digits); catalog: at 5.76e23
    # N_opt ~ 72B, D_opt ~ 1.33T, D/N ~ 18 (local recomputation, 2 digits).
    plan = allocate(law="chinchilla", preset="epoch2024", flops=GOPHER_FLOPS)
    assert plan.exponent_a == pytest.approx(0.513, abs=5e-4)
    assert plan.n_params[0] == pytest.approx(72e9, rel=0.01)
    assert plan.n_tokens[0] == pytest.approx(1.33e12, rel=0.01)
    assert plan.tokens_per_param[0] == pytest.approx(18, abs=0.5)


def test_muennighoff_frontier_golden_values() -> None:
    # Catalog Appendix B: Chinchilla frontier of the Muennighoff step-1 constants at 5.76e23 gives
    # N_opt = 69,962,173,313.5 and D_opt = 1,372,170,066,384 (the datablations "Gopher" printout).
    # The Muennighoff law with an unlimited pool (U = D) reduces to that Chinchilla law; the numeric
    # search must land on it to 1e-6 (its golden-section tolerance is far tighter; the flat minimum
    # limits the location to about sqrt(machine epsilon) in relative terms).
    law = sl.get_law("muennighoff")
    p = law.presets["muennighoff2023"]
    chinchilla_params = {k: p[k] for k in ("E", "A", "B", "alpha", "beta")}
    closed = allocate(law="chinchilla", params=chinchilla_params, flops=GOPHER_FLOPS)
    assert closed.n_params[0] == pytest.approx(69_962_173_313.5, rel=1e-9)
    assert closed.n_tokens[0] == pytest.approx(1_372_170_066_384, rel=1e-9)
    assert closed.exponent_a == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("flops", [1e19, 1e22, 1e25])
def test_numeric_search_matches_closed_form(flops: float) -> None:
    # A cost formula the closed form does not recognise forces the numeric path on the same problem.
    # Tolerance 1e-6 relative: the loss is flat at its minimum, so the argmin is located to about the
    # square root of machine precision.
    closed = allocate(law="chinchilla", preset="epoch2024", flops=flops)
    numeric = allocate(law="chinchilla", preset="epoch2024", flops=flops, cost="6*D*N + 0*N")
    assert numeric.method == "numeric"
    np.testing.assert_allclose(numeric.n_params, closed.n_params, rtol=1e-6)
    np.testing.assert_allclose(numeric.n_tokens, closed.n_tokens, rtol=1e-6)
    # Fitted exponents over 2 decades equal the closed form (the frontier is an exact power law).
    assert numeric.exponent_a == pytest.approx(closed.exponent_a, abs=1e-6)


def test_nonlinear_cost_model_is_solved_by_bisection() -> None:
    # A cost quadratic in D has no affine inverse: D is found by bisection, and the optimum spends the
    # budget exactly (to the bisection's 100 halvings of 80 nats, i.e. machine precision).
    plan = allocate(law="chinchilla", preset="hoffmann2022", flops=1e22, cost="6*N*D + 1e-12*N*D**2")
    n, d = plan.n_params[0], plan.n_tokens[0]
    assert 6 * n * d + 1e-12 * n * d**2 == pytest.approx(1e22, rel=1e-9)
    # Inference-like costs that grow faster in D push towards fewer tokens than 6ND alone.
    assert d < allocate(law="chinchilla", preset="hoffmann2022", flops=1e22).n_tokens[0]


def test_gadre_law_in_compute_and_multiplier_is_supported() -> None:
    # Gadre's law is the Chinchilla form with alpha = beta = 2*eta; its optimal token multiplier is
    # (b/a)^(1/(2 eta)) at every budget (derivative of a M^eta + b M^-eta), so a = b = 1/2.
    params = {"E": 1.84, "a": 212.0, "b": 367.0, "eta": 0.136}
    plan = allocate(law="gadre_overtrain", params=params, flops=[1e20, 1e22])
    expected_ratio = (367.0 / 212.0) ** (1 / (2 * 0.136))
    np.testing.assert_allclose(plan.tokens_per_param, expected_ratio, rtol=1e-6)
    assert plan.exponent_a == pytest.approx(0.5, abs=1e-6)


def test_bootstrap_draws_give_intervals_that_contain_the_point() -> None:
    runs = sl.testing.synthetic_runs("chinchilla", n_runs=30, seed=3)
    result = sl.fit(runs, "chinchilla")
    draws = sl.bootstrap(result, runs, n_boot=60, seed=1)
    plan = allocate(result.with_bootstrap(draws), flops=[1e21, 1e23])
    assert plan.n_draws == int(draws.converged.sum())
    for key in ("n_params", "n_tokens", "predicted_loss"):
        lo, hi = plan.intervals[key]
        value = getattr(plan, key)
        assert np.all(lo <= value), key
        assert np.all(value <= hi), key
    lo, hi = plan.intervals["exponent_a"]
    assert lo <= plan.exponent_a <= hi
    # Bootstrap exponent interval agrees with the draws' own a = beta/(alpha+beta).
    interval = draws.interval_of(lambda p: p["beta"] / (p["alpha"] + p["beta"]), 0.95)
    assert float(lo) == pytest.approx(interval.lower, rel=1e-9)
    doc = plan.to_dict()
    assert doc["prob"] == 0.95
    assert doc["budgets"][0]["n_params_lower"] <= doc["budgets"][0]["n_params"] <= doc["budgets"][0]["n_params_upper"]
    assert doc["exponent_a_interval"] == [float(lo), float(hi)]


def test_planted_truth_optimum_is_recovered_from_a_fit() -> None:
    # The fitted optimum at 1e21 (10x beyond the largest synthetic run) is within 25% of the planted
    # law's: the synthetic design's extrapolation error on N* (its exponent error times ~2 decades).
    runs = sl.testing.synthetic_runs("chinchilla", n_runs=40, noise=0.005, seed=0)
    result = sl.fit(runs, "chinchilla")
    truth = sl.testing.synthetic.PLANTED["chinchilla"]
    fitted = allocate(result, flops=1e21)
    planted = allocate(law="chinchilla", params=truth, flops=1e21)
    assert fitted.n_params[0] == pytest.approx(planted.n_params[0], rel=0.25)


def test_no_interior_optimum_raises() -> None:
    # With beta = 0 the data term is constant: the loss keeps falling as N grows along 6ND = C.
    params = {"E": 1.7, "A": 400.0, "B": 400.0, "alpha": 0.3, "beta": 0.0}
    with pytest.raises(ValueError, match="no interior compute-optimal allocation"):
        allocate(law="chinchilla", params=params, flops=1e21, cost="6*N*D + 0*N")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"flops": -1.0, "law": "chinchilla", "preset": "hoffmann2022"}, "`flops` of allocate must be"),
        ({"flops": [], "law": "chinchilla", "preset": "hoffmann2022"}, "`flops` of allocate must be"),
        ({"flops": 1e20, "law": "chinchilla", "preset": "nope"}, "`preset` of allocate must be one of"),
        ({"flops": 1e20, "law": "chinchilla"}, "needs exactly one of `preset`"),
        ({"flops": 1e20, "law": "chinchilla", "params": {"E": 1.0}}, "Missing"),
        ({"flops": 1e20}, "needs `result`"),
        ({"flops": 1e20, "law": "chinchilla", "preset": "hoffmann2022", "prob": 1.5}, "`prob` of allocate"),
        ({"flops": 1e20, "law": "power", "params": {"E": 1, "A": 1, "alpha": 0.3}}, "must have inputs N and D"),
    ],
)
def test_invalid_arguments_raise(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        allocate(**kwargs)


def test_result_with_law_raises_and_wrong_type_raises() -> None:
    runs = sl.testing.synthetic_runs("chinchilla", n_runs=20, seed=2)
    result = sl.fit(runs, "chinchilla")
    with pytest.raises(ValueError, match="must be given alone"):
        allocate(result, flops=1e20, preset="hoffmann2022")
    with pytest.raises(TypeError, match="must be a FitResult"):
        allocate("chinchilla", flops=1e20)  # type: ignore[arg-type]


def test_cost_model_rejects_other_names() -> None:
    with pytest.raises(sl.LawSpecError, match="`cost` must be a formula in N and D"):
        cost_model("6*N*T")
    assert cost_model("6ND").formula == "6*N*D"
