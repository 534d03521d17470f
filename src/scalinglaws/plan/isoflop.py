"""IsoFLOP analysis (Chinchilla Approaches 1-2): per-budget loss profiles over model size, their
minima with bootstrap intervals, and the frontier power laws N_opt ∝ C^a, D_opt ∝ C^b.

Profile estimators (``method``), each on log loss against log N within one budget:

- ``"parabola"``: Hoffmann et al.'s Approach 2. Biased when the sweep is not centred on the optimum:
  along an iso-FLOP line the Chinchilla law is E + A e^(-alpha x) + B' e^(beta x) in x = log N, which is
  skewed whenever alpha != beta, so a symmetric parabola puts its vertex off the true minimum by an
  amount that grows with the sweep's width and its offset from the optimum.
- ``"cubic"`` (default): one more term captures that skew; its bias is an order smaller (the test
  ``test_cubic_is_less_biased_than_parabola`` measures it on planted laws). Needs 5+ sizes per budget.
- ``"akima"``: Porian et al.'s choice, the minimum of an Akima interpolant on a dense grid. No shape
  assumption, so unbiased on dense noise-free sweeps, but it follows the noise of each point and its
  minimum can only land between sampled sizes on coarse sweeps.

A budget whose minimum falls on the first or last size of its sweep is flagged (``interior`` False) and
left out of the frontier fit: the sweep does not bracket the optimum there.

Uncertainty: the runs within each budget are resampled with replacement (``n_boot`` times); each
resample gives a minimum per budget and a frontier fit, and intervals are their percentiles.

Budgets: runs sharing an exact budget value form one budget (as :func:`isoflop_grid` writes them).
Achieved or digitised compute differs a little from run to run, so otherwise runs are bucketed by the
nearest log-compute level (as marin does, ``round_flops_to_bucket``): the levels are the ``budgets``
given, or are found in the data as the densest windows of ``±tolerance`` decades (holding at least
:data:`FOUND_MIN_RUNS` runs), and each run joins the nearest level within ``tolerance`` decades; the others
are left out and counted. (Marin rounds to one significant figure; on digitised data whose compute
sits a few per cent below the budget that grid splits one budget in two, e.g. 5.4e18..5.8e18 between
5e18 and 6e18, which the found levels do not.)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from scalinglaws.errors import ArgumentError, DataError, MissingColumnError, ToolkitWarning
from scalinglaws.laws import DEFAULT_COST, cost_model
from scalinglaws.plan._budgets import DEFAULT_TOLERANCE, FOUND_MIN_RUNS, Bucketing, bucket, nearest
from scalinglaws.plan._profiles import MIN_POINTS, Method, Profile, budget_minima, profile
from scalinglaws.plan.allocation import Allocation, _check_flops, _check_prob

__all__ = [
    "DEFAULT_TOLERANCE", "FOUND_MIN_RUNS", "FrontierComparison", "IsoFlopResult", "Profile",
    "compare_frontiers", "isoflop_grid", "isoflop_profiles",
]


def isoflop_grid(
    flops: float | Sequence[float] | np.ndarray,
    *,
    n_sizes: int = 9,
    span: float = 16.0,
    tokens_per_param: float = 20.0,
    center: Allocation | None = None,
) -> pl.DataFrame:
    """An IsoFLOP sweep: for each budget, ``n_sizes`` model sizes log-spaced over a factor ``span``
    centred on a guess of the optimum, with the tokens that spend the budget (D = C/(6N)).

    The centre is sqrt(C/(6*tokens_per_param)) (20 tokens per parameter: Chinchilla's rule of thumb),
    or ``center.n_params`` of an :class:`Allocation` for the same budgets (e.g. from a pilot fit).

    Returns
    -------
    polars.DataFrame
        Columns ``flops``, ``n_params``, ``n_tokens``, ``tokens_per_param``; one row per run to train.

    Raises
    ------
    ValueError
        If a budget is not positive, ``n_sizes`` < 3, ``span`` <= 1, ``tokens_per_param`` <= 0, or
        ``center`` has other budgets.
    """
    function = "isoflop_grid"
    budgets = _check_flops(flops, function)
    if n_sizes < 3:
        raise ArgumentError(
            f"`n_sizes` of {function} must be at least 3 to locate a minimum. Got {n_sizes!r} instead.",
            argument="n_sizes", function=function,
        )
    if not span > 1:
        raise ArgumentError(
            f"`span` of {function} must be a factor above 1, e.g. 16. Got {span!r} instead.",
            argument="span", function=function,
        )
    if not tokens_per_param > 0:
        raise ArgumentError(
            f"`tokens_per_param` of {function} must be positive. Got {tokens_per_param!r} instead.",
            argument="tokens_per_param", function=function,
        )
    if center is not None:
        if center.flops.shape != budgets.shape or not np.allclose(center.flops, budgets, rtol=1e-12):
            raise ArgumentError(
                f"`center` of {function} must be an Allocation for the same budgets as `flops`. "
                f"Got budgets {center.flops.tolist()} instead of {budgets.tolist()}.",
            argument="center", function=function,
        )
        middle = center.n_params
    else:
        middle = cost_model(DEFAULT_COST).n_params_at(budgets, tokens_per_param)
    factors = np.geomspace(1 / np.sqrt(span), np.sqrt(span), n_sizes)
    n = (middle[:, None] * factors[None, :]).ravel()
    c = np.repeat(budgets, n_sizes)
    d = cost_model(DEFAULT_COST).tokens(n, c)
    return pl.DataFrame({"flops": c, "n_params": np.round(n), "n_tokens": np.round(d), "tokens_per_param": d / n})


@dataclass(frozen=True, eq=False)
class IsoFlopResult:
    """Per-budget minima and the frontier fits.

    ``budgets`` has one row per budget: ``flops``, ``n_points``, ``n_opt``, ``n_opt_lower``,
    ``n_opt_upper``, ``d_opt`` (the tokens of N_opt at the budget under C = 6ND), ``loss_opt`` and
    ``interior`` (False when the minimum is at the sweep's edge; such budgets are left out of the
    frontier). Frontier: N_opt = ``coef_a`` * C^``exponent_a`` and D_opt = ``coef_b`` *
    C^``exponent_b``, fitted by least squares in log-log. ``intervals`` maps
    ``"exponent_a"``/``"exponent_b"`` to bootstrap percentile intervals.

    ``profiles`` holds each budget's fitted profile (None where the budget had too few sizes);
    ``levels`` (log10 FLOPs), ``tolerance`` (decades) and ``bucketing`` say how runs were grouped into
    budgets (see the module docstring), :meth:`assign` applies the same rule to other runs, and
    ``n_unassigned`` counts the runs on no budget. ``columns`` names the (flops, n_params, loss)
    columns that were read.
    """

    method: Method
    budgets: pl.DataFrame
    exponent_a: float
    exponent_b: float
    coef_a: float
    coef_b: float
    prob: float
    n_boot: int
    intervals: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    profiles: tuple[Profile | None, ...] = ()
    levels: np.ndarray = field(default_factory=lambda: np.zeros(0))
    tolerance: float = 0.0
    bucketing: Bucketing = "exact"
    n_unassigned: int = 0
    columns: tuple[str, str, str] = ("flops", "n_params", "loss")

    def assign(self, flops: Any) -> np.ndarray:
        """The budget row each run's compute belongs to (-1 for none), by the rule that grouped the
        analysed runs: the nearest level within ``tolerance`` decades (exact values: equal to it)."""
        return nearest(np.log10(np.asarray(flops, dtype=float)), self.levels, self.tolerance)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "exponent_a": self.exponent_a,
            "exponent_b": self.exponent_b,
            "coef_a": self.coef_a,
            "coef_b": self.coef_b,
            "prob": self.prob,
            "n_boot": self.n_boot,
            "intervals": {k: list(v) for k, v in self.intervals.items()} or None,
            "bucketing": self.bucketing,
            "tolerance_decades": self.tolerance,
            "n_unassigned": self.n_unassigned,
            "budgets": self.budgets.to_dicts(),
        }


POOLED_SHARE = 0.2
"""Share of runs repeating a model size within their budget above which the table is taken to pool
several sweeps. A single digitised sweep has a few repeats (the Epoch reconstruction of Chinchilla: 9
of 240 runs, 4%); pooling k configurations makes (k - 1)/k of the runs repeats (15 configurations: 93%)."""


def _warn_if_pooled(
    c: np.ndarray, n: np.ndarray, assignment: np.ndarray, n_levels: int, flops: str, n_params: str
) -> None:
    """Warn when a budget holds several runs of one model size: the table pools several sweeps (other
    configurations, seeds or data sets), and one profile through all of them mixes their losses."""
    repeated, example = 0, None
    for k in range(n_levels):
        sizes = n[assignment == k]
        values, counts = np.unique(sizes, return_counts=True)
        repeated += int(np.sum(counts[counts > 1] - 1))
        if example is None and np.any(counts > 1):
            example = (float(np.exp(np.mean(np.log(c[assignment == k])))), float(values[np.argmax(counts)]),
                       int(counts.max()))
    assigned = int(np.sum(assignment >= 0))
    if example is not None and repeated > POOLED_SHARE * max(assigned, 1):
        budget, size, count = example
        warnings.warn(
            f"the IsoFLOP table looks like several sweeps pooled: {repeated} run(s) repeat a model size "
            f"within their budget (e.g. {count} runs with {n_params}={size:.4g} at {flops}~{budget:.3g}). "
            "One profile per budget through them mixes configurations; filter the table to one "
            "configuration (or average repeated seeds) before the IsoFLOP analysis.",
            ToolkitWarning,
            stacklevel=3,
        )


def _column(columns: Mapping[str, np.ndarray], name: str, role: str) -> np.ndarray:
    if name not in columns:
        raise MissingColumnError(
            f"column {name!r} ({role}) is missing from the IsoFLOP data. Available columns: "
            f"{sorted(columns)}; pass the right name as `{role}=`."
        )
    return np.asarray(columns[name], dtype=float)


def _as_columns(data: Any) -> dict[str, np.ndarray]:
    if isinstance(data, Mapping):
        return {str(k): np.asarray(v) for k, v in data.items()}
    if isinstance(data, pl.DataFrame):
        return {c: data[c].to_numpy() for c in data.columns}
    if hasattr(data, "columns") and hasattr(data, "to_dict"):
        frame = pl.from_pandas(data)
        return {c: frame[c].to_numpy() for c in frame.columns}
    raise DataError(
        f"`data` of isoflop_profiles must be a polars or pandas DataFrame or a mapping of column -> "
        f"values. Got {type(data).__name__} instead."
    )


def _frontier(log_c: np.ndarray, log_v: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares slope and intercept of log_v on log_c per row, over entries where ``ok``."""
    w = ok.astype(float)
    n = w.sum(axis=-1)
    with np.errstate(all="ignore"):
        mc = (w * log_c).sum(axis=-1) / n
        mv = (w * np.where(ok, log_v, 0.0)).sum(axis=-1) / n
        dc = log_c - mc[..., None]
        slope = (w * dc * np.where(ok, log_v - mv[..., None], 0.0)).sum(axis=-1) / (w * dc**2).sum(axis=-1)
    slope = np.where(n >= 2, slope, np.nan)
    return slope, mv - slope * mc


_EMPTY = {"n_opt": np.nan, "n_opt_lower": np.nan, "n_opt_upper": np.nan, "d_opt": np.nan, "loss_opt": np.nan,
          "interior": False}
_SCHEMA = {
    "flops": pl.Float64, "n_points": pl.Int64, "n_opt": pl.Float64, "n_opt_lower": pl.Float64,
    "n_opt_upper": pl.Float64, "d_opt": pl.Float64, "loss_opt": pl.Float64, "interior": pl.Boolean,
}


def isoflop_profiles(
    data: Any,
    *,
    method: Method = "cubic",
    flops: str = "flops",
    n_params: str = "n_params",
    loss: str = "loss",
    budgets: Sequence[float] | np.ndarray | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    n_boot: int = 200,
    prob: float = 0.95,
    seed: int = 0,
) -> IsoFlopResult:
    """Minimise each budget's loss profile over model size and fit the compute-optimal frontier.

    Parameters
    ----------
    data
        Runs (a polars/pandas frame or a mapping of columns) with a compute column, model sizes and
        losses.
    method
        ``"cubic"`` (default), ``"parabola"`` (Chinchilla Approach 2) or ``"akima"`` (Porian et al.);
        see the module docstring for their biases.
    flops, n_params, loss
        Column names.
    budgets, tolerance
        How runs are grouped into budgets (module docstring): runs sharing exact values form one
        budget; otherwise each run joins the nearest of the ``budgets`` given (FLOPs), or of the
        levels found in the data, within ``tolerance`` decades (default 0.03, ±7%).
    n_boot, prob, seed
        Resamples of the runs within each budget, interval probability, and the resampling seed;
        ``n_boot=0`` skips the intervals.

    Returns
    -------
    IsoFlopResult

    Raises
    ------
    MissingColumnError
        If a named column is absent.
    DataError
        If values are not positive and finite, or fewer than two budgets have an interior minimum.
    ValueError
        If ``method``, ``budgets``, ``tolerance``, ``n_boot`` or ``prob`` is invalid.
    """
    function = "isoflop_profiles"
    if method not in MIN_POINTS:
        raise ArgumentError(
            f"`method` of {function} must be one of {sorted(MIN_POINTS)}. Got {method!r} instead.",
            argument="method", function=function,
        )
    if n_boot < 0:
        raise ArgumentError(
            f"`n_boot` of {function} must be >= 0 (0: no intervals). Got {n_boot!r} instead.",
            argument="n_boot", function=function,
        )
    if not (np.isfinite(tolerance) and 0 <= tolerance < 0.5):
        raise ArgumentError(
            f"`tolerance` of {function} must be a half-width in decades of compute in [0, 0.5), e.g. "
            f"0.03 (±7%). Got {tolerance!r} instead.",
            argument="tolerance", function=function,
        )
    _check_prob(prob, function)
    columns = _as_columns(data)
    c = _column(columns, flops, "flops")
    n = _column(columns, n_params, "n_params")
    y = _column(columns, loss, "loss")
    for name, values in ((flops, c), (n_params, n), (loss, y)):
        bad = np.flatnonzero(~(np.isfinite(values) & (values > 0)))
        if bad.size:
            raise DataError(
                f"column {name!r} of the IsoFLOP data must be positive and finite; {bad.size} rows are "
                f"not (rows {bad[:5].tolist()}, values {values[bad[:5]].tolist()}). Drop or fix them."
            )
    levels, known, assignment, applied, bucketing = bucket(c, budgets, tolerance, MIN_POINTS[method])
    model = cost_model(DEFAULT_COST)
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    profiles: list[Profile | None] = []
    draws_x = np.full((n_boot, levels.size), np.nan)
    budget_values = np.empty(levels.size)
    _warn_if_pooled(c, n, assignment, levels.size, flops, n_params)
    for k in range(levels.size):
        members = np.flatnonzero(assignment == k)
        # A given or exact budget is its value; a found one is where its runs are (geometric mean).
        if known is not None:
            budget = float(known[k])
        else:
            budget = float(np.exp(np.mean(np.log(c[members])))) if members.size else float(10 ** levels[k])
        budget_values[k] = budget
        order = members[np.argsort(n[members], kind="stable")]
        x, ly = np.log(n[order]), np.log(y[order])
        row: dict[str, Any] = {"flops": budget, "n_points": int(order.size)}
        if np.unique(x).size < MIN_POINTS[method]:
            rows.append(row | _EMPTY)
            profiles.append(None)
            continue
        xm, ym, interior = budget_minima(x, ly, np.ones((1, x.size)), method)
        profiles.append(profile(x, ly, method))
        lower = upper = np.nan
        if n_boot:
            resampled = np.apply_along_axis(
                np.bincount, 1, rng.integers(0, x.size, (n_boot, x.size)), minlength=x.size
            ).astype(float)
            bx, _, bi = budget_minima(x, ly, resampled, method)
            draws_x[:, k] = np.where(bi, bx, np.nan)
            if np.isfinite(draws_x[:, k]).sum() >= 2:
                lower, upper = np.exp(np.nanquantile(draws_x[:, k], [(1 - prob) / 2, (1 + prob) / 2]))
        n_opt = float(np.exp(xm[0]))
        rows.append(row | {
            "n_opt": n_opt, "n_opt_lower": float(lower), "n_opt_upper": float(upper),
            "d_opt": float(model.tokens(np.array(n_opt), np.array(budget))), "loss_opt": float(np.exp(ym[0])),
            "interior": bool(interior[0]),
        })
    table = pl.DataFrame(rows, schema=_SCHEMA)
    ok = table["interior"].to_numpy() & np.isfinite(table["n_opt"].to_numpy())
    unassigned = int(np.sum(assignment < 0))
    if ok.sum() < 2:
        grouped = {
            "exact": "runs grouped by exact budget value",
            "given": f"runs bucketed to the nearest of the {levels.size} given budgets within {applied:g} decades",
            "found": f"runs bucketed by nearest log-compute level (±{applied:g} decades)",
        }[bucketing]
        raise DataError(
            f"IsoFLOP data must have at least two budgets whose minimum lies inside the sweep (with "
            f"{MIN_POINTS[method]}+ sizes for method {method!r}); found {int(ok.sum())} of {levels.size} "
            f"budgets ({grouped}; {unassigned} of {c.size} runs on no budget). Widen the sweeps around the "
            "optimum or add sizes, or pass the budgets the runs aimed at (`budgets=`) and a `tolerance`."
        )
    log_c = np.log(budget_values)
    log_n = np.log(table["n_opt"].to_numpy())
    a, ka = _frontier(log_c, log_n, ok)
    log_d = np.log(model.tokens(np.exp(log_n), budget_values))
    b, kb = _frontier(log_c, log_d, ok)
    intervals: dict[str, tuple[float, float]] = {}
    if n_boot:
        okb = ok[None, :] & np.isfinite(draws_x)
        ab, _ = _frontier(log_c[None, :], draws_x, okb)
        with np.errstate(invalid="ignore"):
            draws_d = np.log(model.tokens(np.exp(draws_x), budget_values[None, :]))
        bb, _ = _frontier(log_c[None, :], draws_d, okb)
        q = [(1 - prob) / 2, (1 + prob) / 2]
        intervals["exponent_a"] = tuple(float(v) for v in np.nanquantile(ab, q))  # type: ignore[assignment]
        intervals["exponent_b"] = tuple(float(v) for v in np.nanquantile(bb, q))  # type: ignore[assignment]
    return IsoFlopResult(
        method=method, budgets=table, exponent_a=float(a), exponent_b=float(b), coef_a=float(np.exp(ka)),
        coef_b=float(np.exp(kb)), prob=prob, n_boot=n_boot, intervals=intervals, profiles=tuple(profiles),
        levels=levels, tolerance=applied, bucketing=bucketing, n_unassigned=unassigned,
        columns=(flops, n_params, loss),
    )


@dataclass(frozen=True, eq=False)
class FrontierComparison:
    """IsoFLOP minima against a parametric law's allocation at the same budgets.

    ``table``: ``flops``, ``n_opt_isoflop``, ``n_opt_law``, ``ratio`` (law / IsoFLOP); exponents of both.
    """

    table: pl.DataFrame
    exponent_a_isoflop: float
    exponent_a_law: float
    exponent_b_isoflop: float
    exponent_b_law: float


def compare_frontiers(isoflop: IsoFlopResult, allocation: Allocation) -> FrontierComparison:
    """Compare IsoFLOP minima with ``allocation`` (e.g. ``allocate(fit, flops=iso.budgets["flops"])``).

    Raises
    ------
    ValueError
        If the allocation is not for the IsoFLOP budgets.
    """
    flops = isoflop.budgets["flops"].to_numpy()
    if allocation.flops.shape != flops.shape or not np.allclose(allocation.flops, flops, rtol=1e-9):
        raise ArgumentError(
            "`allocation` of compare_frontiers must be computed at the IsoFLOP budgets, e.g. "
            "allocate(fit, flops=isoflop.budgets['flops']). Got budgets "
            f"{allocation.flops.tolist()} instead of {flops.tolist()}.",
            argument="allocation", function="compare_frontiers",
        )
    iso_n = isoflop.budgets["n_opt"].to_numpy()
    table = pl.DataFrame({
        "flops": flops, "n_opt_isoflop": iso_n, "n_opt_law": allocation.n_params,
        "ratio": allocation.n_params / iso_n, "interior": isoflop.budgets["interior"],
    })
    return FrontierComparison(
        table=table, exponent_a_isoflop=isoflop.exponent_a, exponent_a_law=allocation.exponent_a,
        exponent_b_isoflop=isoflop.exponent_b, exponent_b_law=allocation.exponent_b,
    )
