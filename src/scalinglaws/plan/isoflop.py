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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy.interpolate import Akima1DInterpolator

from scalinglaws.errors import ArgumentError, DataError, MissingColumnError
from scalinglaws.laws import DEFAULT_COST, cost_model
from scalinglaws.plan.allocation import Allocation, _check_flops, _check_prob

Method = Literal["parabola", "cubic", "akima"]
_MIN_POINTS: Mapping[str, int] = {"parabola": 3, "cubic": 5, "akima": 4}
_DENSE = 2001


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
    ``n_opt_upper``, ``d_opt`` (= C/(6 N_opt)), ``loss_opt`` and ``interior`` (False when the minimum is
    at the sweep's edge; such budgets are left out of the frontier). Frontier: N_opt = ``coef_a`` *
    C^``exponent_a`` and D_opt = ``coef_b`` * C^``exponent_b``, fitted by least squares in log-log.
    ``intervals`` maps ``"exponent_a"``/``"exponent_b"`` to bootstrap percentile intervals.
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
            "budgets": self.budgets.to_dicts(),
        }


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


def _design(x: np.ndarray, degree: int) -> np.ndarray:
    return np.vander(x, degree + 1, increasing=True)


def _poly_minimum(coefs: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Minimiser over [lo, hi] of each polynomial (rows of increasing-order coefficients) and whether
    it is interior (a local minimum strictly inside)."""
    grid = np.linspace(lo, hi, _DENSE)
    values = _design(grid, coefs.shape[1] - 1) @ coefs.T  # (grid, batch)
    best = np.argmin(values, axis=0)
    interior = (best > 0) & (best < _DENSE - 1)
    x = grid[best]
    # Refine with the exact stationary point next to the grid minimum (parabola: the vertex).
    if coefs.shape[1] == 3:
        with np.errstate(all="ignore"):
            vertex = -coefs[:, 1] / (2 * coefs[:, 2])
        x = np.where(interior & (coefs[:, 2] > 0), vertex, x)
    else:
        c1, c2, c3 = coefs[:, 1], coefs[:, 2], coefs[:, 3]
        with np.errstate(all="ignore"):
            disc = np.sqrt(4 * c2**2 - 12 * c3 * c1)
            roots = np.stack([(-2 * c2 + disc) / (6 * c3), (-2 * c2 - disc) / (6 * c3)])
            curvature = 2 * c2 + 6 * c3 * roots
            nearest = np.argmin(np.where(curvature > 0, np.abs(roots - x), np.inf), axis=0)
        root = np.take_along_axis(roots, nearest[None], axis=0)[0]
        x = np.where(interior & np.isfinite(root) & (np.abs(root - x) < 2 * (hi - lo) / _DENSE), root, x)
    return x, interior


def _budget_minima(
    x: np.ndarray, y: np.ndarray, counts: np.ndarray, method: Method
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minimiser of log N, minimum log loss and interior flag, for each row of resampling ``counts``."""
    lo, hi = float(x.min()), float(x.max())
    if method in ("parabola", "cubic"):
        degree = 2 if method == "parabola" else 3
        design = _design(x, degree)
        gram = np.einsum("bi,ij,ik->bjk", counts, design, design)
        rhs = np.einsum("bi,ij,i->bj", counts, design, y)
        unique = np.array([np.unique(x[c > 0]).size for c in counts])
        ok = unique > degree
        gram[~ok] = np.eye(degree + 1)
        coefs = np.linalg.solve(gram, rhs[..., None])[..., 0]
        xm, interior = _poly_minimum(coefs, lo, hi)
        ym = np.einsum("bj,bj->b", _design(xm, degree), coefs)
        return np.where(ok, xm, np.nan), np.where(ok, ym, np.nan), interior & ok
    out_x, out_y, out_i = (np.full(counts.shape[0], np.nan) for _ in range(3))
    for b, c in enumerate(counts):
        keep = c > 0
        xs, inverse = np.unique(x[keep], return_inverse=True)
        if xs.size < 3:
            continue
        ys = np.bincount(inverse, weights=(y * c)[keep]) / np.bincount(inverse, weights=c[keep])
        grid = np.linspace(xs[0], xs[-1], _DENSE)
        values = Akima1DInterpolator(xs, ys)(grid)
        best = int(np.argmin(values))
        out_x[b], out_y[b] = grid[best], values[best]
        out_i[b] = float(0 < best < _DENSE - 1 and xs[0] == lo and xs[-1] == hi)
    return out_x, out_y, out_i.astype(bool)


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


def isoflop_profiles(
    data: Any,
    *,
    method: Method = "cubic",
    flops: str = "flops",
    n_params: str = "n_params",
    loss: str = "loss",
    n_boot: int = 200,
    prob: float = 0.95,
    seed: int = 0,
) -> IsoFlopResult:
    """Minimise each budget's loss profile over model size and fit the compute-optimal frontier.

    Parameters
    ----------
    data
        Runs (a polars/pandas frame or a mapping of columns) with a budget column, model sizes and losses;
        every run of a budget must share the exact budget value (as :func:`isoflop_grid` writes it).
    method
        ``"cubic"`` (default), ``"parabola"`` (Chinchilla Approach 2) or ``"akima"`` (Porian et al.);
        see the module docstring for their biases.
    flops, n_params, loss
        Column names.
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
        If ``method``, ``n_boot`` or ``prob`` is invalid.
    """
    function = "isoflop_profiles"
    if method not in _MIN_POINTS:
        raise ArgumentError(
            f"`method` of {function} must be one of {sorted(_MIN_POINTS)}. Got {method!r} instead.",
            argument="method", function=function,
        )
    if n_boot < 0:
        raise ArgumentError(
            f"`n_boot` of {function} must be >= 0 (0: no intervals). Got {n_boot!r} instead.",
            argument="n_boot", function=function,
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
    rng = np.random.default_rng(seed)
    budgets = np.unique(c)
    rows: list[dict[str, Any]] = []
    draws_x = np.full((n_boot, budgets.size), np.nan)
    for k, budget in enumerate(budgets):
        members = np.flatnonzero(c == budget)
        order = members[np.argsort(n[members])]
        x, ly = np.log(n[order]), np.log(y[order])
        row: dict[str, Any] = {"flops": float(budget), "n_points": int(order.size)}
        if np.unique(x).size < _MIN_POINTS[method]:
            rows.append(row | {"n_opt": np.nan, "n_opt_lower": np.nan, "n_opt_upper": np.nan,
                               "d_opt": np.nan, "loss_opt": np.nan, "interior": False})
            continue
        counts = np.ones((1, x.size))
        xm, ym, interior = _budget_minima(x, ly, counts, method)
        lower = upper = np.nan
        if n_boot:
            resampled = np.apply_along_axis(
                np.bincount, 1, rng.integers(0, x.size, (n_boot, x.size)), minlength=x.size
            ).astype(float)
            bx, _, bi = _budget_minima(x, ly, resampled, method)
            draws_x[:, k] = np.where(bi, bx, np.nan)
            if np.isfinite(draws_x[:, k]).sum() >= 2:
                lower, upper = np.exp(np.nanquantile(draws_x[:, k], [(1 - prob) / 2, (1 + prob) / 2]))
        n_opt = float(np.exp(xm[0]))
        rows.append(row | {
            "n_opt": n_opt, "n_opt_lower": float(lower), "n_opt_upper": float(upper),
            "d_opt": float(cost_model(DEFAULT_COST).tokens(np.array(n_opt), np.array(budget))), "loss_opt": float(np.exp(ym[0])),
            "interior": bool(interior[0]),
        })
    table = pl.DataFrame(rows, schema={
        "flops": pl.Float64, "n_points": pl.Int64, "n_opt": pl.Float64, "n_opt_lower": pl.Float64,
        "n_opt_upper": pl.Float64, "d_opt": pl.Float64, "loss_opt": pl.Float64, "interior": pl.Boolean,
    })
    ok = table["interior"].to_numpy() & np.isfinite(table["n_opt"].to_numpy())
    if ok.sum() < 2:
        raise DataError(
            f"IsoFLOP data must have at least two budgets whose minimum lies inside the sweep (with "
            f"{_MIN_POINTS[method]}+ sizes for method {method!r}); found {int(ok.sum())} of {budgets.size}. "
            "Widen the sweeps around the optimum or add sizes."
        )
    log_c = np.log(budgets)
    log_n = np.log(table["n_opt"].to_numpy())
    a, ka = _frontier(log_c, log_n, ok)
    b, kb = _frontier(log_c, np.log(budgets / 6.0) - log_n, ok)
    intervals: dict[str, tuple[float, float]] = {}
    if n_boot:
        okb = ok[None, :] & np.isfinite(draws_x)
        ab, _ = _frontier(log_c[None, :], draws_x, okb)
        bb, _ = _frontier(log_c[None, :], np.log(budgets / 6.0)[None, :] - draws_x, okb)
        q = [(1 - prob) / 2, (1 + prob) / 2]
        intervals["exponent_a"] = tuple(float(v) for v in np.nanquantile(ab, q))  # type: ignore[assignment]
        intervals["exponent_b"] = tuple(float(v) for v in np.nanquantile(bb, q))  # type: ignore[assignment]
    return IsoFlopResult(
        method=method, budgets=table, exponent_a=float(a), exponent_b=float(b), coef_a=float(np.exp(ka)),
        coef_b=float(np.exp(kb)), prob=prob, n_boot=n_boot, intervals=intervals,
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
