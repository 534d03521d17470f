"""The degenerate-optimum guard: an optimum that makes part of the law meaningless is not an estimate.

An optimiser finds the in-sample optimum of whatever form it is given. On a short or unlucky ladder that
optimum can be a nonsense law that still fits: a term that vanishes on every run (its parameters then
say nothing), two huge terms that cancel to a few digits (an offset at -1e12 balanced by an amplitude at
+1e12), an input-dependent term that has gone flat (an exponent collapsed to zero, so the term is a
second offset), or a parameter that ran off towards a bound it was never given (an exponent of 1e61).
Its predictions off the data are meaningless. After every fit, every sum in the formula that reads an
input is checked, term by term, at the optimum and on the data:

- ``vanishing``: a term is below ``VANISHING`` of the sum it belongs to on every point, so the
  parameters inside it are not determined (or a data term such as ``lr`` in ``lr - F*N**gamma`` is
  swamped by the fitted terms, so the law ignores it). A term that is a parameter alone, such as an
  offset ``E`` at 0, is not one: its value is the estimate (and a status of ``at-bound`` when the data
  pushed it onto its bound, as the irreducible loss of a few Hitchhiker's-Guide families);
- ``cancelling``: a term exceeds ``CANCELLING`` times that sum somewhere (or overflows);
- ``flat``: an input-dependent term varies by less than ``FLAT`` of its size while its inputs vary;
- ``runaway``: a searched parameter with no bound on that side ended beyond ``RUNAWAY`` times its start
  range, or raises an input to a power that spans more than ``DECADES`` decades over the data.

Catalog laws fitted to data from their own domain never trip these (the conformance suite checks it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import sympy as sp

from scalinglaws.fit._problem import Problem
from scalinglaws.laws import evaluate, history_sum

Kind = Literal["vanishing", "cancelling", "flat", "runaway"]

VANISHING = 1e-9
CANCELLING = 1e6
FLAT = 1e-8
RUNAWAY = 1e8
DECADES = 30.0


@dataclass(frozen=True)
class Degeneracy:
    """One way the optimum is degenerate: the parameters involved, the term, and a message."""

    kind: Kind
    params: tuple[str, ...]
    term: str
    message: str


def _nodes(expr: sp.Expr) -> list[sp.Expr]:
    """The formula's sub-expressions with one value per point, outermost first: the inside of a
    ``history_sum`` (one value per earlier step) is not one of them."""
    out, stack = [], [expr]
    while stack:
        node = stack.pop()
        out.append(node)
        if not isinstance(node, history_sum):
            stack.extend(reversed(node.args))
    return out


def _sums(expr: sp.Expr, inputs: set[sp.Symbol], params: set[sp.Symbol]) -> list[sp.Add]:
    """Every sum in the formula that reads an input and has a term with a parameter, outermost first."""
    return [
        node for node in _nodes(expr)
        if isinstance(node, sp.Add) and node.free_symbols & inputs
        and any(term.free_symbols & params for term in node.args)
    ]


def _powers(expr: sp.Expr, inputs: set[sp.Symbol], params: set[sp.Symbol]) -> list[sp.Pow]:
    """Powers of an input-dependent base whose exponent has a parameter."""
    return [
        node for node in _nodes(expr)
        if isinstance(node, sp.Pow) and node.base.free_symbols & inputs and node.exp.free_symbols & params
    ]


def check(problem: Problem, params: np.ndarray) -> list[Degeneracy]:
    """Every degeneracy of the optimum ``params`` on the problem's data, most serious first."""
    law = problem.law
    compiled = law.compiled
    if law.solve_for:  # an implicit law is an equation; only the parameters can be checked
        return _runaway(problem, params)
    free_positions = set(problem.free.tolist())
    free = {
        sp.Symbol(name, real=True) for j, name in enumerate(law.param_names)
        if any(int(block.index[j]) in free_positions for block in problem.blocks)
    }
    inputs = {sp.Symbol(n, real=True) for n in law.inputs}
    found: list[Degeneracy] = []
    seen: set[tuple[str, str]] = set()
    for block in problem.blocks:
        arguments = [problem.x[n][block.rows] for n in law.inputs]
        values = [np.float64(v) for v in params[block.index]]  # numpy scalars: inf, not ZeroDivisionError
        shape = (block.rows.size,)

        def at(
            node: sp.Expr,
            arguments: Sequence[np.ndarray] = arguments,
            values: Sequence[np.float64] = values,
            shape: tuple[int] = shape,
        ) -> np.ndarray:
            return np.asarray(evaluate(compiled.evaluator(node), *arguments, *values, shape=shape), dtype=float)

        for total in _sums(compiled.expr, inputs, free):
            terms = [(term, at(term)) for term in total.args]
            whole = np.sum([v for _, v in terms], axis=0)
            scale = float(np.max(np.abs(whole))) if np.all(np.isfinite(whole)) else np.inf
            for term, value in terms:
                involved = tuple(sorted(str(s) for s in term.free_symbols & free))
                if not involved:
                    if term.free_symbols & inputs and np.isfinite(scale) and scale > 0:
                        size = float(np.max(np.abs(value)))
                        if size < VANISHING * scale and (str(term), "vanishing") not in seen:
                            seen.add((str(term), "vanishing"))
                            others = tuple(sorted(
                                str(s) for t, _ in terms if t is not term for s in t.free_symbols & free
                            ))
                            detail = (
                                f"is swamped: at most {size:.3g} against {scale:.3g} for the sum `{total}`, "
                                f"so the law no longer depends on it"
                            )
                            found.append(Degeneracy("vanishing", others, str(term), _message(
                                "vanishing", others, str(term), detail, data_term=True
                            )))
                    continue
                size = float(np.max(np.abs(value))) if np.all(np.isfinite(value)) else np.inf
                kind: Kind | None = None
                if not np.isfinite(size) or (np.isfinite(scale) and size > CANCELLING * scale > 0):
                    kind, detail = "cancelling", (
                        f"reaches {size:.3g} where the sum it belongs to, `{total}`, is at most {scale:.3g}: "
                        "two terms cancel to a few digits"
                    )
                elif np.isfinite(scale) and scale > 0 and size < VANISHING * scale and not term.is_Symbol:
                    kind, detail = "vanishing", (
                        f"is at most {size:.3g} on the data against {scale:.3g} for the sum `{total}`: it "
                        "contributes nothing, so its parameters are not determined"
                    )
                elif term.free_symbols & inputs and size > 0 and _inputs_vary(term, inputs, law.inputs, arguments):
                    spread = float(np.max(value) - np.min(value))
                    if spread < FLAT * size:
                        kind, detail = "flat", (
                            f"varies by {spread / size:.2g} of its size across the data although its inputs "
                            "vary: it acts as a second offset (an exponent has collapsed to zero)"
                        )
                if kind is not None and (str(term), kind) not in seen:
                    seen.add((str(term), kind))
                    found.append(Degeneracy(kind, involved, str(term), _message(kind, involved, str(term), detail)))
        for power in _powers(compiled.expr, inputs, free):
            value = at(power)
            with np.errstate(all="ignore"):
                magnitude = np.log10(np.abs(value))
            involved = tuple(sorted(str(s) for s in power.exp.free_symbols & free if _unbounded(problem, str(s))))
            if not involved or (str(power), "runaway") in seen:
                continue
            finite = magnitude[np.isfinite(magnitude)]
            span = float(finite.max() - finite.min()) if finite.size == magnitude.size else np.inf
            if span > DECADES:
                seen.add((str(power), "runaway"))
                detail = (
                    f"spans {span:.3g} decades over the data" if np.isfinite(span)
                    else "overflows or underflows to 0 on part of the data"
                )
                found.append(Degeneracy("runaway", involved, str(power), _message("runaway", involved, str(power), detail)))
    found.extend(d for d in _runaway(problem, params) if all(d.params != f.params or f.kind != "runaway" for f in found))
    order = {"cancelling": 0, "runaway": 1, "vanishing": 2, "flat": 3}
    return sorted(found, key=lambda d: order[d.kind])


def _inputs_vary(term: sp.Expr, symbols: set[sp.Symbol], names: Sequence[str], arguments: Sequence[np.ndarray]) -> bool:
    """Whether some input of ``term`` varies by more than 0.1% across the rows."""
    for name, values in zip(names, arguments, strict=True):
        if sp.Symbol(name, real=True) in term.free_symbols and values.ndim == 1 and values.size > 1:
            top = float(np.max(np.abs(values)))
            if top > 0 and float(np.max(values) - np.min(values)) > 1e-3 * top:
                return True
    return False


def _unbounded(problem: Problem, name: str) -> bool:
    """Whether the law parameter ``name`` has no bound on at least one side."""
    spec = problem.law.spec(name)
    return spec.fixed is None and not (np.isfinite(spec.lower) and np.isfinite(spec.upper))


def _runaway(problem: Problem, params: np.ndarray) -> list[Degeneracy]:
    """Searched parameters that ended far beyond their start range towards an infinite bound."""
    from scalinglaws.fit._varpro import linear_structure

    _, nonlinear = linear_structure(problem)
    found = []
    for i in nonlinear:
        value = float(params[i])
        reach = max(1.0, abs(float(problem.init_lower[i])), abs(float(problem.init_upper[i])))
        open_side = problem.upper[i] if value > 0 else problem.lower[i]
        if not np.isfinite(open_side) and abs(value) > RUNAWAY * reach:
            name = problem.names[i]
            detail = f"ended at {value:.3g}, {abs(value) / reach:.2g} times beyond its start range"
            found.append(Degeneracy("runaway", (name,), name, _message("runaway", (name,), name, detail)))
    return found


def _message(kind: Kind, params: tuple[str, ...], term: str, detail: str, data_term: bool = False) -> str:
    names = ", ".join(params)
    if data_term:
        subject = f"data term `{term}` (the other terms have parameter{'s' * (len(params) > 1)} {names})"
    elif term in params:
        subject = f"parameter `{term}`"
    else:
        subject = f"{'power' if kind == 'runaway' else 'term'} `{term}` (parameter{'s' * (len(params) > 1)} {names})"
    fix = (
        f"Bound {'it' if len(params) == 1 else 'them'} to physical values (`--param {params[0]}=LO:HI`), fix "
        f"{'it' if len(params) == 1 else 'one'} (`--fix {params[0]}=VALUE`), or drop the term from the law."
    )
    return f"degenerate optimum ({kind}): the {subject} {detail}. {fix}"
