"""The contract every registered law meets (our `estimator_checks`).

Parametrised over ``scalinglaws.list_laws()``: a law added to the catalog is checked here without
writing a test for it, and must come with planted parameters in ``scalinglaws.testing.PLANTED``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

import numpy as np
import pytest
from conftest import law_inputs

import scalinglaws as sl
from scalinglaws.data import strict_json
from scalinglaws.laws import Law
from scalinglaws.testing import PLANTED

LAWS = sl.list_laws()


def law_id(law: Law) -> str:
    return law.name


def domain(law: Law, n_runs: int = 60) -> dict[str, np.ndarray]:
    """Input values spanning the law's domain: the design ``synthetic_runs`` draws for it (model sizes,
    tokens, compute, learning rates, mixture shares... each in the range the law is meant for)."""
    return law_inputs(law, sl.testing.synthetic_runs(law, n_runs=n_runs, noise=0.0, seed=0))


def parameter_sets(law: Law) -> dict[str, Mapping[str, float]]:
    """The planted values and every published preset of ``law``."""
    return {"planted": PLANTED[law.name], **law.presets}


def _call(function: object, inputs: list[np.ndarray], values: list[float]) -> np.ndarray:
    n = inputs[0].shape
    return np.broadcast_to(np.asarray(function(*inputs, *values), dtype=float), n)  # type: ignore[operator]


@pytest.fixture(params=LAWS, ids=law_id)
def law(request: pytest.FixtureRequest) -> Law:
    return request.param  # type: ignore[no-any-return]


def test_law_has_planted_parameters(law: Law) -> None:
    assert law.name in PLANTED, (
        f"add planted parameters for {law.name!r} to scalinglaws.testing.PLANTED"
    )
    assert set(PLANTED[law.name]) == set(law.param_names)


def test_law_is_documented(law: Law) -> None:
    assert law.name
    assert law.description
    assert law.reference
    assert set(law.conventions) == set(law.inputs), (
        "every input needs its convention (units, what counts)"
    )


def test_finite_on_its_domain(law: Law) -> None:
    grid = domain(law)
    for label, params in parameter_sets(law).items():
        with np.errstate(all="raise"):  # no overflow, division by zero or invalid value anywhere
            values = law.predict(params, grid)
        assert np.all(np.isfinite(values)), label


def test_positive_at_the_planted_values(law: Law) -> None:
    # Synthetic runs (and the recovery tests) fit in log space. Presets need not be positive: some
    # laws predict a normalised loss that is negative at the published constants (Tao et al.).
    assert np.all(law.predict(PLANTED[law.name], domain(law)) > 0)


def test_planted_and_preset_values_lie_inside_the_bounds(law: Law) -> None:
    for label, params in parameter_sets(law).items():
        for name, value in params.items():
            spec = law.spec(name)
            assert math.isfinite(value), (label, name)
            assert spec.lower <= value <= spec.upper, (label, name, value)


def test_presets_give_exactly_the_law_parameters(law: Law) -> None:
    for label, params in law.presets.items():
        assert set(params) == set(law.param_names), label


def test_initial_ranges_inside_bounds(law: Law) -> None:
    for spec in law.params:
        lo, hi = spec.init_range
        assert math.isfinite(lo), spec.name
        assert math.isfinite(hi), spec.name
        assert spec.lower <= lo <= hi <= spec.upper, spec.name
        if spec.init_scale == "log":
            assert lo > 0, spec.name
        if spec.init_from is not None:
            assert spec.init_from in law.inputs, spec.name


def reject_constant(token: str) -> None:
    raise AssertionError(f"non-standard JSON constant {token}")


def test_round_trips_through_dict_and_json(law: Law) -> None:
    assert Law.from_dict(law.to_dict()) == law
    text = strict_json.dumps(law.to_dict())  # infinite bounds as {"$float": "inf"}: strict JSON
    json.loads(text, parse_constant=reject_constant)
    restored = Law.from_dict(strict_json.loads(text))
    assert restored == law
    grid = domain(law, 16)
    np.testing.assert_array_equal(
        restored.predict(PLANTED[law.name], grid), law.predict(PLANTED[law.name], grid)
    )


def test_linear_parameters_are_declared_parameters(law: Law) -> None:
    compiled = law.compiled
    assert set(compiled.linear_params) <= set(law.param_names)
    assert set(compiled.linear_params).isdisjoint(compiled.nonlinear_params)
    assert set(compiled.linear_params) | set(compiled.nonlinear_params) == set(law.param_names)


def test_basis_reconstructs_the_law(law: Law) -> None:
    compiled = law.compiled
    params = PLANTED[law.name]
    grid = domain(law, 25)
    inputs = [grid[n] for n in law.inputs]
    offset_fn, column_fns = compiled.basis
    nonlinear = [params[n] for n in compiled.nonlinear_params]
    rebuilt = _call(offset_fn, inputs, nonlinear) + sum(
        params[c] * _call(fn, inputs, nonlinear)
        for c, fn in zip(compiled.linear_params, column_fns, strict=True)
    )
    # The same terms summed in another order: rounding-level agreement.
    np.testing.assert_allclose(rebuilt, law.predict(params, grid), rtol=1e-12)


# ---------------------------------------------------------------------------------------------------
# Exact derivatives against central finite differences.
#
# Step: h_j = 1e-5 * |p_j| (relative, since parameters range from 0.1 to 6e13). For a central
# difference the truncation error is ~(h/p)^2 * |p^3 f'''| ~ 1e-10 relative, and the rounding error
# ~eps * |f| / h ~ 2e-11 * |f| / |p f'|. Both sit far below the tolerance of 1e-6, measured on the
# scale-free sensitivity |p_j * df/dp_j| against |f| (so huge and tiny parameters are compared alike).
# A wrong derivative (a sign, a missing log factor, a dropped term) is off by O(1) on that scale.

_STEP = 1e-5
_TOL = 1e-6


def _derivative_points(law: Law) -> dict[str, np.ndarray]:
    return domain(law, 25)


def test_gradient_matches_central_differences(law: Law) -> None:
    grid = _derivative_points(law)
    inputs = [grid[n] for n in law.inputs]
    compiled = law.compiled
    for label, params in parameter_sets(law).items():
        p = np.array([params[n] for n in law.param_names])
        f = law.predict(params, grid)
        for j, name in enumerate(law.param_names):
            h = _STEP * (abs(p[j]) or 1.0)
            up, down = p.copy(), p.copy()
            up[j] += h
            down[j] -= h
            fd = (
                _call(compiled.value, inputs, list(up)) - _call(compiled.value, inputs, list(down))
            ) / (2 * h)
            exact = _call(compiled.gradient[j], inputs, list(p))
            error = np.abs(fd - exact) * abs(p[j]) / np.abs(f)
            assert np.max(error) < _TOL, (label, name, float(np.max(error)))


def test_hessian_matches_central_differences_of_the_gradient(law: Law) -> None:
    # Differencing the exact gradient (not the value twice) keeps the same error budget as above.
    params = PLANTED[law.name]
    grid = _derivative_points(law)
    inputs = [grid[n] for n in law.inputs]
    compiled = law.compiled
    p = np.array([params[n] for n in law.param_names])
    f = law.predict(params, grid)
    k = len(p)
    for j in range(k):
        h = _STEP * (abs(p[j]) or 1.0)
        up, down = p.copy(), p.copy()
        up[j] += h
        down[j] -= h
        for i in range(k):
            fd = (
                _call(compiled.gradient[i], inputs, list(up))
                - _call(compiled.gradient[i], inputs, list(down))
            ) / (2 * h)
            key = (min(i, j), max(i, j))
            exact = (
                _call(compiled.hessian[key], inputs, list(p))
                if key in compiled.hessian
                else np.zeros_like(f)
            )
            error = np.abs(fd - exact) * abs(p[i] * p[j]) / np.abs(f)
            assert np.max(error) < _TOL, (
                law.param_names[i],
                law.param_names[j],
                float(np.max(error)),
            )


def test_hessian_omits_only_zero_entries(law: Law) -> None:
    # The stored keys are i <= j; every omitted pair must be identically zero (checked numerically
    # above), and no key may be out of range.
    k = len(law.param_names)
    assert all(0 <= i <= j < k for i, j in law.compiled.hessian)


# ---------------------------------------------------------------------------------------------------
# Synthetic data from the planted law is fittable end to end (recovery accuracy lives in tests/recovery).


@pytest.mark.parametrize("law", LAWS, ids=law_id)
def test_noise_free_runs_are_fitted_exactly(law: Law) -> None:
    runs = sl.testing.synthetic_runs(law, n_runs=24, noise=0.0, seed=0)
    assert runs.height == 24
    clean = sl.fit(runs, law)
    # Noise-free data: the planted parameters fit exactly, so the objective is at rounding level.
    assert clean.objective < 1e-12, clean.summary()
    # ...and that optimum is the planted law, which the degenerate-optimum guard must accept.
    assert clean.status is not sl.FitStatus.DEGENERATE, clean.message
