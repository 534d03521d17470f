"""The optimal data mixture over the simplex from per-domain mixing laws (Ye et al. 2024).

Ye et al. ("Data Mixing Laws", arXiv:2403.16952) fit one law per validation domain i,
L_i(r) = c_i + k_i exp(sum_j t_ij r_j), and predict the overall validation loss as the weighted sum
sum_i w_i L_i(r); the mixture to train on is its minimum over the simplex r_j >= 0, sum_j r_j = 1
(Sec. 4: "optimize the training mixture"). Each L_i is convex in r (the exponential of an affine function),
so the weighted sum is convex and its minimum on the simplex, with optional per-domain bounds (a domain
with little data cannot take more than its share), is found by SLSQP from a few starts. Intervals come
from the fits' bootstrap draws: draw b of every validation domain's fit gives one optimum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scalinglaws.errors import ArgumentError
from scalinglaws.fit.result import FitResult
from scalinglaws.laws import Law
from scalinglaws.plan._source import Resolved, evaluate_batch, resolve

Source = FitResult | tuple[Law | str, Mapping[str, float]]
"""A validation domain's law: a fit, or ``(law, parameter values)``."""


@dataclass(frozen=True, eq=False)
class MixturePlan:
    """The optimal training mixture: one proportion per training domain (the last one implicit in the
    laws, 1 minus the others), the predicted weighted loss, and bootstrap intervals on both."""

    proportions: np.ndarray
    predicted_loss: float
    domains: tuple[str, ...]
    weights: np.ndarray
    bounds: np.ndarray
    laws: tuple[str, ...]
    prob: float
    intervals: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    n_draws: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "domains": list(self.domains), "proportions": self.proportions.tolist(),
            "predicted_loss": self.predicted_loss, "weights": self.weights.tolist(),
            "bounds": self.bounds.tolist(), "laws": list(self.laws),
            "prob": self.prob if self.intervals else None, "n_draws": self.n_draws,
        }
        for key, (lo, hi) in self.intervals.items():
            out[f"{key}_lower"], out[f"{key}_upper"] = np.asarray(lo).tolist(), np.asarray(hi).tolist()
        return out


def _resolve_sources(function: str, sources: Sequence[Source]) -> list[Resolved]:
    if not sources:
        raise ArgumentError(
            f"`sources` of {function} must give at least one validation domain's law. Got none.",
            argument="sources", function=function,
        )
    resolved = []
    for i, source in enumerate(sources):
        if isinstance(source, FitResult):
            resolved.append(resolve(function, source, None, None, None))
        elif isinstance(source, tuple) and len(source) == 2:  # type: ignore[redundant-expr]
            resolved.append(resolve(function, None, source[0], None, source[1]))
        else:
            raise ArgumentError(
                f"`sources` of {function}: entry {i} must be a FitResult or a (law, parameters) pair. Got "
                f"{type(source).__name__} instead.", argument="sources", function=function,
            )
    inputs = resolved[0].law.inputs
    if not inputs or any(r.law.inputs != inputs for r in resolved):
        raise ArgumentError(
            f"`sources` of {function} must all be laws in the same mixture proportions (e.g. r1, r2 of "
            f"ye_mixing3). Got inputs {[list(r.law.inputs) for r in resolved]}.",
            argument="sources", function=function,
        )
    return resolved


def _bounds(function: str, bounds: Sequence[tuple[float, float]] | None, n_domains: int) -> np.ndarray:
    if bounds is None:
        return np.tile([0.0, 1.0], (n_domains, 1))
    array = np.asarray(bounds, dtype=float)
    if (
        array.shape != (n_domains, 2) or not np.all(np.isfinite(array))
        or np.any(array[:, 0] < 0) or np.any(array[:, 1] > 1) or np.any(array[:, 0] > array[:, 1])
        or array[:, 0].sum() > 1 or array[:, 1].sum() < 1
    ):
        raise ArgumentError(
            f"`bounds` of {function} must be {n_domains} pairs (lower, upper) with 0 <= lower <= upper <= 1, "
            f"lowers summing to at most 1 and uppers to at least 1 (one per training domain, the last "
            f"included). Got {bounds!r} instead.", argument="bounds", function=function,
        )
    return array


def optimal_mixture(
    sources: Sequence[Source],
    *,
    weights: Sequence[float] | None = None,
    bounds: Sequence[tuple[float, float]] | None = None,
    prob: float = 0.95,
    starts: int = 8,
    seed: int = 0,
) -> MixturePlan:
    """Training-domain proportions that minimise the weighted validation loss of mixing laws.

    Parameters
    ----------
    sources
        One law per validation domain, all in the same proportions ``r1 .. r{n-1}`` (``ye_mixing{n}``):
        fits (bootstrap draws give intervals) or ``(law, parameters)`` pairs.
    weights
        Weight of each validation domain in the overall loss (default equal; normalised to sum 1).
    bounds
        ``(lower, upper)`` proportion of each of the n training domains, the last included.
    starts, seed
        Random starts on the simplex besides its centre, and their seed (the problem is convex; the
        starts guard against flat directions).

    Raises
    ------
    ValueError
        If the sources, weights or bounds are invalid, or the optimiser finds no feasible mixture.

    Examples
    --------
    >>> from scalinglaws.plan import optimal_mixture
    >>> laws = [("ye_mixing2", {"c": 1.8, "k": 1.5, "t1": -1.2}), ("ye_mixing2", {"c": 2.0, "k": 1.0, "t1": 1.5})]
    >>> plan = optimal_mixture(laws)
    >>> [round(float(p), 3) for p in plan.proportions]
    [0.068, 0.932]
    """
    from scipy.optimize import minimize

    function = "optimal_mixture"
    if not 0 < prob < 1:
        raise ArgumentError(f"`prob` of {function} must be strictly between 0 and 1. Got {prob!r} instead.",
                            argument="prob", function=function, rule="strictly between 0 and 1", value=prob)
    resolved = _resolve_sources(function, sources)
    inputs = resolved[0].law.inputs
    n_domains = len(inputs) + 1
    w = np.ones(len(resolved)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (len(resolved),) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ArgumentError(
            f"`weights` of {function} must be {len(resolved)} non-negative numbers, not all zero (one per "
            f"validation domain). Got {weights!r} instead.", argument="weights", function=function,
        )
    w = w / w.sum()
    box = _bounds(function, bounds, n_domains)
    with_draws = all(r.draws is not None for r in resolved)
    n_rows = 1 + (min(r.draws.shape[0] for r in resolved if r.draws is not None) if with_draws else 0)
    batches = [{k: v[:n_rows, 0] for k, v in r.batch(with_draws).items()} for r in resolved]
    rng = np.random.default_rng(seed)
    initial = [np.full(n_domains, 1.0 / n_domains), *rng.dirichlet(np.ones(n_domains), starts)]
    solutions = np.full((n_rows, n_domains), np.nan)
    values = np.full(n_rows, np.nan)
    for row in range(n_rows):
        params = [{k: v[row] for k, v in b.items()} for b in batches]

        def objective(r: np.ndarray, params: list[dict[str, Any]] = params) -> float:
            point = {name: r[j] for j, name in enumerate(inputs)}
            return float(sum(wi * evaluate_batch(s.law, p, point) for wi, s, p in zip(w, resolved, params, strict=True)))

        best = None
        for start in initial:
            x0 = np.clip(start, box[:, 0], box[:, 1])
            fit = minimize(
                objective, x0, method="SLSQP", bounds=[tuple(b) for b in box],
                constraints=({"type": "eq", "fun": lambda r: float(np.sum(r) - 1.0)},),
                options={"ftol": 1e-12, "maxiter": 500},
            )
            feasible = abs(fit.x.sum() - 1) < 1e-6 and np.all(fit.x >= box[:, 0] - 1e-9) and np.all(fit.x <= box[:, 1] + 1e-9)
            if feasible and np.isfinite(fit.fun) and (best is None or fit.fun < best.fun):
                best = fit
        if best is not None:
            solutions[row], values[row] = np.clip(best.x, box[:, 0], box[:, 1]), best.fun
    if not np.isfinite(values[0]):
        raise ArgumentError(
            f"`bounds` of {function}: no feasible mixture with a finite loss was found within {box.tolist()}.",
            argument="bounds", function=function,
        )
    intervals: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if n_rows > 1:
        good = np.isfinite(values[1:])
        q = [(1 - prob) / 2, (1 + prob) / 2]
        lo, hi = np.quantile(solutions[1:][good], q, axis=0)
        intervals["proportions"] = (lo, hi)
        lo_v, hi_v = np.quantile(values[1:][good], q)
        intervals["predicted_loss"] = (np.asarray(lo_v), np.asarray(hi_v))
    names = (*(f"domain {j + 1}" for j in range(n_domains)),)
    return MixturePlan(
        proportions=solutions[0], predicted_loss=float(values[0]), domains=names, weights=w, bounds=box,
        laws=tuple(r.law.label for r in resolved), prob=prob, intervals=intervals, n_draws=n_rows - 1,
    )
