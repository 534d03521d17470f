"""Implicit laws: ``F(y, inputs, params) = 0`` solved for the prediction ``y``, with exact derivatives
from the implicit function theorem."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from scalinglaws.laws._formula import CompiledFormula, _lambdify

_BISECTIONS, _NEWTON_STEPS = 16, 4
"""Halvings of the bracket (to 1.5e-5 of it), then Newton steps (quadratic from there, kept inside)."""


@dataclass(frozen=True, eq=False)
class ImplicitFormula(CompiledFormula):
    """A law ``F(y, inputs, params) = 0`` solved for ``y`` inside ``bracket`` (expressions in the
    parameters and inputs), where ``F`` increases with ``y``.

    The value comes from bisection; derivatives from the implicit function theorem, with ``F``'s exact
    partial derivatives. No parameter is solved by projection (none enters the solution linearly).
    """

    solve_for: str = ""
    bracket: tuple[sp.Expr, sp.Expr] = (sp.S.Zero, sp.S.One)
    _last_solution: dict[str, Any] = field(default_factory=dict, repr=False)
    """The latest solution and its arguments: a gradient and a Hessian evaluate at the same point."""

    @cached_property
    def _y(self) -> sp.Symbol:
        return sp.Symbol(self.solve_for, real=True)

    @cached_property
    def history_inputs(self) -> tuple[str, ...]:
        return ()

    @cached_property
    def linear_params(self) -> tuple[str, ...]:
        return ()

    @cached_property
    def _residual(self) -> Callable[..., Any]:
        return _lambdify((self._y, *self._args), self.expr)

    @cached_property
    def _limits(self) -> tuple[Callable[..., Any], Callable[..., Any]]:
        low, high = self.bracket
        return _lambdify(self._args, low), _lambdify(self._args, high)

    def _solve(self, *values: Any) -> np.ndarray:
        key = tuple((np.shape(v), np.asarray(v, dtype=float).tobytes()) for v in values)
        if self._last_solution.get("key") != key:
            self._last_solution.update(key=key, y=self._bisect_then_newton(values))
        return np.asarray(self._last_solution["y"])

    def _bisect_then_newton(self, values: Sequence[Any]) -> np.ndarray:
        with np.errstate(all="ignore"):
            low, high = (np.asarray(limit(*values), dtype=float) for limit in self._limits)
            low, high = (a.copy() for a in np.broadcast_arrays(low, high))
            valid = low < high
            for _ in range(_BISECTIONS):
                middle = 0.5 * (low + high)
                above = np.asarray(self._residual(middle, *values)) > 0
                high = np.where(above, middle, high)
                low = np.where(above, low, middle)
            y = 0.5 * (low + high)
            slope = self._partials[(self._y,)]
            for _ in range(_NEWTON_STEPS):
                y = np.clip(y - self._residual(y, *values) / slope(y, *values), low, high)
            return np.where(valid, y, np.nan)

    @cached_property
    def _partials(self) -> dict[tuple[sp.Symbol, ...], Callable[..., Any]]:
        """``F``'s partial derivatives in ``y`` and the parameters, up to second order."""
        variables = (self._y, *self._param_symbols)
        out: dict[tuple[sp.Symbol, ...], Callable[..., Any]] = {}
        for i, a in enumerate(variables):
            out[(a,)] = _lambdify((self._y, *self._args), sp.diff(self.expr, a))
            for b in variables[i:]:
                out[(a, b)] = _lambdify((self._y, *self._args), sp.diff(self.expr, a, b))
        return out

    def _slopes(self, values: Sequence[Any]) -> tuple[np.ndarray, Callable[..., np.ndarray], list[np.ndarray]]:
        """The solution, a partial-derivative evaluator at it, and ``dy/dparam`` for each parameter."""
        y = self._solve(*values)

        def partial(*symbols: sp.Symbol) -> np.ndarray:
            key = symbols if symbols in self._partials else symbols[::-1]
            with np.errstate(all="ignore"):
                return np.asarray(self._partials[key](y, *values), dtype=float)

        f_y = partial(self._y)
        with np.errstate(all="ignore"):
            slopes = [-partial(p) / f_y for p in self._param_symbols]
        return y, partial, slopes

    @cached_property
    def value(self) -> Callable[..., Any]:
        return self._solve

    @cached_property
    def gradient(self) -> tuple[Callable[..., Any], ...]:
        def slope(j: int) -> Callable[..., Any]:
            return lambda *values: self._slopes(values)[2][j]

        return tuple(slope(j) for j in range(len(self.params)))

    @cached_property
    def hessian(self) -> dict[tuple[int, int], Callable[..., Any]]:
        """``d2y/dpi dpj = -(F_ij + F_iy y_j + F_jy y_i + F_yy y_i y_j) / F_y``."""

        def second(i: int, j: int) -> Callable[..., Any]:
            def evaluate_at(*values: Any) -> np.ndarray:
                _, partial, slopes = self._slopes(values)
                p, q, y = self._param_symbols[i], self._param_symbols[j], self._y
                with np.errstate(all="ignore"):
                    total = (
                        partial(p, q)
                        + partial(p, y) * slopes[j]
                        + partial(q, y) * slopes[i]
                        + partial(y, y) * slopes[i] * slopes[j]
                    )
                    return -total / partial(y)

            return evaluate_at

        n = len(self.params)
        return {(i, j): second(i, j) for i in range(n) for j in range(i, n)}

    @cached_property
    def basis(self) -> tuple[Callable[..., Any], tuple[Callable[..., Any], ...]]:
        return self._solve, ()

    @cached_property
    def hessian_pairs(self) -> tuple[tuple[int, int], ...]:
        return tuple(self.hessian)

    @cached_property
    def with_gradient(self) -> Callable[..., list[Any]]:
        def first(*values: Any) -> list[Any]:
            return [self.value(*values), *(g(*values) for g in self.gradient)]

        return first

    @cached_property
    def with_hessian(self) -> Callable[..., list[Any]]:
        hessian = [self.hessian[pair] for pair in self.hessian_pairs]

        def second(*values: Any) -> list[Any]:
            return [*self.with_gradient(*values), *(h(*values) for h in hessian)]

        return second
