"""Law and ParamSpec values: validation at construction, metadata, prediction, the registry."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws.data import strict_json
from scalinglaws.errors import LawSpecError
from scalinglaws.laws import Law, ParamSpec, get_law, list_laws, register_law
from scalinglaws.laws import registry as law_registry

# ---------------------------------------------------------------------------------------------------
# ParamSpec


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (ParamSpec("a"), (0.0, 2.0)),
        (ParamSpec("a", 0.0, 1.0), (0.0, 1.0)),
        (ParamSpec("a", 1.0), (1.0, 3.0)),
        (ParamSpec("a", upper=-1.0), (-3.0, -1.0)),
        (ParamSpec("a", 0.0, math.inf, init=(0.5, 4.0)), (0.5, 4.0)),
    ],
)
def test_default_initial_range(spec: ParamSpec, expected: tuple[float, float]) -> None:
    assert spec.init_range == expected


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"lower": 1.0, "upper": 1.0},
            r"bounds of parameter `a` must satisfy lower < upper\. Got \(1\.0, 1\.0\)",
        ),
        ({"lower": 2.0, "upper": 1.0}, r"bounds of parameter `a` must satisfy lower < upper"),
        (
            {"lower": 0.0, "upper": 1.0, "init": (0.5, 2.0)},
            r"initial range of parameter `a` must be finite and inside its bounds \[0\.0, 1\.0\]\. Got \(0\.5, 2\.0\)",
        ),
        ({"init": (-math.inf, 1.0)}, r"initial range of parameter `a` must be finite"),
        (
            {"init": (2.0, 1.0)},
            r"initial range of parameter `a` must be finite and inside its bounds",
        ),
        (
            {"init": (0.0, 1.0), "init_scale": "log"},
            r"initial range of parameter `a` must be positive for init_scale='log'\. Got \(0\.0, 1\.0\)",
        ),
    ],
)
def test_param_spec_rejects(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(LawSpecError, match=match):
        ParamSpec("a", **kwargs)  # type: ignore[arg-type]


def test_param_spec_round_trips_through_json_with_infinite_bounds() -> None:
    spec = ParamSpec(
        "d1", 0.0, math.inf, init=(1.0, 10.0), init_scale="log", init_from="x", description="break"
    )
    data = strict_json.loads(strict_json.dumps(spec.to_dict()))  # infinity as {"$float": "inf"}
    assert ParamSpec.from_dict(data) == spec
    assert ParamSpec.from_dict(ParamSpec("e").to_dict()) == ParamSpec("e")


def test_param_spec_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ParamSpec("a").lower = 0.0  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------------
# Law construction


def test_from_formula_makes_non_inputs_unbounded_parameters() -> None:
    law = Law.from_formula("E + A*N**-alpha", inputs=("N",))
    assert law.inputs == ("N",)
    assert law.param_names == ("E", "A", "alpha")
    # A typed law never silently forbids a negative amplitude or offset.
    assert all(p.lower == -math.inf and p.upper == math.inf for p in law.params)
    assert law.label == "E + A*N**-alpha"


def test_from_formula_keeps_given_specs() -> None:
    law = Law.from_formula(
        "E + A*N**-alpha", inputs=("N",), params={"alpha": ParamSpec("alpha", 0.0, 1.0)}, name="p"
    )
    assert law.spec("alpha") == ParamSpec("alpha", 0.0, 1.0)
    assert law.spec("E") == ParamSpec("E")
    assert law.label == "p"


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: Law.from_formula("E + A*N**-alpha", inputs=("N", "D")),
            r"`inputs` \['D'\] do not appear in formula 'E \+ A\*N\*\*-alpha'",
        ),
        (
            lambda: Law.from_formula(
                "E + A*N**-alpha", inputs=("N",), params={"B": ParamSpec("B")}
            ),
            r"`params` names \['B'\], which are not parameters of formula .* Its parameters are \['E', 'A', 'alpha'\]",
        ),
        (lambda: Law.from_formula("E + A*N**", inputs=("N",)), r"cannot be parsed"),
        (lambda: Law.from_formula("E + foo(N)", inputs=("N",)), r"unknown function 'foo'"),
    ],
)
def test_from_formula_rejects(call: object, match: str) -> None:
    with pytest.raises(LawSpecError, match=match):
        call()  # type: ignore[operator]


def test_law_rejects_duplicate_names() -> None:
    with pytest.raises(LawSpecError, match=r"law 'dup' declares \['x'\] more than once"):
        Law("a*x", inputs=("x",), params=(ParamSpec("a"), ParamSpec("x")), name="dup")


def test_law_rejects_names_differing_from_the_formula() -> None:
    with pytest.raises(
        LawSpecError, match=r"undeclared in formula: \['b'\], declared but unused: \['c'\]"
    ):
        Law("a*x + b", inputs=("x",), params=(ParamSpec("a"), ParamSpec("c")))


def test_law_rejects_preset_with_wrong_parameters() -> None:
    with pytest.raises(
        LawSpecError,
        match=r"preset 'paper' of law 'p' must give exactly \['a'\]\. Got \['a', 'b'\] instead",
    ):
        Law(
            "a*x",
            inputs=("x",),
            params=(ParamSpec("a"),),
            name="p",
            presets={"paper": {"a": 1.0, "b": 2.0}},
        )


def test_law_constructed_directly_rejects_an_unparsable_formula() -> None:
    # Law(...) and Law.from_dict(...) bypass from_formula; a bad formula must still be a LawSpecError
    # (a raw SyntaxError would escape the error hierarchy and the CLI's exit-code mapping).
    with pytest.raises(LawSpecError, match="cannot be parsed"):
        Law("a*x +", inputs=("x",), params=(ParamSpec("a"),))
    data = sl.get_law("power").to_dict() | {"formula": "E + A*x**("}
    with pytest.raises(LawSpecError, match="cannot be parsed"):
        Law.from_dict(data)


def test_spec_of_unknown_parameter() -> None:
    with pytest.raises(
        LawSpecError,
        match=r"law 'chinchilla' has no parameter 'gamma'; it has \['E', 'A', 'alpha', 'B', 'beta'\]",
    ):
        get_law("chinchilla").spec("gamma")


def test_with_specs_replaces_only_the_named_specs() -> None:
    law = get_law("power")
    changed = law.with_specs({"alpha": ParamSpec("alpha", 0.1, 0.9)})
    assert changed.spec("alpha") == ParamSpec("alpha", 0.1, 0.9)
    assert changed.spec("E") == law.spec("E")
    assert law.spec("alpha").upper == 5.0  # the original is untouched
    with pytest.raises(LawSpecError, match="has no parameter 'zeta'"):
        law.with_specs({"zeta": ParamSpec("zeta")})


def test_law_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_law("power").formula = "x"  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------------
# Prediction


def test_predict_matches_the_formula() -> None:
    law = get_law("chinchilla")
    p = {"E": 1.8, "A": 480.0, "B": 2100.0, "alpha": 0.35, "beta": 0.37}
    n, d = np.array([1e8, 1e9]), np.array([2e9, 3e10])
    expected = p["E"] + p["A"] / n ** p["alpha"] + p["B"] / d ** p["beta"]
    # Same float64 arithmetic, possibly reordered by sympy: a few ulps.
    np.testing.assert_allclose(law.predict(p, {"N": n, "D": d}), expected, rtol=1e-14)


def test_predict_broadcasts_scalars_and_constants() -> None:
    law = Law.from_formula("a + 0*x", inputs=("x",))
    out = law.predict({"a": 2.0}, {"x": np.zeros(3)})
    assert out.shape == (3,)
    np.testing.assert_array_equal(out, 2.0)


def test_predict_requires_every_parameter() -> None:
    with pytest.raises(
        LawSpecError, match=r"`params` of Law\.predict lacks \['beta'\] for law 'chinchilla'"
    ):
        get_law("chinchilla").predict(
            {"E": 1.0, "A": 1.0, "B": 1.0, "alpha": 0.3}, {"N": [1.0], "D": [1.0]}
        )


# ---------------------------------------------------------------------------------------------------
# Registry


@pytest.fixture
def isolated_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a test register laws without leaking them into other tests."""
    monkeypatch.setattr(law_registry, "_REGISTERED", dict(law_registry._REGISTERED))


def test_catalog_is_registered() -> None:
    assert [law.name for law in list_laws()][:4] == ["chinchilla", "kaplan_nd", "power", "bnsl"]
    assert get_law("chinchilla") is sl.get_law("chinchilla")


def test_unknown_catalog_law() -> None:
    with pytest.raises(
        LawSpecError,
        match=r"`law` 'chinchila' is not in the catalog\. Known laws: .*chinchilla.*To fit a formula, write it out",
    ):
        get_law("chinchila")


@pytest.mark.usefixtures("isolated_registry")
def test_register_law() -> None:
    law = Law.from_formula("a*x**-b", inputs=("x",), name="mine")
    register_law(law)
    assert get_law("mine") is law
    with pytest.raises(
        LawSpecError, match=r"a law named 'mine' is registered already; pass replace=True"
    ):
        register_law(law)
    other = Law.from_formula("a*x**-b + c", inputs=("x",), name="mine")
    register_law(other, replace=True)
    assert get_law("mine") is other


@pytest.mark.usefixtures("isolated_registry")
def test_register_law_needs_a_name() -> None:
    with pytest.raises(LawSpecError, match=r"`law` passed to register_law needs a `name`"):
        register_law(Law.from_formula("a*x", inputs=("x",)))
