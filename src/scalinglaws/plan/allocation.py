"""Compute-optimal allocation: the model size N* and token count D* that minimise a fitted law's loss
for a compute budget C under a cost model (default C = 6ND).

For the Chinchilla form L = E + A/N^alpha + B/D^beta under C = 6ND the optimum is closed form (Hoffmann
et al. 2022, Eq. 4):

    G = (alpha*A/(beta*B))^(1/(alpha+beta)),  N* = G*(C/6)^a,  D* = (C/6)^b/G,
    a = beta/(alpha+beta),  b = alpha/(alpha+beta).

Any other law with inputs N and D (or Gadre's C and M), and any other cost model, is minimised
numerically along the iso-cost curve: a bounded 1-D search in log N, vectorised over budgets and
bootstrap draws. Intervals come from the fit's bootstrap draws (each draw gets its own optimum).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import sympy as sp

from scalinglaws._validation import argument_error
from scalinglaws.errors import ArgumentError
from scalinglaws.fit.result import FitResult
from scalinglaws.laws import DEFAULT_COST, CostModel, Law, parse_formula
from scalinglaws.plan._source import Resolved, charged_cost, minimise_log, nd_loss, resolve

Interval2 = tuple[np.ndarray, np.ndarray]

_CHINCHILLA = "E + A/N**alpha + B/D**beta"
_SEARCH_DECADES = 7.0
"""Half-width, in decades of N, of the search around sqrt(C/6): wide enough for D/N from 1e-7 to 1e7."""


@dataclass(frozen=True, eq=False)
class Allocation:
    """Compute-optimal model size and data for each budget, with bootstrap intervals when available.

    Arrays have one entry per budget in ``flops``. ``intervals`` maps ``"n_params"``, ``"n_tokens"``
    and ``"predicted_loss"`` to ``(lower, upper)`` arrays, and ``"exponent_a"``/``"exponent_b"`` to
    ``(lower, upper)`` scalars held in 0-d arrays; it is empty when the source has no bootstrap draws.
    ``exponent_a`` and ``exponent_b`` are the exponents of N* ∝ C^a and D* ∝ C^b: closed form for
    the Chinchilla form, otherwise the log-log slope of the optimum over ``exponent_range``.
    """

    flops: np.ndarray
    n_params: np.ndarray
    n_tokens: np.ndarray
    predicted_loss: np.ndarray
    exponent_a: float
    exponent_b: float
    exponent_range: tuple[float, float]
    law: str
    source: str
    cost: str
    method: Literal["closed-form", "numeric"]
    prob: float
    intervals: Mapping[str, Interval2] = field(default_factory=dict)
    interval_method: str | None = None
    n_draws: int = 0

    @property
    def tokens_per_param(self) -> np.ndarray:
        return self.n_tokens / self.n_params

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (lists and floats), e.g. for ``json.dumps``; per-budget intervals appear as
        ``<quantity>_lower``/``<quantity>_upper`` next to each value."""
        budgets = []
        for i, (c, n, d, loss) in enumerate(
            zip(self.flops, self.n_params, self.n_tokens, self.predicted_loss, strict=True)
        ):
            row = {
                "flops": float(c), "n_params": float(n), "n_tokens": float(d),
                "tokens_per_param": float(d / n), "predicted_loss": float(loss),
            }
            for key in ("n_params", "n_tokens", "predicted_loss"):
                if key in self.intervals:
                    lo, hi = self.intervals[key]
                    row[f"{key}_lower"], row[f"{key}_upper"] = float(lo[i]), float(hi[i])
            budgets.append(row)
        out: dict[str, Any] = {
            "law": self.law, "source": self.source, "cost": self.cost, "method": self.method,
            "exponent_a": self.exponent_a, "exponent_b": self.exponent_b,
            "exponent_range": list(self.exponent_range), "budgets": budgets,
            "prob": self.prob if self.intervals else None, "interval_method": self.interval_method,
        }
        for key in ("exponent_a", "exponent_b"):
            if key in self.intervals:
                lo, hi = self.intervals[key]
                out[f"{key}_interval"] = [float(lo), float(hi)]
        return out


# ---------------------------------------------------------------------------------------------------
# Allocation


def is_chinchilla_form(law: Law) -> bool:
    """Whether the law is exactly E + A/N^alpha + B/D^beta in inputs N, D (names as in the catalog)."""
    return set(law.inputs) == {"N", "D"} and bool(sp.simplify(law.compiled.expr - parse_formula(_CHINCHILLA)) == 0)


def _check_flops(flops: Any, function: str, name: str = "flops") -> np.ndarray:
    values = np.atleast_1d(np.asarray(flops, dtype=float))
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise argument_error(
            function, name, flops, "one or more positive finite budgets in FLOPs, e.g. 1e24"
        )
    return values


def _check_prob(prob: float, function: str) -> None:
    if not 0 < prob < 1:
        raise argument_error(function, "prob", prob, "strictly between 0 and 1")


def optimum(
    resolved: Resolved,
    flops: np.ndarray,
    cost: CostModel,
    fixed: Mapping[str, Any] | None,
    with_draws: bool,
    function: str = "allocate",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """N*, D*, L* and 'interior' of shape ``(batch, n_budgets)``; row 0 is the point estimate."""
    params = resolved.batch(with_draws)
    loss = nd_loss(resolved.law, fixed, function)
    if fixed is None and cost.formula == DEFAULT_COST and is_chinchilla_form(resolved.law):
        alpha, beta, a_amp, b_amp = params["alpha"], params["beta"], params["A"], params["B"]
        with np.errstate(all="ignore"):
            g = (alpha * a_amp / (beta * b_amp)) ** (1.0 / (alpha + beta))
            n = g * (flops / 6.0) ** (beta / (alpha + beta))
            d = (flops / 6.0) ** (alpha / (alpha + beta)) / g
        value = loss(params, n, d)
        ok = np.isfinite(n) & np.isfinite(d) & (n > 0) & (d > 0)
        return n, d, value, ok, "closed-form"
    centre = 0.5 * np.log(flops / 6.0)
    span = _SEARCH_DECADES * np.log(10.0)
    lower = np.broadcast_to(centre - span, (next(iter(params.values())).shape[0], flops.size))
    upper = lower + 2 * span
    expanded = {k: v[..., None] for k, v in params.items()}  # (batch, 1, 1) against (batch, K, grid)

    def objective(log_n: np.ndarray) -> np.ndarray:
        n = np.exp(log_n)
        d = cost.tokens(n, flops[None, :, None])
        return loss(expanded, n, d)

    log_n, interior = minimise_log(objective, lower, upper)
    n = np.exp(log_n)
    d = cost.tokens(n, flops[None, :])
    value = loss(params, n, d)
    return n, d, value, interior, "numeric"


def _exponents(
    resolved: Resolved,
    flops: np.ndarray,
    cost: CostModel,
    fixed: Mapping[str, Any] | None,
    with_draws: bool,
    exponent_range: tuple[float, float] | None,
) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """Exponents a, b per batch row: closed form for Chinchilla + 6ND, else a log-log slope."""
    lo, hi = exponent_range if exponent_range is not None else (float(flops.min()) / 10, float(flops.max()) * 10)
    params = resolved.batch(with_draws)
    if fixed is None and cost.formula == DEFAULT_COST and is_chinchilla_form(resolved.law):
        alpha, beta = params["alpha"][:, 0], params["beta"][:, 0]
        return beta / (alpha + beta), alpha / (alpha + beta), (lo, hi)
    grid = np.geomspace(lo, hi, 9)
    n, d, _, ok, _ = optimum(resolved, grid, cost, fixed, with_draws)
    x = np.log(grid) - np.log(grid).mean()
    with np.errstate(all="ignore"):
        ln, ld = np.where(ok, np.log(n), np.nan), np.where(ok, np.log(d), np.nan)
        a = ((ln - ln.mean(axis=1, keepdims=True)) @ x) / (x @ x)
        b = ((ld - ld.mean(axis=1, keepdims=True)) @ x) / (x @ x)
    return a, b, (lo, hi)


def _quantiles(values: np.ndarray, prob: float) -> Interval2:
    with np.errstate(all="ignore"):
        masked = np.where(np.isfinite(values), values, np.nan)
        lo, hi = np.nanquantile(masked, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    return lo, hi


def allocate(
    result: FitResult | None = None,
    *,
    flops: float | Sequence[float] | np.ndarray,
    law: Law | str | None = None,
    preset: str | None = None,
    params: Mapping[str, float] | None = None,
    cost: CostModel | str | None = None,
    fixed: Mapping[str, float] | None = None,
    group: str | None = None,
    prob: float = 0.95,
    exponent_range: tuple[float, float] | None = None,
) -> Allocation:
    """Compute-optimal N* and D* (and the predicted loss) for each budget in ``flops``.

    Parameters
    ----------
    result
        A fitted law with inputs N and D (or Gadre's C and M). If it carries bootstrap draws
        (``result.with_bootstrap``), every output gets a ``prob`` percentile interval.
    flops
        Budget(s) in the cost model's units (FLOPs).
    law, preset, params
        Instead of ``result``: a law (catalog name or :class:`Law`) with a published ``preset``
        (``allocate(law="chinchilla", preset="hoffmann2022", flops=5.76e23)``) or explicit ``params``.
    cost
        Cost of a run: a :class:`~scalinglaws.laws.CostModel` or a formula in N and D, e.g.
        ``"6*N*D + 2*N*1e12"`` (training plus 1e12 tokens of inference), or
        ``scalinglaws.laws.moe_cost(64)`` for a mixture of experts whose law counts N over all
        experts. Default: the dense ``6*N*D``, except for a law that declares it wrong
        (``Law.cost_required``, e.g. ``krajewski_moe``), which must be given one. Costs other than
        ``6*N*D`` use the numeric search.
    fixed
        Values of law inputs other than N and D, held constant along the search. (For a finite pool
        of unique tokens use :func:`~scalinglaws.plan.allocate_data_constrained`, which sets
        U = min(pool, D) as the Muennighoff law requires.)
    group
        The group whose parameters to use, for a grouped fit.
    exponent_range
        Budget range ``(lo, hi)`` over which the exponents are fitted when there is no closed form
        (default: a decade either side of the budgets).

    Returns
    -------
    Allocation

    Raises
    ------
    ValueError
        If ``flops`` or ``prob`` is invalid, the source arguments conflict, the law's inputs are not
        N and D, the law requires a named cost model and ``cost`` is None, or the law has no interior
        optimum at some budget (the loss keeps falling towards N -> 0 or N -> infinity along the
        iso-cost curve).
    LawSpecError
        If ``law`` names no catalog law or ``cost`` is not a formula in N and D.

    Examples
    --------
    >>> from scalinglaws.plan import allocate
    >>> plan = allocate(law="chinchilla", preset="hoffmann2022", flops=5.76e23)
    >>> round(float(plan.n_params[0]) / 1e9, 2), round(plan.exponent_a, 4)
    (32.19, 0.4516)
    """
    function = "allocate"
    budgets = _check_flops(flops, function)
    _check_prob(prob, function)
    resolved = resolve(function, result, law, preset, params, group)
    model = charged_cost(resolved.law, cost, function)
    with_draws = resolved.draws is not None
    n, d, value, ok, method = optimum(resolved, budgets, model, fixed, with_draws, function)
    if not np.all(ok[0]):
        bad = budgets[~ok[0]]
        raise ArgumentError(
            f"`flops` of allocate: law {resolved.law.label!r} has no interior compute-optimal "
            f"allocation at {bad.tolist()} under cost {model.formula!r}: along the iso-cost curve the loss "
            "keeps falling towards the edge of the search (1e-7 to 1e7 tokens per parameter). Check "
            "the fit (an exponent at its bound?) or the cost model.",
            argument="flops", function="allocate",
        )
    a, b, span = _exponents(resolved, budgets, model, fixed, with_draws, exponent_range)
    intervals: dict[str, Interval2] = {}
    n_draws = 0
    if with_draws:
        n_draws = int(n.shape[0] - 1)
        draw_ok = ok[1:]
        for key, values in (("n_params", n), ("n_tokens", d), ("predicted_loss", value)):
            intervals[key] = _quantiles(np.where(draw_ok, values[1:], np.nan), prob)
        intervals["exponent_a"] = _quantiles(a[1:], prob)
        intervals["exponent_b"] = _quantiles(b[1:], prob)
    return Allocation(
        flops=budgets,
        n_params=n[0],
        n_tokens=d[0],
        predicted_loss=value[0],
        exponent_a=float(a[0]),
        exponent_b=float(b[0]),
        exponent_range=span,
        law=resolved.law.label,
        source=resolved.label,
        cost=model.formula,
        method=method,  # type: ignore[arg-type]
        prob=prob,
        intervals=intervals,
        interval_method=f"bootstrap percentile ({n_draws} draws)" if with_draws else None,
        n_draws=n_draws,
    )
