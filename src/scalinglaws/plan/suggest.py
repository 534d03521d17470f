"""What to run next: the runs that shrink the uncertainty of a target prediction most per FLOP.

Greedy sequential design with the delta method. With parameter covariance S (the fit's, or the
covariance of its bootstrap draws) and g the gradient of the target's log-loss in the parameters, the
target variance is g'Sg. A new run at x with gradient j (of its log-loss) and noise variance s adds
jj'/s to the information, and by Sherman-Morrison lowers the target variance by

    (g'Sj)^2 / (s + j'Sj).

Each step picks the candidate with the largest reduction per FLOP (6ND) that still fits in the remaining
budget, updates S, and repeats until the budget is spent (a candidate may be chosen again: a replicate).
The design is local (it trusts the current estimate), which is what a next batch of runs can use.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from scalinglaws.errors import ArgumentError, FitError
from scalinglaws.fit.result import FitResult
from scalinglaws.laws import DEFAULT_COST, cost_model
from scalinglaws.plan.allocation import _check_flops, allocate


@dataclass(frozen=True)
class ModelShape:
    """A decoder-only transformer with about ``n_params`` non-embedding parameters, 12 * L * d^2."""

    n_layers: int
    d_model: int
    n_heads: int
    n_params: float


def model_shape(n_params: float, *, aspect_ratio: float = 128.0, head_dim: int = 64) -> ModelShape:
    """The shape of a simple transformer family (d_model = aspect_ratio * n_layers, d_model a multiple
    of ``head_dim``) whose non-embedding count 12 * n_layers * d_model^2 is closest to ``n_params``.

    Raises
    ------
    ValueError
        If ``n_params``, ``aspect_ratio`` or ``head_dim`` is not positive.
    """
    if not (n_params > 0 and aspect_ratio > 0 and head_dim > 0):
        raise ArgumentError(
            "`n_params`, `aspect_ratio` and `head_dim` of model_shape must be positive. "
            f"Got {n_params!r}, {aspect_ratio!r}, {head_dim!r} instead.",
            argument="n_params",
        )
    layers = (n_params / (12.0 * aspect_ratio**2)) ** (1 / 3)
    best: ModelShape | None = None
    for n_layers in {max(1, math.floor(layers)), max(1, math.ceil(layers))}:
        d = max(head_dim, round(math.sqrt(n_params / (12.0 * n_layers)) / head_dim) * head_dim)
        shape = ModelShape(n_layers, int(d), int(d // head_dim), 12.0 * n_layers * d * d)
        if best is None or abs(math.log(shape.n_params / n_params)) < abs(math.log(best.n_params / n_params)):
            best = shape
    assert best is not None
    return best


@dataclass(frozen=True, eq=False)
class Suggestion:
    """Proposed runs, in the order picked, and the predicted effect on the target.

    ``runs`` columns: ``n_params``, ``n_tokens``, ``flops`` (6ND), ``se_after`` (standard error of the
    target's log-loss after adding the runs so far), plus ``n_layers``/``d_model``/``n_heads`` when
    shapes were asked for. ``se_before``/``se_after`` are standard errors of log-loss (about the
    relative error of the loss); ``interval_*`` are the implied ``prob`` intervals of the loss.
    """

    runs: pl.DataFrame
    target_n_params: float
    target_n_tokens: float
    target_loss: float
    se_before: float
    se_after: float
    budget: float
    spent: float
    noise: float
    method: str
    prob: float = 0.95
    notes: tuple[str, ...] = field(default_factory=tuple)

    def interval(self, after: bool = True) -> tuple[float, float]:
        from scipy import special

        z = float(special.ndtri((1 + self.prob) / 2))
        se = self.se_after if after else self.se_before
        return self.target_loss * math.exp(-z * se), self.target_loss * math.exp(z * se)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": {"n_params": self.target_n_params, "n_tokens": self.target_n_tokens,
                       "flops": float(cost_model(DEFAULT_COST).flops(self.target_n_params, self.target_n_tokens)),
                       "loss": self.target_loss},
            "se_log_loss_before": self.se_before, "se_log_loss_after": self.se_after,
            "interval_before": list(self.interval(False)), "interval_after": list(self.interval(True)),
            "prob": self.prob, "budget": self.budget, "spent": self.spent, "noise": self.noise,
            "method": self.method, "notes": list(self.notes), "runs": self.runs.to_dicts(),
        }


def _inputs(law_inputs: tuple[str, ...], n: np.ndarray, d: np.ndarray) -> list[np.ndarray]:
    derived = {"N": n, "D": d, "C": cost_model(DEFAULT_COST).flops(n, d), "M": d / n}
    missing = [name for name in law_inputs if name not in derived]
    if missing:
        raise ArgumentError(
            f"`result` of suggest_runs must be a law in N and D (or C and M). Its inputs include {missing}.",
            argument="result", function="suggest_runs",
        )
    return [derived[name] for name in law_inputs]


def _log_gradient(result: FitResult, n: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Gradient of the prediction (log of it, for log-space fits) in the parameters, shape (len(n), p)."""
    law = result.law
    args = [*_inputs(law.inputs, n, d), *(float(result.params[p]) for p in law.param_names)]
    with np.errstate(all="ignore"):
        value = np.broadcast_to(np.asarray(law.compiled.value(*args), dtype=float), n.shape)
        grads = np.stack(
            [np.broadcast_to(np.asarray(g(*args), dtype=float), n.shape) for g in law.compiled.gradient], axis=1
        )
    return grads / value[:, None] if result.config.space == "log" else grads


def suggest_runs(
    result: FitResult,
    *,
    budget: float,
    target_flops: float | None = None,
    target: Mapping[str, float] | None = None,
    n_params_range: tuple[float, float] | None = None,
    tokens_per_param: tuple[float, float] = (5.0, 200.0),
    n_sizes: int = 16,
    n_ratios: int = 9,
    noise: float | None = None,
    max_runs: int = 32,
    replicates: bool = False,
    prob: float = 0.95,
    shapes: bool = False,
) -> Suggestion:
    """Runs (N, D) to train next so the target prediction's interval shrinks most per FLOP.

    Parameters
    ----------
    result
        An ungrouped fit with a covariance or bootstrap draws, of a law in N and D (or C and M).
    budget
        FLOPs (6ND summed over the proposed runs) the next batch may spend.
    target_flops, target
        The prediction to pin down: the compute-optimal run at ``target_flops`` (from the fit), or an
        explicit ``{"N": ..., "D": ...}``. Give exactly one.
    n_params_range, tokens_per_param, n_sizes, n_ratios
        Candidate grid: ``n_sizes`` log-spaced model sizes (default from the smallest fitted N to the
        target N) times ``n_ratios`` log-spaced tokens-per-parameter values.
    noise
        Standard deviation of one run's log-loss around the law; default sqrt(rss / (n - p)) of the fit.
    max_runs, replicates
        At most ``max_runs`` runs; with ``replicates`` a candidate may be picked again (a new seed).
        Without, the per-FLOP rule cannot pile up copies of the cheapest run, whose value per FLOP
        stays high while the budget stays unspent.
    shapes
        Add ``n_layers``, ``d_model``, ``n_heads`` of a simple transformer family (see ``model_shape``).

    Raises
    ------
    ValueError
        If the target or grid arguments are invalid, or the fit is grouped.
    FitError
        If the fit has neither a covariance nor bootstrap draws.
    """
    function = "suggest_runs"
    if not (math.isfinite(budget) and budget > 0):
        raise ArgumentError(
            f"`budget` of {function} must be a positive number of FLOPs. Got {budget!r} instead.",
            argument="budget", function=function,
        )
    if (target_flops is None) == (target is None):
        raise ArgumentError(
            f"{function} needs exactly one of `target_flops` (the compute-optimal run at that budget) or "
            f"`target` ({{'N': ..., 'D': ...}}). Got target_flops={target_flops!r}, target={target!r}.",
            argument="target",
        )
    if result.groups is not None:
        raise ArgumentError(
            f"`result` of {function} must be an ungrouped fit. Got a fit grouped by {result.config.group!r}.",
            argument="result", function=function,
        )
    notes: list[str] = []
    if target is not None:
        if set(target) != {"N", "D"} or not all(v > 0 for v in target.values()):
            raise ArgumentError(
                f"`target` of {function} must be {{'N': n_params, 'D': n_tokens}} with positive values. Got {target!r} instead.",
                argument="target", function=function,
            )
        tn, td = float(target["N"]), float(target["D"])
    else:
        assert target_flops is not None
        plan = allocate(result, flops=_check_flops(target_flops, function, "target_flops"))
        tn, td = float(plan.n_params[0]), float(plan.n_tokens[0])
    names = list(result.law.param_names)
    if result.covariance is not None:
        cov = np.array(result.covariance, dtype=float)
        method = "delta-method"
    elif result.bootstrap is not None and result.bootstrap.good_draws().shape[0] > len(names):
        cov = np.cov(result.bootstrap.good_draws(), rowvar=False)
        method = f"delta-method with bootstrap covariance ({result.bootstrap.good_draws().shape[0]} draws)"
    else:
        raise FitError(
            f"`result` of {function} has no covariance and no bootstrap draws, so the effect of a new run "
            "cannot be predicted; run `bootstrap` and `with_bootstrap` (CLI: `fit --bootstrap N`)."
        )
    if noise is None:
        dof = max(result.n_points - result.n_params, 1)
        noise = math.sqrt(result.rss / dof)
    if not noise > 0:
        raise ArgumentError(
            f"`noise` of {function} must be positive. Got {noise!r} instead.",
            argument="noise", function=function,
        )
    lo_n, hi_n = n_params_range if n_params_range is not None else (
        result.input_ranges.get("N", (tn / 1e3, tn))[0], tn
    )
    if not (0 < lo_n <= hi_n) or not (0 < tokens_per_param[0] <= tokens_per_param[1]):
        raise ArgumentError(
            f"`n_params_range` and `tokens_per_param` of {function} must be positive (lo, hi) pairs with "
            f"lo <= hi. Got {n_params_range!r} and {tokens_per_param!r} instead.",
            argument="n_params_range",
        )
    sizes = np.geomspace(lo_n, hi_n, n_sizes)
    ratios = np.geomspace(*tokens_per_param, n_ratios)
    cn = np.repeat(sizes, ratios.size)
    cd = cn * np.tile(ratios, sizes.size)
    cost = cost_model(DEFAULT_COST).flops(cn, cd)
    jac = _log_gradient(result, cn, cd)
    g = _log_gradient(result, np.array([tn]), np.array([td]))[0]
    usable = np.all(np.isfinite(jac), axis=1)
    s2 = noise**2
    variance0 = float(g @ cov @ g)
    remaining = float(budget)
    picked: list[dict[str, Any]] = []
    for _ in range(max_runs):
        v = jac @ cov  # (K, p)
        q = np.einsum("kp,kp->k", v, jac)
        u = v @ g
        reduction = u**2 / (s2 + q)
        score = np.where(usable & (cost <= remaining), reduction / cost, -np.inf)
        best = int(np.argmax(score))
        if not np.isfinite(score[best]) or reduction[best] <= 1e-9 * variance0:
            break
        cov = cov - np.outer(v[best], v[best]) / (s2 + q[best])
        remaining -= cost[best]
        if not replicates:
            usable[best] = False
        picked.append({
            "n_params": float(cn[best]), "n_tokens": float(cd[best]), "flops": float(cost[best]),
            "se_after": math.sqrt(max(float(g @ cov @ g), 0.0)),
        })
    if not picked:
        notes.append("no candidate run fits the budget or helps; raise `budget` or widen the grid")
    runs = pl.DataFrame(picked, schema={"n_params": pl.Float64, "n_tokens": pl.Float64, "flops": pl.Float64,
                                        "se_after": pl.Float64})
    if shapes:
        found = [model_shape(n) for n in runs["n_params"].to_list()]
        runs = runs.with_columns(
            pl.Series("n_layers", [s.n_layers for s in found], dtype=pl.Int64),
            pl.Series("d_model", [s.d_model for s in found], dtype=pl.Int64),
            pl.Series("n_heads", [s.n_heads for s in found], dtype=pl.Int64),
        )
    target_loss = float(result.law.predict(result.params, dict(zip(
        result.law.inputs, _inputs(result.law.inputs, np.array([tn]), np.array([td])), strict=True)))[0])
    return Suggestion(
        runs=runs, target_n_params=tn, target_n_tokens=td, target_loss=target_loss,
        se_before=math.sqrt(max(variance0, 0.0)), se_after=math.sqrt(max(float(g @ cov @ g), 0.0)),
        budget=float(budget), spent=float(budget) - remaining, noise=float(noise), method=method,
        prob=prob, notes=tuple(notes),
    )
