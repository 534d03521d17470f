"""Allocation beyond training FLOPs: inference demand, a finite pool of unique data, over-training.

- :func:`allocate_inference` (Sardana et al. 2024, arXiv:2401.00448): for a target loss ``l`` and a
  lifetime inference demand of ``D_inf`` tokens, minimise training plus inference FLOPs
  ``6*N*D_tr + 2*N*D_inf`` subject to ``L(N, D_tr) = l``. Parameterised by N: ``D_tr(N)`` solves the
  constraint, and the 1-D total cost is minimised in log N. With ``D_inf = 0`` this is the
  Chinchilla-optimal model of that loss (the dual of :func:`~scalinglaws.plan.allocate`).
- :func:`allocate_data_constrained` (Muennighoff et al. 2023, arXiv:2305.16264): minimise the
  data-constrained law along C = 6ND when only ``unique_tokens`` distinct tokens exist, so a run of D
  tokens repeats them D/U times (U = min(pool, D)).
- :func:`overtrain_penalty` (Gadre et al. 2024, arXiv:2403.08540): the loss at the same compute when the
  tokens per parameter are ``multiplier`` times the compute-optimal ratio, against the optimum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scalinglaws.errors import ArgumentError
from scalinglaws.fit.result import FitResult
from scalinglaws.laws import DEFAULT_COST, Law, cost_model
from scalinglaws.plan._source import minimise_log, nd_loss, resolve
from scalinglaws.plan.allocation import (
    Allocation,
    Interval2,
    _check_flops,
    _check_prob,
    _quantiles,
    optimum,
)

_SPAN = 10.0 * np.log(10.0)
"""Search N over ten decades either side of the start."""


@dataclass(frozen=True, eq=False)
class InferenceAllocation:
    """Lifetime-compute-optimal model for a target loss and inference demand (Sardana et al. 2024).

    ``chinchilla_*`` describe the equal-loss model that minimises training FLOPs alone, deployed for the
    same demand; ``*_ratio`` are this optimum relative to it (as the authors' ``compute_optimal.py``
    prints them). ``intervals`` (bootstrap) maps ``"n_params"``, ``"n_tokens"``, ``"total_flops"``.
    """

    target_loss: float
    inference_tokens: float
    n_params: float
    n_tokens: float
    training_flops: float
    inference_flops: float
    chinchilla_n_params: float
    chinchilla_n_tokens: float
    chinchilla_total_flops: float
    law: str
    source: str
    prob: float
    intervals: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def total_flops(self) -> float:
        return self.training_flops + self.inference_flops

    @property
    def params_ratio(self) -> float:
        return self.n_params / self.chinchilla_n_params

    @property
    def tokens_ratio(self) -> float:
        return self.n_tokens / self.chinchilla_n_tokens

    @property
    def cost_ratio(self) -> float:
        return self.total_flops / self.chinchilla_total_flops

    def to_dict(self) -> dict[str, Any]:
        keys = (
            "target_loss", "inference_tokens", "n_params", "n_tokens", "training_flops",
            "inference_flops", "total_flops", "chinchilla_n_params", "chinchilla_n_tokens",
            "chinchilla_total_flops", "params_ratio", "tokens_ratio", "cost_ratio", "law", "source",
        )
        out = {k: getattr(self, k) for k in keys}
        out["intervals"] = {k: list(v) for k, v in self.intervals.items()} or None
        return out


def _tokens_for_loss(
    loss: Any, params: Mapping[str, np.ndarray], n: np.ndarray, target: float
) -> np.ndarray:
    """D solving L(N, D) = target, by bisection in log D (the law must fall with D); NaN if unreachable."""
    lo = np.zeros(n.shape)
    hi = np.full(n.shape, 80.0)
    reachable = loss(params, n, np.exp(hi)) < target
    for _ in range(90):
        mid = 0.5 * (lo + hi)
        above = loss(params, n, np.exp(mid)) > target
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    return np.where(reachable & (lo > 1e-9), np.exp(0.5 * (lo + hi)), np.nan)


def allocate_inference(
    result: FitResult | None = None,
    *,
    loss: float,
    inference_tokens: float,
    law: Law | str | None = None,
    preset: str | None = None,
    params: Mapping[str, float] | None = None,
    prob: float = 0.95,
) -> InferenceAllocation:
    """Model size and training tokens that reach ``loss`` at the least training + inference FLOPs.

    Minimises ``6*N*D_tr + 2*N*D_inf`` subject to ``L(N, D_tr) = loss`` (Sardana et al. 2024, Sec. 2),
    with the law from ``result`` or from ``law`` + ``preset``/``params`` (inputs N and D, loss falling
    in D).

    Raises
    ------
    ValueError
        If ``loss`` is not reachable by the law (at or below its irreducible part), ``inference_tokens``
        is negative, or the source arguments conflict.
    """
    function = "allocate_inference"
    _check_prob(prob, function)
    if not (np.isfinite(inference_tokens) and inference_tokens >= 0):
        raise ArgumentError(
            f"`inference_tokens` of {function} must be a finite number >= 0 (lifetime tokens served). "
            f"Got {inference_tokens!r} instead.",
            argument="inference_tokens", function=function,
        )
    if not (np.isfinite(loss) and loss > 0):
        raise ArgumentError(
            f"`loss` of {function} must be a positive target loss. Got {loss!r} instead.",
            argument="loss", function=function,
        )
    resolved = resolve(function, result, law, preset, params)
    evaluate = nd_loss(resolved.law, None, function)
    batch = resolved.batch(True)
    rows = next(iter(batch.values())).shape[0]
    expanded = {k: v[:, :, None] for k, v in batch.items()}  # (rows, 1(demand), 1(grid))
    demand = np.array([0.0, float(inference_tokens)])[None, :]  # Chinchilla-style, then the target

    training = cost_model(DEFAULT_COST)

    def total(log_n: np.ndarray) -> np.ndarray:
        n = np.exp(log_n)
        d = _tokens_for_loss(evaluate, expanded, n, loss)
        return np.log(training.flops(n, d) + 2.0 * n * demand[..., None])

    start = np.full((rows, 2), 20.0 * np.log(10.0))  # 1e20 parameters: search 1e10..1e30 and below
    log_n, interior = minimise_log(total, start - 2 * _SPAN + 0 * demand, start + 0 * demand)
    n = np.exp(log_n)
    d = _tokens_for_loss(evaluate, {k: v[:, :] for k, v in batch.items()}, n, loss)
    if not (interior[0].all() and np.isfinite(d[0]).all()):
        raise ArgumentError(
            f"`loss` of {function} must be reachable by {resolved.law.label!r} and above its "
            f"irreducible loss. Got {loss!r}, for which no finite model and data reach the target; "
            "raise the target loss.",
            argument="loss", function=function,
        )
    train = training.flops(n, d)
    inference = 2.0 * n * inference_tokens
    intervals: dict[str, tuple[float, float]] = {}
    if resolved.draws is not None:
        ok = interior[1:, 1] & np.isfinite(d[1:, 1])
        for key, values in (
            ("n_params", n[1:, 1]), ("n_tokens", d[1:, 1]), ("total_flops", (train + inference)[1:, 1])
        ):
            lo, hi = _quantiles(np.where(ok, values, np.nan)[:, None], prob)
            intervals[key] = (float(lo[0]), float(hi[0]))
    return InferenceAllocation(
        target_loss=float(loss),
        inference_tokens=float(inference_tokens),
        n_params=float(n[0, 1]),
        n_tokens=float(d[0, 1]),
        training_flops=float(train[0, 1]),
        inference_flops=float(inference[0, 1]),
        chinchilla_n_params=float(n[0, 0]),
        chinchilla_n_tokens=float(d[0, 0]),
        chinchilla_total_flops=float(train[0, 0] + 2.0 * n[0, 0] * inference_tokens),
        law=resolved.law.label,
        source=resolved.label,
        prob=prob,
        intervals=intervals,
    )


@dataclass(frozen=True, eq=False)
class DataConstrainedAllocation:
    """Optimum under a finite pool of unique tokens, and the unconstrained optimum for comparison.

    ``epochs`` = n_tokens / unique_tokens (how often the pool is repeated; <= 1 means no repetition).
    """

    flops: np.ndarray
    unique_tokens: float
    n_params: np.ndarray
    n_tokens: np.ndarray
    predicted_loss: np.ndarray
    unconstrained: Allocation
    law: str
    source: str

    @property
    def epochs(self) -> np.ndarray:
        return self.n_tokens / self.unique_tokens

    def to_dict(self) -> dict[str, Any]:
        return {
            "law": self.law,
            "source": self.source,
            "unique_tokens": self.unique_tokens,
            "budgets": [
                {
                    "flops": float(c), "n_params": float(n), "n_tokens": float(d),
                    "epochs": float(d / self.unique_tokens), "predicted_loss": float(v),
                    "unconstrained_n_params": float(un), "unconstrained_n_tokens": float(ud),
                }
                for c, n, d, v, un, ud in zip(
                    self.flops, self.n_params, self.n_tokens, self.predicted_loss,
                    self.unconstrained.n_params, self.unconstrained.n_tokens, strict=True,
                )
            ],
        }


def allocate_data_constrained(
    result: FitResult | None = None,
    *,
    flops: float | Sequence[float] | np.ndarray,
    unique_tokens: float,
    law: Law | str | None = None,
    preset: str | None = None,
    params: Mapping[str, float] | None = None,
) -> DataConstrainedAllocation:
    """Compute-optimal N and D (C = 6ND) when only ``unique_tokens`` distinct tokens are available.

    Uses a law with inputs N, D and U (Muennighoff's data-constrained law; default
    ``law="muennighoff", preset="muennighoff2023"`` when no source is given), with U = min(pool, D).
    The unconstrained optimum is the same law with an unlimited pool (U = D).

    Raises
    ------
    ValueError
        If ``flops`` or ``unique_tokens`` is not positive, or the law has no input U.
    """
    function = "allocate_data_constrained"
    budgets = _check_flops(flops, function)
    if not (np.isfinite(unique_tokens) and unique_tokens > 0):
        raise ArgumentError(
            f"`unique_tokens` of {function} must be a positive number of tokens. Got {unique_tokens!r} instead.",
            argument="unique_tokens", function=function,
        )
    resolved = resolve(function, result, law, preset, params, default_law="muennighoff",
                       default_preset="muennighoff2023")
    if "U" not in resolved.law.inputs:
        raise ArgumentError(
            f"`law` of {function} must have an input U (unique tokens), as 'muennighoff' does. "
            f"Got {resolved.law.label!r} with inputs {list(resolved.law.inputs)} instead.",
            argument="law", function=function,
        )
    pool = float(unique_tokens)
    model = cost_model()
    n, d, value, ok, _ = optimum(resolved, budgets, model, {"U": lambda n_, d_: np.minimum(pool, d_)}, False, function)
    un, ud, uv, uok, _ = optimum(resolved, budgets, model, {"U": lambda n_, d_: d_}, False, function)
    if not (ok[0].all() and uok[0].all()):
        raise ArgumentError(
            f"`flops` of {function}: no interior optimum for {resolved.law.label!r} at "
            f"{budgets[~(ok[0] & uok[0])].tolist()}; check the law's parameters.",
            argument="flops", function=function,
        )
    unconstrained = Allocation(
        flops=budgets, n_params=un[0], n_tokens=ud[0], predicted_loss=uv[0], exponent_a=float("nan"),
        exponent_b=float("nan"), exponent_range=(float(budgets.min()), float(budgets.max())),
        law=resolved.law.label, source=resolved.label, cost=model.formula, method="numeric", prob=0.95,
    )
    return DataConstrainedAllocation(
        flops=budgets, unique_tokens=pool, n_params=n[0], n_tokens=d[0], predicted_loss=value[0],
        unconstrained=unconstrained, law=resolved.law.label, source=resolved.label,
    )


@dataclass(frozen=True, eq=False)
class OvertrainPenalty:
    """Loss of over-training by ``multiplier`` at fixed compute, against the compute-optimal run.

    ``optimal_ratio`` is D*/N* at each budget; the over-trained run has D/N = multiplier *
    optimal_ratio and the same 6ND. ``loss_increase`` = loss - optimal_loss; ``relative_increase`` is
    that over the optimal loss. ``intervals`` (bootstrap) maps ``"loss_increase"`` to arrays.
    """

    flops: np.ndarray
    multiplier: float
    optimal_ratio: np.ndarray
    n_params: np.ndarray
    n_tokens: np.ndarray
    loss: np.ndarray
    optimal_loss: np.ndarray
    law: str
    source: str
    prob: float
    intervals: Mapping[str, Interval2] = field(default_factory=dict)

    @property
    def loss_increase(self) -> np.ndarray:
        return self.loss - self.optimal_loss

    @property
    def relative_increase(self) -> np.ndarray:
        return self.loss_increase / self.optimal_loss


def overtrain_penalty(
    result: FitResult | None = None,
    *,
    flops: float | Sequence[float] | np.ndarray,
    multiplier: float,
    law: Law | str | None = None,
    preset: str | None = None,
    params: Mapping[str, float] | None = None,
    prob: float = 0.95,
) -> OvertrainPenalty:
    """Loss at ``multiplier`` times the compute-optimal tokens per parameter, same compute (C = 6ND).

    ``multiplier`` > 1 over-trains (smaller model, more tokens); < 1 under-trains. Works for laws in
    N and D and for Gadre's law in C and M = D/N (for which the optimal ratio is (b/a)^(1/(2 eta)) at
    every budget).

    Raises
    ------
    ValueError
        If ``multiplier`` is not positive, or as :func:`~scalinglaws.plan.allocate`.
    """
    function = "overtrain_penalty"
    budgets = _check_flops(flops, function)
    _check_prob(prob, function)
    if not (np.isfinite(multiplier) and multiplier > 0):
        raise ArgumentError(
            f"`multiplier` of {function} must be a positive factor on the optimal tokens per parameter, "
            f"e.g. 10. Got {multiplier!r} instead.",
            argument="multiplier", function=function,
        )
    resolved = resolve(function, result, law, preset, params)
    model = cost_model()
    with_draws = resolved.draws is not None
    n_opt, d_opt, l_opt, ok, _ = optimum(resolved, budgets, model, None, with_draws, function)
    if not ok[0].all():
        raise ArgumentError(
            f"`flops` of {function}: {resolved.law.label!r} has no interior optimum there.",
            argument="flops", function=function,
        )
    ratio = d_opt / n_opt * multiplier
    n = model.n_params_at(budgets, ratio)
    d = ratio * n
    value = nd_loss(resolved.law, None, function)(resolved.batch(with_draws), n, d)
    intervals: dict[str, Interval2] = {}
    if with_draws:
        intervals["loss_increase"] = _quantiles(np.where(ok[1:], (value - l_opt)[1:], np.nan), prob)
    return OvertrainPenalty(
        flops=budgets, multiplier=float(multiplier), optimal_ratio=(d_opt / n_opt)[0], n_params=n[0],
        n_tokens=d[0], loss=value[0], optimal_loss=l_opt[0], law=resolved.law.label,
        source=resolved.label, prob=prob, intervals=intervals,
    )
