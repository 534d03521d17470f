"""Parsing formulas into sympy, rejecting what is not arithmetic, and reading their structure."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import scalinglaws as sl
from scalinglaws.errors import LawSpecError
from scalinglaws.laws import Law
from scalinglaws.laws._formula import FUNCTIONS, CompiledFormula, formula_names, parse_formula


def compile_formula(formula: str, inputs: tuple[str, ...]) -> CompiledFormula:
    names = formula_names(formula)
    params = tuple(n for n in names if n not in inputs)
    return CompiledFormula(parse_formula(formula), inputs, params)


def symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


# ---------------------------------------------------------------------------------------------------
# Parsing


def test_caret_is_accepted_as_power() -> None:
    assert parse_formula("E + A*N^-alpha") == parse_formula("E + A*N**-alpha")
    assert parse_formula("x^2") == symbol("x") ** 2


def test_parsing_builds_the_expected_expression() -> None:
    E, A, B, N, D, alpha, beta = map(symbol, ["E", "A", "B", "N", "D", "alpha", "beta"])
    expected = E + A / N**alpha + B / D**beta
    assert sp.simplify(parse_formula("E + A/N**alpha + B/D**beta") - expected) == 0


@pytest.mark.parametrize(
    "name", ["E", "N", "S", "I", "O", "Q", "beta", "gamma", "zeta", "pi", "Lambda"]
)
def test_sympy_reserved_names_are_plain_symbols(name: str) -> None:
    expr = parse_formula(f"{name} + x")
    assert expr.free_symbols == {symbol(name), symbol("x")}
    # Numerically too: E is a parameter, not Euler's number; N is not sympy's evalf function.
    value = compile_formula(f"{name} + x", ("x",)).value
    assert value(np.array([1.0, 2.0]), 5.0) == pytest.approx([6.0, 7.0], rel=0, abs=0)


def test_names_are_real_symbols() -> None:
    # Real symbols let sympy simplify log(exp(a)) and decide linearity; the engine relies on it.
    assert all(s.is_real for s in parse_formula("a*log(x) + b").free_symbols)


@pytest.mark.parametrize(
    ("formula", "reference"),
    [
        ("exp(a*x)", lambda x, a: np.exp(a * x)),
        ("log(a*x)", lambda x, a: np.log(a * x)),
        ("sqrt(a*x)", lambda x, a: np.sqrt(a * x)),
        ("min(a, x)", np.minimum),
        ("max(a, x)", np.maximum),
        ("abs(x - a)", lambda x, a: np.abs(x - a)),
        ("tanh(x/a)", lambda x, a: np.tanh(x / a)),
        ("log10(x)*a", lambda x, a: np.log10(x) * a),
        ("log2(x)*a", lambda x, a: np.log2(x) * a),
        ("sigmoid(x - a)", lambda x, a: 1 / (1 + np.exp(-(x - a)))),
    ],
)
def test_functions_evaluate_like_numpy(formula: str, reference: object) -> None:
    x = np.array([0.5, 1.0, 2.0, 7.5])
    a = 1.7
    value = compile_formula(formula, ("x",)).value
    # Same float64 operations up to reassociation by sympy: agree to a few ulps.
    np.testing.assert_allclose(value(x, a), reference(x, a), rtol=1e-14)  # type: ignore[operator]


def test_every_known_function_is_tested() -> None:
    # Keeps test_functions_evaluate_like_numpy complete when FUNCTIONS grows.
    assert set(FUNCTIONS) == {
        "exp",
        "log",
        "sqrt",
        "min",
        "max",
        "abs",
        "tanh",
        "log10",
        "log2",
        "sigmoid",
        "history_sum",  # evaluated against a step-by-step sum in tests/unit/schedules
    }


def test_formula_names_in_order_of_first_appearance() -> None:
    assert formula_names("E + A/N**alpha + B/D**beta") == ("E", "A", "N", "alpha", "B", "D", "beta")
    assert formula_names("exp(a) * x + a") == ("a", "x")
    assert formula_names("E + A*N^-alpha") == ("E", "A", "N", "alpha")


# ---------------------------------------------------------------------------------------------------
# Rejection: every message names the formula and says what is wrong


@pytest.mark.parametrize(
    ("formula", "match"),
    [
        (
            "E + A*N**",
            r"`formula` 'E \+ A\*N\*\*' cannot be parsed: .*Write it in Python arithmetic",
        ),
        ("E +* A", r"cannot be parsed"),
        ("", r"`formula` '' cannot be parsed"),
        ("foo(x)", r"calls unknown function 'foo'\. Known functions: abs, exp, history_sum, log"),
        ("__import__('os')", r"calls unknown function '__import__'"),
        (
            "__import__('os').system('true')",
            r"contains .*__import__\('os'\)\.system\('true'\).*not arithmetic",
        ),
        (
            "x.real",
            r"contains 'x\.real', which is not arithmetic over names, numbers and the functions",
        ),
        ("lambda x: x", r"contains 'lambda x: x', which is not arithmetic"),
        ("x < 1", r"contains 'x < 1', which is not arithmetic"),
        ("a if x else b", r"contains 'a if x else b'"),
        ("a and b", r"contains 'a and b'"),
        ("x[0]", r"contains 'x\[0\]'"),
        ("x // y", r"contains 'x // y'"),
        ("x % 2", r"contains 'x % 2'"),
        ("True*x", r"contains 'True'"),
        ("'a'*x", r"""contains "'a'\""""),
        ("exp(x=1)", r"contains 'exp\(x=1\)'"),
        ("f(x)(y)", r"contains 'f\(x\)\(y\)'"),
        ("1 + 2", r"`formula` '1 \+ 2' has no names in it; a law needs inputs and parameters"),
        ("2**10", r"has no names in it"),
        ("exp + x", r"uses the function name 'exp' as a variable"),
    ],
)
def test_rejects_with_a_clear_message(formula: str, match: str) -> None:
    with pytest.raises(LawSpecError, match=match):
        parse_formula(formula)


def test_rejection_is_a_value_error_too() -> None:
    # Callers that only know builtins can catch ValueError (B.5 co-inheritance).
    with pytest.raises(ValueError, match="unknown function"):
        parse_formula("foo(x)")


def test_parsing_never_evaluates_code(tmp_path: object) -> None:
    marker = tmp_path / "pwned"  # type: ignore[operator]
    with pytest.raises(LawSpecError, match="not arithmetic"):
        parse_formula(f"__import__('os').system('touch {marker}')")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("formula", "match"),
    [
        ("exp(x, y)", r"`formula` 'exp\(x, y\)'.*exp"),
        ("exp()", r"`formula` 'exp\(\)'.*exp"),
        ("sqrt(x, 2, 3)", r"`formula` 'sqrt\(x, 2, 3\)'.*sqrt"),
    ],
)
def test_wrong_number_of_function_arguments_is_a_law_spec_error(formula: str, match: str) -> None:
    with pytest.raises(LawSpecError, match=match):
        parse_formula(formula)


def test_syntax_error_at_end_does_not_claim_column_zero() -> None:
    # Python reports offset 0 for errors at the end of the text; "at column 0" would point at the
    # wrong place, so the message must not claim it.
    with pytest.raises(LawSpecError, match="cannot be parsed") as info:
        parse_formula("E + A*N**")
    assert "column 0" not in str(info.value)


# ---------------------------------------------------------------------------------------------------
# Linear parameters (solved exactly by variable projection)


@pytest.mark.parametrize(
    ("formula", "inputs", "linear"),
    [
        ("E + A*N**-alpha", ("N",), {"E", "A"}),
        ("E + A/N**alpha + B/D**beta", ("N", "D"), {"E", "A", "B"}),
        ("exp(a)*x", ("x",), set()),
        ("x/a", ("x",), set()),
        ("a*x + a**2", ("x",), set()),
        ("a*x + b*exp(x) + c", ("x",), {"a", "b", "c"}),
        ("a*log(x) + b*sigmoid(x)", ("x",), {"a", "b"}),
        ("-a*x + 2.5*b", ("x",), {"a", "b"}),
        ("min(a, x)", ("x",), set()),
        ("a*x**c", ("x",), {"a"}),
        # Jointly affine although redundant: the fit, not the parser, reports the redundancy.
        ("E + (A+B)*N**-alpha", ("N",), {"E", "A", "B"}),
    ],
)
def test_linear_parameters(formula: str, inputs: tuple[str, ...], linear: set[str]) -> None:
    compiled = compile_formula(formula, inputs)
    assert set(compiled.linear_params) == linear
    assert compiled.nonlinear_params == tuple(p for p in compiled.params if p not in linear)


def test_product_of_parameters_has_only_one_linear() -> None:
    # A*B*x is linear in A and in B separately but not jointly: at most one can be projected out.
    compiled = compile_formula("A*B*x", ("x",))
    assert len(compiled.linear_params) == 1
    assert set(compiled.linear_params) <= {"A", "B"}


def test_catalog_linear_parameters() -> None:
    expected = {
        "chinchilla": {"E", "A", "B"},
        "kaplan_nd": set(),
        "power": {"E", "A"},
        "bnsl": {"a", "b"},
    }
    for name, linear in expected.items():
        assert set(sl.get_law(name).compiled.linear_params) == linear, name


@pytest.mark.parametrize(
    ("formula", "inputs"),
    [
        ("E + A*N**-alpha", ("N",)),
        ("E + A/N**alpha + B/D**beta", ("N", "D")),
        ("a*x + b*exp(-x/c) + d", ("x",)),
        ("a + b*x**(-c0)*(1 + (x/d1)**(1/f1))**(-c1*f1)", ("x",)),
    ],
)
def test_basis_reconstructs_the_formula(
    formula: str, inputs: tuple[str, ...], rng: np.random.Generator
) -> None:
    compiled = compile_formula(formula, inputs)
    x = [np.geomspace(1.0, 1e3, 7) + k for k in range(len(inputs))]
    values = dict(zip(compiled.params, rng.uniform(0.2, 2.0, len(compiled.params)), strict=True))
    offset_fn, column_fns = compiled.basis
    nonlinear = [values[p] for p in compiled.nonlinear_params]
    rebuilt = np.broadcast_to(offset_fn(*x, *nonlinear), (7,)) + sum(
        values[c] * np.broadcast_to(fn(*x, *nonlinear), (7,))
        for c, fn in zip(compiled.linear_params, column_fns, strict=True)
    )
    direct = compiled.value(*x, *(values[p] for p in compiled.params))
    # Same terms summed in another order: agreement to rounding of values of order 1-1e3.
    np.testing.assert_allclose(rebuilt, direct, rtol=1e-12)


def test_exact_derivatives_of_a_power_law() -> None:
    compiled = compile_formula("E + A*N**-alpha", ("N",))
    assert compiled.params == ("E", "A", "alpha")
    n = np.array([10.0, 1e3, 1e6])
    e, a, alpha = 1.5, 40.0, 0.3
    grad = [np.broadcast_to(g(n, e, a, alpha), n.shape) for g in compiled.gradient]
    # Hand-derived derivatives, evaluated with the same float64 operations: rounding-level agreement.
    np.testing.assert_allclose(grad[0], 1.0)
    np.testing.assert_allclose(grad[1], n**-alpha, rtol=1e-14)
    np.testing.assert_allclose(grad[2], -a * n**-alpha * np.log(n), rtol=1e-14)
    # Second derivatives: E is affine and A enters linearly, so only (A, alpha) and (alpha, alpha).
    assert set(compiled.hessian) == {(1, 2), (2, 2)}
    np.testing.assert_allclose(
        compiled.hessian[(1, 2)](n, e, a, alpha), -(n**-alpha) * np.log(n), rtol=1e-14
    )
    np.testing.assert_allclose(
        compiled.hessian[(2, 2)](n, e, a, alpha), a * n**-alpha * np.log(n) ** 2, rtol=1e-14
    )


# ---------------------------------------------------------------------------------------------------
# Inputs that must be positive


@pytest.mark.parametrize(
    ("formula", "inputs", "positive"),
    [
        ("E + A*N**-alpha + B*D**-beta", ("N", "D"), ("N", "D")),
        ("E + A*N**-alpha + B*D", ("N", "D"), ("N",)),
        ("a*x**2 + b", ("x",), ()),
        ("a/x", ("x",), ()),
        ("a*log(x)", ("x",), ("x",)),
        ("sqrt(x)*a", ("x",), ("x",)),
        ("a*x**alpha", ("x",), ("x",)),
        ("a*(2*x)**b", ("x",), ("x",)),
        ("a*(x*y)**-0.5", ("x", "y"), ("x", "y")),
        ("exp(x)*a", ("x",), ()),
        # Only the sum must be positive here, not each input.
        ("a*(x + 1)**0.5", ("x",), ()),
        ("a*log(x + y)", ("x", "y"), ()),
    ],
)
def test_positive_inputs(formula: str, inputs: tuple[str, ...], positive: tuple[str, ...]) -> None:
    assert Law.from_formula(formula, inputs=inputs).positive_inputs == positive


@pytest.mark.parametrize(
    ("name", "positive"),
    [("chinchilla", ("N", "D")), ("kaplan_nd", ("N", "D")), ("power", ("x",)), ("bnsl", ("x",))],
)
def test_catalog_positive_inputs(name: str, positive: tuple[str, ...]) -> None:
    # Kaplan's D enters as D_c/D inside a fractional power of a sum of power terms: D <= 0 makes the
    # law undefined (D = 0) or silently meaningless (D < 0), so it must be checked like N.
    assert sl.get_law(name).positive_inputs == positive


def test_positive_inputs_keep_input_order() -> None:
    law = Law.from_formula("A*D**-beta + B*N**-alpha", inputs=("N", "D"))
    assert law.positive_inputs == ("N", "D")


@pytest.mark.parametrize(
    "elements",
    [2 * 7 * 5, 3 * 5],  # two batch rows a call; a row longer than that: three points of one row a call
    ids=["rows", "points"],
)
def test_history_evaluators_give_the_same_values_in_tiles(monkeypatch, elements: int) -> None:
    law = sl.get_law("multi_power")
    compiled = law.compiled
    rng = np.random.default_rng(3)
    n, width, batch = 7, 5, 9
    inputs = [
        rng.uniform(1.0, 50.0, n),  # S1
        rng.uniform(0.0, 1e-4, (n, width)),  # gap
        rng.uniform(1e-5, 3e-4, (n, width)),  # eta
        rng.uniform(0.0, 20.0, (n, width)),  # area
    ]
    params = [rng.uniform(0.1, 1.5, (batch, 1)) for _ in law.param_names]
    params[law.param_names.index("L0")] = np.full((1, 1), 2.0)  # a parameter shared by every row
    whole_value = compiled.value(*inputs, *params)
    whole_fused = compiled.with_hessian(*inputs, *params)
    monkeypatch.setattr("scalinglaws.laws._formula.HISTORY_ELEMENTS", elements)
    chunked_value = compiled.value(*inputs, *params)
    chunked_fused = compiled.with_hessian(*inputs, *params)
    assert chunked_value.shape == (batch, n)
    np.testing.assert_array_equal(chunked_value, whole_value)
    assert len(chunked_fused) == len(whole_fused)
    for chunked, whole in zip(chunked_fused, whole_fused, strict=True):
        np.testing.assert_array_equal(chunked, np.broadcast_to(whole, (batch, n)))
