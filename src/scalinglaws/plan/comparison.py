"""Compare two fitted laws (two methods, architectures, data sets) by the compute each needs.

Each fit defines a frontier L(C): the lowest loss reachable with compute C, which is the compute-optimal
allocation of a law in N and D (or Gadre's C and M) under the cost model, or the law itself when it has
one input read from the compute column (or the same single input in both fits: then "compute" is that
input). From the two frontiers:

- the **compute multiplier** m(C) = C_B / C, where B's frontier reaches A's loss at C with compute
  C_B: B needs m times A's compute to match it (m > 1: A is the more compute-efficient);
- the **crossover**: the scale beyond which the method ahead at the largest compared scale stays ahead
  (``-inf`` when it leads over the whole searched range, ``+inf`` when it does not lead there at all);
- the **probability that A is better** (lower loss) at a target scale.

Intervals and the probability come from joint bootstrap draws of the two fits (independent or paired,
see :mod:`scalinglaws.fit.pairing`). Each draw's frontier deviates from the fit's frontier; that
deviation (in log loss) is widened by the fit's ``sqrt(n/(n - p))``, as the fit's own intervals are,
and the quantities above are recomputed for every draw; intervals are percentiles over draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scalinglaws import _validation as v
from scalinglaws.errors import ArgumentError
from scalinglaws.fit.pairing import Pairing, argument_is_fit, check_pairing, inflation, joint_draws
from scalinglaws.fit.result import FitResult
from scalinglaws.laws import DEFAULT_COST, CostModel, cost_model, evaluate
from scalinglaws.plan._source import Resolved
from scalinglaws.plan.allocation import optimum

_GRID = 241
"""Points of the log-spaced compute grid on which frontiers are evaluated and inverted."""
_SPAN = 3.0
"""Decades beyond the compared scales that the grid covers, for matching losses far away."""


@dataclass(frozen=True, eq=False)
class Comparison:
    """Compute multiplier, crossover and win probability of fit A against fit B, with intervals.

    Per-scale arrays have one entry per value of ``flops``. ``multiplier`` is B's compute to match A's
    loss divided by A's compute (``inf`` when B cannot reach that loss within the grid, ``0`` when B
    reaches it with less than the grid's smallest compute). ``crossover`` is the scale beyond which
    ``leader`` ("A" or "B", the one ahead at the top of ``crossover_range``) stays ahead: 0 when it leads
    over the whole range; a draw in which it is behind at the top counts as ``inf``.
    ``crossover_probability`` is the share of draws whose crossover lies inside the range.
    """

    flops: np.ndarray
    loss_a: np.ndarray
    loss_b: np.ndarray
    multiplier: np.ndarray
    multiplier_interval: tuple[np.ndarray, np.ndarray]
    leader: str
    crossover: float
    crossover_interval: tuple[float, float]
    crossover_probability: float
    crossover_range: tuple[float, float]
    target: float | None
    probability_a_better: float | None
    prob: float
    method: str
    label_a: str
    label_b: str
    scale: str

    def to_dict(self) -> dict[str, Any]:
        """Plain Python (floats may be infinite: write it with ``scalinglaws.data.strict_json.dumps``)."""
        lo, hi = self.multiplier_interval
        rows = [
            {"flops": float(c), "loss_a": _num(a), "loss_b": _num(b), "multiplier": _num(m),
             "multiplier_lower": _num(low), "multiplier_upper": _num(high)}
            for c, a, b, m, low, high in zip(self.flops, self.loss_a, self.loss_b, self.multiplier, lo, hi, strict=True)
        ]
        return {
            "a": self.label_a, "b": self.label_b, "scale": self.scale, "prob": self.prob, "method": self.method,
            "scales": rows, "leader": self.leader, "crossover": _num(self.crossover),
            "crossover_interval": [_num(x) for x in self.crossover_interval],
            "crossover_probability": self.crossover_probability,
            "crossover_range": list(self.crossover_range),
            "target": self.target, "probability_a_better": self.probability_a_better,
        }

    def summary(self) -> str:
        lo, hi = self.multiplier_interval
        pct = f"{self.prob:.0%}"
        lines = [f"A: {self.label_a}", f"B: {self.label_b}",
                 f"compute multiplier (B's {self.scale} to match A's loss, / A's), {pct} intervals, {self.method}:"]
        lines += [f"  {c:.3g}: {m:.3g}  [{low:.3g}, {high:.3g}]" for c, m, low, high in
                  zip(self.flops, self.multiplier, lo, hi, strict=True)]
        a, b = self.crossover_interval
        where = "over the whole range" if self.crossover == 0 else f"beyond {self.crossover:.3g}"
        lines.append(
            f"crossover: {self.leader} is ahead {where} [{a:.3g}, {b:.3g}] (searched {self.crossover_range[0]:.3g}.."
            f"{self.crossover_range[1]:.3g}; a crossover inside it in {self.crossover_probability:.0%} of draws)"
        )
        if self.target is not None and self.probability_a_better is not None:
            lines.append(f"P(A better at {self.target:.3g}) = {self.probability_a_better:.3f}")
        return "\n".join(lines)


def _num(x: float) -> float:
    return float(x)


def _law_draws(result: FitResult, draws: np.ndarray) -> np.ndarray:
    """Joint draws (rows in ``result.params`` order) as columns in ``result.law.param_names`` order."""
    names = list(result.params)
    return draws[:, [names.index(n) for n in result.law.param_names]]


def _axis(result: FitResult) -> str:
    """``"nd"`` for a law with an allocation, else the column of its single input."""
    inputs = set(result.law.inputs)
    if {"N", "D"} <= inputs or {"C", "M"} <= inputs:
        return "nd"
    if len(inputs) == 1:
        (name,) = result.law.inputs
        return result.config.mapping.get(name, name)
    raise ArgumentError(
        f"fits passed to compare must have inputs N and D (or C and M), or a single input such as compute. "
        f"Got law {result.law.label!r} with inputs {list(result.law.inputs)}.",
        argument="fit_a", function="compare",
    )


def _frontier(result: FitResult, draws: np.ndarray, grid: np.ndarray, cost: CostModel) -> np.ndarray:
    """Log of the frontier on ``grid`` for the estimate (row 0) and each draw, shape ``(1 + B, G)``."""
    law = result.law
    point = {n: float(result.params[n]) for n in law.param_names}
    if _axis(result) == "nd":
        resolved = Resolved(law, point, _law_draws(result, draws), law.label)
        _, _, value, _, _ = optimum(resolved, grid, cost, None, with_draws=True, function="compare")
    else:
        rows = np.vstack([[point[n] for n in law.param_names], _law_draws(result, draws)])
        value = evaluate(law.compiled.value, grid[None, :], *(rows[:, j, None] for j in range(rows.shape[1])),
                         shape=(rows.shape[0], grid.size))
    with np.errstate(all="ignore"):
        log = np.where(value > 0, np.log(value), np.nan)
    # Widen each draw's deviation from the fit's frontier by the fit's small-sample factor.
    return np.vstack([log[:1], log[:1] + inflation(result) * (log[1:] - log[:1])])


def _match(log_b: np.ndarray, log_grid: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Log compute at which each row of B's (decreasing) frontier reaches ``target`` (rows x scales)."""
    out = np.empty(target.shape)
    for i in range(log_b.shape[0]):
        curve = np.minimum.accumulate(np.where(np.isfinite(log_b[i]), log_b[i], np.inf))  # frontier: non-increasing
        ok = np.isfinite(curve)
        if not ok.any():
            out[i] = np.nan
            continue
        xs, ys = log_grid[ok][::-1], curve[ok][::-1]  # increasing loss for np.interp
        values = np.interp(target[i], ys, xs)
        out[i] = np.where(target[i] < ys[0], np.inf, np.where(target[i] > ys[-1], -np.inf, values))
    return out


def _crossover(diff: np.ndarray, log_grid: np.ndarray, sign: float) -> np.ndarray:
    """Per row, the log scale beyond which ``sign * diff > 0`` holds to the end of the grid."""
    ahead = sign * diff > 0
    out = np.empty(diff.shape[0])
    for i, row in enumerate(ahead):
        if not row[-1]:
            out[i] = np.inf
            continue
        behind = np.flatnonzero(~row)
        if behind.size == 0:
            out[i] = -np.inf
            continue
        j = behind[-1]  # last grid point not ahead; the crossing lies between j and j + 1
        d0, d1 = diff[i, j], diff[i, j + 1]
        t = d0 / (d0 - d1) if d0 != d1 else 0.0
        out[i] = log_grid[j] + t * (log_grid[j + 1] - log_grid[j])
    return out


def compare(
    fit_a: FitResult,
    fit_b: FitResult,
    *,
    flops: float | Sequence[float] | np.ndarray,
    target: float | None = None,
    prob: float = 0.95,
    pairing: Pairing = "independent",
    seed: int = 0,
    cost: str = DEFAULT_COST,
    crossover_range: tuple[float, float] | None = None,
    labels: tuple[str, str] | None = None,
) -> Comparison:
    """Compute multiplier of A over B at each scale in ``flops``, their crossover, and P(A better at ``target``).

    Parameters
    ----------
    fit_a, fit_b
        Fits with bootstrap draws (``fit.with_bootstrap(sl.bootstrap(...))``), of laws in N and D (or C
        and M), or of single-input laws over the same column (compute, usually).
    flops
        Scales (compute budgets, in the cost model's units) at which to give the multiplier.
    target
        Scale at which to give the probability that A's loss is the lower.
    pairing, seed
        How the two fits' draws are joined (``"independent"``: different runs; ``"paired"``: the same
        runs bootstrapped with the same seed) and the seed of the independent joining.
    cost
        Cost of a run in N and D for the compute-optimal frontier (default ``6*N*D``).
    crossover_range
        Scales searched for the crossover (default: a decade beyond the smallest and largest of
        ``flops`` and ``target``).
    labels
        Names of A and B in the summary (default: "fit of <law>").

    Returns
    -------
    Comparison

    Raises
    ------
    ArgumentError
        If an argument is invalid, or the fits' laws cannot be compared on one axis.
    FitError
        If a fit has no bootstrap draws.
    """
    function = "compare"
    argument_is_fit(function, "fit_a", fit_a)
    argument_is_fit(function, "fit_b", fit_b)
    check_pairing(function, pairing, seed)
    v.check(function, "prob", prob, v.probability())
    scales = np.atleast_1d(np.asarray(flops, dtype=float))
    if scales.ndim != 1 or scales.size == 0 or not np.all(np.isfinite(scales) & (scales > 0)):
        raise v.argument_error(function, "flops", flops, "one or more positive finite scales")
    if target is not None:
        v.check(function, "target", target, v.positive())
    for fit in (fit_a, fit_b):
        if fit.groups is not None:
            raise ArgumentError("fits passed to compare must be ungrouped; compare one group's fit at a time.",
                                argument="fit_a", function=function)
    axes = {_axis(fit_a), _axis(fit_b)}
    if len(axes) == 2 and axes != {"nd", "flops"}:
        raise ArgumentError(
            f"fits passed to compare must share their scale: laws in N and D compare with each other or with a "
            f"single-input law of the 'flops' column; got scales {sorted(axes)}.",
            argument="fit_b", function=function,
        )
    scale = "compute" if "nd" in axes or axes == {"flops"} else next(iter(axes))
    model = cost_model(cost)
    points = [*scales.tolist(), *([target] if target is not None else [])]
    lo, hi = crossover_range if crossover_range is not None else (min(points) / 10, max(points) * 10)
    if not (0 < lo < hi and math.isfinite(hi)):
        raise v.argument_error(function, "crossover_range", crossover_range, "(lo, hi) with 0 < lo < hi")
    names = labels if labels is not None else (f"fit of {fit_a.law.label}", f"fit of {fit_b.law.label}")
    draws_a, draws_b, method = joint_draws(fit_a, fit_b, pairing, seed, function, ("fit_a", "fit_b"))
    log_grid = np.linspace(math.log(min(lo, scales.min())) - _SPAN * math.log(10),
                           math.log(max(hi, scales.max())) + _SPAN * math.log(10), _GRID)
    grid = np.exp(log_grid)
    fa = _frontier(fit_a, draws_a, grid, model)
    fb = _frontier(fit_b, draws_b, grid, model)
    at_scales = np.vstack([np.interp(np.log(scales), log_grid, row) for row in fa])
    multiplier = np.exp(_match(fb, log_grid, at_scales) - np.log(scales)[None, :])
    inside = (log_grid >= math.log(lo)) & (log_grid <= math.log(hi))
    diff = fb[:, inside] - fa[:, inside]  # > 0 where A is ahead
    leader_sign = 1.0 if diff[0, -1] > 0 else -1.0
    cross = np.exp(_crossover(diff, log_grid[inside], leader_sign))
    probability = None
    if target is not None:
        t = math.log(target)
        a_t = np.array([np.interp(t, log_grid, row) for row in fa[1:]])
        b_t = np.array([np.interp(t, log_grid, row) for row in fb[1:]])
        probability = float(np.mean(a_t < b_t))
    q = [(1 - prob) / 2, (1 + prob) / 2]
    # Draws can be infinite (B never reaches A's loss; a leader that never leads): quantiles that pick
    # an order statistic instead of interpolating between two of them keep those ends meaningful.
    with np.errstate(all="ignore"):
        m_lo, m_hi = np.nanquantile(multiplier[1:], q, axis=0, method="inverted_cdf")
        c_lo, c_hi = np.quantile(cross[1:], q, method="inverted_cdf")
    return Comparison(
        flops=scales, loss_a=np.exp(at_scales[0]),
        loss_b=np.exp(np.interp(np.log(scales), log_grid, fb[0])),
        multiplier=multiplier[0], multiplier_interval=(m_lo, m_hi),
        leader="A" if leader_sign > 0 else "B", crossover=float(cross[0]),
        crossover_interval=(float(c_lo), float(c_hi)),
        crossover_probability=float(np.mean(np.isfinite(cross[1:]))), crossover_range=(float(lo), float(hi)),
        target=None if target is None else float(target), probability_a_better=probability, prob=prob,
        method=method, label_a=names[0], label_b=names[1], scale=scale,
    )
