"""A compiled formula as JAX functions, for the engine's JAX backend (``backend="jax"``).

The expressions are the ones the NumPy evaluators of :class:`~scalinglaws.laws._formula.CompiledFormula`
compile (the value, and the fused list of the value and its first and second derivatives), printed by
sympy's JAX printer (``sympy.lambdify(..., modules="jax")``) with common subexpressions eliminated, so
both backends evaluate the same formulas. ``min``/``max`` print as ``jax.numpy.minimum``/``maximum``, the
Heaviside steps of their derivatives as ``jax.numpy.select`` (1/2 at the kink, as sympy and NumPy);
``history_sum`` sums over a point's history. An implicit law is solved as its NumPy evaluator solves it
(16 bisections, then 4 Newton steps kept inside the bracket), with derivatives from the implicit function
theorem.

Every function takes one data set's inputs (arrays of shape ``(n,)``; a history input ``(n, H)``), then
the parameters (scalars, or ``(n,)`` arrays of per-point values), and returns arrays of shape ``(n,)``;
the engine ``vmap``s them over batch rows. jax is imported on first use; nothing here changes JAX's
global configuration (the engine runs these functions under ``jax.enable_x64(True)``).
"""

from __future__ import annotations

import importlib
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import sympy as sp

from scalinglaws.laws._formula import CompiledFormula, _without_impulses
from scalinglaws.laws._implicit import _BISECTIONS, _NEWTON_STEPS, ImplicitFormula

JAX_EXTRA = "pip install 'scalinglaws[jax]'"
"""The command that installs what the JAX backend needs (also ``scalinglaws.fit.backends.JAX_EXTRA``)."""

Function = Callable[..., Any]


def require_jax() -> ModuleType:
    """Import jax, or raise an ImportError naming the extra that provides it.

    Raises
    ------
    ImportError
        If jax is not installed (``pip install 'scalinglaws[jax]'``).
    """
    try:
        return importlib.import_module("jax")
    except ImportError as exc:
        raise ImportError(
            f"the JAX backend (`backend='jax'`) needs jax, which is not installed. Install it with "
            f"`{JAX_EXTRA}`, or fit with `backend='numpy'`."
        ) from exc


@dataclass(frozen=True, eq=False)
class JaxFormula:
    """A formula's evaluators as JAX functions (see the module docstring for what they take).

    ``value`` returns ``f``; ``with_hessian`` returns ``[f, df/dp_1, ..., d2f/dp_i dp_j, ...]``, the
    second derivatives in the order of the compiled formula's ``hessian_pairs``.
    """

    value: Function
    with_hessian: Function


_CACHE: weakref.WeakKeyDictionary[CompiledFormula, JaxFormula] = weakref.WeakKeyDictionary()


def jax_formula(compiled: CompiledFormula) -> JaxFormula:
    """The JAX evaluators of ``compiled``, built once per compiled formula (laws sharing a formula
    share them, and with them JAX's compiled kernels).

    Raises
    ------
    ImportError
        If jax is not installed.
    """
    if compiled not in _CACHE:
        require_jax()
        _CACHE[compiled] = _implicit(compiled) if isinstance(compiled, ImplicitFormula) else _explicit(compiled)
    return _CACHE[compiled]


def _sum_history(values: Any) -> Any:
    import jax.numpy as jnp

    return jnp.sum(values, axis=0)


def _lambdify(args: Sequence[sp.Symbol], exprs: Sequence[sp.Expr]) -> Function:
    """One JAX function of ``args`` returning the list ``exprs`` (common subexpressions shared)."""
    cleaned = [_without_impulses(e) for e in exprs]
    return sp.lambdify(args, cleaned, modules=[{"history_sum": _sum_history}, "jax"], cse=True)


def _shaped(values: Sequence[Any], outputs: Sequence[Any]) -> list[Any]:
    """Each output broadcast to the points of the inputs ``values`` (their first axis): a constant
    derivative comes back as a number."""
    import jax.numpy as jnp

    n = jnp.shape(values[0])[0]
    return [jnp.broadcast_to(jnp.asarray(v, dtype=jnp.float64), (n,)) for v in outputs]


def _explicit(compiled: CompiledFormula) -> JaxFormula:
    args = compiled._args
    n_inputs = len(compiled.inputs)
    history = [i for i, name in enumerate(compiled.inputs) if name in compiled.history_inputs]
    first = compiled._first
    second = tuple(compiled._second.values())
    functions = {
        "value": _lambdify(args, [compiled.expr]),
        "with_hessian": _lambdify(args, [compiled.expr, *first, *second]),
    }

    def wrap(function: Function, single: bool) -> Function:
        def evaluate(*values: Any) -> Any:
            inputs = list(values[:n_inputs])
            for i in history:  # (n, H) -> (H, n): history_sum sums over the first axis
                inputs[i] = inputs[i].T
            outputs = _shaped(values, function(*inputs, *values[n_inputs:]))
            return outputs[0] if single else outputs

        return evaluate

    return JaxFormula(
        value=wrap(functions["value"], True),
        with_hessian=wrap(functions["with_hessian"], False),
    )


def _implicit(compiled: ImplicitFormula) -> JaxFormula:
    """``F(y, inputs, params) = 0`` solved for ``y`` as :class:`ImplicitFormula` solves it."""
    import jax.numpy as jnp

    y_symbol = compiled._y
    args = compiled._args
    params = compiled._param_symbols
    low_expr, high_expr = compiled.bracket
    residual = _lambdify((y_symbol, *args), [compiled.expr])
    limits = _lambdify(args, [low_expr, high_expr])
    variables = (y_symbol, *params)
    keys: list[tuple[sp.Symbol, ...]] = []
    exprs: list[sp.Expr] = []
    for i, a in enumerate(variables):
        keys.append((a,))
        exprs.append(sp.diff(compiled.expr, a))
        for b in variables[i:]:
            keys.append((a, b))
            exprs.append(sp.diff(compiled.expr, a, b))
    partials = _lambdify((y_symbol, *args), exprs)
    slope_in_y = _lambdify((y_symbol, *args), [sp.diff(compiled.expr, y_symbol)])
    pairs = compiled.hessian_pairs

    def solve(values: Sequence[Any]) -> Any:
        def shaped(outputs: Sequence[Any]) -> list[Any]:
            return _shaped(values, outputs)

        low, high = shaped(limits(*values))
        valid = low < high
        for _ in range(_BISECTIONS):
            middle = 0.5 * (low + high)
            above = shaped(residual(middle, *values))[0] > 0
            high = jnp.where(above, middle, high)
            low = jnp.where(above, low, middle)
        y = 0.5 * (low + high)
        for _ in range(_NEWTON_STEPS):
            step = shaped(residual(y, *values))[0] / shaped(slope_in_y(y, *values))[0]
            y = jnp.clip(y - step, low, high)
        return jnp.where(valid, y, jnp.nan)

    def derivatives(values: Sequence[Any], with_second: bool) -> list[Any]:
        y = solve(values)
        table = dict(zip(keys, _shaped(values, partials(y, *values)), strict=True))

        def partial(*symbols: sp.Symbol) -> Any:
            return table[symbols] if symbols in table else table[symbols[::-1]]

        f_y = partial(y_symbol)
        slopes = [-partial(p) / f_y for p in params]
        out = [y, *slopes]
        if with_second:
            for i, j in pairs:
                p, q = params[i], params[j]
                total = (
                    partial(p, q)
                    + partial(p, y_symbol) * slopes[j]
                    + partial(q, y_symbol) * slopes[i]
                    + partial(y_symbol, y_symbol) * slopes[i] * slopes[j]
                )
                out.append(-total / f_y)
        return out

    return JaxFormula(
        value=lambda *values: solve(values),
        with_hessian=lambda *values: derivatives(values, True),
    )
