"""The first forms to try, simplest first: every building block of the grammar on its own and the
basic combinations across inputs.

- each scale ``x``: ``A*x**-a``, ``E + A*x**-a``, ``E + A*log(x)``;
- each other input ``r``: ``E + A*exp(t*r)``, ``E + A*r``;
- each pair of scales: additive ``E + A*x**-a + B*y**-b``, multiplicative ``E + A*x**-a*y**-b`` and
  ``A*x**-a*y**-b``, the ratio ``E + A*(x/y)**-a``;
- all scales at once (three or more): additive and multiplicative;
- the non-scale inputs together: ``E + A*exp(t1*r1 + t2*r2 + ...)`` and the linear model.

Refinement (:mod:`.refinement`) grows these into saturating, repeated-data, broken, quadratic and
interaction forms. Forms are ordered by :func:`complexity`: parameters first, then structure.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from scalinglaws.discover.grammar import Form, Input, Quantity, Term, Vocabulary, power


def seeds(vocabulary: Vocabulary) -> list[Form]:
    """The seed forms over the vocabulary's inputs, simplest first, without duplicates."""
    scales, others = vocabulary.scales, vocabulary.others
    forms: list[Form] = []
    for x in scales:
        forms += [
            Form.of([power(x)], offset=False),
            Form.of([power(x)]),
            Form.of([Term("log", inputs=(x,))]),
        ]
    for r in others:
        forms += [Form.of([Term("exp", inputs=(r,))]), Form.of([Term("linear", inputs=(r,))])]
    for x, y in itertools.combinations(scales, 2):
        forms += [
            Form.of([power(x), power(y)]),
            Form.of([power(x, y)]),
            Form.of([power(x, y)], offset=False),
            Form.of([Term("power", (Quantity("ratio", (x, y)),))]),
        ]
    if len(scales) >= 3:
        forms += [Form.of([power(x) for x in scales]), Form.of([power(*scales)])]
    if len(others) >= 2:
        forms += [
            Form.of([Term("exp", inputs=tuple(others))]),
            Form.of([Term("linear", inputs=(r,)) for r in others]),
        ]
    return sort_forms(list(dict.fromkeys(forms)), vocabulary.inputs)


def complexity(form: Form, inputs: Mapping[str, Input]) -> tuple[int, float]:
    """How complex a form is: its number of parameters, then its structural cost."""
    return (len(form.render(inputs).params), form.cost)


def sort_forms(forms: Sequence[Form], inputs: Mapping[str, Input]) -> list[Form]:
    """``forms`` simplest first (ties broken by the formula, so the order is the same every run)."""
    return sorted(forms, key=lambda f: (*complexity(f, inputs), f.render(inputs).formula))
