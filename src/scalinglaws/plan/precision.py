"""Compute-optimal training precision, model size and data under a precision-aware law (Kumar et al.
2024, arXiv:2411.04330, Sec. 4.3, Eq. 5-7).

Training in P bits (weights, activations and KV cache alike) costs ``cost(N, D) * P / 16``: compute
scales linearly in the bit width and equals Chinchilla's ``6*N*D`` at 16 bits (Eq. 5, C = 6/16 NDP).
:func:`allocate_precision` minimises a law with inputs N, D and per-part precisions (``kumar_precision``)
along that iso-cost surface: jointly over N, D and P (the paper's Finding 3: the optimal precision is
independent of compute, 7-8 bits at its integer-type fit), at a fixed precision (Eq. 6: at lower precision
spend more on parameters), or at a fixed model size (then P*(C) grows like log C). The inner search over
log N is the shared vectorised line search; the precision is searched on a grid and refined by golden
section, all vectorised over budgets and bootstrap draws.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scalinglaws.errors import ArgumentError
from scalinglaws.fit.result import FitResult
from scalinglaws.laws import DEFAULT_COST, CostModel, Law, as_cost_model
from scalinglaws.plan._source import evaluate_batch, minimise_log, resolve
from scalinglaws.plan.allocation import Interval2, _check_flops, _check_prob, _quantiles

PRECISION_INPUTS = ("P_w", "P_a", "P_kv")
"""The law inputs that take the training precision (all set to the same P, as in pretraining)."""
REFERENCE_BITS = 16.0
"""The precision at which ``cost`` is counted (Kumar et al.: C = 6ND at 16 bits)."""
_BITS = (2.0, 32.0)
_SPAN = 8.0 * np.log(10.0)
_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True, eq=False)
class PrecisionAllocation:
    """Compute-optimal (N, D, P) per budget; ``intervals`` (bootstrap) maps ``"n_params"``,
    ``"n_tokens"``, ``"precision"`` and ``"predicted_loss"`` to ``(lower, upper)`` arrays."""

    flops: np.ndarray
    n_params: np.ndarray
    n_tokens: np.ndarray
    precision: np.ndarray
    predicted_loss: np.ndarray
    fixed: Mapping[str, float]
    cost: str
    law: str
    source: str
    prob: float
    intervals: Mapping[str, Interval2] = field(default_factory=dict)
    n_draws: int = 0

    def to_dict(self) -> dict[str, Any]:
        budgets = []
        for i, c in enumerate(self.flops):
            row = {
                "flops": float(c), "n_params": float(self.n_params[i]), "n_tokens": float(self.n_tokens[i]),
                "precision": float(self.precision[i]), "predicted_loss": float(self.predicted_loss[i]),
            }
            for key, (lo, hi) in self.intervals.items():
                row[f"{key}_lower"], row[f"{key}_upper"] = float(lo[i]), float(hi[i])
            budgets.append(row)
        return {
            "law": self.law, "source": self.source, "cost": self.cost, "fixed": dict(self.fixed),
            "prob": self.prob if self.intervals else None, "n_draws": self.n_draws, "budgets": budgets,
        }


def _check_positive(value: float | None, name: str, function: str, rule: str) -> float | None:
    if value is None:
        return None
    if not (np.isfinite(value) and value > 0):
        raise ArgumentError(
            f"`{name}` of {function} must be {rule}. Got {value!r} instead.",
            argument=name, function=function, rule=rule, value=value,
        )
    return float(value)


def allocate_precision(
    result: FitResult | None = None,
    *,
    flops: float | Sequence[float] | np.ndarray,
    law: Law | str | None = None,
    preset: str | None = None,
    params: Mapping[str, float] | None = None,
    precision: float | None = None,
    n_params: float | None = None,
    cost: CostModel | str = DEFAULT_COST,
    reference_bits: float = REFERENCE_BITS,
    precision_inputs: Sequence[str] = PRECISION_INPUTS,
    prob: float = 0.95,
) -> PrecisionAllocation:
    """Model size, tokens and training precision that minimise the loss for each budget.

    Parameters
    ----------
    result, law, preset, params
        A fit of a precision law, or a law with a preset or parameters; default
        ``law="kumar_precision", preset="kumar2024"``.
    flops
        Budget(s): ``cost(N, D) * P / reference_bits`` FLOPs.
    precision
        Hold the training precision at this many bits (then only N and D are chosen).
    n_params
        Hold the model size (then D and P are chosen).
    cost, reference_bits
        Cost of a run at ``reference_bits`` bits (default ``6*N*D`` at 16).
    precision_inputs
        The law's inputs set to the training precision.

    Raises
    ------
    ValueError
        If an argument is invalid, both ``precision`` and ``n_params`` are given, or the law lacks
        N, D or a precision input.

    Examples
    --------
    >>> from scalinglaws.plan import allocate_precision
    >>> plan = allocate_precision(flops=1e21)
    >>> round(float(plan.precision[0]), 1)  # Kumar et al.: 7-8 bits, whatever the budget
    7.0
    """
    function = "allocate_precision"
    budgets = _check_flops(flops, function)
    _check_prob(prob, function)
    bits = _check_positive(precision, "precision", function, "a positive number of bits")
    size = _check_positive(n_params, "n_params", function, "a positive number of parameters")
    reference = _check_positive(reference_bits, "reference_bits", function, "a positive number of bits")
    assert reference is not None
    if bits is not None and size is not None:
        raise ArgumentError(
            f"`precision` and `n_params` of {function} cannot both be fixed: the budget then fixes D "
            "and nothing is left to choose. Give one of them.", argument="precision", function=function,
        )
    resolved = resolve(function, result, law, preset, params,
                       default_law="kumar_precision", default_preset="kumar2024")
    wanted = {"N", "D", *precision_inputs}
    if not set(precision_inputs) or set(resolved.law.inputs) != wanted:
        raise ArgumentError(
            f"`law` of {function} must have inputs N, D and the precision inputs {list(precision_inputs)}. "
            f"Got {resolved.law.label!r} with inputs {list(resolved.law.inputs)}.",
            argument="law", function=function,
        )
    model = as_cost_model(cost)
    batch = resolved.batch(resolved.draws is not None)
    rows = next(iter(batch.values())).shape[0]
    c = np.broadcast_to(budgets[None, :], (rows, budgets.size))

    def loss_at(p_bits: np.ndarray, n: np.ndarray) -> np.ndarray:
        """The law at precision p_bits, size n and the tokens the budget leaves (shapes broadcast)."""
        d = model.tokens(n, c[(...,) + (None,) * (np.ndim(n) - 2)] * reference / p_bits)
        inputs = {"N": n, "D": d, **dict.fromkeys(precision_inputs, p_bits)}
        params = {k: v.reshape(v.shape + (1,) * (np.ndim(n) - 2)) for k, v in batch.items()}
        value = evaluate_batch(resolved.law, params, inputs)
        return np.where(np.isfinite(value) & (d > 0), value, np.inf)

    def best_n(p_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Optimal log N and its loss at precision p_bits (shape (rows, budgets, K))."""
        if size is not None:
            log_n = np.full(p_bits.shape, np.log(size))
            return log_n, loss_at(p_bits, np.exp(log_n))
        centre = 0.5 * np.log(c[..., None] * reference / p_bits / 6.0)
        log_n, _ = minimise_log(
            lambda x: loss_at(p_bits[..., None], np.exp(x)), centre - _SPAN, centre + _SPAN
        )
        return log_n, loss_at(p_bits, np.exp(log_n))

    if bits is not None:
        p_opt = np.full((rows, budgets.size), bits)
    else:
        grid = np.linspace(*_BITS, 121)
        values = best_n(np.broadcast_to(grid, (rows, budgets.size, grid.size)).copy())[1]
        i = np.argmin(values, axis=-1)
        a, b = grid[np.maximum(i - 1, 0)], grid[np.minimum(i + 1, grid.size - 1)]
        p_opt = _golden(lambda p: best_n(p[..., None])[1][..., 0], a, b)
    log_n, value = (v[..., 0] for v in best_n(p_opt[..., None]))
    n = np.exp(log_n)
    d = model.tokens(n, c * reference / p_opt)
    intervals: dict[str, Interval2] = {}
    n_draws = rows - 1
    if n_draws:
        for key, values_ in (("n_params", n), ("n_tokens", d), ("precision", p_opt), ("predicted_loss", value)):
            intervals[key] = _quantiles(np.where(np.isfinite(value[1:]), values_[1:], np.nan), prob)
    fixed = {k: v for k, v in (("precision", bits), ("n_params", size)) if v is not None}
    return PrecisionAllocation(
        flops=budgets, n_params=n[0], n_tokens=d[0], precision=p_opt[0], predicted_loss=value[0],
        fixed=fixed, cost=f"({model.formula})*P/{reference:g}", law=resolved.law.label,
        source=resolved.label, prob=prob, intervals=intervals, n_draws=n_draws,
    )


def _golden(objective: Callable[[np.ndarray], np.ndarray], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise golden-section minimum of ``objective`` on ``[a, b]``."""
    c, d = b - _GOLDEN * (b - a), a + _GOLDEN * (b - a)
    fc, fd = objective(c), objective(d)
    for _ in range(40):
        left = fc < fd
        b, a = np.where(left, d, b), np.where(left, a, c)
        new = np.where(left, b - _GOLDEN * (b - a), a + _GOLDEN * (b - a))
        c, d = np.where(left, new, d), np.where(left, c, new)
        f_new = objective(new)
        fc, fd = np.where(left, f_new, fd), np.where(left, fc, f_new)
    return 0.5 * (a + b)
