"""The grammar renders forms the engine can fit, seeds cover its blocks, and refinement proposes only
admissible forms."""

from __future__ import annotations

import numpy as np

import scalinglaws as sl
from scalinglaws.discover.enumeration import complexity, seeds
from scalinglaws.discover.grammar import Form, Input, Quantity, Term, Vocabulary, input_kind, power
from scalinglaws.discover.refinement import MAX_PARAMS, MAX_TERMS, children, neighbours

N = Input("N", "n_params", "scale", 1e7, 1e9)
D = Input("D", "n_tokens", "scale", 1e8, 1e11)
U = Input("U", "n_unique_tokens", "scale", 1e7, 1e10)
R = Input("r1", "r1", "share", 0.0, 0.9)
VOCABULARY = Vocabulary({i.symbol: i for i in (N, D, U, R)}, frozenset({("D", "U")}))


def test_input_kinds_follow_the_values() -> None:
    assert input_kind(np.array([0.1, 0.5, 0.9])) == "share"
    assert input_kind(np.array([1e6, 1e9])) == "scale"
    assert input_kind(np.array([-1.0, 2.0])) == "real"
    assert input_kind(np.array([100.0, 101.0])) == "real"  # positive but spanning under 0.1 decades


def test_rendered_forms_parse_and_name_parameters_apart_from_columns() -> None:
    form = Form.of([power("N"), Term("power", (Quantity("repeated", ("D", "U")),))])
    rendered = form.render(VOCABULARY.inputs, reserved={"E", "A1"})
    law = sl.Law.from_formula(rendered.formula, inputs=list(rendered.symbols))
    assert set(law.param_names) == set(rendered.params)
    assert "E" not in rendered.params
    assert "A1" not in rendered.params
    assert rendered.formula.startswith("E1 + A2*")
    (repetition,) = [p for p, role in rendered.roles.items() if role == "repetition"]
    assert rendered.bounds[repetition] == (1e-3, 1e3)


def test_every_block_renders() -> None:
    blocks = [
        power("N", "D"),
        Term("power", (Quantity("ratio", ("D", "N")),)),
        Term("power", (Quantity("saturated", ("N",)),)),
        Term("broken", (Quantity("input", ("D",)),)),
        Term("log", inputs=("N",)),
        Term("loglog", inputs=("N", "D")),
        Term("exp", inputs=("r1",)),
        Term("linear", inputs=("r1",)),
        Term("quad", inputs=("U", "N", "D")),
    ]
    for block in blocks:
        rendered = Form.of([block]).render(VOCABULARY.inputs)
        sl.Law.from_formula(rendered.formula, inputs=list(rendered.symbols))
    quad = Form.of([blocks[-1]]).render(VOCABULARY.inputs)
    assert quad.optima == (("U", "F1"),)
    assert "log(N/1e+08)" in quad.formula  # centred at the geometric mean of N's range


def test_tied_exponents_share_one_parameter() -> None:
    rendered = Form.of([power("N"), power("D")], tied=True).render(VOCABULARY.inputs)
    assert rendered.formula == "E + A1*D**-a + A2*N**-a"


def test_seeds_are_ordered_by_complexity_and_cover_the_basic_combinations() -> None:
    forms = seeds(VOCABULARY)
    sizes = [complexity(f, VOCABULARY.inputs) for f in forms]
    assert sizes == sorted(sizes)
    rendered = {f.render(VOCABULARY.inputs).formula for f in forms}
    assert "E + A1*D**-a1 + A2*N**-a2" in rendered  # additive
    assert "E + A1*N**-a1*D**-a2" in rendered  # multiplicative
    assert "E + A1*exp(t1*r1)" in rendered


def test_refinement_proposes_admissible_neighbours() -> None:
    form = Form.of([power("N"), power("D")])
    kids = children(form, VOCABULARY)
    formulas = {k.render(VOCABULARY.inputs).formula for k in kids}
    assert "E + A1*D**-a1" in formulas  # pruned
    assert any("exp(-(D/U - 1)/R1)" in f for f in formulas)  # effective repeated data
    assert any("(1 + N/K1)" in f for f in formulas)  # saturating
    assert form not in kids
    for kid in neighbours([form, Form.of([Term("exp", inputs=("r1",))])], VOCABULARY):
        assert 0 < len(kid.terms) <= MAX_TERMS
        assert len(kid.render(VOCABULARY.inputs).params) <= MAX_PARAMS


def test_a_quadratic_in_log_is_proposed_for_a_hyper_parameter_not_for_a_size() -> None:
    inputs = [
        Input("N", "n_params", "scale", 1e7, 1e9),
        Input("D", "n_tokens", "scale", 1e9, 1e11),
        Input("lr", "lr", "scale", 1e-4, 1e-2),
    ]
    vocabulary = Vocabulary({i.symbol: i for i in inputs})
    kids = children(Form.of([power("N")]), vocabulary)
    optima = {h for k in kids for t in k.terms if t.kind == "quad" for h in t.inputs[:1]}
    assert optima == {"lr"}
