"""Implicit laws: an equation solved for the prediction (Alabdulmohsin et al.'s M4 is one)."""

from __future__ import annotations

import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws.errors import LawSpecError
from scalinglaws.testing import PLANTED, synthetic_runs

M4 = sl.get_law("alabdulmohsin_m4")


def authors_predict_loss(p: dict[str, float], x: float, prec: int = 10_000) -> float:
    """The authors' M4 prediction (methods/m4.py predict_loss): the best w on a grid of [0, b]."""
    f = p["beta"] * x ** p["c"]
    b = p["eps_0"] - p["eps_inf"]
    w = np.linspace(0, b, prec)
    return float(w[np.argmin(np.abs(w - f * (b - w) ** p["alpha"]))] + p["eps_inf"])


@pytest.mark.parametrize("x", [1e2, 1e4, 1e6, 1e8])
def test_m4_solution_matches_the_authors_grid_search(x: float) -> None:
    p = dict(PLANTED["alabdulmohsin_m4"])
    ours = M4.predict(p, {"x": np.array([x])})[0]
    assert ours == pytest.approx(authors_predict_loss(p, x), abs=(p["eps_0"] - p["eps_inf"]) / 9_999)
    residual = (ours - p["eps_inf"]) / (p["eps_0"] - ours) ** p["alpha"] - p["beta"] * x ** p["c"]
    assert abs(residual) < 1e-12


def test_m4_with_alpha_one_has_a_closed_form() -> None:
    p = {"eps_inf": 0.1, "eps_0": 2.0, "alpha": 1.0, "beta": 5.0, "c": -0.3}
    x = np.geomspace(1, 1e9, 7)
    f = p["beta"] * x ** p["c"]
    np.testing.assert_allclose(M4.predict(p, {"x": x}), (p["eps_inf"] + f * p["eps_0"]) / (1 + f), rtol=1e-13)


def test_a_typed_implicit_law_is_fitted() -> None:
    law = sl.Law.from_formula(
        "(y - e)/(z - y)**a = b*x**c", inputs=("x",), solve_for="y", bracket=("e", "z"),
        params={
            "e": sl.ParamSpec("e", 0.0, 5.0), "z": sl.ParamSpec("z", 0.0, 20.0, init=(1.0, 10.0)),
            "a": sl.ParamSpec("a", 0.0, 5.0, init=(0.1, 2.0)),
            "b": sl.ParamSpec("b", 0.0, 1e4, init=(1e-2, 1e3), init_scale="log"),
            "c": sl.ParamSpec("c", -3.0, 0.0, init=(-1.0, -0.05)),
        },
    )
    assert law.param_names == ("e", "z", "a", "b", "c")
    truth = {"e": 0.2, "z": 1.0, "a": 0.5, "b": 30.0, "c": -0.4}
    runs = synthetic_runs(law, truth, n_runs=40, noise=0.0)
    result = sl.fit(runs.rename({"loss": "y"}), law=law, target="y")
    assert result.status is sl.FitStatus.CONVERGED
    for name, value in truth.items():
        assert result.params[name] == pytest.approx(value, rel=1e-4, abs=1e-6)
    assert sl.Law.from_dict(law.to_dict()) == law


@pytest.mark.parametrize(
    ("formula", "options", "message"),
    [
        ("(y - e)/(z - y) = b*x", {}, "an implicit law is an equation 'lhs = rhs' with `solve_for`"),
        ("e + b*x", {"solve_for": "y", "bracket": ("e", "z")}, "an implicit law is an equation"),
        ("(y - e)/(z - y) = b*x", {"solve_for": "y", "bracket": ("e", "")}, "`bracket` must give two"),
        ("(y - e)/(z - y) = b*x", {"solve_for": "y", "bracket": ("e", "w")}, "`bracket` must give two"),
        ("y = e = b*x", {"solve_for": "y", "bracket": ("e", "b")}, "more than one '='"),
    ],
)
def test_implicit_law_mistakes_are_named(formula: str, options: dict, message: str) -> None:
    with pytest.raises(LawSpecError, match=message):
        sl.Law.from_formula(formula, inputs=("x",), **options)
