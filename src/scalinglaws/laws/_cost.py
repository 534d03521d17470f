"""The cost of a training run in FLOPs as a named formula in N and D: one value, passed where needed.

``C = 6*N*D`` (dense transformer, forward and backward, attention ignored; Kaplan et al. 2020 Sec. 2.1)
is the default everywhere a compute axis is derived from model size and tokens: backtests split by
``C`` on a table without a compute column, plans over N and D, suggested runs, IsoFLOP grids.

It is only right when every parameter touches every token. A mixture of experts charges its *active*
parameters: :func:`moe_cost` is ``6*N_active*D`` for a law whose N counts every expert, and plans
refuse a law that declares ``cost_required`` unless a cost model is named (see
:func:`scalinglaws.plan.allocate`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from scalinglaws.errors import ArgumentError, LawSpecError
from scalinglaws.laws._formula import parse_formula

DEFAULT_COST = "6*N*D"
"""Training FLOPs of a dense transformer, forward and backward, ignoring attention (Kaplan Sec. 2.1)."""


@dataclass(frozen=True, eq=False)
class CostModel:
    """A cost in FLOPs as a formula in N and D, e.g. ``"6*N*D"`` or ``"6*N*D + 2*N*1e12"``.

    ``flops(N, D)`` evaluates it; ``tokens(N, C)`` solves cost(N, D) = C for D: exactly when the cost
    is affine in D, otherwise by bisection in log D (the cost must increase with D).
    """

    formula: str
    cost: Callable[[np.ndarray, np.ndarray], np.ndarray]
    _affine: tuple[Callable[..., Any], Callable[..., Any]] | None
    _product: float | None = None
    """``k`` when the cost is ``k*N*D`` (then N at a token ratio has a closed form)."""
    description: str = ""
    """What the formula charges, in words (shown by plans next to the formula)."""

    def flops(self, n: Any, d: Any) -> np.ndarray:
        """The cost of runs of ``n`` parameters on ``d`` tokens (arrays broadcast)."""
        n, d = np.asarray(n, dtype=float), np.asarray(d, dtype=float)
        return np.broadcast_to(self.cost(n, d), np.broadcast_shapes(n.shape, d.shape))

    def n_params_at(self, flops: Any, tokens_per_param: Any) -> np.ndarray:
        """The model size N whose run at ``D = tokens_per_param * N`` costs ``flops``."""
        flops, ratio = np.asarray(flops, dtype=float), np.asarray(tokens_per_param, dtype=float)
        if self._product is not None:
            return np.sqrt(flops / (self._product * ratio))
        lo = np.zeros(np.broadcast_shapes(flops.shape, ratio.shape))
        hi = np.full_like(lo, 80.0)
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            above = self.cost(np.exp(mid), ratio * np.exp(mid)) > flops
            hi, lo = np.where(above, mid, hi), np.where(above, lo, mid)
        return np.exp(0.5 * (lo + hi))

    def tokens(self, n: np.ndarray, flops: np.ndarray) -> np.ndarray:
        if self._affine is not None:
            offset, slope = self._affine
            with np.errstate(all="ignore"):
                d = (flops - offset(n)) / slope(n)
            return np.where(d > 0, d, np.nan)
        lo = np.full(np.broadcast_shapes(np.shape(n), np.shape(flops)), 0.0)
        hi = np.full_like(lo, 80.0)  # log D in [0, 80]: 1 token to 5e34 tokens
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            above = self.cost(n, np.exp(mid)) > flops
            hi, lo = np.where(above, mid, hi), np.where(above, lo, mid)
        d = np.exp(0.5 * (lo + hi))
        return np.where((hi < 80.0 - 1e-9) & (lo > 1e-9), d, np.nan)


@lru_cache(maxsize=32)
def cost_model(formula: str = DEFAULT_COST) -> CostModel:
    """Parse a cost formula in N and D (``"6ND"`` is accepted for ``"6*N*D"``).

    Raises
    ------
    LawSpecError
        If the formula does not parse or uses names other than N and D.
    """
    import sympy as sp

    text = DEFAULT_COST if formula.replace(" ", "") in ("6ND", DEFAULT_COST) else formula
    expr = parse_formula(text)
    names = {str(s) for s in expr.free_symbols}
    if not names <= {"N", "D"} or "N" not in names or "D" not in names:
        raise LawSpecError(
            f"`cost` must be a formula in N and D only, e.g. '6*N*D' or '6*N*D + 2*N*1e12'. "
            f"Got {formula!r} (names {sorted(names)}) instead."
        )
    n, d = sp.Symbol("N", real=True), sp.Symbol("D", real=True)
    fn = sp.lambdify((n, d), expr, modules="numpy")
    affine = None
    if sp.diff(expr, d, 2) == 0:
        offset, slope = expr.subs(d, 0), sp.diff(expr, d)
        affine = (_unary(n, offset), _unary(n, slope))
    coefficient = sp.simplify(expr / (n * d))
    product = float(coefficient) if coefficient.is_number else None
    return CostModel(text, lambda a, b: np.asarray(fn(a, b), dtype=float), affine, product)


def as_cost_model(cost: CostModel | str) -> CostModel:
    """A cost model from itself or its formula."""
    return cost if isinstance(cost, CostModel) else cost_model(cost)


def moe_cost(expansion_rate: float) -> CostModel:
    """Training FLOPs ``6*N_active*D`` of a mixture of experts whose law counts N over all experts.

    With Krajewski et al.'s counting (arXiv:2402.07871, Sec. 6.1) a block has ``d^2 (8E + 4)``
    parameters over all experts and ``12 d^2`` active per token at any granularity, so
    ``N_active = 12 N / (8E + 4)`` for expansion rate ``E`` (the total FFN parameters over a dense
    FFN's). At E = 64 that is N/43: charging ``6*N*D`` would over-count 43x. Router FLOPs (a term in
    ``d_model E G`` per token) are not included; they depend on the width, not on N and D alone.

    Raises
    ------
    ArgumentError
        If ``expansion_rate`` is not a finite number >= 1.
    """
    rate = float(expansion_rate)
    if not (math.isfinite(rate) and rate >= 1):
        raise ArgumentError(
            f"`expansion_rate` of moe_cost must be a finite number >= 1 (total FFN parameters over a "
            f"dense FFN's, e.g. 64). Got {expansion_rate!r} instead.",
            argument="expansion_rate", function="moe_cost", rule="a finite number >= 1",
            value=expansion_rate,
        )
    model = cost_model(f"72*N*D/{8 * rate + 4:g}")
    return replace(
        model,
        description=f"6*N_active*D with N_active = 12 N/(8E + 4) at expansion rate E = {rate:g} "
        "(Krajewski et al. Sec. 6.1; router FLOPs excluded)",
    )


def _unary(symbol: Any, expr: Any) -> Callable[[np.ndarray], np.ndarray]:
    import sympy as sp

    fn = sp.lambdify((symbol,), expr, modules="numpy")
    return lambda x: np.broadcast_to(np.asarray(fn(x), dtype=float), np.shape(x))
