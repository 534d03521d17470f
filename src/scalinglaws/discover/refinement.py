"""Refinement: the forms one step away from a form, by mutating, adding, pruning, tying and combining
its terms.

- **mutate** a term into a related block: a power of ``x`` into a saturating ``x/(1 + x/K)``, a
  broken power law, a log, a power of a ratio ``x/y``, of effective repeated data (``D`` and ``U``), or
  a product with another scale; a product back into separate terms or into one factor less; a log
  into a power or an interaction ``log x * log y``; an exponential into one reading an input more or
  less, or into linear terms; a quadratic in log into one whose optimum moves with a scale more or less;
- **add** a term: a power of an unused scale, an exponential or linear term of an unused input, an
  interaction of two scales the form reads, a quadratic in log of a scale that is not a size (N, D,
  C, U): a hyper-parameter optimum, moving with the form's other scales;
- **prune**: drop a term, drop or add the offset;
- **tie** the exponents of the one-quantity power terms (or untie them);
- **combine** two forms: the union of their terms.

Forms beyond :data:`MAX_TERMS` terms or :data:`MAX_PARAMS` parameters are not proposed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from scalinglaws.discover.grammar import Form, Quantity, Term, Vocabulary, power
from scalinglaws.laws import COLUMN_ALIASES

MAX_TERMS = 4
MAX_PARAMS = 12
"""Larger forms are not proposed: published laws have at most a dozen constants per fit."""


def children(form: Form, vocabulary: Vocabulary) -> list[Form]:
    """Every form one mutation, addition, pruning or tying away from ``form``."""
    terms = list(form.terms)
    out: list[Form] = []
    # prune
    if len(terms) > 1:
        out += [
            Form.of(terms[:i] + terms[i + 1 :], form.offset, form.tied) for i in range(len(terms))
        ]
    out.append(Form.of(terms, not form.offset, form.tied))
    # tie
    out.append(Form.of(terms, form.offset, not form.tied))
    # mutate
    for i, term in enumerate(terms):
        rest = terms[:i] + terms[i + 1 :]
        out += [
            Form.of([*rest, *replacement], form.offset, form.tied)
            for replacement in _variants(term, form, vocabulary)
        ]
    # add
    out += [
        Form.of([*terms, extra], form.offset, form.tied) for extra in _additions(form, vocabulary)
    ]
    return _admissible(out, form, vocabulary)


def combine(a: Form, b: Form, vocabulary: Vocabulary) -> list[Form]:
    """The union of two forms' terms (with an offset if either has one)."""
    merged = Form.of([*a.terms, *b.terms], a.offset or b.offset, a.tied and b.tied)
    return _admissible([merged], a, vocabulary)


def _admissible(forms: Iterable[Form], parent: Form, vocabulary: Vocabulary) -> list[Form]:
    out = []
    for f in dict.fromkeys(forms):
        if f == parent or not f.terms or len(f.terms) > MAX_TERMS:
            continue
        if len(f.render(vocabulary.inputs).params) > MAX_PARAMS:
            continue
        out.append(f)
    return out


def _variants(term: Term, form: Form, vocabulary: Vocabulary) -> list[tuple[Term, ...]]:
    """Replacements of one term: each a tuple of terms taking its place."""
    scales = vocabulary.scales
    out: list[tuple[Term, ...]] = []
    kind = term.kind
    if kind == "power" and len(term.quantities) == 1:
        (q,) = term.quantities
        if q.kind != "input":
            out.append((power(q.inputs[0]),))
        else:
            (x,) = q.inputs
            out += [
                (Term("power", (Quantity("saturated", (x,)),)),),
                (Term("broken", (q,)),),
                (Term("log", inputs=(x,)),),
            ]
            for y in scales:
                if y == x:
                    continue
                out.append((Term("power", (Quantity("ratio", (x, y)),)),))
                out.append((power(*sorted((x, y), key=scales.index)),))
                if (x, y) in vocabulary.repeats:
                    out.append((Term("power", (Quantity("repeated", (x, y)),)),))
    elif kind == "power":
        qs = term.quantities
        out.append(tuple(Term("power", (q,)) for q in qs))
        out += [(Term("power", qs[:i] + qs[i + 1 :]),) for i in range(len(qs))]
        used = {s for q in qs for s in q.inputs}
        out += [
            (Term("power", tuple(sorted((*qs, Quantity("input", (y,)))))),)
            for y in scales
            if y not in used
        ]
    elif kind == "broken":
        out.append((Term("power", term.quantities),))
    elif kind == "log":
        (x,) = term.inputs
        out.append((power(x),))
        out += [
            (Term("loglog", inputs=tuple(sorted((x, y), key=scales.index))),)
            for y in scales
            if y != x
        ]
    elif kind == "loglog":
        out += [(Term("log", inputs=(x,)),) for x in term.inputs]
    elif kind == "exp":
        rs = term.inputs
        if len(rs) > 1:
            out += [(Term("exp", inputs=rs[:i] + rs[i + 1 :]),) for i in range(len(rs))]
        order = list(vocabulary.inputs)
        out += [
            (Term("exp", inputs=tuple(sorted((*rs, r), key=order.index))),)
            for r in vocabulary.inputs
            if r not in rs
        ]
        out.append(tuple(Term("linear", inputs=(r,)) for r in rs))
    elif kind == "linear":
        out.append((Term("exp", inputs=term.inputs),))
    elif kind == "quad":
        h, *moving = term.inputs
        out += [
            (Term("quad", inputs=(h, *moving[:i], *moving[i + 1 :])),) for i in range(len(moving))
        ]
        out += [
            (Term("quad", inputs=(h, *sorted((*moving, y), key=scales.index))),)
            for y in scales
            if y != h and y not in moving and y in form.reads()
        ]
    return out


def _additions(form: Form, vocabulary: Vocabulary) -> list[Term]:
    """Terms that could be added to ``form``."""
    scales = vocabulary.scales
    present = set(form.terms)
    used = [s for s in scales if s in form.reads()]
    out: list[Term] = [power(x) for x in scales if power(x) not in present]
    for r in vocabulary.others:
        out += [Term("exp", inputs=(r,)), Term("linear", inputs=(r,))]
    out += [Term("loglog", inputs=pair) for pair in itertools.combinations(used, 2)]
    # A quadratic in log is the loss around a hyper-parameter's optimum: one per form, in a scale no
    # other term reads (a power and a parabola in the same log N only buy curvature), and never in a
    # size the law scales with (parameters, tokens, compute, unique tokens: more of them is not
    # "past an optimum", and a parabola in log D turns the law around just beyond the data).
    if not any(t.kind == "quad" for t in form.terms):
        for h in scales:
            if h in used or _is_size(vocabulary, h):
                continue
            out += [Term("quad", inputs=(h,)), *([Term("quad", inputs=(h, *used))] if used else [])]
    return [t for t in out if t not in present]


def _is_size(vocabulary: Vocabulary, symbol: str) -> bool:
    """Whether an input is one of the sizes laws scale with: its symbol or its column is N, D, C or U's."""
    column = vocabulary.inputs[symbol].column
    return symbol in COLUMN_ALIASES or column in COLUMN_ALIASES.values()


def neighbours(forms: Sequence[Form], vocabulary: Vocabulary) -> list[Form]:
    """The children of every form, then the pairwise combinations, in the order of ``forms``."""
    out: list[Form] = []
    for form in forms:
        out += children(form, vocabulary)
    for a, b in itertools.combinations(forms, 2):
        out += combine(a, b, vocabulary)
    return list(dict.fromkeys(out))
