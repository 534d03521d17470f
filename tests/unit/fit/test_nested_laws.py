"""Laws that nest a simpler law are fitted by growing it, and exchangeable parameter groups come
back in one order (the BNSLs: each nests the one with a break fewer; breaks can trade places)."""

from __future__ import annotations

import pytest

import scalinglaws as sl
from scalinglaws import FitStatus, Law, LawSpecError
from scalinglaws.testing import PLANTED, synthetic_runs

BREAK = ("d", "f", "c")


def test_a_law_grown_from_its_nested_law_fits_noise_free_data_exactly() -> None:
    # A typed three-break BNSL (not the catalog object) that nests the catalog's two-break one: the
    # mechanism is the law's `nested`, not a special case of the catalog. Without `nested` the
    # default search ends in a wrong basin here.
    catalog = sl.get_law("bnsl3")
    typed = Law.from_formula(
        catalog.formula,
        inputs=("x",),
        params={p.name: p for p in catalog.params},
        nested=sl.get_law("bnsl2"),
    )
    runs = synthetic_runs(catalog, n_runs=40, noise=0.0, seed=0)
    result = sl.fit(runs, typed)
    # The planted parameters give 0: an objective at rounding level is the global optimum.
    assert result.objective < 1e-12, result.summary()
    assert result.status is FitStatus.CONVERGED


def test_exchangeable_groups_are_reported_in_order_of_their_first_parameter() -> None:
    # The planted breaks are listed in reverse order of location; the fit returns them sorted.
    truth = PLANTED["bnsl2"]
    reversed_truth = dict(truth)
    for name in BREAK:
        reversed_truth[f"{name}1"] = truth[f"{name}2"]
        reversed_truth[f"{name}2"] = truth[f"{name}1"]
    runs = synthetic_runs("bnsl2", reversed_truth, n_runs=24, noise=0.0, seed=0)
    result = sl.fit(runs, "bnsl2")
    assert result.params["d1"] < result.params["d2"]
    # Noise-free: the sorted estimate is the planted curve, parameter by parameter (rounding level).
    assert result.params == pytest.approx(truth, rel=1e-6)
    # Every polished start is reported in the same order.
    assert all(start["d1"] <= start["d2"] for start in result.starts)


def test_grown_fit_is_deterministic_for_a_seed() -> None:
    runs = synthetic_runs("bnsl2", noise=0.01, seed=4)
    assert sl.fit(runs, "bnsl2", seed=5).to_json() == sl.fit(runs, "bnsl2", seed=5).to_json()


def test_nested_and_exchangeable_survive_serialisation() -> None:
    law = sl.get_law("bnsl3")
    restored = Law.from_dict(law.to_dict())
    assert restored == law
    assert restored.nested == sl.get_law("bnsl2")
    assert restored.exchangeable == (("d1", "f1", "c1"), ("d2", "f2", "c2"), ("d3", "f3", "c3"))


@pytest.mark.parametrize(
    ("nested", "match"),
    [
        (Law.from_formula("E + A*N**-alpha", inputs=("N",)), "must have the inputs"),
        (Law.from_formula("E + C*x**-gamma", inputs=("x",)), "some but not all of the parameters"),
        (Law.from_formula("E + A*x**-alpha + B*x**-beta", inputs=("x",)), "some but not all"),
    ],
)
def test_nested_law_must_be_a_special_case(nested: Law, match: str) -> None:
    with pytest.raises(LawSpecError, match=match):
        Law.from_formula("E + A*x**-alpha + B*x**-beta", inputs=("x",), nested=nested)


@pytest.mark.parametrize(
    "exchangeable",
    [
        (("A", "alpha"), ("B",)),  # groups of different sizes
        (("A", "alpha"), ("A", "beta")),  # a parameter in two groups
        (("A", "alpha"), ("B", "gamma")),  # not a parameter
        ((), ()),  # empty groups
    ],
)
def test_exchangeable_groups_must_be_equal_sized_and_distinct(
    exchangeable: tuple[tuple[str, ...], ...],
) -> None:
    with pytest.raises(LawSpecError, match="must be groups of the same size"):
        Law.from_formula("E + A*x**-alpha + B*x**-beta", inputs=("x",), exchangeable=exchangeable)
