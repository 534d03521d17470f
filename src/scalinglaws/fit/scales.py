"""Scale-aware start ranges for the parameters of a typed formula, read off the data.

A catalog law ships start ranges chosen for its domain; a formula typed on the command line has none,
and the generic ``(0, 2)`` misses a negative exponent or a coefficient of 1e-3. Each searched parameter
of a typed law gets a range from its role in the formula and the data, and no bound: the fit may still
leave the range (a start range is where the search looks first, not a constraint).

- An **exponent of an input** (``N**gamma``, ``N**-alpha``): a box ``(-b, b)`` with ``b = 3 / d`` for an
  input spanning ``d`` decades (clipped to ``[0.5, 10]``): the power then moves by at most three
  decades across the data, more than any loss term does.
- A **scale of the data** (``N/N_c``, ``x/(1 + x/K)``, ``exp(-(D/U - 1)/R)``): log-spaced over the
  observed range of what it divides (an input, or an expression of inputs alone).
- A **coefficient of a term added to data** (``F`` in ``lr - F*N**gamma``): log-spaced over six
  decades around the size of what it is added to (``lr``), so the term can match it.

Only parameters the user left without bounds or start range are given one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import sympy as sp

from scalinglaws.laws import Law, ParamSpec

_DECADES_OF_EFFECT = 3.0
_EXPONENT_BOX = (0.5, 10.0)
_COEFFICIENT_DECADES = 3.0


def _decades(values: np.ndarray) -> float | None:
    """Decades an input spans on the data (None when it is not positive)."""
    if values.ndim != 1 or values.size == 0 or not np.all(values > 0):
        return None
    return float(np.log10(values.max() / values.min()))


def _is_default(spec: ParamSpec) -> bool:
    return spec == ParamSpec(spec.name)


def scale_aware(law: Law, x: Mapping[str, np.ndarray]) -> Law:
    """``law`` with start ranges from the data for every default-spec searched parameter."""
    expr = law.compiled.expr
    if law.solve_for:
        return law
    inputs = {sp.Symbol(n, real=True): n for n in law.inputs if n in x and np.ndim(x[n]) == 1}
    linear = set(law.compiled.linear_params)
    specs: dict[str, ParamSpec] = {}
    for spec in law.params:
        if spec.name in linear or not _is_default(spec):
            continue
        symbol = sp.Symbol(spec.name, real=True)
        found = (
            _as_exponent(expr, symbol, inputs, x)
            or _as_scale(expr, symbol, inputs, x)
            or _as_coefficient(expr, symbol, inputs, x, set(law.param_names))
        )
        if found is not None:
            specs[spec.name] = replace(spec, **found)
    return law.with_specs(specs) if specs else law


def _as_exponent(
    expr: sp.Expr, symbol: sp.Symbol, inputs: Mapping[sp.Symbol, str], x: Mapping[str, np.ndarray]
) -> dict[str, Any] | None:
    spans = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow) and symbol in node.exp.free_symbols and symbol not in node.base.free_symbols:
            for s in node.base.free_symbols & set(inputs):
                d = _decades(x[inputs[s]])
                if d:
                    spans.append(d)
    if not spans:
        return None
    reach = float(np.clip(_DECADES_OF_EFFECT / max(spans), *_EXPONENT_BOX))
    return {"init": (-reach, reach)}


def _as_scale(
    expr: sp.Expr, symbol: sp.Symbol, inputs: Mapping[sp.Symbol, str], x: Mapping[str, np.ndarray]
) -> dict[str, Any] | None:
    """A parameter that divides (or is divided by) data inside a power, exp or log: an input
    (``N/N_c``) or any expression of the inputs alone (``(D/U - 1)/R``, the epochs beyond the first
    over a saturation constant). Its range is that data's observed (positive) range, log-spaced."""
    for node in sp.preorder_traversal(expr):
        inner = node.base if isinstance(node, sp.Pow) else node.args[0] if isinstance(node, sp.exp | sp.log) else None
        if inner is None or symbol not in inner.free_symbols:
            continue
        for factor in sp.preorder_traversal(inner):
            if not isinstance(factor, sp.Mul):
                continue
            power = dict(f.as_base_exp() for f in factor.args).get(symbol)
            if power not in (-1, 1):
                continue
            data = factor / symbol**power
            if not data.free_symbols or not data.free_symbols <= set(inputs):
                continue
            span = _data_range(data, inputs, x)
            if span is not None:
                low, high = span if power == -1 else (1.0 / span[1], 1.0 / span[0])
                return {"init": (low, high), "init_scale": "log"}
    return None


def _data_range(
    data: sp.Expr, inputs: Mapping[sp.Symbol, str], x: Mapping[str, np.ndarray]
) -> tuple[float, float] | None:
    """The smallest and largest positive size of ``data`` (an expression of the inputs) on the rows."""
    values = _sizes(data, inputs, x)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return None
    low, high = float(values.min()), float(values.max())
    return (low, high) if low < high else None


def _as_coefficient(
    expr: sp.Expr,
    symbol: sp.Symbol,
    inputs: Mapping[sp.Symbol, str],
    x: Mapping[str, np.ndarray],
    params: set[str],
) -> dict[str, Any] | None:
    """A factor of a term that is added to pure data (``lr - F*N**gamma``): sized to that data."""
    for node in sp.preorder_traversal(expr):
        if not isinstance(node, sp.Add):
            continue
        mine = [t for t in node.args if symbol in sp.Mul.make_args(t)]
        data = [t for t in node.args if t.free_symbols and t.free_symbols <= set(inputs)]
        if len(mine) != 1 or not data or any(str(s) in params for t in data for s in t.free_symbols):
            continue
        values = _sizes(sum(data), inputs, x)
        size = float(np.median(values[np.isfinite(values)])) if np.isfinite(values).any() else 0.0
        if size > 0:
            spread = 10.0**_COEFFICIENT_DECADES
            return {"init": (size / spread, size * spread), "init_scale": "log"}
    return None


def _sizes(data: sp.Expr, inputs: Mapping[sp.Symbol, str], x: Mapping[str, np.ndarray]) -> np.ndarray:
    """``|data|`` on every row, for an expression of the inputs alone (NaN or inf where undefined)."""
    symbols = sorted(data.free_symbols, key=str)
    function = sp.lambdify(symbols, data, modules="numpy")
    with np.errstate(all="ignore"):
        return np.abs(np.asarray(function(*(x[inputs[s]] for s in symbols)), dtype=float))
