"""Canonical forms: equivalent formulas (up to renaming and reparametrising parameters) share one
identity, and different laws do not."""

from __future__ import annotations

import pytest

import scalinglaws as sl
from scalinglaws.discover.canonical import canonical, equivalent
from scalinglaws.discover.catalog import bindings, equivalents
from scalinglaws.discover.grammar import Input

COLUMNS = {"N": "n_params", "D": "n_tokens", "x": "n_params", "r1": "r1", "r2": "r2"}


def same(a: str, b: str) -> bool:
    def of(formula: str) -> sl.discover.canonical.Canonical:  # type: ignore[name-defined]
        names = sl.laws.formula_names(formula)
        return canonical(formula, {n: COLUMNS[n] for n in names if n in COLUMNS})

    return equivalent(of(a), of(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "E + A/N**alpha + B/D**beta",
            "E0 + A2*D**-a2 + A1*N**-a1",
        ),  # renamed, reordered, sign of exponents
        ("(N_c/N)**alpha_N", "A*N**-a"),  # Kaplan's scale form is an amplitude form
        ("E + (N_c/N)**k", "L + B*x**p"),  # x reads the same column as N
        ("A*N**-a*D**-a", "B*D**-b*N**-b"),  # a shared exponent, renamed
        ("c*(D/N)**m", "A*(D/N)**-a"),  # a ratio, with the exponent's sign flipped
        ("a + b*x**(-c0)*(1 + (x/d1)**(1/f1))**(-c1*f1)", "E + A*N**-g*(1 + (N/K)**(1/f))**(-c*f)"),
        ("c + k*exp(t1*r1 + t2*r2)", "E + A*exp(u*r2 + v*r1)"),
        ("A*B*N**-a", "C0*N**-c"),  # a redundant product of amplitudes is one amplitude
    ],
)
def test_equivalent_formulas_share_an_identity(a: str, b: str) -> None:
    assert same(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("E + A*N**-a + B*D**-b", "E + A*N**-a*D**-b"),  # additive is not multiplicative
        ("A*N**-a*D**-a", "A*N**-a*D**(-2*a)"),  # different tied exponents
        ("A*N**-a*D**-b", "A*(D/N)**-a"),  # a ratio has one exponent, a product two
        ("E + A*N**-a", "A*N**-a"),  # the offset matters
        ("E + A*log(N)", "E + A*N**-a"),
    ],
)
def test_different_laws_differ(a: str, b: str) -> None:
    assert not same(a, b)


def test_a_map_that_loses_a_dimension_is_not_full_rank() -> None:
    # Three placeholders (A, -a, -2a) from two parameters: the relation is part of the identity.
    form = canonical("A*N**-a*D**(-2*a)", {"N": "n", "D": "d"})
    assert not form.full_rank
    assert "|" in form.identity


def test_huge_constants_do_not_hide_full_rank() -> None:
    # Kaplan's compute law has a placeholder 8.64e19**alpha * C_c**alpha: derivatives of 1e19 next to 1.
    form = canonical("(C_c*8.64e+19/C)**alpha_C", {"C": "flops"})
    assert form.full_rank
    assert form.identity == canonical("A*C**-a", {"C": "flops"}).identity


def test_catalog_equivalence_names_the_laws_and_their_binding() -> None:
    inputs = [Input("N", "n_params", "scale", 1e7, 1e9), Input("D", "n_tokens", "scale", 1e8, 1e11)]
    catalog = bindings(inputs)
    labels = {b.label for b in catalog}
    assert {"chinchilla", "power[x=N]", "bnsl[x=D]"} <= labels
    identity = canonical("E + A1*D**-a1 + A2*N**-a2", {"N": "n_params", "D": "n_tokens"}).identity
    assert "chinchilla" in equivalents(identity, catalog)
    single = canonical("E + A1*D**-a1", {"D": "n_tokens"}).identity
    assert "power[x=D]" in equivalents(single, catalog)
