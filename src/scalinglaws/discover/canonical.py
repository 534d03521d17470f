"""Canonical forms: one string for every formula that is the same law up to renaming and
reparametrising its parameters.

``E + A/N**alpha``, ``L0 + (N_c/N)**k`` and ``E + A1*N**-a1`` are one law: offset plus a power of
``N``. The canonical form is computed in three steps:

1. inputs are renamed to the column they read, and the expression is expanded with sympy (powers of
   products and of sums in the exponent split, logs of products split, products distributed over
   sums), so ``(N_c/N)**k`` becomes ``N_c**k * N**-k``;
2. every maximal sub-expression that reads no input (``N_c**k``, ``-k``, ``E``) is collapsed into a
   placeholder, and the arguments of sums, products, ``min`` and ``max`` are sorted by their shape
   with every placeholder written alike, so the result does not depend on parameter names;
3. placeholders are numbered in that order (equal sub-expressions share a number).

Two formulas are equivalent when their skeletons agree and, in each, the placeholders are free: the
map from parameters to placeholders has full rank (checked numerically at a generic point), so any
placeholder values are reached by some parameters and both describe the same family. When the map is
not of full rank (``A*N**-a*D**(-2*a)``: three placeholders, two parameters), the placeholder
expressions themselves, with parameters renamed by first use, must agree too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp

from scalinglaws.laws import parse_formula

_RANK_TOLERANCE = 1e-8
"""Relative singular value below which the parameter -> placeholder map has lost a dimension."""


@dataclass(frozen=True)
class Canonical:
    """The canonical form of a formula: its skeleton, whether its placeholders are free, the
    placeholder expressions (parameters renamed by first use) and its number of parameters."""

    skeleton: str
    full_rank: bool
    relation: str
    n_params: int

    @property
    def identity(self) -> str:
        """Equal for equivalent formulas (the key under which equivalent forms are merged)."""
        return self.skeleton if self.full_rank else f"{self.skeleton} | {self.relation}"


def canonical(formula: str, inputs: Mapping[str, str]) -> Canonical:
    """The canonical form of ``formula`` whose inputs are the keys of ``inputs`` (symbol -> the column
    it reads; formulas reading the same columns are comparable)."""
    return _canonical(formula, tuple(sorted(inputs.items())))


@lru_cache(maxsize=4096)
def _canonical(formula: str, inputs: tuple[tuple[str, str], ...]) -> Canonical:
    expr = parse_formula(formula)
    renamed = {sp.Symbol(s, real=True): sp.Symbol(f"x[{c}]", positive=True) for s, c in inputs}
    expr = expr.xreplace(renamed)
    data = set(renamed.values())
    params = sorted(expr.free_symbols - data, key=str)
    expanded = sp.expand(
        expr,
        deep=True,
        mul=True,
        multinomial=False,
        power_exp=True,
        power_base=True,
        log=True,
        force=True,
    )
    tree = _build(expanded, data)
    placeholders: list[sp.Expr] = []
    skeleton = _print(tree, placeholders)
    full = len(placeholders) <= len(params) and _rank(placeholders, params) == len(placeholders)
    return Canonical(skeleton, full, _relation(placeholders), len(params))


Node = tuple[Any, ...]


def _build(expr: sp.Expr, data: set[sp.Symbol]) -> Node:
    if not expr.free_symbols & data:
        if expr.free_symbols:
            return ("P", expr)
        return ("n", _number(expr))
    if expr in data:
        return ("x", str(expr))
    if isinstance(expr, sp.Add | sp.Mul):
        constant = [a for a in expr.args if not a.free_symbols & data]
        children = [_build(a, data) for a in expr.args if a.free_symbols & data]
        if constant:
            merged = expr.func(*constant)
            if merged.free_symbols:
                children.append(("P", merged))
            elif merged != expr.func.identity:
                children.append(("n", _number(merged)))
        if len(children) == 1:
            return children[0]
        return ("add" if isinstance(expr, sp.Add) else "mul", *sorted(children, key=_shape))
    if isinstance(expr, sp.Pow):
        return ("pow", _build(expr.base, data), _build(expr.exp, data))
    children = [_build(a, data) for a in expr.args]
    if isinstance(expr, sp.Min | sp.Max):
        children.sort(key=_shape)
    return (type(expr).__name__, *children)


def _number(value: sp.Expr) -> str:
    try:
        return f"{float(value):.10g}"
    except TypeError:  # a complex or symbolic constant: keep it as sympy writes it
        return str(value)


def _shape(node: Node) -> str:
    """The node as text with every placeholder written ``P``: independent of parameter names."""
    head = node[0]
    if head == "P":
        return "P"
    if head in ("x", "n"):
        return str(node[1])
    return f"{head}({','.join(_shape(c) for c in node[1:])})"


def _print(node: Node, placeholders: list[sp.Expr]) -> str:
    """The node as text with numbered placeholders, numbering them in order of first appearance."""
    head = node[0]
    if head == "P":
        expr = node[1]
        for i, seen in enumerate(placeholders):
            if seen == expr:
                return f"P{i}"
        placeholders.append(expr)
        return f"P{len(placeholders) - 1}"
    if head in ("x", "n"):
        return str(node[1])
    return f"{head}({','.join(_print(c, placeholders) for c in node[1:])})"


def _rank(placeholders: list[sp.Expr], params: list[sp.Symbol]) -> int:
    """Numerical rank of the Jacobian of the placeholders in the parameters at a generic point."""
    if not placeholders:
        return 0
    rng = np.random.default_rng(0)
    point = {p: float(v) for p, v in zip(params, rng.uniform(0.55, 1.45, len(params)), strict=True)}
    jacobian = np.empty((len(placeholders), len(params)))
    for i, expr in enumerate(placeholders):
        for j, p in enumerate(params):
            try:
                jacobian[i, j] = complex(sp.diff(expr, p).evalf(subs=point)).real
            except (TypeError, ValueError):
                return 0  # not differentiable there (min/max of parameters): claim nothing
    if not np.all(np.isfinite(jacobian)):
        return 0
    # Rows and columns scaled to unit size: a placeholder such as 1e19**k has a huge derivative, which
    # says nothing about the rank.
    jacobian /= np.maximum(np.max(np.abs(jacobian), axis=1, keepdims=True), 1e-300)
    jacobian /= np.maximum(np.max(np.abs(jacobian), axis=0, keepdims=True), 1e-300)
    singular = np.linalg.svd(jacobian, compute_uv=False)
    return int(np.sum(singular > _RANK_TOLERANCE * max(float(singular[0]), 1e-300)))


def _relation(placeholders: list[sp.Expr]) -> str:
    """The placeholder expressions with parameters renamed ``p0, p1, ...`` by first use, each
    parameter's sign chosen so that its first placeholder is not negated (``(D/N)**-a`` and
    ``(D/N)**m`` are one law)."""
    order: list[sp.Symbol] = []
    for expr in placeholders:
        for node in sp.preorder_traversal(expr):
            if isinstance(node, sp.Symbol) and node not in order:
                order.append(node)
    exprs = list(placeholders)
    for symbol in order:
        first = next(e for e in exprs if symbol in e.free_symbols)
        if first.could_extract_minus_sign():
            exprs = [e.xreplace({symbol: -symbol}) for e in exprs]
    names = {s: sp.Symbol(f"p{i}", real=True) for i, s in enumerate(order)}
    return "; ".join(str(e.xreplace(names)) for e in exprs)


def equivalent(a: Canonical, b: Canonical) -> bool:
    """Whether two canonical forms describe one law up to reparametrisation."""
    return a.identity == b.identity
