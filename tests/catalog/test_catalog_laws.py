"""Every law of the catalog modules is documented, finite where planted, has exact derivatives and
is recovered from synthetic runs (the conformance contract, for the laws these modules add)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws.laws import COLUMN_ALIASES, Law
from scalinglaws.laws.catalog import architecture, curves, hparams, mixtures, nd
from scalinglaws.testing import PLANTED, synthetic_runs

LAWS = [law for module in (nd, curves, hparams, architecture, mixtures) for law in module.LAWS]
IDS = [law.name for law in LAWS]

# Laws whose parameters the data of `synthetic_runs` (60 runs, 1% noise) cannot pin down, by design:
# BNSL breaks trade off with each other and with the floor; the loss-to-loss shift E_x trades off
# with E_y (the recipe fixes E_x from another fit);
# the rectified law's outer exponent trades off with E and B; with exponents of ~0.1-0.15 Krajewski's
# floor c trades off with both of them (seeds 0-2 give c = 0.2-0.9 for 0.47); at this 1% noise
# Farseer's three powers of N are not identified (seed 0 runs alpha to its bound 1; at 0.5% they are,
# tests/recovery).
# Their predictions are still checked.
WEAKLY_IDENTIFIED = {"bnsl2", "bnsl3", "brandfonbrener", "lin_rectified", "krajewski_moe", "farseer"}
# Parameters whose effect on the design is small (ParScale's gain k only acts on P > 1 runs through
# a power of ~0.2; a mixture coefficient through proportions of ~1/3): 30% instead of 10%.
LOOSE = {("parscale", "k"), ("ye_mixing3", "t1"), ("ye_mixing3", "t2")}


def _inputs(law: Law, frame: object) -> dict[str, np.ndarray]:
    return {n: frame[COLUMN_ALIASES.get(n, n)].to_numpy() for n in law.inputs}  # type: ignore[index]


@pytest.mark.parametrize("law", LAWS, ids=IDS)
def test_law_is_documented_and_registered(law: Law) -> None:
    assert sl.get_law(law.name) is law
    assert law.description
    assert law.reference
    assert set(law.conventions) == set(law.inputs)
    assert all(spec.description for spec in law.params)
    for preset, values in law.presets.items():
        for spec in law.params:
            assert spec.lower <= values[spec.name] <= spec.upper, (preset, spec.name)
    planted = PLANTED[law.name]
    for spec in law.params:
        assert spec.lower < planted[spec.name] < spec.upper, spec.name


@pytest.mark.parametrize("law", LAWS, ids=IDS)
def test_law_is_finite_and_has_exact_derivatives(law: Law) -> None:
    frame = synthetic_runs(law, noise=0.0, n_runs=20, seed=1)
    x = _inputs(law, frame)
    planted = dict(PLANTED[law.name])
    values = law.predict(planted, x)
    assert np.all(np.isfinite(values))
    assert np.all(values > 0)  # positive: fittable in log space like every other law
    args = [*x.values(), *(planted[n] for n in law.param_names)]
    for j, name in enumerate(law.param_names):
        exact = np.broadcast_to(law.compiled.gradient[j](*args), values.shape)
        step = 1e-6 * max(abs(planted[name]), 1e-3)
        up, down = dict(planted), dict(planted)
        up[name] += step
        down[name] -= step
        numeric = (law.predict(up, x) - law.predict(down, x)) / (2 * step)
        # Central differences with a relative step h = 1e-6 carry a rounding error of about
        # eps/h ~ 1e-10 of the value per unit of the parameter, and truncation ~h^2: compare with
        # 1e-5 relative, plus an absolute floor of 1e-7 of the value's sensitivity scale.
        floor = 1e-7 * np.max(np.abs(values)) / max(abs(planted[name]), 1e-3)
        np.testing.assert_allclose(numeric, exact, rtol=1e-5, atol=floor, err_msg=name)


@pytest.mark.parametrize("law", LAWS, ids=IDS)
def test_planted_law_is_recovered(law: Law) -> None:
    frame = synthetic_runs(law, noise=0.01, seed=0)
    result = sl.fit(frame, law=law)
    planted = PLANTED[law.name]
    x = _inputs(law, frame)
    # Predictions on the design: 1% log-normal noise on 60 runs leaves the fitted curve within a
    # few per mille of the truth; 2% bounds it with margin (also for weakly identified laws).
    np.testing.assert_allclose(law.predict(result.params, x), law.predict(planted, x), rtol=0.02)
    if law.name in WEAKLY_IDENTIFIED:
        return
    assert result.status in {sl.FitStatus.CONVERGED, sl.FitStatus.ILL_CONDITIONED}
    for name, truth in planted.items():
        # Exponents and offsets come back within 10%; scale parameters raised to a small power
        # (Kaplan's N_c, C_c with exponents ~0.05-0.08) are set only through alpha*log(scale), so
        # they are compared on that log scale instead.
        if law.spec(name).init_scale == "log" and name in {"N_c", "D_c", "C_c", "S_c"}:
            assert math.log(result.params[name]) == pytest.approx(math.log(truth), rel=0.03)
        else:
            loose = _amplitude(law, name) or (law.name, name) in LOOSE
            assert result.params[name] == pytest.approx(truth, rel=0.30 if loose else 0.10), name


def _amplitude(law: Law, name: str) -> bool:
    """Amplitudes and offsets trade off with exponents: they get a wider tolerance."""
    return name in law.compiled.linear_params or law.spec(name).init_scale == "log"
