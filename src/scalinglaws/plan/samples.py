"""Test-time compute: split a fixed inference budget between the number of samples and model size.

Each candidate model has its own coverage law in the number of samples k (``brown_coverage`` or
``brown_coverage_ceiling``, fitted on that model's pass@k). A budget of ``flops`` buys a model of N
parameters ``k = floor(D / tokens_per_sample)`` samples, where D solves ``cost(N, D) = flops`` (default
``2*N*D``: a forward pass per generated token, prompt ignored). The plan is the candidate with the
highest coverage at its k: Brown et al. 2024 (arXiv:2407.21787, Sec. 2.3, Fig. 4) make this comparison
between Llama-3-8B and -70B at equal FLOPs. When the fits carry bootstrap draws, every coverage gets a
percentile interval, and ``prob_best`` is the share of draws in which each candidate wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scalinglaws.errors import ArgumentError
from scalinglaws.fit.result import FitResult
from scalinglaws.laws import CostModel, Law, as_cost_model
from scalinglaws.plan._source import Resolved, evaluate_batch, resolve
from scalinglaws.plan.allocation import Interval2, _check_flops, _check_prob, _quantiles

INFERENCE_COST = "2*N*D"
"""FLOPs of generating D tokens with N parameters: one forward pass (2N) per token (Kaplan Sec. 2.1)."""


@dataclass(frozen=True, eq=False)
class SampleAllocation:
    """Coverage each candidate model reaches with the samples a budget buys, and the best candidate.

    Arrays are ``(n_budgets, n_candidates)`` unless named per budget; ``n_params`` lists the candidates.
    ``samples`` is the whole number of samples the budget buys (0 where not even one). ``intervals``
    maps ``"coverage"`` to ``(lower, upper)`` arrays; ``prob_best`` (``(n_budgets, n_candidates)``) is
    the share of joint bootstrap draws in which each candidate has the highest coverage. Both are
    empty/None without draws on every candidate.
    """

    flops: np.ndarray
    n_params: np.ndarray
    samples: np.ndarray
    coverage: np.ndarray
    best: np.ndarray
    tokens_per_sample: float
    cost: str
    laws: tuple[str, ...]
    prob: float
    intervals: Mapping[str, Interval2] = field(default_factory=dict)
    prob_best: np.ndarray | None = None
    n_draws: int = 0

    @property
    def best_n_params(self) -> np.ndarray:
        """Model size of the best candidate per budget."""
        return self.n_params[self.best]

    @property
    def best_samples(self) -> np.ndarray:
        return np.take_along_axis(self.samples, self.best[:, None], axis=1)[:, 0]

    @property
    def best_coverage(self) -> np.ndarray:
        return np.take_along_axis(self.coverage, self.best[:, None], axis=1)[:, 0]

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form, one entry per budget with a row per candidate."""
        budgets = []
        for i, budget in enumerate(self.flops):
            rows = []
            for j, n in enumerate(self.n_params):
                row: dict[str, Any] = {
                    "n_params": float(n), "samples": int(self.samples[i, j]),
                    "coverage": float(self.coverage[i, j]),
                }
                if "coverage" in self.intervals:
                    lo, hi = self.intervals["coverage"]
                    row["coverage_lower"], row["coverage_upper"] = float(lo[i, j]), float(hi[i, j])
                if self.prob_best is not None:
                    row["prob_best"] = float(self.prob_best[i, j])
                rows.append(row)
            budgets.append({
                "flops": float(budget), "best_n_params": float(self.best_n_params[i]),
                "best_samples": int(self.best_samples[i]), "best_coverage": float(self.best_coverage[i]),
                "candidates": rows,
            })
        return {
            "cost": self.cost, "tokens_per_sample": self.tokens_per_sample, "laws": list(self.laws),
            "prob": self.prob if self.intervals else None, "n_draws": self.n_draws, "budgets": budgets,
        }


def _resolved_candidate(
    function: str, key: float, value: FitResult | Mapping[str, float], law: Law | str | None
) -> Resolved:
    if isinstance(value, FitResult):
        resolved = resolve(function, value, None, None, None)
    elif law is None:
        raise ArgumentError(
            f"`candidates` of {function}: the candidate of {key:g} parameters is a mapping of parameter "
            "values, which needs `law` (e.g. law='brown_coverage'). Pass law=, or fitted results.",
            argument="law", function=function,
        )
    else:
        resolved = resolve(function, None, law, None, value)
    if resolved.law.inputs != ("k",):
        raise ArgumentError(
            f"`candidates` of {function} must be coverage laws in the number of samples k alone, such as "
            f"'brown_coverage'. The candidate of {key:g} parameters has law {resolved.law.label!r} with "
            f"inputs {list(resolved.law.inputs)}.",
            argument="candidates", function=function,
        )
    return resolved


def allocate_samples(
    candidates: Mapping[float, FitResult | Mapping[str, float]],
    *,
    flops: float | Sequence[float] | np.ndarray,
    tokens_per_sample: float,
    law: Law | str | None = None,
    cost: CostModel | str = INFERENCE_COST,
    prob: float = 0.95,
) -> SampleAllocation:
    """The model size and number of samples that maximise coverage for each inference budget.

    Parameters
    ----------
    candidates
        Model size N (parameters) -> that model's fitted coverage law in k (a :class:`FitResult`, with
        bootstrap draws for intervals), or a mapping of its parameter values together with ``law``.
    flops
        Inference budget(s) in FLOPs, per problem.
    tokens_per_sample
        Tokens generated per sample (attempt).
    law
        The coverage law of candidates given as parameter mappings (e.g. ``"brown_coverage"``).
    cost
        FLOPs of generating D tokens with a model of N parameters; default ``2*N*D``.
    prob
        Interval probability.

    Raises
    ------
    ValueError
        If there are no candidates, a size is not positive, ``flops``, ``tokens_per_sample`` or
        ``prob`` is invalid, a candidate's law is not a law in k alone, or no candidate can afford
        one sample at some budget.

    Examples
    --------
    >>> from scalinglaws.plan import allocate_samples
    >>> plan = allocate_samples(
    ...     {8e9: {"a": -1.2, "b": -0.35}, 70e9: {"a": -0.6, "b": -0.3}},
    ...     law="brown_coverage", flops=1e15, tokens_per_sample=500,
    ... )
    >>> float(plan.best_n_params[0]), int(plan.best_samples[0])
    (8000000000.0, 125)
    """
    function = "allocate_samples"
    budgets = _check_flops(flops, function)
    _check_prob(prob, function)
    if not candidates:
        raise ArgumentError(
            f"`candidates` of {function} must map at least one model size to its coverage law. Got none.",
            argument="candidates", function=function,
        )
    sizes = np.array([float(k) for k in candidates])
    if not np.all(np.isfinite(sizes) & (sizes > 0)):
        raise ArgumentError(
            f"`candidates` of {function} must be keyed by positive finite model sizes (parameters). "
            f"Got {sizes.tolist()} instead.", argument="candidates", function=function,
        )
    if not (np.isfinite(tokens_per_sample) and tokens_per_sample > 0):
        raise ArgumentError(
            f"`tokens_per_sample` of {function} must be a positive number of generated tokens. "
            f"Got {tokens_per_sample!r} instead.", argument="tokens_per_sample", function=function,
            rule="a positive number of tokens", value=tokens_per_sample,
        )
    model = as_cost_model(cost)
    resolved = [_resolved_candidate(function, float(k), v, law) for k, v in candidates.items()]
    tokens = model.tokens(sizes[None, :], budgets[:, None])
    samples = np.floor(np.where(np.isfinite(tokens), tokens, 0.0) / tokens_per_sample)
    if np.any(np.all(samples < 1, axis=1)):
        poor = budgets[np.all(samples < 1, axis=1)].tolist()
        raise ArgumentError(
            f"`flops` of {function}: no candidate can afford one sample of {tokens_per_sample:g} tokens "
            f"at {poor} under cost {model.formula!r}. Raise the budget or add a smaller model.",
            argument="flops", function=function,
        )
    with_draws = all(r.draws is not None for r in resolved)
    n_rows = 1 + (min(r.draws.shape[0] for r in resolved if r.draws is not None) if with_draws else 0)
    values = np.full((n_rows, budgets.size, sizes.size), np.nan)
    for j, source in enumerate(resolved):
        params = {k: v[:n_rows] for k, v in source.batch(with_draws).items()}
        k = np.where(samples[:, j] >= 1, samples[:, j], np.nan)[None, :]
        values[:, :, j] = evaluate_batch(source.law, params, {"k": k})
    point = values[0]
    best = np.argmax(np.where(np.isfinite(point), point, -np.inf), axis=1)
    intervals: dict[str, Interval2] = {}
    prob_best = None
    if with_draws:
        intervals["coverage"] = _quantiles(values[1:], prob)
        winners = np.argmax(np.where(np.isfinite(values[1:]), values[1:], -np.inf), axis=2)
        prob_best = np.stack([(winners == j).mean(axis=0) for j in range(sizes.size)], axis=1)
    return SampleAllocation(
        flops=budgets, n_params=sizes, samples=samples.astype(int), coverage=point, best=best,
        tokens_per_sample=float(tokens_per_sample), cost=model.formula,
        laws=tuple(r.law.label for r in resolved), prob=prob, intervals=intervals, prob_best=prob_best,
        n_draws=n_rows - 1,
    )
